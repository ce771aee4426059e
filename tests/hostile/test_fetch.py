"""Hostile servers against ``fetch``: bombs, drips, redirects into private space (issue 15,
items 1-3).

Every server here listens on 127.0.0.1; nothing connects off this machine.
The address policy is tested by classifying addresses (no connection) and by
a redirect from one 127.0.0.1 port to another, refused because loopback is
not an allowed redirect target unless the config says so.
"""

import contextlib
import gzip
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zlib

import pytest
from helpers import FeedServer, Route

from mentionwatch.sources import http_guard
from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import fetch
from mentionwatch.sources.http_guard import address_allowed, check_redirect

pytestmark = [pytest.mark.hostile, pytest.mark.integration]

MB = 1024 * 1024


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about 1000:1)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MB)
    return b"".join(compressor.compress(block) for _ in range(size // MB)) + compressor.flush()


# ----------------------------------------------------------------------- 1. decompression bombs


def test_a_gzip_bomb_stops_at_max_bytes_of_output(feed_server):
    bomb = gzip_bomb(1024 * MB)  # 1 GiB of zeros in about 1 MB
    feed_server.routes["/bomb"] = Route(bomb, headers={"Content-Encoding": "gzip"})
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than 10000000 bytes once decompressed") as caught:
        fetch(feed_server.url("/bomb"))
    assert not caught.value.transient and time.monotonic() - started < 10


def test_a_deflate_bomb_stops_too(feed_server):
    feed_server.routes["/deflate"] = Route(
        zlib.compress(bytes(200 * MB), 9), headers={"Content-Encoding": "deflate"}
    )
    with pytest.raises(FetchError, match="once decompressed"):
        fetch(feed_server.url("/deflate"), max_bytes=5 * MB)


def test_honest_compressed_feeds_still_decode(feed_server):
    feed_server.routes["/gz"] = Route(
        gzip.compress(b"<rss>a</rss>") + gzip.compress(b"<!-- b -->"),
        headers={"Content-Encoding": "gzip"},
    )  # two gzip members
    assert fetch(feed_server.url("/gz")).body == b"<rss>a</rss><!-- b -->"
    feed_server.routes["/raw-deflate"] = Route(
        zlib.compress(b"<rss/>")[2:-4], headers={"Content-Encoding": "deflate"}
    )
    assert fetch(feed_server.url("/raw-deflate")).body == b"<rss/>"


def test_a_truncated_gzip_body_is_an_error_not_a_partial_page(feed_server):
    feed_server.routes["/cut"] = Route(
        gzip.compress(b"<rss>" + b"x" * 5000 + b"</rss>")[:-30],
        headers={"Content-Encoding": "gzip"},
    )
    with pytest.raises(FetchError, match="cannot decode gzip"):
        fetch(feed_server.url("/cut"))


# ------------------------------------------------------------------ 2. redirects into private space


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fc00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "fd00:ec2::254",
    ],
)
def test_private_loopback_link_local_and_metadata_addresses_are_refused(address):
    assert not address_allowed(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_are_allowed(address):
    assert address_allowed(address)  # classification only: nothing connects


def test_a_listed_network_is_allowed():
    assert address_allowed("10.0.8.20", ["10.0.8.0/24"]) and not address_allowed(
        "10.0.9.20", ["10.0.8.0/24"]
    )


def test_a_redirect_to_another_local_port_is_refused_by_default(feed_server):
    internal = FeedServer().start()
    try:
        internal.routes["/secret"] = Route(b"<rss><channel><title>internal</title></channel></rss>")
        feed_server.routes["/feed"] = Route(
            status=302, headers={"Location": internal.url("/secret")}
        )
        with pytest.raises(FetchError, match="redirect to a non-public address refused"):
            fetch(feed_server.url("/feed"))
        assert internal.requests == []  # never reached
        allowed = fetch(feed_server.url("/feed"), allowed_networks=["127.0.0.0/8"])
        assert allowed.final_url == internal.url("/secret") and allowed.redirects == (
            internal.url("/secret"),
        )
    finally:
        internal.stop()


def test_a_name_that_resolves_differently_when_connecting_is_refused(feed_server, monkeypatch):
    """DNS rebinding: the redirect target's name looked public when checked, then led to loopback.
    Simulated by letting the first check pass; the connected address is checked again."""
    internal = FeedServer().start()
    try:
        internal.routes["/secret"] = Route(b"<rss><channel><title>internal</title></channel></rss>")
        feed_server.routes["/feed"] = Route(
            status=302, headers={"Location": internal.url("/secret")}
        )
        monkeypatch.setattr(http_guard, "check_redirect", lambda url, allowed=(): None)
        with pytest.raises(
            FetchError, match=r"non-public address refused \(127.0.0.1 connected to 127.0.0.1"
        ):
            fetch(feed_server.url("/feed"))
        assert internal.requests == []  # connected, refused before a byte was sent
        assert fetch(
            feed_server.url("/feed"), allowed_networks=["127.0.0.0/8"]
        ).final_url == internal.url("/secret")
        feed_server.routes["/plain"] = Route(b"<rss/>")
        assert (
            fetch(feed_server.url("/plain")).body == b"<rss/>"
        )  # the URL the operator wrote: fetched as written
    finally:
        internal.stop()


def test_redirects_to_other_schemes_are_refused():
    with pytest.raises(FetchError, match="redirect to a file URL refused"):
        check_redirect("file:///etc/passwd")


def test_the_metadata_address_is_refused_without_any_connection():
    with pytest.raises(FetchError, match="169.254.169.254"):
        check_redirect(
            "http://169.254.169.254/latest/meta-data/"
        )  # an IP literal: no DNS, no connection


# ----------------------------------------------------------------------- 3. a total deadline


def test_a_server_that_drips_its_body_is_cut_at_the_deadline(feed_server):
    feed_server.routes["/drip"] = Route(b"<rss>" + b" " * 100 + b"</rss>", drip=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match="not complete within the fetch deadline") as caught:
        fetch(feed_server.url("/drip"), timeout=5, deadline=2)
    assert caught.value.transient and time.monotonic() - started < 4


# ----------------------------------------------------------------------- a whole scan, bounded


@pytest.fixture(scope="module")
def fast_path_built():
    """Builds (once per machine) the cached int8 model, so the scans measured below only load it."""
    from mentionwatch.classify.model import load_classifier

    load_classifier("shipped", runtime="auto")


@pytest.mark.slow
@pytest.mark.model
def test_a_scan_with_a_bomb_a_drip_and_a_private_redirect_still_alerts_on_the_good_feed(
    tmp_path, feed_server, fast_path_built
):
    internal = FeedServer().start()
    try:
        internal.routes["/admin"] = Route(
            b"<rss><channel><item><title>Dana Reyes internal</title></item></channel></rss>"
        )
        feed_server.routes["/bomb.xml"] = Route(
            gzip_bomb(1024 * MB), headers={"Content-Encoding": "gzip"}
        )
        feed_server.routes["/drip.xml"] = Route(b"<rss>" + b" " * 400 + b"</rss>", drip=0.1)
        feed_server.routes["/moved.xml"] = Route(
            status=302, headers={"Location": internal.url("/admin")}
        )
        feed_server.routes["/good.xml"] = Route(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>good</title>'
            b"<item><title>post</title>"
            b"<guid>g1</guid><link>https://forum.example/g1</link>"
            b"<description>Dana Reyes, I know where you live. "
            b"Tonight I will come and kill you.</description></item></channel></rss>",
            headers={"Content-Type": "application/rss+xml"},
        )
        config = tmp_path / "hostile.yaml"
        config.write_text(
            textwrap.dedent(f"""
            subjects:
              - name: Dana Reyes
            sources:
              feeds:
                - {{url: "{feed_server.url("/bomb.xml")}", name: Bomb}}
                - {{url: "{feed_server.url("/drip.xml")}", name: Drip}}
                - {{url: "{feed_server.url("/moved.xml")}", name: Moved}}
                - {{url: "{feed_server.url("/good.xml")}", name: Good}}
            fetch: {{timeout_s: 5, deadline_s: 10}}
            store: {{url: "sqlite:///{tmp_path}/history.db"}}
            """)
        )
        good_only = tmp_path / "good.yaml"
        good_only.write_text(
            textwrap.dedent(f"""
            subjects:
              - name: Dana Reyes
            sources:
              feeds:
                - {{url: "{feed_server.url("/good.xml")}", name: Good}}
            store: {{url: "sqlite:///{tmp_path}/good.db"}}
            """)
        )
        baseline, _, _ = scan_with_peak(good_only, tmp_path / "good.jsonl")
        peak, seconds, done = scan_with_peak(config, tmp_path / "out.jsonl")
    finally:
        internal.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "harassment 1" in done.stdout and "dead letters    3" in done.stdout
    assert "once decompressed" in done.stdout and "fetch deadline" in done.stdout
    assert "non-public address refused" in done.stdout
    assert internal.requests == []
    # The 1 GiB bomb costs nothing beyond a normal scan (whose peak is mostly Beam and the int8
    # model: about 780 MB), and the whole run stays under the 1 GB the issue sets for every
    # hostile scan.
    print(f"peak RSS: hostile scan {peak:.0f} MB, normal scan {baseline:.0f} MB, {seconds:.1f} s")
    assert seconds < 60 and peak < min(baseline + 200, 1024), (seconds, peak, baseline)


def scan_with_peak(config, output) -> tuple[float, float, subprocess.CompletedProcess]:
    """(peak RSS in MB of the scan process and its children, seconds, the finished process)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr)\n"
        "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(done.returncode)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            wrapper,
            sys.executable,
            "-m",
            "mentionwatch.cli",
            "scan",
            str(config),
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.monotonic() - started
    peak_kb = int(done.stdout.rsplit("PEAK_KB", 1)[1].split()[0])
    return peak_kb / 1024, seconds, done


@contextlib.contextmanager
def dripping_server(first: bytes, drip: bytes, every: float):
    """A raw server on 127.0.0.1 that sends ``first``, then ``drip`` every ``every`` s, never
    finishing; yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(first)
            while not stop.wait(every):
                try:
                    connection.sendall(drip)
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        stop.set()
        listener.close()


def test_a_server_that_drips_its_headers_is_cut_at_the_deadline():
    started = time.monotonic()
    # One header byte at a time, never the blank line that ends the headers.
    with (
        dripping_server(b"HTTP/1.1 200 OK\r\n", b"X", 0.2) as url,
        pytest.raises(FetchError, match="within the fetch deadline") as caught,
    ):
        fetch(url, timeout=5, deadline=2)
    assert caught.value.transient and time.monotonic() - started < 4


@pytest.mark.slow
@pytest.mark.model
def test_huge_odd_and_undecodable_feeds_beside_a_good_one(tmp_path, feed_server, fast_path_built):
    """50,000 entries, invalid UTF-8, a 1 MB entry, a brotli body (never decompressed: mentionwatch
    does not ask for brotli) beside the good feed: bounded, and the good feed's threat still
    alerts."""
    many = "".join(
        f"<item><guid>n{i}</guid><title>note {i}</title>"
        f"<description>weather {i}</description></item>"
        for i in range(50_000)
    )
    feed_server.routes["/many.xml"] = Route(
        f'<rss version="2.0"><channel><title>m</title>{many}</channel></rss>'.encode()
    )
    feed_server.routes["/bad-utf8.xml"] = Route(
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
        b"<channel><title>\xff\xfe\xc3</title><item><guid>u</guid>"
        b"<title>Dana Reyes \xe9t\xe9 \xff</title>"
        b"<description>ok</description></item></channel></rss>"
    )
    feed_server.routes["/big-entry.xml"] = Route(
        b'<rss version="2.0"><channel><title>b</title><item><guid>big</guid>'
        b"<title>Dana Reyes essay</title><description>"
        + b"Dana Reyes gave a talk about radio. " * 30_000
        + b"</description></item></channel></rss>"
    )
    feed_server.routes["/brotli.xml"] = Route(
        bytes(range(256)) * 400, headers={"Content-Encoding": "br"}
    )
    feed_server.routes["/good.xml"] = Route(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>good</title>'
        b"<item><title>post</title>"
        b"<guid>g1</guid><link>https://forum.example/g1</link>"
        b"<description>Dana Reyes, I know where you live. "
        b"Tonight I will come and kill you.</description></item></channel></rss>"
    )
    config = tmp_path / "odd.yaml"
    names = ("many", "bad-utf8", "big-entry", "brotli", "good")
    feeds = "".join(f'\n    - {{url: "{feed_server.url(f"/{n}.xml")}", name: {n}}}' for n in names)
    config.write_text(
        f"subjects:\n  - name: Dana Reyes\nsources:\n  feeds:{feeds}\n"
        f'store: {{url: "sqlite:///{tmp_path}/history.db"}}\n'
    )
    peak, seconds, done = scan_with_peak(config, tmp_path / "out.jsonl")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "harassment 1" in done.stdout  # the good feed's threat
    assert "brotli.xml" in done.stdout  # its undecodable body is a dead letter, named
    print(f"peak RSS: {peak:.0f} MB, {seconds:.1f} s")
    assert seconds < 60 and peak < 1024, (
        seconds,
        peak,
    )  # a normal scan with the int8 model: about 780 MB


def test_a_body_without_a_length_cut_at_the_deadline_is_not_taken_for_a_whole_page():
    """HTTP/1.0, no Content-Length: the body ends when the connection closes, and the deadline's
    watchdog closing it must read as a cut-off, not as the end of the page."""
    first = b"HTTP/1.0 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n<rss>"
    with (
        dripping_server(first, b" ", 0.3) as url,
        pytest.raises(FetchError, match="within the fetch deadline"),
    ):
        fetch(url, timeout=5, deadline=1.5)
