# mentorbot container image. Not built by CI: CI checks only that compose.yaml sets documented
# keys and runs a real mentorbot command (tests/adapters/ops/test_packaging.py).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
RUN pip install . && rm -rf /src

# An unprivileged user owns only the data directory (charts, exports: 0700).
RUN useradd --create-home --uid 10001 mentorbot \
    && mkdir -p /var/lib/mentorbot \
    && chown mentorbot:mentorbot /var/lib/mentorbot \
    && chmod 700 /var/lib/mentorbot
USER mentorbot
WORKDIR /var/lib/mentorbot

ENV MENTORBOT_DATA_DIR=/var/lib/mentorbot/data \
    METRICS_PORT=9464 \
    LOG_FORMAT=json

EXPOSE 3000 9464
# /healthz on METRICS_PORT (Socket Mode, Discord) or on PORT (Slack HTTP mode); no curl in slim images.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request as u; ports = [os.environ.get('METRICS_PORT'), os.environ.get('PORT', '3000')]; \
exit(0 if any(u.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=3).status == 200 for p in ports if p) else 1)"

CMD ["mentorbot", "run"]
