"""Secrets stay secret: not echoed by validate, not logged or stored from a webhook URL, not sent in
clear by SMTP (issue 15, item 9)."""

import pytest
from helpers import FeedServer, Route

from mentionwatch.config import ConfigError, parse_config
from mentionwatch.notify.channels import TransientDeliveryError, build_channel
from mentionwatch.notify.channels.webhook import WebhookChannel
from mentionwatch.notify.notification import Notification

pytestmark = pytest.mark.hostile

SECRET = "hunter2-Sup3rSecret"

BASE = """
subjects:
  - name: Dana Reyes
pubsub: {project: mentionwatch-test}
notify:
  recipients:
    - name: dana
      role: subject
      channels:
"""


def problems(channels: str, extra: str = "") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + channels + extra)
    return str(caught.value)


def test_validate_never_echoes_a_secret_written_where_a_variable_name_belongs():
    text = problems(
        f"        - {{type: webhook, url: 'https://hooks.example/x', secret_env: '{SECRET}'}}\n"
    )
    assert "not an environment variable name" in text and SECRET not in text
    text = problems(
        "        - {type: webhook, url: 'https://hooks.example/x', secret_env: 12345}\n"
    )
    assert "12345" not in text


def test_a_webhook_url_with_a_login_is_refused_without_repeating_it():
    text = problems(
        f"        - {{type: webhook, format: slack, url: 'https://bot:{SECRET}@hooks.example/x'}}\n"
    )
    assert "must not carry a login" in text and SECRET not in text


def test_a_slack_or_discord_url_can_come_from_the_environment():
    config = parse_config(
        BASE + "        - {type: webhook, format: discord, url_env: DISCORD_HOOK}\n"
    )
    spec = config.notify.recipients[0].channels[0]
    channel = build_channel(
        spec,
        smtp=None,
        where="notify.recipients[0].channels[0]",
        env={"DISCORD_HOOK": f"https://discord.example/api/webhooks/1/{SECRET}"},
    )
    assert isinstance(channel, WebhookChannel) and channel.url.endswith(SECRET)


def test_a_failing_webhook_names_its_host_never_its_secret_path():
    server = FeedServer().start()
    try:
        server.routes[f"/hooks/{SECRET}"] = Route(b"", status=503)
        channel = WebhookChannel(
            "hook", server.url(f"/hooks/{SECRET}"), fmt="discord", secret=None, timeout=5
        )
        note = Notification(
            id="al_x",
            kind="immediate",
            recipient="dana",
            severity="critical",
            title="t",
            text="hidden",
            html="",
            items=(),
            created_at="2026-12-03T00:00:00Z",
        )
        with pytest.raises(TransientDeliveryError) as caught:
            channel.send(note)
    finally:
        server.stop()
    assert "503" in str(caught.value) and SECRET not in str(caught.value)


def test_smtp_without_tls_and_with_a_login_is_refused_unless_the_relay_is_local():
    smtp = (
        "  smtp: {{host: {host}, security: none, sender: 'mw <a@example.org>', "
        "username_env: SMTP_USER, password_env: SMTP_PASS}}\n"
    )
    channels = "        - {type: email, to: [dana@example.org]}\n"
    assert "login in clear text" in problems(channels, smtp.format(host="mail.example.org"))
    parse_config(BASE + channels + smtp.format(host="127.0.0.1"))  # a relay on this machine


def test_a_webhook_that_drips_its_answer_cannot_hold_notify():
    import time

    server = FeedServer().start()
    try:
        server.routes["/slow"] = Route(b"ok" * 200, drip=0.2)
        channel = WebhookChannel("hook", server.url("/slow"), fmt="discord", secret=None, timeout=1)
        note = Notification(
            id="al_x",
            kind="immediate",
            recipient="dana",
            severity="critical",
            title="t",
            text="hidden",
            html="",
            items=(),
            created_at="2026-12-03T00:00:00Z",
        )
        started = time.monotonic()
        with pytest.raises(TransientDeliveryError, match="did not finish its answer within 1 s"):
            channel.send(note)
        assert time.monotonic() - started < 3
    finally:
        server.stop()
