"""Pub/Sub clients for Google Cloud or for an emulator, without touching the environment.

Google's libraries switch to the emulator when ``PUBSUB_EMULATOR_HOST`` is
set. Setting it from inside a pipeline would leak into every other client of
the process, so with an explicit ``emulator_host`` the clients here get an
insecure gRPC channel to it instead; with None they use Google Cloud (or
whatever the environment says).
"""

from __future__ import annotations

from typing import Any


def publisher_client(emulator_host: str | None, **kwargs: Any):
    """A ``PublisherClient`` for the emulator at ``emulator_host``, or for Google Cloud if None."""
    from google.cloud import pubsub_v1

    if not emulator_host:
        return pubsub_v1.PublisherClient(**kwargs)
    import grpc
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

    transport = PublisherGrpcTransport(channel=grpc.insecure_channel(emulator_host))
    return pubsub_v1.PublisherClient(transport=transport, **kwargs)


def subscriber_client(emulator_host: str | None):
    """A ``SubscriberClient`` for the emulator at ``emulator_host``, or for Google Cloud if None."""
    from google.cloud import pubsub_v1

    if not emulator_host:
        return pubsub_v1.SubscriberClient()
    import grpc
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    transport = SubscriberGrpcTransport(channel=grpc.insecure_channel(emulator_host))
    return pubsub_v1.SubscriberClient(transport=transport)
