"""The engine: partials that add by name, one sort that is stable, and a sparse graph equal to a naive count."""

import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import journey
from journey import END, START
from journey.engine import partials
from journey.engine.core import Analysis, is_distributed, run
from journey.engine.partials import MEDIAN_RELATIVE_ERROR, Keyed, LogHistogram, Parts, Samples, group_medians
from journey.io import events as events_module

# --- partials ------------------------------------------------------------------------------------------


def test_keyed_counts_add_by_name_whatever_the_order_of_the_keys():
    a = Keyed(pd.Index(["cart", "home"], dtype=object), {"n": np.array([1, 2])})
    b = Keyed(pd.Index(["home", "faq"], dtype=object), {"n": np.array([10, 5])})
    total = (a + b).frame()["n"].to_dict()
    assert total == {"cart": 1, "home": 12, "faq": 5}
    assert (None + a) is a and (a + None) is a


def test_parts_add_component_by_component():
    total = Parts(n=1, x=np.array([1, 2])) + Parts(n=2, x=np.array([3, 4])) + None
    assert total["n"] == 3 and total["x"].tolist() == [4, 6]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),  # part
            st.sampled_from(["home", "cart", "faq", "buy"]),  # key
            st.one_of(st.integers(0, 2**62), st.integers(0, 4).map(lambda s: s * 10**9)),  # ns, ties likely
        ),
        min_size=1,
        max_size=80,
    )
)
def test_sorted_samples_of_parts_give_the_exact_medians_and_ranks_of_all_values(rows):
    # Each part is sorted where it is summarised and the sums are read without a sort of everything: two
    # parts by a binary search across their runs, more by sorting again; parts whose keys differ or come
    # in another order move their codes. Every figure must be the one of the values taken together.
    total = None
    for part in range(4):
        mine = [(key, value) for p, key, value in rows if p == part]
        names = sorted({key for key, _ in mine}, reverse=part % 2 == 1)
        if not names:
            continue
        index = pd.Index(names, dtype=object)
        group = np.array([names.index(key) for key, _ in mine])
        values = np.array([value for _, value in mine], dtype=np.int64)
        total = partials.add(total, Samples.sorted(index, group, values))
    by_key = {key: sorted(v for _, k, v in rows if k == key) for key in total.index}
    medians = total.medians()
    for position, key in enumerate(total.index):
        mine = by_key[key]
        assert medians[position] == pytest.approx((mine[(len(mine) - 1) // 2] + mine[len(mine) // 2]) / 2 / 1e9)
    for rank in range(0, 12):
        got = total.values_at(np.full(len(total.index), rank))
        for position, key in enumerate(total.index):
            mine = by_key[key]
            if 1 <= rank <= len(mine):
                assert got[position] == pytest.approx(mine[rank - 1] / 1e9)
            else:
                assert np.isnan(got[position])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**12)), min_size=1, max_size=300), st.integers(1, 5))
def test_log_histogram_medians_stay_within_the_stated_bound_of_exact_ones(rows, n_parts):
    group = np.array([g for g, _ in rows])
    values = np.array([v for _, v in rows], dtype=np.int64)
    index = pd.Index(list("abcde"), dtype=object)
    exact = Samples(index, group, values).medians()
    # The same values in n_parts parts, each with its own histogram, merged.
    pieces = np.array_split(np.arange(len(rows)), n_parts)
    merged = None
    for piece in pieces:
        merged = partials.add(merged, LogHistogram.of(index, group[piece], values[piece]))
    approx = merged.medians()
    assert np.array_equal(np.isnan(exact), np.isnan(approx))
    ok = ~np.isnan(exact)
    # Each middle value is read as the geometric middle of its bin: within the bound, relative.
    assert np.all(np.abs(approx[ok] - exact[ok]) <= MEDIAN_RELATIVE_ERROR * exact[ok] + 1e-9)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.one_of(st.integers(0, 2**62), st.integers(0, 5).map(lambda s: s * 10**6))),
        min_size=1,
        max_size=50,
    ),
)
def test_exact_group_medians_at_any_resolution(rows):
    group = np.array([g for g, _ in rows])
    values = np.array([v for _, v in rows], dtype=np.int64)
    got = group_medians(group, values, 4)
    for g in range(4):
        mine = sorted(int(v) for k, v in rows if k == g)
        if not mine:
            assert np.isnan(got[g])
        else:
            middle = (mine[(len(mine) - 1) // 2] + mine[len(mine) // 2]) / 2
            assert got[g] == pytest.approx(middle, rel=1e-15)


# --- the order of a log --------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 5), st.sampled_from([1, 1000, 10**6, 10**9])),
        min_size=2,
        max_size=200,
    ),
    st.booleans(),
)
def test_the_sort_by_user_and_time_is_stable_and_exact(rows, threaded):
    codes = np.array([u for u, _, _ in rows], dtype=np.int64)
    t = np.array([s * unit for _, s, unit in rows], dtype=np.int64) + 1_700_000_000 * 10**9
    expected = np.lexsort((np.arange(len(rows)), t, codes))
    old = events_module.PARALLEL_ROWS
    events_module.PARALLEL_ROWS = 1 if threaded else old
    try:
        order, sorted_codes, sorted_t = events_module._ordering(codes, t)
    finally:
        events_module.PARALLEL_ROWS = old
    order = np.arange(len(rows)) if order is None else order
    assert np.array_equal(order, expected)
    # The codes and times (ns) in that order, read back from the sorted keys.
    assert np.array_equal(sorted_codes, codes[expected]) and np.array_equal(sorted_t, t[expected])


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([1, 10**3, 10**6, 10**9]),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from([1, 10**3, 10**6, 10**9])), min_size=1, max_size=30),
)
def test_the_common_unit_told_the_columns_resolution_is_the_one_found_by_checking_every_value(finest, rows):
    # A column held in microseconds is whole microseconds: told so, common_unit skips the finer checks only.
    t = np.array([max(v * unit, 1) // finest * finest for v, unit in rows], dtype=np.int64)
    assert events_module.common_unit(t, finest) == events_module.common_unit(t)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1)), min_size=1, max_size=40), st.booleans())
def test_the_stable_argsort_of_packed_keys_equals_numpys_whatever_the_width_of_the_codes(rows, threaded):
    # Codes near 2**60 leave no room for the row beside them: the rows cannot be grouped by a sort of
    # packed values, and the plain stable argsort must give the same order.
    for scale in (1, 2**59):
        codes = np.array([c * scale for c, _ in rows], dtype=np.int64)
        key = (codes << 1) | np.array([b for _, b in rows], dtype=np.int64)
        old = events_module.PARALLEL_ROWS
        events_module.PARALLEL_ROWS = 1 if threaded else old
        try:
            order = events_module.stable_argsort(key, codes)
        finally:
            events_module.PARALLEL_ROWS = old
        assert order.tolist() == np.argsort(key, kind="stable").tolist()


# --- the sparse graph against a naive count --------------------------------------------------------------


def naive_graph(paths):
    edges, journeys, visits = Counter(), Counter(), Counter()
    for path in paths:
        walk = [START, *path, END]
        pairs = list(zip(walk, walk[1:]))
        edges.update(pairs)
        journeys.update(set(pairs))
        visits.update(path)
    return edges, journeys, visits


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 10_000), st.integers(1, 400), st.integers(0, 2**32 - 1))
def test_graph_with_up_to_ten_thousand_touchpoints_equals_a_naive_count(n_touchpoints, n_users, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, n_users)
    paths = [[f"p{int(x)}" for x in rng.integers(0, n_touchpoints, size)] for size in lengths]
    rows = [(f"u{i:04d}", e) for i, p in enumerate(paths) for e in p]
    frame = pd.DataFrame(rows, columns=["user_id", "event"]).assign(
        timestamp=pd.date_range("2025-01-01", periods=len(rows), freq="s", tz="UTC")
    )
    graph = journey.journey_graph(frame.sample(frac=1, random_state=seed % 1000))  # rows in any order
    edges, journeys, visits = naive_graph(paths)
    assert {(a, b): d["count"] for a, b, d in graph.edges(data=True)} == dict(edges)
    assert {(a, b): d["journeys"] for a, b, d in graph.edges(data=True)} == dict(journeys)
    assert {n: d["visits"] for n, d in graph.nodes(data=True) if n not in (START, END)} == dict(visits)


def test_a_wide_clickstream_never_allocates_touchpoints_squared():
    # 30,000 page URLs: a dense edge array would be 9e8 cells; the sparse graph holds the observed ones.
    rng = np.random.default_rng(0)
    n = 60_000
    frame = pd.DataFrame(
        {
            "user_id": rng.integers(0, 6_000, n).astype(str),
            "event": np.char.add("/page/", rng.integers(0, 30_000, n).astype(str)),
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**7, n), "s"),
        }
    )
    import tracemalloc

    log = journey.read_events(frame)
    tracemalloc.start()
    graph = journey.journey_graph(log)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert graph.graph["n_transitions"] == n + log.n_users  # one per event, plus each journey's entry
    assert graph.number_of_nodes() == len(log.events) + 2
    assert peak < 200 * 2**20


# --- dispatch ----------------------------------------------------------------------------------------------


def test_the_local_path_is_the_one_part_case():
    class Count(Analysis):
        def partial(self, log, facts):
            return Parts(events=log.n_events, users=log.n_users)

        def finish(self, total, facts):
            return total["events"], total["users"], facts.exact

    frame = journey.datasets.load_sample().events
    assert run(Count(), frame) == (len(frame), frame["user_id"].nunique(), True)
    assert not is_distributed(frame)


# Texts that share long prefixes (so the split looks past the first 8 bytes), hold NUL bytes, are empty,
# multi-byte or missing: the split by leading bytes must keep Python's order of str.
split_texts = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.text(alphabet="ab\0", max_size=20),
    st.builds(lambda n: f"user_{n:0{n % 3 + 6}d}", st.integers(0, 10**7)),
    st.builds(lambda n: "p" * 17 + str(n), st.integers(0, 50)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(split_texts, min_size=1, max_size=60))
def test_sorted_factorisation_on_two_threads_equals_pandas(values):
    series = pd.Series(values, dtype="str")
    expected_codes, expected_uniques = pd.factorize(series, sort=True)
    old = events_module.PARALLEL_ROWS, events_module._WORD_CHUNK, events_module._ROWS_PER_PART
    # Every column takes the two-thread Arrow path, cut into as many ranges as it has rows (up to 64), and
    # its leading bytes are read a few texts at a time.
    events_module.PARALLEL_ROWS, events_module._WORD_CHUNK, events_module._ROWS_PER_PART = 0, 7, 1
    try:
        codes, uniques = events_module.factorize_sorted(series)
    finally:
        events_module.PARALLEL_ROWS, events_module._WORD_CHUNK, events_module._ROWS_PER_PART = old
    assert list(uniques) == list(expected_uniques)
    assert codes.tolist() == expected_codes.tolist()


@pytest.mark.parametrize("shape", ["ga4", "shared_prefix", "with_missing", "one_heavy_id"])
def test_sorted_factorisation_in_many_ranges_equals_pandas_on_realistic_ids(shape):
    rng = np.random.default_rng(3)
    n = 60_000
    if shape == "ga4":  # "1473225452.1739322825": random client id, first-visit time
        ids = [
            f"{a}.{b}"
            for a, b in zip(rng.integers(10**9, 2 * 10**9, n // 6), rng.integers(17 * 10**8, 18 * 10**8, n // 6))
        ]
    elif shape == "shared_prefix":  # every id shares its first 8 bytes: the ranges come from the second word
        ids = [f"customer-{i:07d}" for i in rng.integers(0, 10**7, n // 6)]
    else:
        ids = [f"u{i}" for i in rng.integers(0, 10**6, n // 6)]
    values = np.array(ids, dtype=object)[rng.integers(0, len(ids), n)]
    if shape == "with_missing":
        values[rng.random(n) < 0.1] = None
    if shape == "one_heavy_id":  # most rows are one id (a bot): most keys share the lowest or one slot
        values[rng.random(n) < 0.8] = "u5"
    series = pd.Series(values, dtype="str")
    expected_codes, expected_uniques = pd.factorize(series, sort=True)
    old = events_module._ROWS_PER_PART
    events_module._ROWS_PER_PART = 1000  # 60 ranges, some empty where slots repeat
    try:
        split = events_module._split_factorize(events_module._arrow_text(series))
    finally:
        events_module._ROWS_PER_PART = old
    assert split is not None  # the ids split into ranges (not the one-pass path for few distinct texts)
    codes, uniques = split
    assert list(uniques) == list(expected_uniques)
    assert np.array_equal(codes, expected_codes)


@pytest.mark.parametrize("shape", ["ga4", "one_heavy_id", "with_missing", "blank", "sorted"])
def test_a_large_log_sorted_range_by_range_equals_the_one_pass_sort(shape):
    # On a large log the ids are coded in ranges and each range is sorted on its own (no codes placed in
    # input order, no sort of the whole log); a log with bad ids falls back to the one-pass sort. Either
    # way the log must be the one read in one pass: same rows in the same order, ties in input order.
    rng = np.random.default_rng(7)
    n = 40_000
    ids = [f"{a}.{b}" for a, b in zip(rng.integers(10**9, 2 * 10**9, 3_000), rng.integers(10**9, 2 * 10**9, 3_000))]
    users = np.array(ids, dtype=object)[rng.integers(0, len(ids), n)]
    if shape == "one_heavy_id":
        users[rng.random(n) < 0.7] = ids[0]
    if shape == "with_missing":
        users[rng.random(n) < 0.01] = None
    if shape == "blank":
        users[rng.random(n) < 0.01] = "  "
    frame = pd.DataFrame(
        {
            "user_id": pd.Series(users, dtype="str"),
            "timestamp": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 50, n) * 10**6 + rng.integers(0, 3, n), unit="us"),  # ties
            "event": rng.choice(["home", "cart", "buy"], n),
            "row": np.arange(n),
        }
    )
    if shape == "sorted":
        frame = frame.sort_values(["user_id", "timestamp"], kind="stable").reset_index(drop=True)
    options = {"on_invalid": "drop"} if shape in ("with_missing", "blank") else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", journey.JourneyWarning)
        whole = journey.read_events(frame, **options)
        old = events_module.PARALLEL_ROWS, events_module._ROWS_PER_PART
        events_module.PARALLEL_ROWS, events_module._ROWS_PER_PART = 1000, 1000  # large: 40 ranges
        try:
            ranged = journey.read_events(frame, **options)
        finally:
            events_module.PARALLEL_ROWS, events_module._ROWS_PER_PART = old
    assert ranged.frame["row"].tolist() == whole.frame["row"].tolist()
    assert np.array_equal(ranged.user_codes, whole.user_codes) and np.array_equal(ranged.time_ns, whole.time_ns)
    assert ranged.n_users == whole.n_users and ranged.dropped.equals(whole.dropped)
    expected = frame.dropna(subset=["user_id"])
    expected = expected[expected["user_id"].str.strip() != ""]
    expected = expected.sort_values(["user_id", "timestamp"], kind="stable")
    assert whole.frame["row"].tolist() == expected["row"].tolist()
