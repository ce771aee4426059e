"""The mention classifier: model loading, the Beam handler, the decision."""
