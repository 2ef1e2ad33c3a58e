"""What the report shows a reader: findings in sentences with their intervals, tables as text, pictures with
alt text.

The report notebook computes the results; the functions here only word and lay them out, so that every
sentence is tested against hand-computed values without running a notebook. Numbers are written by
:func:`journey.plot.text.format_value`, the one formatting of tables, displays and pictures.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..plot.text import format_value

__all__ = [
    "interval",
    "table_html",
    "summary_html",
    "conversion_finding",
    "drop_off_finding",
    "removal_finding",
    "nps_finding",
    "nps_touchpoint_finding",
    "repeat_finding",
    "retention_finding",
    "stages_finding",
    "stages_alt",
    "figure_png",
    "show_figure",
    "funnel_steps",
]


def interval(estimate: float, low: float, high: float, kind: str = "share", level: float = 0.95) -> str:
    """An estimate with its interval, in words: ``41.2% (95% CI 40.5% to 42.0%)``.

    Examples
    --------
    >>> interval(0.412, 0.405, 0.42)
    '41.2% (95% CI 40.5% to 42.0%)'
    >>> interval(-38.2, -40.0, -36.4, "points")
    '−38.2 points (95% CI −40.0 to −36.4)'
    """
    shown = [_number(v, kind) for v in (estimate, low, high)]
    unit = " points" if kind == "points" else ""
    return f"{shown[0]}{unit} ({level:.0%} CI {shown[1]} to {shown[2]})"


def _number(value: float, kind: str) -> str:
    """A figure as the sentences write it: NPS points without a plus sign (differences with one), a real
    minus sign.
    """
    if kind == "points":
        return f"{value:.1f}".replace("-", "−")
    if kind == "signed":
        return f"{value:+.1f}".replace("-", "−")
    if kind == "count":
        return f"{round(float(value)):,}"
    return format_value(value, kind)


#: One column of a report table: its heading, the source column(s) and the kind of their values. Three
#: columns (estimate, low, high) are shown as one cell, ``41.2% (40.5–42.0%)``.
Column = tuple[str, str | tuple[str, str, str], str]


def table_html(frame: pd.DataFrame, columns: Sequence[Column], *, rows: int | None = None) -> str:
    """``frame`` as an HTML table a reader scans: headings in words, no index, every value formatted.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result's ``to_frame()``.
    columns : sequence of (heading, column or (estimate, low, high), kind)
        What to show, in order; ``kind`` as in :func:`journey.plot.text.format_value` (``"share"``,
        ``"points"`` (NPS: −38.2), ``"signed"`` (a difference: +4.5), ``"count"``, ``"seconds"``, ``"month"``
        (2025-01), ``"text"``, ...). Paths (tuples) are joined with arrows, timestamps written as dates.
    rows : int, optional
        Show only the first ``rows`` rows, and say how many more the CSV file holds.

    Examples
    --------
    >>> frame = pd.DataFrame({"path": [("ad", "buy")], "rate": [0.1234], "lo": [0.1], "hi": [0.15]})
    >>> print(table_html(frame, [("Path", "path", ""), ("Rate (95% CI)", ("rate", "lo", "hi"), "share")]))
    <table class="journey-table">
    <thead><tr><th>Path</th><th>Rate (95% CI)</th></tr></thead>
    <tbody>
    <tr><td>ad → buy</td><td class="number">12.3% (10.0–15.0%)</td></tr>
    </tbody>
    </table>
    """
    shown = frame if rows is None else frame.head(rows)
    head = "".join(f"<th>{html.escape(heading)}</th>" for heading, _, _ in columns)
    body = []
    for _, row in shown.iterrows():
        cells = []
        for _, source, kind in columns:
            text = _range(row, source, kind) if isinstance(source, tuple) else _cell(row[source], kind)
            style = ' class="number"' if kind not in ("", "text", "month") else ""
            cells.append(f"<td{style}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if rows is not None and len(frame) > rows:
        more = f'\n<p class="more">… and {len(frame) - rows:,} more rows in the CSV file.</p>'
    return (
        f'<table class="journey-table">\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
        + "\n".join(body)
        + "\n</tbody>\n</table>"
        + more
    )


def _cell(value: Any, kind: str) -> str:
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, pd.Timestamp) and value == value.normalize() and value.day == 1 and kind == "month":
        return value.strftime("%Y-%m")
    if kind in ("points", "signed") and isinstance(value, (float, np.floating)) and np.isfinite(value):
        return _number(float(value), kind)
    return format_value(value, "" if kind in ("text", "month") else kind)


def _range(row: pd.Series, source: tuple[str, str, str], kind: str) -> str:
    estimate, low, high = (row[c] for c in source)
    if any(pd.isna(v) for v in (estimate, low, high)):
        return "–"
    a, b, c = (_cell(v, kind) for v in (estimate, low, high))
    if kind in ("points", "signed"):  # a dash between negative numbers would read as a minus
        return f"{a} ({b} to {c})"
    if kind == "share":  # one percent sign for the range: 12.3% (10.0–15.0%)
        b = b.removesuffix("%")
    return f"{a} ({b}–{c})"


def summary_html(sentences: Sequence[str]) -> str:
    """The findings as a list (each sentence already says its interval and n), escaped."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in sentences if s)
    return f'<ul class="findings">{items}</ul>'


def conversion_finding(overall: Any, goal: str, unit: str = "journeys") -> str:
    """The conversion in one sentence, from a :class:`~journey.ProportionResult` (``graph.overall``).

    Examples
    --------
    >>> from journey import proportion
    >>> conversion_finding(proportion(4061, 20000), "purchase")
    '20.3% of the 20,000 journeys reach purchase (95% CI 19.8% to 20.9%).'
    """
    low, high = overall.confidence_interval()
    text = interval(overall.proportion, low, high, level=overall.level)
    share, rest = text.split(" ", 1)
    return f"{share} of the {overall.n:,} {unit} reach {goal} {rest}."


def drop_off_finding(table: pd.DataFrame, goal: str, level: float = 0.95) -> str:
    """The biggest drop-off (the first row of :meth:`DropOff.to_frame`: the largest expected loss).

    Examples
    --------
    >>> row = pd.DataFrame({"touchpoint": ["product"], "journeys": [16316], "exits": [6726],
    ...     "exit_rate": [0.412], "ci_low": [0.405], "ci_high": [0.420], "expected_lost_conversions": [2821.6],
    ...     "expected_lost_conversions_ci_low": [2755.4], "expected_lost_conversions_ci_high": [2888.2]})
    >>> drop_off_finding(row, "purchase")  # doctest: +NORMALIZE_WHITESPACE
    'The biggest drop-off is at product: 41.2% of the 16,316 journeys that reach it end there without
    purchase (95% CI 40.5% to 42.0%), about 2,822 lost purchase conversions (95% CI 2,755 to 2,888).'
    """
    if not len(table):
        return ""
    top = table.iloc[0]
    exits = interval(top["exit_rate"], top["ci_low"], top["ci_high"], level=level)
    share, rest = exits.split(" ", 1)
    lost = interval(
        top["expected_lost_conversions"],
        top["expected_lost_conversions_ci_low"],
        top["expected_lost_conversions_ci_high"],
        "count",
        level,
    )
    return (
        f"The biggest drop-off is at {top['touchpoint']}: {share} of the {int(top['journeys']):,} journeys that "
        f"reach it end there without {goal} {rest}, about {lost.split(' ', 1)[0]} lost {goal} conversions "
        f"{lost.split(' ', 1)[1]}."
    )


def removal_finding(table: pd.DataFrame, level: float = 0.95, top: int = 2) -> str:
    """The touchpoints conversions depend on most, from :meth:`MarkovBootstrap.to_frame`.

    Touchpoints every conversion passes through (a removal effect of 100% in every replicate) are named
    together; the ``top`` next ones are given with their bootstrap intervals.

    Examples
    --------
    >>> boot = pd.DataFrame({"touchpoint": ["pay", "cart", "home"], "removal_effect": [1.0, 0.953, 0.326],
    ...     "removal_ci_low": [1.0, 0.949, 0.32], "removal_ci_high": [1.0, 0.957, 0.332]})
    >>> removal_finding(boot)  # doctest: +NORMALIZE_WHITESPACE
    'Every conversion passes through pay. Beyond it, conversions depend most on cart: without it 95.3% of
    them would be lost (95% bootstrap CI 94.9% to 95.7%); then home: 32.6% (95% bootstrap CI 32.0% to
    33.2%) (Markov removal effects).'
    """
    if not len(table):
        return ""
    every = table["removal_ci_low"] >= 1 - 1e-9
    text = ""
    if every.any():
        names = table.loc[every, "touchpoint"].astype(str).tolist()
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        text = f"Every conversion passes through {listed}. "
    rows = table[~every].head(top)
    if not len(rows):
        return text.strip()
    parts = [
        interval(r["removal_effect"], r["removal_ci_low"], r["removal_ci_high"], level=level).replace(
            "CI", "bootstrap CI"
        )
        for _, r in rows.iterrows()
    ]
    names = rows["touchpoint"].astype(str).tolist()
    lead = f"Beyond {'it' if every.sum() == 1 else 'them'}, conversions" if text else "Conversions"
    first = f"{lead} depend most on {names[0]}: without it {parts[0].replace(' (', ' of them would be lost (', 1)}"
    rest = "; ".join(f"{name}: {part}" for name, part in zip(names[1:], parts[1:]))
    return f"{text}{first}{'; then ' + rest if rest else ''} (Markov removal effects)."


def nps_finding(result: Any) -> str:
    """The NPS in one sentence, from an :class:`~journey.NPSResult`.

    Examples
    --------
    >>> from journey import nps_from_counts
    >>> nps_finding(nps_from_counts(promoters=30, passives=50, detractors=20))  # doctest: +NORMALIZE_WHITESPACE
    'The net promoter score is 10.0 points (95% CI −3.8 to 23.2) from 100 answers: 30.0% promoters,
    20.0% detractors.'
    """
    low, high = result.confidence_interval()
    return (
        f"The net promoter score is {interval(result.estimate, low, high, 'points', result.level)} from "
        f"{result.n:,} answers: {format_value(result.promoter_share, 'share')} promoters, "
        f"{format_value(result.detractor_share, 'share')} detractors."
    )


def nps_touchpoint_finding(table: pd.DataFrame, level: float = 0.95, goal: str | None = None) -> str:
    """The touchpoint whose visitors' NPS differs most from the others', when the difference is significant.

    ``table`` is :meth:`NPSTable.to_frame` (``difference``, ``difference_ci_low``, ``difference_ci_high``,
    ``significant``). The goal is left out (its visitors are the converted customers: the funnel and the
    NPS by outcome say that). An empty string when no touchpoint differs.

    Examples
    --------
    >>> t = pd.DataFrame({"touchpoint": ["support", "cart"], "n": [678, 2799], "difference": [-46.7, 23.7],
    ...     "difference_ci_low": [-50.4, 20.1], "difference_ci_high": [-42.4, 27.3], "significant": [True, True]})
    >>> nps_touchpoint_finding(t, goal="buy")  # doctest: +NORMALIZE_WHITESPACE
    'Customers who visited support score 46.7 points lower than the others (95% CI −50.4 to −42.4, n = 678
    answers).'
    """
    differ = table[table["significant"].astype(bool) & (table["touchpoint"] != goal)]
    if not len(differ):
        return ""
    row = differ.loc[differ["difference"].abs().idxmax()]
    way = "lower" if row["difference"] < 0 else "higher"
    low, high = (_number(row[c], "points") for c in ("difference_ci_low", "difference_ci_high"))
    return (
        f"Customers who visited {row['touchpoint']} score {abs(row['difference']):.1f} points {way} than the "
        f"others ({level:.0%} CI {low} to {high}, n = {int(row['n']):,} answers)."
    )


def stages_finding(table: pd.DataFrame, pains: pd.DataFrame, level: float = 0.95) -> str:
    """The journey in stages in a sentence: where fewest go on, where customers feel worst, what hurts.

    ``table`` is :meth:`ExperienceMap.to_frame` (one row per stage) and ``pains`` its ``pain_points``.

    Examples
    --------
    >>> t = pd.DataFrame({"stage": ["look", "buy"], "progression": [0.9, 0.623], "progression_ci_low": [0.89, 0.614],
    ...     "progression_ci_high": [0.91, 0.632], "progression_n": [20000, 11492], "nps": [-41.8, -84.3],
    ...     "nps_ci_low": [-45.3, -87.4], "nps_ci_high": [-38.1, -80.2], "nps_n": [1494, 534]})
    >>> p = pd.DataFrame({"touchpoint": ["support"], "measure": ["NPS"]})
    >>> stages_finding(t, p)  # doctest: +NORMALIZE_WHITESPACE
    'In stages, the fewest go on after buy: 62.3% (95% CI 61.4% to 63.2%, n = 11,492); the lowest NPS is at
    buy: −84.3 points (95% CI −87.4 to −80.2, n = 534); 1 pain point: support (NPS).'
    """
    parts = []
    going = table.dropna(subset=["progression"])
    if len(going):
        row = going.loc[going["progression"].idxmin()]
        low, high = row["progression_ci_low"], row["progression_ci_high"]
        shown = interval(row["progression"], low, high, "share", level)
        parts.append(f"the fewest go on after {row['stage']}: {shown[:-1]}, n = {int(row['progression_n']):,})")
    feeling = table.dropna(subset=["nps"]) if "nps" in table else table.iloc[:0]
    if len(feeling):
        row = feeling.loc[feeling["nps"].idxmin()]
        shown = interval(row["nps"], row["nps_ci_low"], row["nps_ci_high"], "points", level)
        parts.append(f"the lowest NPS is at {row['stage']}: {shown[:-1]}, n = {int(row['nps_n']):,})")
    if len(pains):
        listed = ", ".join(f"{t} ({m})" for t, m in zip(pains["touchpoint"], pains["measure"]))
        parts.append(f"{len(pains)} pain point{'s' if len(pains) > 1 else ''}: {listed}")
    else:
        parts.append("no pain point (no touchpoint's exit rate or NPS differs significantly)")
    return "In stages, " + "; ".join(parts) + "."


def stages_alt(table: pd.DataFrame) -> str:
    """Alt text of the swimlane picture: the stages in order with their reach."""
    return _bars_alt(
        f"Customer journey map in {len(table)} stages (reach, progression, main touchpoints, time, NPS and pain "
        "points per stage); reach by stage",
        table["stage"].tolist(),
        table["reach"].tolist(),
        "share",
        limit=8,
    )


def repeat_finding(result: Any) -> str:
    """The repeat rate in one sentence, from a :class:`~journey.RepeatRate`.

    Examples
    --------
    >>> import journey
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "timestamp": ["2025-01-01", "2025-01-20", "2025-01-03"]})
    >>> repeat_finding(journey.repeat_rate(orders))
    '50.0% of the 2 customers ordered again (95% CI 9.5% to 90.5%).'
    """
    overall = result.overall
    low, high = overall.confidence_interval()
    share, rest = interval(overall.proportion, low, high, level=overall.level).split(" ", 1)
    within = "" if result.within is None else f" within {_duration(result.within)} of an order"
    return f"{share} of the {overall.n:,} customers ordered again{within} {rest}."


def _duration(value: Any) -> str:
    """``"90D"`` or a Timedelta as words: 90 days."""
    delta = pd.Timedelta(value)
    if delta % pd.Timedelta("1D") == pd.Timedelta(0):
        days = delta.days
        return f"{days:,} day{'s' if days != 1 else ''}"
    return str(delta)


def retention_finding(result: Any) -> str:
    """The share of customers active again one period after joining, from a :class:`~journey.Retention`.

    Examples
    --------
    >>> import journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05", "2025-01-09", "2025-02-03", "2025-03-10"]})
    >>> retention_finding(journey.retention(df))
    '50.0% of customers are active again in their first month after joining (95% CI 9.5% to 90.5%, n = 2).'
    """
    after = result.to_frame()
    after = after[after["periods_after"] == 1]
    if not len(after):
        return ""
    k, n = int(after["retained"].sum()), int(after["cohort_size"].sum())
    from ..stats.intervals import wilson_interval

    low, high = wilson_interval([k], [n], result.level)
    word = {"D": "day", "W": "week", "M": "month"}[result.period]
    text = interval(k / n, low[0], high[0], level=result.level)
    share, rest = text.split(" ", 1)
    return f"{share} of customers are active again in their first {word} after joining {rest[:-1]}, n = {n:,})."


def funnel_steps(variants: pd.DataFrame, visits: pd.Series, goal: str) -> list[str]:
    """Default funnel: the commonest converting path, from its most visited touchpoint to the goal.

    ``variants`` is :meth:`PathVariants.to_frame` with repeats collapsed (most taken first), ``visits``
    the journeys through each touchpoint. Empty when no converting path has two steps.

    Examples
    --------
    >>> v = pd.DataFrame({"sequence": [("ad", "home"), ("ad", "product", "cart", "buy")], "conversions": [0, 9]})
    >>> funnel_steps(v, pd.Series({"ad": 50, "home": 20, "product": 60, "cart": 30}), "buy")
    ['product', 'cart', 'buy']
    """
    converting = variants[variants["conversions"] > 0]
    if not len(converting):
        return []
    path = list(converting.iloc[0]["sequence"])
    if goal in path:
        path = path[: path.index(goal) + 1]
    before = path[:-1] if path and path[-1] == goal else path
    if not before:
        return []
    start = max(range(len(before)), key=lambda i: (visits.get(before[i], 0), -i))
    steps = path[start:]
    return steps if len(steps) >= 2 else []


def show_figure(ax: Any, alt: str, caption: str = "", *, save: str | os.PathLike[str] | None = None) -> None:
    """Show the figure of ``ax`` in the notebook as a PNG with ``alt`` text (the report's ``<img alt>``)
    and ``caption`` under it; also write it to ``save`` when given.
    """
    from IPython.display import publish_display_data

    png = figure_png(ax, save=save)
    publish_display_data(
        {"image/png": png, "text/plain": alt}, metadata={"image/png": {"alt": alt, "caption": caption}}
    )


def figure_png(ax: Any, *, dpi: int = 100, save: str | os.PathLike[str] | None = None) -> str:
    """The figure of ``ax`` as base64 PNG text, then closed (a report draws many; none stays open)."""
    import matplotlib.pyplot as plt

    figure = ax.figure
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    if save is not None:
        Path(save).write_bytes(buffer.getvalue())
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


#: What the conversion sections say when the goal is every journey's first event.
NO_TOUCHPOINTS = "Every journey reaches the goal at its first event: there is no touchpoint before it to rank."


def escape(text: Any) -> str:
    """Text for the report's HTML (names come from the user's files: never markup)."""
    return html.escape(str(text))


def path(steps: Sequence[Any]) -> str:
    """Touchpoints joined with arrows: ``home → cart``."""
    return format_value(tuple(steps))


def churn_finding(result: Any) -> str:
    """The average churn per period over the complete periods, from a :class:`~journey.Churn`.

    Examples
    --------
    >>> import journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "a"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05", "2025-01-09", "2025-02-03", "2025-03-31"]})
    >>> churn_finding(journey.churn(df))
    'On average 50.0% of the customers active in a month are not active in the next (95% CI 5.5% to 94.5%, n = 2).'
    """
    overall = result.overall
    low, high = overall.confidence_interval(result.level)
    word = {"D": "day", "W": "week", "M": "month"}[result.period]
    share, rest = interval(overall.estimate, low, high, level=result.level).split(" ", 1)
    return (
        f"On average {share} of the customers active in a {word} are not active in the next "
        f"{rest[:-1]}, n = {overall.n:,})."
    )


def retention_table(result: Any, periods: Sequence[int] = (1, 2, 3)) -> pd.DataFrame:
    """One row per cohort: ``cohort``, ``cohort_size`` and, for each period ``k`` after joining, ``rk`` with
    ``rk_low``/``rk_high`` (missing where not observable yet).

    Examples
    --------
    >>> import journey
    >>> df = pd.DataFrame({"user_id": ["a", "b", "a", "c"], "event": ["x"] * 4,
    ...                    "timestamp": ["2025-01-05", "2025-01-09", "2025-02-03", "2025-03-10"]})
    >>> retention_table(journey.retention(df), periods=(1,))[["cohort_size", "r1"]].values.tolist()
    [[2.0, 0.5]]
    """
    frame = result.to_frame()
    wide = frame[frame["periods_after"] == 0][["cohort", "cohort_size"]].reset_index(drop=True)
    for k in periods:
        cells = frame[frame["periods_after"] == k].set_index("cohort")
        for suffix, column in (("", "retention"), ("_low", "ci_low"), ("_high", "ci_high")):
            wide[f"r{k}{suffix}"] = wide["cohort"].map(cells[column]).astype(float)
    return wide


def repeat_by_first_month(orders: pd.DataFrame, *, within: Any = None) -> Any:
    """The repeat rate by the month (UTC) of each customer's first order: segment ``first order month``.

    ``orders`` is an orders table as :func:`journey.read_orders` returns it (``user``, ``time``, and
    ``order`` when orders span rows).

    Examples
    --------
    >>> import journey
    >>> orders = journey.read_orders(pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...     "timestamp": ["2025-01-01", "2025-01-20", "2025-01-03", "2025-02-03"]}))
    >>> r = repeat_by_first_month(orders.drop(columns="user_code"))
    >>> r.to_frame()[[FIRST_ORDER, "customers", "repeaters"]].values.tolist()
    [['2025-01', 2, 1], ['2025-02', 1, 0]]
    """
    from ..analysis.repeat_purchase import repeat_rate

    first = orders.groupby("user", sort=False)["time"].transform("min")
    frame = orders.assign(**{FIRST_ORDER: first.dt.tz_convert("UTC").dt.strftime("%Y-%m").to_numpy()})
    order_id = "order" if "order" in orders.columns else None
    return repeat_rate(frame, user="user", time="time", order_id=order_id, by=FIRST_ORDER, within=within)


#: The segment of :func:`repeat_by_first_month`, named as its chart and table show it.
FIRST_ORDER = "first order month"


# Alt text: what a reader who cannot see the picture should learn from it, with the figures that matter.


def map_alt(nodes: pd.DataFrame, edges: pd.DataFrame, goal: str | None) -> str:
    """Alt text of the journey map: its size, the busiest touchpoint and transition.

    Examples
    --------
    >>> nodes = pd.DataFrame({"touchpoint": ["[start]", "home", "cart", "[end]"], "visits": [9, 8, 3, 9]})
    >>> edges = pd.DataFrame({"source": ["[start]", "home"], "target": ["home", "cart"], "count": [8, 3]})
    >>> map_alt(nodes, edges, "cart")
    'Journey map of 2 touchpoints and 2 transitions toward cart; the busiest transition is [start] → home (8), the most visited touchpoint home (8 visits).'
    """
    inner = nodes[~nodes["touchpoint"].isin(["[start]", "[end]"])]
    busiest = edges.sort_values("count", ascending=False, kind="stable").iloc[0] if len(edges) else None
    text = f"Journey map of {len(inner):,} touchpoints and {len(edges):,} transitions"
    text += f" toward {goal}" if goal else ""
    if busiest is not None:
        text += f"; the busiest transition is {busiest['source']} → {busiest['target']} ({int(busiest['count']):,})"
    if len(inner) and "visits" in inner:
        top = inner.sort_values("visits", ascending=False, kind="stable").iloc[0]
        text += f", the most visited touchpoint {top['touchpoint']} ({int(top['visits']):,} visits)"
    return text + "."


def _bars_alt(what: str, names: Sequence[Any], values: Sequence[float], kind: str, limit: int = 3) -> str:
    listed = ", ".join(f"{n} {_number(v, kind)}" for n, v in list(zip(names, values))[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{what}, with 95% intervals: {listed}{more}."


def funnel_alt(frame: pd.DataFrame) -> str:
    """Alt text of the funnel chart: its steps and how many customers reach each."""
    steps = ", ".join(f"{t} {int(n):,}" for t, n in zip(frame["touchpoint"], frame["entered"]))
    return f"Funnel chart of {len(frame)} steps; customers reaching each: {steps}."


def drop_off_alt(frame: pd.DataFrame) -> str:
    """Alt text of the drop-off chart."""
    return _bars_alt("Bar chart of the exit rate by touchpoint", frame["touchpoint"], frame["exit_rate"], "share")


def removal_alt(frame: pd.DataFrame) -> str:
    """Alt text of the Markov removal effects chart."""
    return _bars_alt(
        "Bar chart of the Markov removal effect by touchpoint", frame["touchpoint"], frame["removal_effect"], "share"
    )


def nps_alt(frame: pd.DataFrame) -> str:
    """Alt text of the NPS forest, lowest and highest first."""
    ordered = frame.sort_values("nps", kind="stable")
    ends = ordered.iloc[[0, -1]] if len(ordered) > 1 else ordered
    return _bars_alt(
        "Forest plot of the NPS of the customers who visited each touchpoint (lowest and highest)",
        ends["touchpoint"].tolist(),
        ends["nps"].tolist(),
        "points",
    )


def retention_alt(result: Any) -> str:
    """Alt text of the retention heatmap."""
    frame = result.to_frame()
    return (
        f"Heatmap of retention for {frame['cohort'].nunique():,} monthly cohorts, months after joining across. "
        + retention_finding(result)
    )


def repeat_alt(frame: pd.DataFrame) -> str:
    """Alt text of the repeat rate by first-order month."""
    return _bars_alt(
        "Bar chart of the repeat rate by month of first order", frame[FIRST_ORDER], frame["repeat_rate"], "share"
    )


def about(settings: dict[str, Any], names: dict[str, str | None]) -> list[str]:
    """How the report was made, in words: files and their columns, what a journey is, the choices.

    Examples
    --------
    >>> settings = {"user": "user_id", "time": "timestamp", "event": "event", "unit": "session", "gap": "30min",
    ...     "goal": "buy", "funnel": None, "min_share": 0.1, "survey_user": "user_id", "score": "nps",
    ...     "orders_user": "user_id", "orders_time": "timestamp", "order_id": None, "repeat_within": "90D"}
    >>> for line in about(settings, {"events": "log.csv", "survey": None, "orders": "orders.csv"}):
    ...     print(line)
    Events: log.csv (customer user_id, time timestamp, touchpoint event).
    Orders: orders.csv (customer user_id, time timestamp; one row per order).
    One journey is a session: a customer's events until 30min without one. Goal: buy.
    The map leaves out transitions below 10% of their touchpoint's out-flow; a repeat is a next order within 90 days.
    """
    lines = [
        f"Events: {names['events']} (customer {settings['user']}, time {settings['time']}, "
        f"touchpoint {settings['event']})."
    ]
    if names.get("survey"):
        lines.append(f"Survey: {names['survey']} (customer {settings['survey_user']}, score {settings['score']}).")
    if names.get("orders"):
        rows = f"order id {settings['order_id']}" if settings["order_id"] else "one row per order"
        lines.append(
            f"Orders: {names['orders']} (customer {settings['orders_user']}, time {settings['orders_time']}; {rows})."
        )
    journey = (
        "a customer's whole history"
        if settings["unit"] == "user"
        else f"a session: a customer's events until {settings['gap']} without one"
    )
    goal = f" Goal: {settings['goal']}." if settings["goal"] else " No goal."
    lines.append(f"One journey is {journey}.{goal}")
    kept = (
        f"leaves out transitions below {settings['min_share']:.0%} of their touchpoint's out-flow"
        if settings["min_share"]
        else "shows every transition"
    )
    within = settings["repeat_within"]
    repeat = f"within {_duration(within)}" if within else "at any later time"
    lines.append(f"The map {kept}; a repeat is a next order {repeat}.")
    return lines


def stickiness_finding(result: Any) -> str:
    """DAU/MAU in one sentence, from a :class:`~journey.Stickiness` (its bootstrap interval resamples users).

    Examples
    --------
    >>> import journey
    >>> days = pd.date_range("2025-01-01", periods=6, freq="D", tz="UTC")
    >>> df = pd.DataFrame({"user_id": ["a"] * 6 + ["b", "b"], "event": "x",
    ...                    "timestamp": list(days) + [days[0], days[3]]})
    >>> stickiness_finding(journey.stickiness(df, mau_days=3))  # doctest: +NORMALIZE_WHITESPACE
    'On an average day, 66.7% of the customers active in the last 3 days are active that day (DAU/MAU; 95%
    bootstrap CI 33.3% to 100.0%, n = 2 customers, 3 days).'
    """
    low, high = result.confidence_interval()
    share, rest = interval(result.estimate, low, high, level=result.level).split(" ", 1)
    return (
        f"On an average day, {share} of the customers active in the last {result.mau_days} days are active "
        f"that day (DAU/MAU; {rest[1:-1].replace('CI', 'bootstrap CI')}, n = {result.n:,} customers, "
        f"{result.n_days:,} days)."
    )
