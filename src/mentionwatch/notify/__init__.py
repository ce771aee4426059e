"""``mentionwatch notify``: alerts from Pub/Sub, turned into messages a person can bear to read.

The person is someone who gets threats daily. A death threat must reach her
(or the helper she delegates to) now; forty re-promotion links should arrive
as one calm digest; she should not have to read abuse to know it happened.

::

    alerts subscription ──► AlertSubscriber (streaming pull, flow control)
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

Modules: ``alert`` (the message as read), ``policy`` (routing, schedules,
quiet hours: pure functions), ``render`` (text and HTML, masked by default),
``channels/`` (console, file, email, webhook), ``store`` (the tables),
``service`` (the Notifier), ``subscriber`` (Pub/Sub and the run loop).
"""
