"""Creating topics and subscriptions, and checking Pub/Sub is reachable.

Resources are created by ``mentionwatch pubsub up`` (or ``demo`` / ``watch
--emulator``), never inside a pipeline's ``run()``. Against real Google Cloud
the same calls only create what is missing.

``emulator_host`` resolves which emulator to use: ``PUBSUB_EMULATOR_HOST``
(the convention of Google's client libraries) wins over the config.
"""

from __future__ import annotations

import contextlib
import os

from mentionwatch.config import PubSubSettings
from mentionwatch.pubsub.clients import publisher_client, subscriber_client


class PubSubUnavailable(RuntimeError):
    """Pub/Sub cannot be used; the message says what to do."""


def emulator_host(settings: PubSubSettings) -> str | None:
    """The emulator to talk to: the environment wins, then the config."""
    return os.environ.get("PUBSUB_EMULATOR_HOST") or (
        settings.emulator_host if settings.emulator else None
    )


def _where(host: str | None) -> str:
    return f"the Pub/Sub emulator at {host}" if host else "Google Cloud Pub/Sub"


def ensure_resources(
    settings: PubSubSettings, host: str | None, timeout: float = 30.0
) -> list[str]:
    """Creates the configured topics and subscriptions that do not exist yet.

    Each call gives up after ``timeout`` seconds in all (retries included):
    ``PubSubUnavailable``.

    Returns:
      the paths of what was created (empty when everything existed).
    """
    from google.api_core import exceptions, retry

    created: list[str] = []
    # A total deadline per call: the clients' default retry would keep an
    # unreachable host busy for minutes.
    bounded = {"timeout": timeout, "retry": retry.Retry(deadline=timeout)}
    publisher = publisher_client(host)
    subscriber = subscriber_client(host)
    topics = settings.topics
    subs = settings.subscriptions
    try:
        for name in (topics.alerts, topics.items, topics.dead_letters):
            path = settings.topic_path(name)
            with contextlib.suppress(exceptions.AlreadyExists):
                publisher.create_topic(request={"name": path}, **bounded)
                created.append(path)
        for sub_name, topic_name in ((subs.alerts, topics.alerts), (subs.items, topics.items)):
            path = settings.subscription_path(sub_name)
            with contextlib.suppress(exceptions.AlreadyExists):
                subscriber.create_subscription(
                    request={
                        "name": path,
                        "topic": settings.topic_path(topic_name),
                        "ack_deadline_seconds": 60,
                    },
                    **bounded,
                )
                created.append(path)
    except (exceptions.GoogleAPICallError, exceptions.RetryError) as exc:
        raise PubSubUnavailable(
            f"cannot create Pub/Sub resources on {_where(host)}: {exc}"
        ) from None
    finally:
        subscriber.close()
    return created


def check_reachable(settings: PubSubSettings, host: str | None, timeout: float = 10.0) -> None:
    """Fails fast, with a fix, when the alerts topic cannot be used.

    Raises:
      PubSubUnavailable: unreachable, or the topic does not exist.
    """
    from google.api_core import exceptions, retry

    topic = settings.topic_path(settings.topics.alerts)
    publisher = publisher_client(host)
    try:
        publisher.get_topic(
            request={"topic": topic}, timeout=timeout, retry=retry.Retry(deadline=timeout)
        )
    except exceptions.NotFound:
        raise PubSubUnavailable(
            f"topic {topic} does not exist on {_where(host)}; "
            "create it with: mentionwatch pubsub up CONFIG"
        ) from None
    except (exceptions.GoogleAPICallError, exceptions.RetryError) as exc:
        hint = (
            "start it with 'mentionwatch pubsub emulator CONFIG' (or run 'mentionwatch demo')"
            if host
            else "check network access and credentials (gcloud auth application-default login)"
        )
        raise PubSubUnavailable(
            f"cannot reach {_where(host)} ({type(exc).__name__}); {hint}"
        ) from None
