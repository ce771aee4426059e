"""The notify block: defaults, and every mistake reported with file, line and field."""

import pathlib
import textwrap

import pytest

from mentionwatch.config import ConfigError, parse_config

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEAD = "subjects:\n  - name: Dana Reyes\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(HEAD + textwrap.dedent(text), "c.yaml")
    return [str(p) for p in info.value.problems]


def test_a_minimal_notify_block_takes_calm_defaults():
    config = parse_config(
        HEAD
        + "notify:\n  recipients:\n    - {name: dana, role: subject, channels: [{type: console}]}\n"
    )
    dana = config.notify.recipients[0]
    assert dana.full_text is False and dana.quiet_hours is None
    assert dana.digest.every == "daily" and dana.digest.at == "08:00"
    assert dana.immediate.min_severity == "critical" and dana.immediate.harassment_types == (
        "threat",
        "doxxing",
    )
    assert "pile_on" in dana.immediate.kinds
    assert config.notify.delivery.max_attempts == 5 and config.notify.timezone == "UTC"


def test_unquoted_times_are_understood():
    config = parse_config(
        HEAD
        + textwrap.dedent("""\
        notify:
          recipients:
            - name: dana
              role: subject
              channels: [{type: console}]
              digest: {every: daily, at: 7:30}
              quiet_hours: {start: 22:00, end: 06:45}
        """)
    )
    dana = config.notify.recipients[0]
    assert dana.digest.at == "07:30" and (dana.quiet_hours.start, dana.quiet_hours.end) == (
        "22:00",
        "06:45",
    )


def test_channel_mistakes_point_at_the_line():
    found = problems("""\
        notify:
          recipients:
            - name: dana
              role: subject
              channels:
                - type: webhook
                  url: https://hooks.example/x
                - type: console
                  to: [dana@example.org]
                - type: webhook
                  url: ftp://hooks.example/x
                  format: slack
        """)
    assert found == [
        (
            "c.yaml:8: notify.recipients[0].channels[0].type: "
            "a json webhook needs 'secret_env': the environment "
            "variable holding the key that signs every request (X-Mentionwatch-Signature)"
        ),
        "c.yaml:11: notify.recipients[0].channels[1].to: 'to' does not apply to a console channel",
        (
            "c.yaml:13: notify.recipients[0].channels[2].url: "
            "webhook url must be http:// or https:// with a host"
        ),
    ]


def test_secrets_are_named_never_written():
    found = problems("""\
        notify:
          smtp:
            host: smtp.example.org
            sender: alerts@example.org
            username_env: MW_SMTP_USER
            password_env: "hunter2!"
          recipients:
            - name: dana
              role: subject
              channels: [{type: email, to: [dana@example.org]}]
        """)
    assert len(found) == 1 and found[0].startswith(
        "c.yaml:8: notify.smtp.password_env: this is not an environment variable name"
    )
    assert "hunter2" not in found[0]  # the value may be the secret: never repeated


def test_cross_field_checks_keep_their_lines():
    email_without_smtp = problems("""\
        notify:
          recipients:
            - name: dana
              role: subject
              channels: [{type: email, to: [dana@example.org]}]
        """)
    assert email_without_smtp == [
        (
            "c.yaml:7: notify.recipients[0].channels[0].type: "
            "an email channel needs a 'notify.smtp' block (host, sender, ...)"
        )
    ]
    twice = problems("""\
        notify:
          recipients:
            - name: sam
              role: helper
              channels:
                - type: file
                - type: file
            - name: sam
              role: helper
              channels: [{type: console}]
        """)
    assert twice == [
        (
            "c.yaml:9: notify.recipients[0].channels[1].type: "
            "two channels are called 'file'; give each a distinct 'name'"
        )
    ]
    same_name = problems(
        """\
        notify:
          recipients:
            - {name: sam, role: helper, channels: [{type: console}]}
            - {name: sam, role: helper, channels: [{type: console}], """
        """quiet_hours: {start: "22:00", end: "22:00"}}
        """
    )
    assert same_name == [
        (
            "c.yaml:6: notify.recipients[1].quiet_hours.end: "
            "quiet hours must not start and end at the same time"
        )
    ]
    assert problems("""\
        notify:
          recipients:
            - {name: sam, role: helper, channels: [{type: console}]}
            - {name: sam, role: helper, channels: [{type: console}]}
        """) == ["c.yaml:6: notify.recipients[1].name: recipient 'sam' appears twice"]


def test_unknown_subjects_and_zones():
    found = problems("""\
        notify:
          recipients:
            - name: dana
              role: subject
              timezone: Chicago
              subjects: [Dana Reyes, Dana Reyez]
              channels: [{type: console}]
        """)
    assert found == [
        (
            "c.yaml:7: notify.recipients[0].timezone: unknown time zone 'Chicago'; "
            "use an IANA name such as "
            "'Europe/Berlin', 'America/Chicago' or 'UTC' "
            "(if none work, install the 'tzdata' package)"
        )
    ]
    found = problems("""\
        notify:
          recipients:
            - name: dana
              role: subject
              subjects: [Dana Reyes, Dana Reyez]
              channels: [{type: console}]
        """)
    assert found == [
        (
            "c.yaml:7: notify.recipients[0].subjects[1]: "
            "'Dana Reyez' is not a subject in this file; expected one of: Dana Reyes"
        )
    ]


def test_the_example_deployment_builds_every_channel_from_the_environment(tmp_path):
    from mentionwatch.config import load_config
    from mentionwatch.notify.channels import ChannelSetupError
    from mentionwatch.notify.service import Notifier
    from mentionwatch.notify.store import NotifyStore

    config = load_config(ROOT / "configs" / "notify-example.yaml").config
    store = NotifyStore(f"sqlite:///{tmp_path}/n.db")
    env = {
        "MENTIONWATCH_SMTP_USER": "u",
        "MENTIONWATCH_SMTP_PASSWORD": "p",
        "MENTIONWATCH_CASEWORK_SECRET": "k",
    }
    notifier = Notifier.from_settings(config.notify, ["Dana Reyes"], store, env=env)
    assert {
        name: [c.key for c in chans] for name, chans in notifier.recipients.channels.items()
    } == {
        "dana": ["email", "phone"],
        "sam": ["email", "casework"],
    }
    with pytest.raises(ChannelSetupError, match="MENTIONWATCH_CASEWORK_SECRET"):
        Notifier.from_settings(
            config.notify, ["Dana Reyes"], store, env={**env, "MENTIONWATCH_CASEWORK_SECRET": ""}
        )
    store.close()


def test_notify_without_its_blocks_says_what_to_add(tmp_path, capsys):
    from mentionwatch.cli import main

    path = tmp_path / "c.yaml"
    path.write_text(HEAD)
    assert main(["notify", str(path), "--once"]) == 2
    assert "has no 'notify' block" in capsys.readouterr().err
    path.write_text(
        HEAD
        + "notify:\n  recipients:\n    - {name: dana, role: subject, channels: [{type: console}]}\n"
    )
    assert main(["notify", str(path), "--once"]) == 2
    assert "has no 'pubsub' block" in capsys.readouterr().err
