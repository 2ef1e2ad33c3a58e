"""``journey report``: the standard analysis of an analyst's own files as a document."""

from .run import FORMULA_STARTS, TEMPLATE, run_report, safe_csv

__all__ = ["run_report", "safe_csv", "TEMPLATE", "FORMULA_STARTS"]
