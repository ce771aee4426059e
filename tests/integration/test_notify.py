"""``mentionwatch notify`` against the real Pub/Sub emulator, a real SMTP server and a real webhook
receiver.

Everything listens on 127.0.0.1. Each test uses its own topic, subscription
and store, so they share the session's emulator without seeing each other's
messages.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import signal
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import zoneinfo

import pytest

from mentionwatch.cli import main
from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.notify.clock import ManualClock
from mentionwatch.notify.run import run_notify
from mentionwatch.notify.store import NotifyStore
from mentionwatch.pubsub.admin import ensure_resources
from mentionwatch.pubsub.clients import publisher_client
from mentionwatch.pubsub.emulator import free_port

pytestmark = pytest.mark.integration

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
ABUSE = "I know where you live, Dana, and I will hurt you"
SECRET = "s3cret-signing-key"


# --------------------------------------------------------------------------- real servers


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def self_signed(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A certificate for 127.0.0.1 and its key (the SMTP server's; the client trusts it via
    ca_file)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "smtp.crt", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server requiring STARTTLS and a login (user 'mw', password 'pw')."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, data):
        inbox.logins.append(data.login)
        return AuthResult(success=(data.login, data.password) == (b"mw", b"pw"))

    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    inbox.port, inbox.ca_file = controller.port, cert
    yield inbox
    controller.stop()


class Receiver:
    """A real HTTP server on 127.0.0.1 that records every POST and answers with ``status``."""

    def __init__(self):
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        self.delay = 0.0
        self.got_one = threading.Event()
        self.max_concurrent = 0
        self._active = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver._active += 1
                    receiver.max_concurrent = max(receiver.max_concurrent, receiver._active)
                time.sleep(receiver.delay)
                with receiver._lock:
                    receiver._active -= 1
                    receiver.requests.append((self.path, dict(self.headers), body))
                receiver.got_one.set()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def delivered(self, path: str) -> list[dict]:
        return [json.loads(body) for p, _, body in self.requests if p == path]

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


# --------------------------------------------------------------------------- config and alerts


def write_config(tmp_path, name, endpoint, notify: str) -> LoadedConfig:
    text = textwrap.dedent(
        f"""\
        subjects:
          - name: Dana Reyes
        store:
          url: sqlite:///{tmp_path}/history.db
        pubsub:
          project: mentionwatch-test
          emulator: true
          emulator_host: {endpoint}
          topics: {{alerts: {name}-alerts, items: {name}-items, dead_letters: {name}-dead}}
          subscriptions: {{alerts: {name}-alerts-notify, items: {name}-items-sub}}
        """
    ) + textwrap.dedent(notify)
    path = tmp_path / "config.yaml"
    path.write_text(text)
    loaded = LoadedConfig(parse_config(text, str(path)), path)
    ensure_resources(loaded.config.pubsub, endpoint)
    return loaded


def alert(alert_id, **fields) -> dict:
    return {
        "schema_version": 1,
        "alert_id": alert_id,
        "subject": "Dana Reyes",
        "label": "harassment",
        "harassment_type": "threat",
        "severity": "critical",
        "item_id": f"it_{alert_id}",
        "mention_id": f"mn_{alert_id}",
        "url": f"https://forum.example/t/{alert_id}",
        "source": "Corner Forum",
        "title": "",
        "excerpt": ABUSE,
        "published_at": "2026-03-03T19:02:00Z",
        "created_at": "2026-03-03T19:03:00Z",
        "scores": {"harassment": 0.97},
        "model_id": "test",
        "model_version": "1",
        "evidence_ref": "",
        "count": 1,
        "content_warning": True,
        **fields,
    }


def promo(i: int) -> dict:
    return alert(
        f"al_promo{i:02d}",
        label="re_promotion",
        harassment_type=None,
        severity="medium",
        source="TubeHub",
        url=f"https://tube{i % 3}.example/v/{i}",
        title="Dana Reyes Hotel Room Tape NEW",
        excerpt="full video, watch free",
    )


def publish(loaded: LoadedConfig, endpoint: str, *bodies: dict | bytes) -> None:
    settings = loaded.config.pubsub
    client = publisher_client(endpoint)
    topic = settings.topic_path(settings.topics.alerts)
    futures = []
    for body in bodies:
        if isinstance(body, bytes):
            futures.append(client.publish(topic, body))
        else:
            attributes = {k: body[k] for k in ("subject", "label", "severity", "alert_id")}
            futures.append(client.publish(topic, json.dumps(body).encode(), **attributes))
    for future in futures:
        future.result(timeout=30)
    client.stop()


def smtp_block(inbox) -> str:
    return f"""\
  smtp:
    host: 127.0.0.1
    port: {inbox.port}
    security: starttls
    ca_file: {inbox.ca_file}
    username_env: MW_TEST_SMTP_USER
    password_env: MW_TEST_SMTP_PASSWORD
    sender: "mentionwatch <alerts@mentionwatch.test>"
"""


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    monkeypatch.setenv("MW_TEST_SMTP_USER", "mw")
    monkeypatch.setenv("MW_TEST_SMTP_PASSWORD", "pw")
    monkeypatch.setenv("MW_TEST_WEBHOOK_SECRET", SECRET)


def once(loaded, endpoint, **kwargs):
    kwargs.setdefault("wait", 5.0)
    kwargs.setdefault("idle", 0.5)
    return run_notify(loaded, endpoint, once=True, **kwargs)


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# --------------------------------------------------------------------------- the behaviours


def test_a_threat_arrives_immediately_masked_and_signed(
    tmp_path, pubsub_emulator, smtp_server, receiver
):
    """Email over STARTTLS with a login from the environment; a signed JSON webhook to a helper who
    opted in."""
    loaded = write_config(
        tmp_path,
        "threat",
        pubsub_emulator.endpoint,
        f"""\
notify:
  timezone: America/Chicago
{smtp_block(smtp_server)}
  recipients:
    - name: dana
      role: subject
      channels: [{{type: email, to: [dana@example.org]}}]
    - name: sam
      role: helper
      full_text: true
      channels:
        - {{type: webhook, url: "{receiver.url("/sam")}", secret_env: MW_TEST_WEBHOOK_SECRET}}
""",
    )
    publish(loaded, pubsub_emulator.endpoint, alert("al_threat"))
    report = once(
        loaded,
        pubsub_emulator.endpoint,
        clock=ManualClock(dt.datetime(2026, 3, 3, 19, 5, tzinfo=dt.UTC)),
    )
    assert report.received_count == 1 and report.queued == 0

    [message] = smtp_server.messages
    assert smtp_server.logins == [b"mw"]
    assert (
        message["Subject"]
        == "[mentionwatch] critical: a threat against Dana Reyes on forum.example"
    )
    assert message["To"] == "dana@example.org" and message["Message-ID"].endswith(
        "@mentionwatch.test>"
    )
    plain, page = text_of(message), message.get_body(preferencelist=("html",)).get_content()
    assert plain.startswith(
        "A threat on forum.example, 13:02, against Dana Reyes."
    )  # 19:02 UTC in Chicago
    assert "forum.example/\u2026" in plain and "hidden (content warning: threat" in plain
    assert "/t/al_threat" not in plain and "/t/al_threat" not in page  # masked: the site only
    steps = " ".join(plain.split("What you can do", 1)[1].split())
    assert "call your local emergency number now." in steps  # no safety block in this config
    assert "Your helper has also been told." in steps and "sam" not in plain
    assert f"mentionwatch evidence export {loaded.path} al_threat" in steps
    assert (
        "I will hurt you" not in plain and "I will hurt you" not in page
    )  # the subject did not opt in

    [(_path, headers, body)] = receiver.requests
    assert (
        headers["X-Mentionwatch-Signature"]
        == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    )
    payload = json.loads(body)
    assert int(headers["X-Mentionwatch-Timestamp"]) == payload["timestamp"]
    assert abs(payload["timestamp"] - time.time()) < 60
    assert (
        payload["kind"] == "immediate" and payload["alerts"][0]["excerpt"] == ABUSE
    )  # the helper opted in


def test_thirty_re_promotions_arrive_as_one_digest(tmp_path, pubsub_emulator, smtp_server, capsys):
    loaded = write_config(
        tmp_path,
        "digest",
        pubsub_emulator.endpoint,
        f"""\
notify:
{smtp_block(smtp_server)}
  recipients:
    - name: dana
      role: subject
      digest: {{every: daily, at: "08:00"}}
      channels: [{{type: email, to: [dana@example.org]}}]
""",
    )
    publish(loaded, pubsub_emulator.endpoint, *[promo(i) for i in range(30)])
    config = str(loaded.path)
    assert main(["notify", config, "--once", "--wait", "5", "--idle", "0.5"]) == 0
    assert smtp_server.messages == []  # queued: the digest is due at 08:00
    assert "queued for digest 30" in capsys.readouterr().out
    assert (
        len(NotifyStore(loaded.config.store.url).queue(status="queued")) == 30
    )  # durable, across this restart

    assert (
        main(["notify", config, "--once", "--flush-digests", "--wait", "0.5", "--idle", "0.5"]) == 0
    )
    [digest] = smtp_server.messages
    assert digest["Subject"] == "[mentionwatch] digest for Dana Reyes: 30 re-promotions"
    plain = text_of(digest)
    assert "Re-promotion of old content (30)" in plain
    assert all(f"tube{k}.example: 10 posts" in plain for k in range(3))
    assert plain.count("10 \u00d7 title 1 (hidden)") == 3 and "Hotel Room Tape" not in plain
    assert all(f"al_promo{i:02d}  tube{i % 3}.example/\u2026" in plain for i in range(30))
    assert "/v/" not in plain  # a link's path can spell the hidden title

    assert (
        main(["notify", config, "--once", "--flush-digests", "--wait", "0.5", "--idle", "0.5"]) == 0
    )
    assert len(smtp_server.messages) == 1


def test_quiet_hours_hold_a_low_alert_and_let_a_threat_through(
    tmp_path, pubsub_emulator, smtp_server
):
    loaded = write_config(
        tmp_path,
        "quiet",
        pubsub_emulator.endpoint,
        f"""\
notify:
  timezone: America/Chicago
{smtp_block(smtp_server)}
  recipients:
    - name: dana
      role: subject
      digest: {{every: hourly}}
      quiet_hours: {{start: "22:00", end: "07:00"}}
      channels: [{{type: email, to: [dana@example.org]}}]
""",
    )
    insult = alert(
        "al_insult", harassment_type="insult", severity="low", excerpt="what a pathetic loser"
    )
    publish(loaded, pubsub_emulator.endpoint, insult, alert("al_threat"))
    night = ManualClock(dt.datetime(2026, 3, 3, 23, 30, tzinfo=CHICAGO))
    report = once(loaded, pubsub_emulator.endpoint, clock=night)
    assert report.queued == 1
    assert [m["Subject"] for m in smtp_server.messages] == [
        "[mentionwatch] critical: a threat against Dana Reyes on forum.example"
    ]

    # notify restarts at 06:59 (still quiet), then at 07:00: the held alert arrives in one digest.
    assert (
        once(
            loaded,
            pubsub_emulator.endpoint,
            wait=0.5,
            clock=ManualClock(dt.datetime(2026, 3, 4, 6, 59, tzinfo=CHICAGO)),
        ).digests
        == 0
    )
    assert (
        once(
            loaded,
            pubsub_emulator.endpoint,
            wait=0.5,
            clock=ManualClock(dt.datetime(2026, 3, 4, 7, 0, tzinfo=CHICAGO)),
        ).digests
        == 1
    )
    assert len(smtp_server.messages) == 2
    digest = smtp_server.messages[1]
    assert digest["Subject"] == "[mentionwatch] digest for Dana Reyes: 1 harassment"
    assert "an insult on forum.example" in text_of(digest) and "pathetic" not in text_of(digest)


def test_a_failing_webhook_is_retried_dead_lettered_and_redelivered_later(
    tmp_path, pubsub_emulator, receiver
):
    loaded = write_config(
        tmp_path,
        "dead",
        pubsub_emulator.endpoint,
        f"""\
notify:
  recipients:
    - name: sam
      role: helper
      channels:
        - {{type: webhook, name: chat, format: slack, url: "{receiver.url("/slack")}"}}
        - {{type: file, name: log, directory: {tmp_path}/files}}
  operator:
    channels: [{{type: file, directory: {tmp_path}/operator}}]
  delivery: {{max_attempts: 3, backoff_initial_s: 0.05, backoff_max_s: 0.2}}
""",
    )
    receiver.status = 503
    publish(loaded, pubsub_emulator.endpoint, alert("al_threat"))
    assert (
        main(["notify", str(loaded.path), "--once", "--wait", "5", "--idle", "0.5"]) == 1
    )  # exit 1: a dead letter
    assert len(receiver.requests) == 3  # three attempts, then given up
    assert len({h["X-Mentionwatch-Delivery"] for _, h, _ in receiver.requests}) == 1
    assert (
        tmp_path / "files" / "sam" / "immediate-al_threat.txt"
    ).is_file()  # the other channel was not held up
    store = NotifyStore(loaded.config.store.url)
    [letter] = store.dead_letters()
    assert (letter["ref"], letter["channel"], letter["attempts"]) == ("al_threat", "chat", 3)
    [notice] = (tmp_path / "operator" / "operator").iterdir()
    assert "HTTP 503" in notice.read_text() and "hurt you" not in notice.read_text()

    # A restart redelivers nothing by itself (the message was acknowledged: the dead letter holds
    # it) ...
    publish(loaded, pubsub_emulator.endpoint, alert("al_threat"))
    assert main(["notify", str(loaded.path), "--once", "--wait", "5", "--idle", "0.5"]) == 0
    assert len(receiver.requests) == 3
    # ... until the operator fixed the receiver and asks for it.
    receiver.status = 200
    assert (
        main(
            [
                "notify",
                str(loaded.path),
                "--once",
                "--retry-dead-letters",
                "--wait",
                "0.5",
                "--idle",
                "0.5",
            ]
        )
        == 0
    )
    assert len(receiver.requests) == 4 and receiver.delivered("/slack")[-1]["text"].startswith(
        "[mentionwatch] critical"
    )
    assert store.dead_letters() == [] and {
        d["status"] for d in store.deliveries(ref="al_threat")
    } == {"sent"}


def test_sigterm_while_retrying_loses_nothing_and_a_restart_delivers_once(
    tmp_path, pubsub_emulator, receiver
):
    """A ``notify --once`` run (say, from cron) is stopped while it waits to retry a webhook."""
    loaded = write_config(
        tmp_path,
        "restart",
        pubsub_emulator.endpoint,
        f"""\
notify:
  recipients:
    - name: sam
      role: helper
      channels:
        - {{type: webhook, url: "{receiver.url("/hook")}", secret_env: MW_TEST_WEBHOOK_SECRET}}
  delivery: {{max_attempts: 5, backoff_initial_s: 30}}
""",
    )
    receiver.status = 503
    publish(loaded, pubsub_emulator.endpoint, alert("al_threat"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mentionwatch.cli",
            "notify",
            str(loaded.path),
            "--once",
            "--idle",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert receiver.got_one.wait(30), "notify never tried the webhook"
        time.sleep(0.3)  # now waiting 30 s before its second attempt
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err[-2000:]
    assert time.monotonic() - started < 10  # the stop cut the backoff short
    assert "stopped" in out and len(receiver.requests) == 1
    store = NotifyStore(loaded.config.store.url)
    assert (
        store.dead_letters() == [] and store.deliveries() == []
    )  # not delivered, not given up: back in Pub/Sub

    receiver.status = 200
    report = once(loaded, pubsub_emulator.endpoint)
    assert report.received_count == 1 and len(receiver.requests) == 2
    assert json.loads(receiver.requests[1][2])["id"] == "al_threat"
    assert (
        once(loaded, pubsub_emulator.endpoint, wait=1.0).received_count == 0
    )  # acknowledged this time
    assert len(receiver.requests) == 2


def test_the_service_streams_with_flow_control_and_stops_cleanly(
    tmp_path, pubsub_emulator, receiver
):
    """Service mode: a streaming pull with at most 2 alerts in flight, stopped like SIGTERM
    would."""
    loaded = write_config(
        tmp_path,
        "stream",
        pubsub_emulator.endpoint,
        f"""\
notify:
  recipients:
    - name: sam
      role: helper
      channels: [{{type: webhook, format: discord, url: "{receiver.url("/discord")}"}}]
  delivery: {{max_messages: 2}}
""",
    )
    receiver.delay = 0.3
    stop = threading.Event()
    result = {}
    service = threading.Thread(
        target=lambda: result.update(report=run_notify(loaded, pubsub_emulator.endpoint, stop=stop))
    )
    service.start()
    try:
        publish(loaded, pubsub_emulator.endpoint, *[alert(f"al_t{i}") for i in range(6)])
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        service.join(30)
    assert not service.is_alive() and result["report"].received_count == 6
    assert (
        len(receiver.requests) == 6 and receiver.max_concurrent == 2
    )  # flow control held the rest back
    assert all(p["allowed_mentions"] == {"parse": []} for p in receiver.delivered("/discord"))
    assert once(loaded, pubsub_emulator.endpoint, wait=1.0).received_count == 0  # all acknowledged


def test_a_redelivered_alert_sends_nothing_twice(tmp_path, pubsub_emulator, smtp_server):
    loaded = write_config(
        tmp_path,
        "dedup",
        pubsub_emulator.endpoint,
        f"""\
notify:
{smtp_block(smtp_server)}
  recipients:
    - name: dana
      role: subject
      channels: [{{type: email, to: [dana@example.org]}}]
""",
    )
    # The same alert published twice (a re-run of the scan), plus a message that is not an alert.
    publish(loaded, pubsub_emulator.endpoint, alert("al_threat"), alert("al_threat"), b"not json")
    report = once(loaded, pubsub_emulator.endpoint)
    assert (
        len(smtp_server.messages) == 1 and report.unreadable == 1 and report.skipped_duplicates == 1
    )
    publish(loaded, pubsub_emulator.endpoint, alert("al_threat"))  # redelivered after a restart
    assert once(loaded, pubsub_emulator.endpoint).skipped_duplicates == 1
    assert len(smtp_server.messages) == 1
    [letter] = NotifyStore(loaded.config.store.url).dead_letters()
    assert letter["kind"] == "unreadable" and letter["payload"] == {"data": "not json"}
