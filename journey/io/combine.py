"""Contact points from several systems in one event log: web or app events, orders, support, deliveries, surveys.

:func:`combine_logs` reads each source as :func:`journey.read_events` does (or takes it already read), maps
each source's customer ids to one common id, adds a ``channel`` column saying which source each event came
from, and validates and orders the whole with :func:`journey.read_events` itself, so a combined log follows
the same rules as any other. The :class:`CombinedLog` it returns says, per source, how many customers were
found there only.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ..errors import JourneyError, JourneyWarning, MissingColumnError, option
from .aliases import Period
from .events import EventLog, read_events

__all__ = ["combine_logs", "CombinedLog", "CHANNEL"]

#: The column of a combined log that names each event's source.
CHANNEL = "channel"

#: One source: an EventLog (read with its own column names), a DataFrame or a file read with the defaults.
SourceLike: TypeAlias = "EventLog | pd.DataFrame | str | os.PathLike[str]"
#: Customer ids of one source mapped to the common id: a dict, a Series (index: the source's ids), or a
#: DataFrame of two columns (the source's id, then the common id).
IdentityTable: TypeAlias = "Mapping[Any, Any] | pd.Series | pd.DataFrame"

#: How many ids a message quotes.
SHOWN_IDS = 3


def combine_logs(
    *sources: SourceLike | Mapping[str, SourceLike],
    channel: str | Sequence[str] | None = None,
    identities: Mapping[str, IdentityTable] | None = None,
) -> CombinedLog:
    """Several sources of contact points (web, orders, support, deliveries, surveys) as one event log.

    Parameters
    ----------
    *sources : EventLog, pandas.DataFrame, str or os.PathLike; or one mapping of channel name to source
        Each source's events. An :class:`~journey.EventLog` is taken as read (read a source whose columns
        have other names with :func:`journey.read_events` first, e.g. orders with
        ``read_events(orders.assign(event="order"), user="customer_id")``); a DataFrame or a file is read
        with the default columns ``user_id``, ``timestamp`` and ``event``. A single dict
        ``{"web": web, "orders": orders}`` names the channels by its keys, in its order.
    channel : str or sequence of str, optional
        The channel name of each source, in the order of ``sources`` (one name per source); not given
        when the sources come as a dict. Each event of the result names its source in its ``channel`` column.
    identities : mapping of channel name to a dict, Series or DataFrame, optional
        For the sources whose systems use other ids than the common customer id: a table from that
        source's ids to the common id, as a dict, a Series (its index holds the source's ids) or a
        DataFrame of two columns (the source's ids, then the common ids). Ids missing from the table are
        kept as they are, with a warning. Sources not named keep their ids.

    Returns
    -------
    CombinedLog
        An :class:`~journey.EventLog` whose ``channel`` column names each event's source, plus
        :attr:`CombinedLog.sources`: per channel, its events, customers and the customers found in no
        other source. Rows are sorted by customer, then time; events of a customer at the same instant
        keep the order of the sources as given, then their order within the source.

    Raises
    ------
    JourneyError
        No sources, channel names that are missing, blank, repeated or not one per source, a source that
        already has a ``channel`` column, customer ids of different types in different sources, an
        identity table that maps an id to two customers, to no customer, or matches none of its source's
        ids, or identities for a channel that does not exist. Every message names the source by its channel.
    MissingColumnError, InvalidValuesError
        As :func:`journey.read_events` raises them for a source read here, with the source's channel
        first in the message.

    Warns
    -----
    JourneyWarning
        When some ids of a source are not in its identity table (they are kept as they are).

    See Also
    --------
    read_events : one source, validated.
    experience_map : the journey map in stages across every channel.

    Notes
    -----
    The sources are validated one by one (so an error names its source), then their events, with the
    common ids and the ``channel`` column, are concatenated and read by :func:`journey.read_events`: the
    combined log obeys exactly its ordering rule and checks. Columns that only some sources have are
    missing (NaN) for the events of the others. The combined log lives in memory; for a log on Dask,
    concatenate the sources' frames with a channel column and read them with ``engine="dask"``.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> web = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["home", "cart", "home"],
    ...                     "timestamp": ["2025-01-01T10:00Z", "2025-01-01T10:05Z", "2025-01-02T09:00Z"]})
    >>> tickets = pd.DataFrame({"user_id": ["T1", "T2"], "event": ["support", "support"],
    ...                         "timestamp": ["2025-01-01T11:00Z", "2025-01-03T08:00Z"]})
    >>> log = journey.combine_logs(web, tickets, channel=["web", "support"],
    ...                            identities={"support": {"T1": "a", "T2": "c"}})
    >>> log.frame[["user", "event", "channel"]]
      user    event  channel
    0    a     home      web
    1    a     cart      web
    2    a  support  support
    3    b     home      web
    4    c  support  support
    >>> log.sources
       channel  events  customers  only_here  only_here_share  unmapped_ids
    0      web       3          2          1              0.5          <NA>
    1  support       2          2          1              0.5             0
    """
    named = _named_sources(sources, channel)
    _check_identity_channels(identities, list(named))
    frames, dropped, unmapped = [], [], {}
    kinds: dict[str, str] = {}
    for name, source in named.items():
        log = _read_source(name, source)
        frame = log.frame
        if CHANNEL in frame.columns:
            raise JourneyError(
                f"channel {name!r}: the source has a column {CHANNEL!r} already; combine_logs names "
                f"each event's source there, so rename it first, e.g. "
                f".rename(columns={{{CHANNEL!r}: 'acquisition'}})"
            )
        users = frame["user"]
        if identities is not None and name in identities:
            users, unmapped[name] = _mapped(name, users, identities[name])
        kinds[name] = _id_kind(users)
        frames.append(frame.assign(user=users.array, **{CHANNEL: name}))
        if len(log.dropped):
            dropped.append(log.dropped.assign(**{CHANNEL: name})[[CHANNEL, *log.dropped.columns]])
    _check_id_kinds(kinds)
    tidy = pd.concat(frames, ignore_index=True, sort=False)
    tidy[CHANNEL] = pd.Categorical(tidy[CHANNEL], categories=list(named))
    combined = read_events(tidy, user="user", time="time", event="event")
    description = f"combine_logs({', '.join(named)})"
    report = _sources_table(combined, list(named), unmapped)
    return CombinedLog._of(
        combined, report, description, pd.concat(dropped, ignore_index=True) if dropped else combined.dropped
    )


class CombinedLog(EventLog):
    """An :class:`~journey.EventLog` of several sources, each event's source in its ``channel`` column.

    Build it with :func:`journey.combine_logs`. Every analysis takes it as it takes any log; ``by="channel"``
    compares the sources. :meth:`sessions` and :meth:`with_period` keep the sources report.

    Attributes
    ----------
    sources : pandas.DataFrame
        One row per channel, in the order given: ``channel``, ``events``, ``customers``, ``only_here``
        (customers with events in this source and in no other), ``only_here_share`` (of the source's
        customers, a share 0-1) and ``unmapped_ids`` (ids of the source not in its identity table, kept as
        they are; missing when the source had no identity table).
    dropped : pandas.DataFrame
        Rows the sources' readers dropped, with the ``channel`` of their source first.

    Examples
    --------
    >>> import pandas as pd, journey
    >>> web = pd.DataFrame({"user_id": ["a", "b"], "event": ["home", "cart"],
    ...                     "timestamp": ["2025-01-01T10:00Z", "2025-01-01T11:00Z"]})
    >>> orders = pd.DataFrame({"user_id": ["b"], "event": ["order"], "timestamp": ["2025-01-01T11:30Z"]})
    >>> log = journey.combine_logs({"web": web, "orders": orders})
    >>> journey.drop_off(log, goal="order", by="channel").to_frame()[["channel", "touchpoint", "exits"]]
      channel touchpoint  exits
    0     web       cart      0
    1     web       home      1
    """

    _sources: pd.DataFrame

    @classmethod
    def _of(cls, log: EventLog, report: pd.DataFrame, description: str, dropped: pd.DataFrame) -> CombinedLog:
        out = cls.__new__(cls)
        out.__dict__.update(log.__dict__)
        out._sources, out.source, out.dropped = report, description, dropped
        return out

    @property
    def sources(self) -> pd.DataFrame:
        """Per channel: events, customers, customers found only there (a copy).

        Examples
        --------
        >>> import pandas as pd, journey
        >>> web = pd.DataFrame({"user_id": ["a", "b"], "event": ["home", "home"],
        ...                     "timestamp": ["2025-01-01T10:00Z", "2025-01-01T11:00Z"]})
        >>> orders = pd.DataFrame({"user_id": ["a"], "event": ["order"], "timestamp": ["2025-01-01T10:30Z"]})
        >>> journey.combine_logs({"web": web, "orders": orders}).sources[["channel", "customers", "only_here"]]
          channel  customers  only_here
        0     web          2          1
        1  orders          1          0
        """
        return self._sources.copy()

    def only_in(self, channel: str) -> pd.Index:
        """The customers whose every event comes from ``channel``: whom the other systems never saw.

        Parameters
        ----------
        channel : str
            One of the log's channels.

        Returns
        -------
        pandas.Index
            Their customer ids, sorted.

        Raises
        ------
        JourneyError
            When ``channel`` is not one of the log's channels.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> web = pd.DataFrame({"user_id": ["a", "b"], "event": ["home", "home"],
        ...                     "timestamp": ["2025-01-01T10:00Z", "2025-01-01T11:00Z"]})
        >>> orders = pd.DataFrame({"user_id": ["a"], "event": ["order"], "timestamp": ["2025-01-01T10:30Z"]})
        >>> journey.combine_logs({"web": web, "orders": orders}).only_in("web").tolist()
        ['b']
        """
        channels = self._sources["channel"].tolist()
        if channel not in channels:
            raise JourneyError(
                f"channel {channel!r} is not one of the log's channels ({', '.join(map(repr, channels))})"
                f"{_did_you_mean(channel, channels)}"
            )
        codes, names = _channel_codes(self)
        seen = _seen(self.user_codes, codes, len(names))
        alone = (seen.sum(axis=1) == 1) & seen[:, names.index(channel)]
        users = self.column("user")[np.flatnonzero(np.r_[True, self.user_codes[1:] != self.user_codes[:-1]])]
        return pd.Index(users[alone])

    def sessions(self, gap: str | pd.Timedelta = "30min") -> CombinedLog:
        """As :meth:`EventLog.sessions`, keeping the sources report.

        Parameters
        ----------
        gap : str or pandas.Timedelta
            Inactivity that ends a session.

        Returns
        -------
        CombinedLog
            The same events with a ``session`` column.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> web = pd.DataFrame({"user_id": ["a", "a"], "event": ["home", "home"],
        ...                     "timestamp": ["2025-01-01T10:00Z", "2025-01-01T12:00Z"]})
        >>> journey.combine_logs(web, channel="web").sessions().frame["session"].tolist()
        [1, 2]
        """
        return self._keeping(super().sessions(gap))

    def with_period(self, period: Period = "M", *, name: str = "period") -> CombinedLog:
        """As :meth:`EventLog.with_period`, keeping the sources report.

        Parameters
        ----------
        period : {"D", "W", "M"}
            Day, ISO week or month, in UTC.
        name : str
            Name of the new column.

        Returns
        -------
        CombinedLog
            The same events with the period column.

        Examples
        --------
        >>> import pandas as pd, journey
        >>> web = pd.DataFrame({"user_id": ["a"], "event": ["home"], "timestamp": ["2025-01-31T10:00Z"]})
        >>> journey.combine_logs(web, channel="web").with_period("M").frame["period"].tolist()
        ['2025-01']
        """
        return self._keeping(super().with_period(period, name=name))

    def _keeping(self, log: EventLog) -> CombinedLog:
        return CombinedLog._of(log, self._sources, self.source, self.dropped)

    def _summary_lines(self) -> list[tuple[str, str]]:
        shown = "; ".join(
            f"{r.channel} {r.customers:,} customers ({r.only_here:,} only there)" for r in self._sources.itertuples()
        )
        return [*super()._summary_lines(), ("sources", shown)]


def _named_sources(sources: tuple, channel: str | Sequence[str] | None) -> dict[str, Any]:
    """Channel name -> source, in the order given."""
    if len(sources) == 1 and isinstance(sources[0], Mapping):
        if channel is not None:
            raise JourneyError(
                f"the sources come as a dict, whose keys name the channels: leave out "
                f"{option('channel')}, or pass the sources one by one with it"
            )
        names, given = list(sources[0]), list(sources[0].values())
    else:
        if channel is None:
            raise JourneyError(
                f"name each source's channel with {option('channel')} (one name per source, in "
                f"order), or pass one dict {{channel name: source}}"
            )
        names = [channel] if isinstance(channel, str) else list(channel)
        given = list(sources)
    if not given:
        raise JourneyError("combine_logs needs at least one source")
    if len(names) != len(given):
        raise JourneyError(
            f"{option('channel')} names {len(names):,} channel{'s' if len(names) != 1 else ''} for "
            f"{len(given):,} source{'s' if len(given) != 1 else ''}: give one name per source, in order"
        )
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise JourneyError(f"channel names must be non-blank text, not {name!r}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise JourneyError(f"channel {repeated[0]!r} names two sources: give each source its own channel name")
    return dict(zip(names, given))


def _check_identity_channels(identities: Mapping[str, Any] | None, channels: list[str]) -> None:
    if identities is None:
        return
    if not isinstance(identities, Mapping):
        raise JourneyError(
            f"{option('identities')} maps a channel name to that source's table of ids (a dict, a "
            f"Series or a two-column DataFrame), not a {type(identities).__name__}"
        )
    for name in identities:
        if name not in channels:
            raise JourneyError(
                f"{option('identities')} names channel {name!r}, which is not one of the sources "
                f"({', '.join(map(repr, channels))}){_did_you_mean(str(name), channels)}"
            )


def _read_source(name: str, source: Any) -> EventLog:
    if isinstance(source, EventLog):
        return source
    if not isinstance(source, (pd.DataFrame, str, os.PathLike)):
        raise JourneyError(
            f"channel {name!r}: a source is an EventLog (journey.read_events), a pandas DataFrame or a "
            f"file path, not a {type(source).__name__}"
        )
    try:
        return read_events(source)
    except JourneyError as err:
        advice = (
            " Or read this source with journey.read_events(...), naming its columns, and pass the EventLog."
            if isinstance(err, MissingColumnError)
            else ""
        )
        raise _in_source(err, name, advice) from None


def _in_source(err: JourneyError, name: str, advice: str = "") -> JourneyError:
    """The same error (same class and attributes), its message starting with the source's channel."""
    named = type(err).__new__(type(err))
    named.__dict__.update(err.__dict__)
    named.args = (f"channel {name!r}: {err}{advice}",)
    return named


def _identity_series(name: str, table: Any) -> pd.Series:
    """An identity table as a Series: index = the source's ids, values = the common ids."""
    if isinstance(table, pd.DataFrame):
        if table.shape[1] != 2:
            raise JourneyError(
                f"identities[{name!r}]: a DataFrame of identities has two columns (the source's ids, "
                f"then the common customer ids), not {table.shape[1]:,}"
            )
        series = pd.Series(table.iloc[:, 1].to_numpy(), index=table.iloc[:, 0].to_numpy(), name=str(table.columns[1]))
        series.index.name = str(table.columns[0])
        return series
    if isinstance(table, pd.Series):
        return table
    if isinstance(table, Mapping):
        return pd.Series(dict(table), dtype=object)
    raise JourneyError(
        f"identities[{name!r}] must be a dict, a Series or a two-column DataFrame from the source's "
        f"ids to the common customer ids, not a {type(table).__name__}"
    )


def _mapped(name: str, users: pd.Series, table: Any) -> tuple[pd.Series, int]:
    """The source's ids mapped through its identity table, and how many distinct ids the table lacks."""
    series = _identity_series(name, table)
    where = f"identities[{name!r}]"
    blank = series.isna().to_numpy() | np.array([isinstance(v, str) and not v.strip() for v in series], dtype=bool)
    if blank.any():
        ids = series.index[blank][:SHOWN_IDS].tolist()
        raise JourneyError(
            f"{where}: {int(blank.sum()):,} ids map to no customer (a missing or blank id), e.g. "
            f"{', '.join(map(repr, ids))}; leave them out of the table to keep them as they are"
        )
    clash = series.groupby(level=0, sort=False).nunique()
    clash = clash[clash > 1]
    if len(clash):
        first = clash.index[0]
        targets = sorted(map(str, pd.unique(series.loc[[first]])))
        raise JourneyError(
            f"{where}: {len(clash):,} ids map to more than one customer, e.g. {first!r} to "
            f"{', '.join(map(repr, targets))}; each id of the source must name one customer"
        )
    lookup = series[~series.index.duplicated()]
    distinct = pd.Index(pd.unique(users.to_numpy()))
    known = distinct.isin(lookup.index)
    if not known.any():
        raise JourneyError(
            f"channel {name!r}: none of its {len(distinct):,} customer ids are in {where} (its ids: "
            f"{_examples(distinct)}; the table's: {_examples(lookup.index)}); are they of the same "
            f"type, text or numbers?"
        )
    missing = int((~known).sum())
    if missing:
        warnings.warn(
            f"channel {name!r}: {missing:,} of its {len(distinct):,} customer ids are not in {where} and are "
            f"kept as they are (e.g. {_examples(distinct[~known])})",
            JourneyWarning,
            stacklevel=3,
        )
    positions = lookup.index.get_indexer(users.to_numpy())
    values = lookup.to_numpy(dtype=object)[np.maximum(positions, 0)]
    return pd.Series(np.where(positions >= 0, values, users.to_numpy(dtype=object)), index=users.index), missing


def _id_kind(users: pd.Series) -> str:
    """What a source's customer ids are: text, whole numbers, ... (1 and "1" would be two customers)."""
    kind = pd.api.types.infer_dtype(users, skipna=True)
    return {
        "integer": "whole numbers",
        "floating": "numbers",
        "mixed-integer-float": "numbers",
        "string": "text",
        "bytes": "bytes",
    }.get(kind, kind)


def _check_id_kinds(kinds: dict[str, str]) -> None:
    if len(set(kinds.values())) > 1:
        shown = ", ".join(f"{kind} in {name!r}" for name, kind in kinds.items())
        raise JourneyError(
            f"customer ids are of different types in different sources ({shown}): 1 and '1' would be "
            f"two customers. Convert them to one type first (e.g. df['user_id'].astype(str)), or map "
            f"a source's ids to the common ones with {option('identities')}"
        )


def _channel_codes(log: EventLog) -> tuple[np.ndarray, list[str]]:
    values = pd.Categorical(log.column(CHANNEL))
    return values.codes.astype(np.int64), [str(c) for c in values.categories]


def _seen(user_codes: np.ndarray, channel_codes: np.ndarray, n_channels: int) -> np.ndarray:
    """Boolean customers x channels: whether the customer has an event from the channel."""
    seen = np.zeros((int(user_codes[-1]) + 1 if len(user_codes) else 0, n_channels), dtype=bool)
    seen[user_codes, channel_codes] = True
    return seen


def _sources_table(log: EventLog, channels: list[str], unmapped: dict[str, int]) -> pd.DataFrame:
    codes, names = _channel_codes(log)
    order = [names.index(c) for c in channels]
    seen = _seen(log.user_codes, codes, len(names))[:, order]
    alone = seen & (seen.sum(axis=1, keepdims=True) == 1)
    customers, only = seen.sum(axis=0), alone.sum(axis=0)
    return pd.DataFrame(
        {
            CHANNEL: channels,
            "events": np.bincount(codes, minlength=len(names))[order],
            "customers": customers,
            "only_here": only,
            "only_here_share": np.where(customers > 0, only / np.maximum(customers, 1), np.nan),
            "unmapped_ids": pd.array([unmapped.get(c) for c in channels], dtype="Int64"),
        }
    )


def _examples(ids: pd.Index) -> str:
    return ", ".join(map(repr, ids[:SHOWN_IDS].tolist())) + (", ..." if len(ids) > SHOWN_IDS else "")


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f". Did you mean {close[0]!r}?" if close else ""
