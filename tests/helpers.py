"""Test helpers importable from any test module (``from helpers import Route``)."""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import pathlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- HTTP


@dataclass
class Route:
    """A canned response: status, headers, body, an optional delay, and an optional drip
    (seconds between bytes of the body: a server that never quite finishes)."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0


class FeedServer:
    """A real HTTP server on 127.0.0.1 serving canned routes and a directory.

    ``routes`` maps a path (with query) to a ``Route`` or to a callable taking
    the request handler and returning a ``Route``. Unknown paths are looked up
    under ``directory``; anything else is 404. ``requests`` records every
    (method, path, headers) seen.
    """

    def __init__(self, directory: pathlib.Path | None = None):
        self.routes: dict[str, Route | Callable[[http.server.BaseHTTPRequestHandler], Route]] = {}
        self.directory = directory
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.timed_requests: list[tuple[str, str, dict[str, str], float]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            body = b""

            def do_GET(self):  # noqa: N802 - http.server API
                self._serve("GET")

            def do_POST(self):  # noqa: N802 - e.g. OAuth token endpoints; the body is on ``handler.body``
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                self._serve("POST")

            def _serve(self, method):
                server.requests.append((method, self.path, dict(self.headers)))
                server.timed_requests.append(
                    (method, self.path, dict(self.headers), time.monotonic())
                )
                route = server.routes.get(self.path)
                if callable(route):
                    route = route(self)
                if route is None and server.directory is not None:
                    candidate = (server.directory / self.path.lstrip("/").split("?")[0]).resolve()
                    if candidate.is_file() and server.directory.resolve() in candidate.parents:
                        route = Route(
                            candidate.read_bytes(),
                            headers={"Content-Type": _content_type(candidate)},
                        )
                if route is None:
                    route = Route(b"not found", status=404)
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in route.headers:
                    self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    if route.drip:
                        for byte in route.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(route.drip)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _content_type(path: pathlib.Path) -> str:
    suffix = path.suffix.lower()
    return {
        ".json": "application/json",
        ".atom": "application/atom+xml",
        ".html": "text/html",
    }.get(suffix, "application/xml")


# --------------------------------------------------------------------------- fake model


_FAKE_RULES = (
    (re.compile(r"\b(kill|dead|bullet|hurt you|won't leave)\b", re.IGNORECASE), "threat"),
    (re.compile(r"\b(lives at|address|phone)\b", re.IGNORECASE), "doxxing"),
    (re.compile(r"\b(flood|report her|everyone go)\b", re.IGNORECASE), "incitement"),
    (re.compile(r"\b(slut|whore|porn girl)\b", re.IGNORECASE), "sexual_harassment"),
    (re.compile(r"\b(pathetic|idiot|loser)\b", re.IGNORECASE), "insult"),
    (re.compile(r"\b(leaked|full video|watch free|download)\b", re.IGNORECASE), "re_promotion"),
)


def fake_scores(text: str) -> dict[str, float]:
    """Deterministic keyword scores in the shape the real handler returns."""
    from mentionwatch.classify.labels import CLASSES, label_scores

    probs = {c: 0.01 for c in CLASSES}
    for pattern, cls in _FAKE_RULES:
        if pattern.search(text):
            probs[cls] = 0.9
            break
    else:
        probs["benign"] = 0.9
    total = sum(probs.values())
    return label_scores([probs[c] / total for c in CLASSES], CLASSES)


def make_fake_handler():
    """A ModelHandler with keyword rules standing in for the model (fast tier)."""
    from mentionwatch.classify.handler import IsolatingModelHandler

    class FakeModel:  # RunInference keeps a weak reference to the model
        pass

    class FakeHandler(IsolatingModelHandler):
        def load_model(self):
            return FakeModel()

        def predict(self, texts, model):
            if any("RAISE_IN_MODEL" in text for text in texts):
                raise RuntimeError("model failed on this text")
            return [fake_scores(text) for text in texts], "fake-model@1"

    return FakeHandler()


# --------------------------------------------------------------------------- records

T0 = 1_795_000_000.0  # an arbitrary event time (2026-11-18)


def classified_mention(
    item_id, label, harassment_type=None, title="", text="text", score=0.95, subject="Dana Reyes"
):
    """A ClassifiedMention with the given label, for policy and store tests."""
    from mentionwatch.records import Classification, ClassifiedMention, Item, Mention, Span

    item = Item(item_id, "site", f"https://site.example/{item_id}", title, text)
    scores = {"harassment": 0.0, "re_promotion": 0.0, "benign": 0.0, label: score}
    result = Classification(
        label, harassment_type, scores, "m", "1", {"harassment": 0.5, "re_promotion": 0.5}
    )
    return ClassifiedMention(Mention(item, subject, (Span("text", 0, 4, "Dana", "dana"),)), result)


# Two threats the shipped model classifies as such: the live-feed tests append them.
THREAT_A = "Dana Reyes, I know where you live. Tonight I will come and kill you."
THREAT_B = "Dana Reyes you will be dead by Friday, I promise I will shoot you myself."


class LiveFeed:
    """An RSS feed whose entries the test appends; honours If-None-Match."""

    def __init__(self):
        self.entries: list[tuple[str, str, str]] = []  # (guid, title, text)
        self.appended_at: dict[str, float] = {}

    def add(self, guid: str, text: str, title: str = "post") -> None:
        self.entries.append((guid, title, text))
        self.appended_at[guid] = time.time()

    def body(self) -> bytes:
        items = "".join(
            f"<item><title>{title}</title><guid>{guid}</guid><link>https://forum.example/{guid}</link>"
            f"<pubDate>{email.utils.formatdate(usegmt=True)}</pubDate><description>{text}</description></item>"
            for guid, title, text in self.entries
        )
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>live</title>'
            f"{items}</channel></rss>"
        ).encode()

    def route(self, handler) -> Route:
        body = self.body()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if handler.headers.get("If-None-Match") == etag:
            return Route(status=304, headers={"ETag": etag})
        return Route(body, headers={"Content-Type": "application/rss+xml", "ETag": etag})
