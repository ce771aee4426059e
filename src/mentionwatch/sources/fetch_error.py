"""The one error every fetch failure becomes (``sources.http.fetch``).

It says what went wrong and whether trying again later could help; the poll
loop reads ``transient``, ``retry_after`` and the rate-limit ``headers``.
"""

from __future__ import annotations

from collections.abc import Mapping


class FetchError(Exception):
    """A URL could not be fetched.

    Attributes:
      url: the URL.
      status: the HTTP status, when the server answered.
      transient: True when a later retry may succeed (timeouts, 429, 5xx).
      retry_after: seconds the server asked us to wait, if it said.
      headers: the error response's headers (lower-cased), when there was one;
        APIs put rate-limit state there.
    """

    def __init__(
        self,
        url: str,
        message: str,
        *,
        status: int | None = None,
        transient: bool = False,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(f"{url}: {message}")
        self.url = url
        self.status = status
        self.transient = transient
        self.retry_after = retry_after
        self.headers = dict(headers or {})
