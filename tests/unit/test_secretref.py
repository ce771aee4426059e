"""Secret references (issue 17): ``secret://projects/P/secrets/S/versions/V`` in the config,
validated with their line, resolved on the worker through an injectable Secret Manager client,
never pickled resolved and never logged."""

from __future__ import annotations

import logging
import pathlib
import pickle
import shutil
import subprocess
import sys
import time
import types

import pytest

from mentionwatch import secretref
from mentionwatch.config import ConfigError, LoadedConfig, load_config, parse_config
from mentionwatch.secretref import SecretEnviron, SecretUnavailable

ROOT = pathlib.Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-Value-From-Secret-Manager"
REF = "secret://projects/my-project/secrets/mastodon-token/versions/latest"
PG_REF = "secret://projects/my-project/secrets/db-password/versions/3"


class FakeSecretManager:
    """``SecretManagerServiceClient.access_secret_version`` with a dict of values."""

    def __init__(self, values):
        self.values, self.calls = values, []

    def access_secret_version(self, request):
        self.calls.append(request["name"])
        if request["name"] not in self.values:
            raise PermissionError(f"403 Permission denied on resource {request['name']}")
        data = self.values[request["name"]].encode()
        return types.SimpleNamespace(payload=types.SimpleNamespace(data=data))


@pytest.fixture
def secret_manager():
    fake = FakeSecretManager(
        {
            "projects/my-project/secrets/mastodon-token/versions/latest": SECRET,
            "projects/my-project/secrets/db-password/versions/3": SECRET,
        }
    )
    secretref.set_client_factory(lambda: fake)
    yield fake
    secretref.set_client_factory(None)


# --------------------------------------------------------------------------- config


MASTODON = """subjects:
  - name: Dana Reyes
sources:
  mastodon:
    - instance: https://mastodon.social
      search: Dana Reyes
      access_token_env: {value}
"""


def test_a_reference_is_accepted_where_an_environment_variable_name_is():
    cfg = parse_config(MASTODON.format(value=REF))
    assert cfg.sources.mastodon[0].access_token_env == REF


@pytest.mark.parametrize(
    "value",
    [
        "secret://projects/my-project/secrets/mastodon-token",  # no version
        "secret://projects/my-project/secrets/mastodon token/versions/1",
        "secret://projects/P/secrets/x/versions/latest",  # not a project id
        "secret://projects/my-project/secrets/x/versions/0",
        "secret://" + SECRET,  # the secret itself pasted after the scheme
    ],
)
def test_a_malformed_reference_is_a_config_error_with_its_line_and_without_the_value(value):
    with pytest.raises(ConfigError) as caught:
        parse_config(MASTODON.format(value=f"'{value}'"))
    text = str(caught.value)
    assert "<config>:7: sources.mastodon[0].access_token_env" in text
    assert "malformed secret reference" in text and "versions/VERSION" in text
    assert SECRET not in text


def test_smtp_and_store_passwords_may_be_references():
    cfg = parse_config(
        "subjects:\n  - name: Dana Reyes\n"
        f"store: {{url: 'postgresql+psycopg://mw@db/mw', password: '{PG_REF}'}}\n"
    )
    assert cfg.store.target().password == PG_REF


def test_the_gcp_config_validates_offline():
    """configs/gcp.yaml: ``mentionwatch validate`` exits 0 with the network off."""
    loaded = load_config(ROOT / "configs" / "gcp.yaml")
    cfg = loaded.config
    assert cfg.store.cloud_sql is not None and cfg.store.target().auto_upgrade is False
    assert cfg.pubsub.topics.items == "mentionwatch-items" and not cfg.pubsub.emulator
    assert cfg.sources.reddit[0].client_secret_env.startswith("secret://")
    assert cfg.notify.smtp.password_env.startswith("secret://") and cfg.model.name == "shipped"
    command = [sys.executable, "-m", "mentionwatch.cli", "validate", "configs/gcp.yaml"]
    if (
        shutil.which("unshare")
        and subprocess.run(["unshare", "-rn", "true"], check=False).returncode == 0
    ):
        command = ["unshare", "-rn", *command]
    done = subprocess.run(
        command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout and "store cloud_sql" in done.stdout


# --------------------------------------------------------------------------- the resolver


def test_the_resolver_reads_each_reference_once_per_process(secret_manager):
    assert secretref.resolver().resolve(REF) == SECRET
    assert secretref.resolver().resolve(REF) == SECRET
    assert secret_manager.calls == ["projects/my-project/secrets/mastodon-token/versions/latest"]
    assert SECRET not in repr(secretref.resolver())


def test_an_unreadable_secret_names_the_reference_not_a_value(secret_manager):
    missing = "secret://projects/my-project/secrets/nope/versions/1"
    with pytest.raises(SecretUnavailable, match="cannot read secret://.*nope.*PermissionError"):
        secretref.resolver().resolve(missing)


def test_the_environment_wrapper_reads_references_and_pickles_without_them(secret_manager):
    env = SecretEnviron({"PLAIN": "x"})
    assert env[REF] == SECRET and env.get(REF) == SECRET and env["PLAIN"] == "x"
    assert REF in env and "MISSING" not in env and env.get("MISSING") is None
    assert SECRET.encode() not in pickle.dumps(env) and SECRET not in repr(env)


def test_no_client_is_made_until_a_reference_is_read():
    made = []
    secretref.set_client_factory(lambda: made.append(1) or FakeSecretManager({}))
    try:
        SecretEnviron({})
        parse_config(MASTODON.format(value=REF))
        assert made == []
    finally:
        secretref.set_client_factory(None)


# --------------------------------------------------------------------------- where they are read


def _mastodon_spec():
    from mentionwatch.sources.registry import source_specs

    loaded = LoadedConfig(parse_config(MASTODON.format(value=REF)), pathlib.Path("/c.yaml"))
    return source_specs(loaded)[0]


def test_a_source_token_reference_becomes_its_bearer_header(secret_manager):
    from mentionwatch.sources.base import Session
    from mentionwatch.sources.registry import get_source

    spec = _mastodon_spec()
    session = Session(None, SecretEnviron({}), time.monotonic)
    assert get_source("mastodon").credentials(spec, session) == {
        "Authorization": f"Bearer {SECRET}"
    }


def test_an_unreadable_source_secret_fails_that_poll_only():
    from mentionwatch.sources.base import Session
    from mentionwatch.sources.poll_once import FAILED, PollContext, _credentials
    from mentionwatch.sources.registry import get_source

    secretref.set_client_factory(lambda: FakeSecretManager({}))
    try:
        spec = _mastodon_spec()
        ctx = PollContext(
            fetch=None, pace=lambda: None, session=Session(None, SecretEnviron({}), time.monotonic)
        )
        outcome = _credentials(get_source("mastodon"), spec, ctx)
    finally:
        secretref.set_client_factory(None)
    assert (
        outcome.status == FAILED and "SecretUnavailable" in outcome.error and REF in outcome.error
    )


def test_smtp_credentials_from_secret_manager(secret_manager):
    from mentionwatch.notify.channels import ChannelSetupError, build_channel

    cfg = parse_config(
        "subjects:\n  - name: Dana Reyes\npubsub: {project: mentionwatch-test}\n"
        "notify:\n  smtp:\n    host: smtp.example.org\n"
        f"    username_env: '{REF}'\n    password_env: '{PG_REF}'\n"
        "    sender: a@example.org\n  recipients:\n    - name: dana\n      role: subject\n"
        "      channels:\n        - {type: email, to: [dana@example.org]}\n"
    )
    spec = cfg.notify.recipients[0].channels[0]
    channel = build_channel(spec, smtp=cfg.notify.smtp, where="here", env={})
    assert channel._password == SECRET and channel._username == SECRET
    secretref.set_client_factory(lambda: FakeSecretManager({}))
    with pytest.raises(ChannelSetupError) as caught:
        build_channel(spec, smtp=cfg.notify.smtp, where="here", env={})
    assert "SMTP user name" in str(caught.value) and REF in str(caught.value)


def test_a_store_password_reference_is_resolved_where_the_engine_is_made(secret_manager, caplog):
    """A failing open (nothing listens on port 1) says why without the password, in the error
    and in the logs."""
    from mentionwatch.store import StoreUnavailable
    from mentionwatch.store.engine import StoreTarget
    from mentionwatch.store.transform import _WriteMentionsFn

    target = StoreTarget(url="postgresql+psycopg://mw@127.0.0.1:1/mw", password=PG_REF)
    fn = _WriteMentionsFn(target)
    assert SECRET.encode() not in pickle.dumps(fn) and PG_REF.encode() in pickle.dumps(fn)
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailable) as caught:
        fn.setup()
    assert secret_manager.calls == ["projects/my-project/secrets/db-password/versions/3"]
    assert SECRET not in str(caught.value) and SECRET not in caplog.text


@pytest.mark.integration
def test_after_setup_a_dofn_pickles_and_logs_no_secret(secret_manager, postgres_url, caplog):
    """The local PostgreSQL trusts its superuser, so the resolved password is carried but not
    needed: setup succeeds; the DoFn, pickled afterwards, holds only the reference."""
    from apache_beam.internal import pickler

    from mentionwatch.sources.http import FetchPolicy
    from mentionwatch.sources.ingest_stages import _PollHostFn
    from mentionwatch.store.engine import StoreTarget
    from mentionwatch.store.transform import _WriteMentionsFn

    target = StoreTarget(url=postgres_url, password=PG_REF)
    store_fn = _WriteMentionsFn(target)
    poll_fn = _PollHostFn(target, policy=FetchPolicy(), min_interval_s=0.0, concurrency=1)
    with caplog.at_level(logging.DEBUG):
        store_fn.setup()
        poll_fn.setup()
        assert store_fn._store.engine.url.password == SECRET  # resolved, on the worker only
        assert poll_fn._session.environ[REF] == SECRET
        for fn in (store_fn, poll_fn):
            data = pickler.dumps(fn)
            assert SECRET.encode() not in data
            assert pickler.loads(data)._store.target == target
        store_fn.teardown()
        poll_fn.teardown()
    assert SECRET not in caplog.text
