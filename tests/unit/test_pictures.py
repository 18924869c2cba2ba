"""Pictures drawn on delivery: only marked drawers run, in the worker chosen by the settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core import messages as msg
from bot.core.settings import ConfigError, Settings
from bot.delivery.pictures import PictureError, PictureWorker, draw, drawer_name
from bot.features.stats.chart import draw_dashboard_chart

FIGURES = json.dumps({"v": 2, "weeks": [["2026-11-02", 3, 1], ["2026-11-09", 5, 2]], "topics": [["Python", 2, 1, 4]]})


def test_a_stored_row_can_only_name_a_marked_drawer(tmp_path: Path) -> None:
    for name in (
        "os:system",
        "bot.features.stats.chart:render_chart",
        "bot.features.stats.chart:nope",
        "builtins:eval",
    ):
        with pytest.raises(PictureError):
            draw(name, FIGURES, str(tmp_path / "x.png"))
    with pytest.raises(PictureError):
        draw(drawer_name(draw_dashboard_chart), FIGURES, str(tmp_path / "x.txt"))  # pictures are PNGs
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", ["thread", "process"])
async def test_each_worker_draws_the_chart_once_and_reuses_it(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "charts" / "stats-1-abc.png"
    image = msg.Image(str(path), "chart", "mentorship-dashboard.png", drawer_name(draw_dashboard_chart), FIGURES)
    worker = PictureWorker(mode)
    try:
        worker.prepare()
        await worker.ready(msg.Message((msg.text("Chart"), image)))
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
        drawn_at = path.stat().st_mtime_ns
        await worker.ready(msg.Message((image,)))  # same figures, same file: not drawn again
        assert path.stat().st_mtime_ns == drawn_at
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no scratch files left
    finally:
        worker.close()


def test_the_picture_worker_setting_is_checked() -> None:
    assert Settings.from_env({}).picture_worker == "process"
    assert Settings.from_env({"MENTORBOT_PICTURE_WORKER": "Thread"}).picture_worker == "thread"
    with pytest.raises(ConfigError, match="MENTORBOT_PICTURE_WORKER"):
        Settings.from_env({"MENTORBOT_PICTURE_WORKER": "gpu"})


def test_an_image_keeps_what_to_draw_through_the_outbox() -> None:
    image = msg.Image("/d/c.png", "alt", "c.png", drawer_name(draw_dashboard_chart), FIGURES)
    assert msg.from_json(msg.to_json(msg.Message((image,)))).parts == (image,)
    plain = msg.Image("/d/c.png", "alt", "c.png")
    assert '"drawer"' not in msg.to_json(msg.Message((plain,)))
