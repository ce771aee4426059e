"""mentionwatch: watch feeds for mentions of a person, classify, alert."""

__version__ = "0.1.0"
