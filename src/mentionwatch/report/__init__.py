"""The analyst report (``mentionwatch report``): queries, pile-on episodes, charts, one page."""

from mentionwatch.report.build import PileOnSettings, Report, build_report, write_report

__all__ = ["PileOnSettings", "Report", "build_report", "write_report"]
