"""Finding the tracked people in items: normalisation, variants, the matcher."""

from mentionwatch.matching.matcher import SubjectMatcher

__all__ = ["SubjectMatcher"]
