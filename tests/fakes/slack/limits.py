"""Rate limits and injected failures: what the next calls of a Web API method answer."""

from __future__ import annotations


class FaultInjection:
    """429s, errors, HTTP failures and delays, consumed by the Web API dispatch."""

    # --- fault injection ---------------------------------------------------

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with Retry-After."""
        self._faults.setdefault(method, []).extend([("429", retry_after)] * times)

    def rate_limit_every(self, method: str, every: int, retry_after: int = 1) -> None:
        """Every `every`-th call of `method` answers 429 (a steady background of limits)."""
        self._periodic[method] = (every, retry_after)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` answer {"ok": false, "error": error}."""
        self._faults.setdefault(method, []).extend([("error", error)] * times)

    def http_error(self, method: str, status: int = 500, times: int = 1) -> None:
        self._faults.setdefault(method, []).extend([("http", status)] * times)

    def delay(self, method: str, seconds: float) -> None:
        self._delays[method] = seconds
