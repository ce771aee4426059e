"""Deciding alerts: which mentions become alerts, how severe, and when they go out.

Modules: ``selection`` (severity, and whether one classified mention becomes
an alert), ``engine`` (the streaming policy over time: bursts, cooldown,
pile-ons, deduplication), ``transform`` (``DecideAlerts``, the Beam stage),
``masking`` (the content warning shown in place of an alert's text) and
``receive`` (reading alerts back from the alerts subscription).
"""
