"""The mention classifier at serving time: model loading, the Beam handler, the decision.

Training lives in ``mentionwatch.training``.
"""
