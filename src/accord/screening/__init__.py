"""Screening names against designations: normalisation, matching rules, the matcher."""

from accord.screening.matcher import DEFAULT_THRESHOLD, Listed, Match, Screener

__all__ = ["DEFAULT_THRESHOLD", "Listed", "Match", "Screener"]
