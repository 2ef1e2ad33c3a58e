"""KPI/KGI scorecard: targets judged with their uncertainty, not with a bare number.

Status: ``met`` when the whole interval is on the good side of the target, ``missed`` when it is wholly on
the bad side, ``inconclusive`` otherwise. ``probability_met`` is the normal approximation built from the
reported interval: the estimate with standard error (high - low) / (2 z), P(true value on the good side).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from statistics import NormalDist

import pandas as pd

from ..errors import JourneyError

__all__ = ["kpi", "scorecard", "KPI", "Scorecard"]


@dataclass(frozen=True)
class KPI:
    """A measured indicator and its target. ``value``, ``low``, ``high`` in the result's own unit."""

    name: str
    value: float
    low: float
    high: float
    target: float
    higher_is_better: bool
    kind: str
    level: float
    unit: str

    @property
    def status(self) -> str:
        good_low, good_high = (self.low, self.high) if self.higher_is_better else (-self.high, -self.low)
        target = self.target if self.higher_is_better else -self.target
        if good_low >= target:
            return "met"
        if good_high < target:
            return "missed"
        return "inconclusive"

    @property
    def probability_met(self) -> float:
        z = NormalDist().inv_cdf(0.5 + self.level / 2)
        se = (self.high - self.low) / (2 * z)
        if se <= 0:
            return float((self.value >= self.target) == self.higher_is_better or self.value == self.target)
        p_above = 1 - NormalDist(self.value, se).cdf(self.target)
        return p_above if self.higher_is_better else 1 - p_above


def kpi(name: str, result, *, target: float, higher_is_better: bool = True, kind: str = "KPI",
        level: float = 0.95) -> KPI:
    """An indicator with a target, from any result that has a ``confidence_interval()``.

    Values are in the result's unit: NPS in points, proportions (CSAT, churn, repeat rate, conversion) as
    shares 0-1, so a target of "churn below 5%" is ``target=0.05, higher_is_better=False``. A plain
    ``(value, low, high)`` tuple works too.

    Examples
    --------
    >>> import journey
    >>> journey.kpi("NPS", journey.nps_from_counts(promoters=50, passives=30, detractors=20), target=10).status
    'met'
    >>> journey.kpi("NPS", journey.nps_from_counts(promoters=50, passives=30, detractors=20), target=20).status
    'inconclusive'
    """
    if kind not in ("KPI", "KGI"):
        raise JourneyError(f'kind must be "KPI" or "KGI", not {kind!r}')
    value, low, high, unit = _estimate(result, level)
    return KPI(name, value, low, high, float(target), higher_is_better, kind, level, unit)


def _estimate(result, level: float) -> tuple[float, float, float, str]:
    if isinstance(result, tuple) and len(result) == 3:
        return (*map(float, result), "")
    if hasattr(result, "score") and hasattr(result, "confidence_interval"):  # NPS
        low, high = result.confidence_interval(level)
        return result.score, low, high, "points"
    if hasattr(result, "proportion") and hasattr(result, "confidence_interval"):
        low, high = result.confidence_interval(level)
        return result.proportion, low, high, "share"
    if hasattr(result, "difference") and hasattr(result, "confidence_interval"):
        low, high = result.confidence_interval(level)
        return result.difference, low, high, ""
    raise JourneyError(f"kpi needs a result with an estimate and confidence_interval() (NPS, proportion, ...) "
                       f"or a (value, low, high) tuple, not {type(result).__name__}")


@dataclass(frozen=True)
class Scorecard:
    """KPIs and KGIs in one table (``table``), shown as HTML in Jupyter."""

    items: tuple

    @property
    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"kind": k.kind, "indicator": k.name, "value": k.value, "ci_low": k.low,
                              "ci_high": k.high, "target": k.target,
                              "direction": "higher is better" if k.higher_is_better else "lower is better",
                              "status": k.status, "probability_met": k.probability_met} for k in self.items])

    def __repr__(self) -> str:
        return "Scorecard\n" + self.table.round(3).to_string(index=False)

    def _repr_html_(self) -> str:
        colours = {"met": "#1a7f37", "missed": "#cf222e", "inconclusive": "#9a6700"}
        rows = "".join(
            f"<tr><td>{html.escape(k.kind)}</td><td>{html.escape(k.name)}</td><td>{_fmt(k.value, k.unit)}</td>"
            f"<td>{_fmt(k.low, k.unit)} to {_fmt(k.high, k.unit)}</td><td>{_fmt(k.target, k.unit)}</td>"
            f"<td style='color:{colours[k.status]}'><b>{k.status}</b></td><td>{k.probability_met:.0%}</td></tr>"
            for k in self.items)
        return ("<table><thead><tr><th>kind</th><th>indicator</th><th>value</th><th>95% interval</th><th>target</th>"
                f"<th>status</th><th>P(target met)</th></tr></thead><tbody>{rows}</tbody></table>")


def _fmt(x: float, unit: str) -> str:
    return f"{x:.1%}" if unit == "share" else f"{x:+.1f}" if unit == "points" else f"{x:.3g}"


def scorecard(items) -> Scorecard:
    """Gather :func:`kpi` results (KGIs first, then KPIs, in the order given) into a :class:`Scorecard`."""
    items = list(items)
    if not items or not all(isinstance(i, KPI) for i in items):
        raise JourneyError("scorecard takes a non-empty list of journey.kpi(...) results")
    return Scorecard(tuple(sorted(items, key=lambda k: k.kind != "KGI")))
