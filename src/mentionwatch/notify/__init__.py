"""``mentionwatch notify``: alerts from Pub/Sub, turned into messages a person can bear to read.

The person is someone who gets threats daily. A death threat must reach her
(or the helper she delegates to) now; forty re-promotion links should arrive
as one calm digest; she should not have to read abuse to know it happened.

::

    alerts subscription ──► AlertStream (streaming pull, flow control)
                              │ one alert
                              ▼
                            Notifier.handle ── for each recipient of its subject:
                              ├─ immediate (threat, doxxing, pile-on, critical)
                              │     └─► every channel now, retried with backoff,
                              │         recorded in notify_deliveries (dedup)
                              │         or kept in notify_dead_letters
                              └─ digest / held for quiet hours
                                    └─► notify_digest_queue (survives restarts)
                            Notifier.flush_digests (on schedule) ──► one digest per recipient

A Pub/Sub message is acknowledged only once every immediate delivery for it
succeeded or was dead-lettered, and its digest entries are durably queued.
Deliveries are keyed by (alert or digest id, recipient, channel), so a
redelivered message sends nothing twice.

Modules:

* ``alert``: the message as read; ``routing``: who receives an alert, now or
  in a digest, quiet hours (pure functions); ``clock``: time, injectable.
* ``notification``: the ``Notification`` every channel sends and the
  ``Reader`` it is rendered for; ``render/``: text and HTML, masked by
  default (immediate, digest, operator notices); ``channels/``: console,
  file, email, webhook.
* ``service``: the ``Notifier``, one alert in; ``recipients``: who receives
  what, with which channels; ``sending``: retries with backoff; ``courier``:
  delivering and settling, dead letters; ``digests``: due digests;
  ``reconcile``: what Pub/Sub did not bring; ``redelivery``: dead letters
  tried again; ``report``: what a run did.
* ``store``: the tables; ``delivery``: each alert's delivery state, for
  every reader; ``subscriber``: the two ways to read the subscription;
  ``run``: ``run_notify``, from a loaded config to a running Notifier.
"""
