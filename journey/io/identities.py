"""Identity stitching: events of an anonymous id (a cookie, a device) given to the user it belongs to.

Links come from the source (Segment ``identify`` and ``alias`` calls, events that carry both ids) and from
the user's ``identities=`` table; :func:`journey.read_events` stitches once, for every format. The rules:

- every event of a linked anonymous id belongs to its user, before the login as after it;
- an anonymous id linked to several users (a shared computer) belongs to the first: the user's own table
  first, then the source's links in time order; how many such ids there were is reported;
- links chain: an alias ``a -> b`` and a link ``b -> c`` give ``a -> c``;
- ids are compared as they are stored (text with text, numbers with numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ..errors import JourneyError, option

__all__ = ["Identities", "Stitching", "identity_table", "stitch", "resolve"]

#: Links from anonymous ids to user ids: a two-column DataFrame (anonymous id, then user id), a mapping
#: or a Series (index: anonymous id, values: user id).
Identities: TypeAlias = pd.DataFrame | pd.Series | Mapping[Any, Any]

#: Rounds of following links to their end (``a -> b -> c``); a cycle stops where it stands.
_CHAIN = 32


@dataclass(frozen=True)
class Stitching:
    """What stitching changed: anonymous ids given to a user, their events, the users that gained them."""

    ids: int = 0
    events: int = 0
    users: int = 0
    ambiguous: int = 0


def identity_table(identities: Identities, argument: str = "identities") -> pd.DataFrame:
    """The links as a DataFrame with columns ``anonymous`` and ``user`` (and ``time`` when given)."""
    if isinstance(identities, pd.DataFrame):
        if identities.shape[1] not in (2, 3):
            raise JourneyError(
                f"{option(argument)} takes a table of two columns, the anonymous id then the user id "
                f"(a third, 'time', may order the links); it has {identities.shape[1]}: "
                f"{', '.join(map(repr, map(str, identities.columns)))}"
            )
        frame = identities.set_axis(["anonymous", "user", "time"][: identities.shape[1]], axis=1)
    elif isinstance(identities, pd.Series):
        frame = pd.DataFrame({"anonymous": identities.index.to_numpy(), "user": identities.to_numpy()})
    elif isinstance(identities, Mapping):
        frame = pd.DataFrame({"anonymous": list(identities.keys()), "user": list(identities.values())})
    else:
        raise JourneyError(
            f"{option(argument)} takes a DataFrame (anonymous id, user id), a Series or a dict, "
            f"not {type(identities).__name__}"
        )
    return frame[frame["anonymous"].notna() & frame["user"].notna()].reset_index(drop=True)


def stitch(users: pd.Series, links: Sequence[pd.DataFrame]) -> tuple[pd.Series, Stitching]:
    """``users`` with every linked anonymous id replaced by its user, and what changed.

    ``links`` are tables of :func:`identity_table`'s shape, in priority order (the user's own first).

    Examples
    --------
    >>> import pandas as pd
    >>> users, done = stitch(pd.Series(["anon1", "ann", "anon2", "bob"]),
    ...                      [pd.DataFrame({"anonymous": ["anon1"], "user": ["ann"]})])
    >>> users.tolist(), done.ids, done.events
    (['ann', 'ann', 'anon2', 'bob'], 1, 1)
    """
    resolved_links = resolve(users, links)
    if resolved_links is None:
        return users, Stitching()
    mapping, ambiguous = resolved_links
    codes, uniques = pd.factorize(users)
    targets = mapping.reindex(uniques)
    linked = targets.notna().to_numpy()
    if not linked.any():
        return users, Stitching(ambiguous=ambiguous)
    resolved = pd.Series(
        np.where(linked, targets.to_numpy(dtype=object), np.asarray(uniques, dtype=object)), dtype=object
    )
    new_codes, new_uniques = pd.factorize(resolved)
    values = np.where(codes >= 0, new_codes[np.maximum(codes, 0)], -1)
    result = pd.Series(pd.Categorical.from_codes(values, new_uniques), index=users.index, name=users.name)
    result = result.astype(users.dtype if not isinstance(users.dtype, pd.CategoricalDtype) else object)
    changed = linked[codes[codes >= 0]]
    return result, Stitching(
        ids=int(linked.sum()),
        events=int(changed.sum()),
        users=int(pd.unique(targets.to_numpy()[linked]).size),
        ambiguous=ambiguous,
    )


def resolve(users: pd.Series, links: Sequence[pd.DataFrame]) -> tuple[pd.Series, int] | None:
    """The links followed to their ends, anonymous id -> user id, in the type of ``users``, and how many
    anonymous ids had several users (None when there is no link). :func:`stitch` applies it; a log read in
    parts (``engine="dask"``) resolves the links of every part once and applies them to each part.
    """
    ordered = [_by_time(t) for t in links if len(t)]
    if not ordered:
        return None
    table = pd.concat([t[["anonymous", "user"]] for t in ordered], ignore_index=True)
    table = _like(table, users)
    table = table[table["anonymous"] != table["user"]]
    first = table.drop_duplicates("anonymous", keep="first")
    ambiguous = int((table.drop_duplicates(["anonymous", "user"])["anonymous"].value_counts() > 1).sum())
    mapping = pd.Series(first["user"].to_numpy(), index=pd.Index(first["anonymous"].to_numpy()))
    return _follow(mapping), ambiguous


def _by_time(table: pd.DataFrame) -> pd.DataFrame:
    if "time" not in table.columns:
        return table
    return table.sort_values("time", kind="stable", na_position="last")


def _like(table: pd.DataFrame, users: pd.Series) -> pd.DataFrame:
    """Links in the type of the user column: text ids compare with text, numbers with numbers."""
    if pd.api.types.is_string_dtype(users.dtype) or users.dtype == object:
        kind = pd.api.types.infer_dtype(users, skipna=True)
        if kind in ("string", "empty"):
            return table.astype({"anonymous": str, "user": str})
        return table
    try:
        return table.astype({"anonymous": users.dtype, "user": users.dtype})
    except (TypeError, ValueError):
        raise JourneyError(
            f"{option('identities')} holds ids that are not of the user column's type "
            f"({users.dtype}): convert one to the other first"
        ) from None


def _follow(mapping: pd.Series) -> pd.Series:
    """Each link followed to its end (``a -> b``, ``b -> c`` give ``a -> c``); cycles stop where they stand."""
    for _ in range(_CHAIN):
        onward = mapping.reindex(mapping.to_numpy())
        step = onward.notna().to_numpy() & (onward.to_numpy() != mapping.index.to_numpy())
        if not step.any():
            break
        mapping = mapping.copy()
        mapping.iloc[np.flatnonzero(step)] = onward.to_numpy()[step]
    return mapping
