"""The jobs: each a thin module wiring its edges around the shared stages.

* ``scan``: batch, feeds or an items file → mentions, history, alerts.
* ``ingest``: batch, poll every source → the items topic (``outbox``: its
  outbox stages).
* ``monitor``: streaming, the items topic → mentions, history, alerts.
* ``backfill``: batch, stored items → mentions classified again by a new model.
* ``watch``: ingest on a timer, the monitor and delivery beside it, supervised.
* ``demo``: the whole flow on one machine, with the Pub/Sub emulator.

``stages`` holds the middle every graph shares (``MatchAndClassify``,
``DecideAndPublish``); ``preflight`` the checks every job runs first.
"""
