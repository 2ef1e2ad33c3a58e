"""The Dask path on a LocalCluster: the same counts as pandas, with partitions that split users."""

import contextlib

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from dask.distributed import Client, LocalCluster

import journey
from journey.engine.partials import MEDIAN_RELATIVE_ERROR

# from_pandas embeds the sample in the task graph; that is the point of these small tests.
pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph")


@pytest.fixture(scope="module")
def client():
    # ":0": a free port for the scheduler's HTTP server, which None does not turn off (8787 may be taken by
    # another test file's cluster on the next pytest-xdist worker).
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def sample():
    return journey.datasets.load_sample().events


def as_dict(graph):
    nodes = {
        n: {k: d[k] for k in ("visits", "journeys", "entries", "exits", "conversions")}
        for n, d in graph.nodes(data=True)
    }
    edges = {(a, b): (d["count"], d["journeys"]) for a, b, d in graph.edges(data=True)}
    return nodes, edges, dict(graph.graph)


@pytest.mark.parametrize("by", ["user", "session"])
def test_dask_graph_counts_are_identical_to_pandas(client, sample, by):
    # Rows in time order across 7 partitions: every customer's events are spread over several partitions.
    ddf = dd.from_pandas(sample, npartitions=7, sort=False)
    local = journey.journey_graph(journey.read_events(sample), goal="purchase", unit=by)
    remote = journey.journey_graph(ddf, goal="purchase", unit=by)
    ln, le, lg = as_dict(local)
    rn, re_, rg = as_dict(remote)
    assert ln == rn and le == re_
    for key in ("n_journeys", "n_events", "n_conversions", "n_transitions", "goal", "unit"):
        assert lg[key] == rg[key]
    for a, b, d in local.edges(data=True):
        exact, approx = d["median_seconds"], remote.edges[a, b]["median_seconds"]
        if np.isnan(exact):
            assert np.isnan(approx)
        else:
            assert approx == pytest.approx(exact, rel=MEDIAN_RELATIVE_ERROR + 1e-9, abs=1e-3)


def test_read_events_with_dask_engine_validates_partitions(client, tmp_path, sample):
    folder = tmp_path / "events"
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(sample)), 3)):
        sample.iloc[rows].to_parquet(folder / f"part-{i}.parquet", index=False)
    ddf = journey.read_events(str(folder / "*.parquet"), engine="dask")
    assert list(ddf.columns[:3]) == ["user", "time", "event"]
    graph = journey.journey_graph(ddf, goal="purchase")
    assert graph.graph["n_events"] == len(sample) and graph.graph["n_journeys"] == sample["user_id"].nunique()
    bad = sample.head(50).assign(timestamp="not a time")
    bad.to_parquet(folder / "part-9.parquet", index=False)
    with pytest.raises(journey.JourneyError, match="'timestamp'"):
        journey.journey_graph(journey.read_events(str(folder / "*.parquet"), engine="dask"))


def test_prune_knows_dask_graphs_keep_no_paths(client, sample):
    graph = journey.journey_graph(dd.from_pandas(sample.head(2000), npartitions=2), goal="purchase")
    assert journey.prune(graph, min_share=0.2).graph["kept_journey_share"] is None


@pytest.mark.parametrize("period, rolling", [("M", False), ("W", False), ("W", True), ("M", True)])
def test_active_users_on_dask_equal_pandas(client, sample, period, rolling):
    local = journey.active_users(journey.read_events(sample), period=period, rolling=rolling)
    remote = journey.active_users(dd.from_pandas(sample, npartitions=5, sort=False), period=period, rolling=rolling)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame())


def test_drop_off_on_dask_equals_pandas(client, sample):
    local = journey.drop_off(journey.read_events(sample), goal="purchase", by="device")
    remote = journey.drop_off(dd.from_pandas(sample, npartitions=5, sort=False), goal="purchase", by="device")
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame(), check_dtype=False)
    assert (local.n_journeys, local.n_converted) == (remote.n_journeys, remote.n_converted)
    sessions = journey.drop_off(dd.from_pandas(sample, npartitions=5, sort=False), goal="purchase", unit="session")
    pd.testing.assert_frame_equal(
        journey.drop_off(journey.read_events(sample), goal="purchase", unit="session").to_frame(),
        sessions.to_frame(),
        check_dtype=False,
    )
    with pytest.raises(journey.JourneyError, match="purchse"):
        journey.drop_off(dd.from_pandas(sample, npartitions=2, sort=False), goal="purchse")


@pytest.mark.parametrize("inactive_after", [None, "30D"])
def test_churn_on_dask_equals_pandas(client, sample, inactive_after):
    local = journey.churn(journey.read_events(sample), inactive_after=inactive_after)
    remote = journey.churn(dd.from_pandas(sample, npartitions=5, sort=False), inactive_after=inactive_after)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame(), check_dtype=False)
    assert local.overall.confidence_interval() == remote.overall.confidence_interval()  # the same clusters
    assert (local.overall.lost, local.overall.at_start, local.overall.n) == (
        remote.overall.lost,
        remote.overall.at_start,
        remote.overall.n,
    )


@pytest.mark.parametrize("mode, touchpoint", [("on", None), ("on_or_after", None), ("on", "purchase")])
def test_retention_on_dask_equals_pandas(client, sample, mode, touchpoint):
    local = journey.retention(journey.read_events(sample), mode=mode, touchpoint=touchpoint)
    remote = journey.retention(dd.from_pandas(sample, npartitions=5, sort=False), mode=mode, touchpoint=touchpoint)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame(), check_dtype=False)
    pd.testing.assert_frame_equal(local.counts, remote.counts)
    pd.testing.assert_series_equal(local.sizes, remote.sizes, check_dtype=False)


@pytest.mark.parametrize(
    "options", [{}, {"within": "90D"}, {"by": "device"}, {"start": "2025-03-01", "end": "2025-06-01"}]
)
def test_repeat_rate_on_dask_equals_pandas(client, sample, options):
    sample_orders = journey.datasets.load_sample().orders
    devices = sample.drop_duplicates("user_id")[["user_id", "device"]].rename(columns={"user_id": "customer_id"})
    orders = sample_orders.merge(devices)
    local = journey.repeat_rate(orders, **options)
    remote = journey.repeat_rate(dd.from_pandas(orders, npartitions=4, sort=False), **options)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame(), check_dtype=False)
    assert (local.overall.k, local.overall.n) == (remote.overall.k, remote.overall.n)


def test_orders_on_dask_fall_back_to_customer_id_and_name_the_user_keyword(client):
    orders = journey.datasets.load_sample().orders
    assert "user_id" not in orders.columns  # the bundled orders call the user customer_id
    with pytest.raises(journey.errors.MissingColumnError, match="user="):
        journey.repeat_rate(dd.from_pandas(orders.rename(columns={"customer_id": "client"}), npartitions=2))
    renamed = dd.from_pandas(orders.rename(columns={"customer_id": "client"}), npartitions=3)
    assert journey.repeat_rate(renamed, user="client").overall.n == orders["customer_id"].nunique()


@pytest.mark.parametrize("options", [{}, {"within": "1D", "by": "device"}, {"step_order": "strict"}])
def test_funnel_on_dask_equals_pandas(client, sample, options):
    steps = ["product", "cart", "checkout", "payment", "purchase"]
    local_result = journey.funnel(journey.read_events(sample), steps, **options)
    remote_result = journey.funnel(dd.from_pandas(sample, npartitions=5, sort=False), steps, **options)
    local, remote = local_result.to_frame(), remote_result.to_frame()
    pd.testing.assert_frame_equal(
        local.drop(columns="median_seconds_to_next"), remote.drop(columns="median_seconds_to_next"), check_dtype=False
    )
    assert (local_result.overall.k, local_result.overall.n) == (remote_result.overall.k, remote_result.overall.n)
    both = pd.concat([local["median_seconds_to_next"], remote["median_seconds_to_next"]], axis=1).dropna()
    assert ((both.iloc[:, 1] / both.iloc[:, 0] - 1).abs() <= MEDIAN_RELATIVE_ERROR + 1e-9).all() and len(both) > 0


def test_funnel_options_and_time_to_convert_on_dask_equal_pandas(client, sample):
    from journey.analysis.funnels import Step

    runs = [
        (
            ["product", Step("cart", within="2h"), Step("checkout", optional=True), "payment", "purchase"],
            {"exclude": "support"},
        ),
        (["product", "cart", "purchase"], {"step_order": "any", "within": "1D", "by": "device"}),
    ]
    for steps, options in runs:
        local_result = journey.funnel(journey.read_events(sample), steps, **options)
        remote_result = journey.funnel(dd.from_pandas(sample, npartitions=5, sort=False), steps, **options)
        local, remote = local_result.to_frame(), remote_result.to_frame()
        pd.testing.assert_frame_equal(
            local.drop(columns="median_seconds_to_next"),
            remote.drop(columns="median_seconds_to_next"),
            check_dtype=False,
        )
        assert local["entered"].iloc[-1] > 0
        # The Kaplan-Meier counts add exactly across partitions: the same curves and medians.
        pd.testing.assert_frame_equal(
            local_result.time_to_convert().to_frame(), remote_result.time_to_convert().to_frame()
        )
        pd.testing.assert_frame_equal(
            local_result.time_to_convert().medians(), remote_result.time_to_convert().medians()
        )


@pytest.mark.parametrize("options", [{"goal": "purchase", "top": 15}, {"collapse_repeats": True, "top": None}])
def test_path_variants_on_dask_equal_pandas(client, sample, options):
    local = journey.path_variants(journey.read_events(sample), **options).to_frame()
    remote = journey.path_variants(dd.from_pandas(sample, npartitions=5, sort=False), **options).to_frame()
    pd.testing.assert_frame_equal(
        local.drop(columns="median_seconds"), remote.drop(columns="median_seconds"), check_dtype=False
    )
    exact, approx = local["median_seconds"].to_numpy(), remote["median_seconds"].to_numpy()
    positive = exact > 0
    assert np.allclose(approx[positive], exact[positive], rtol=MEDIAN_RELATIVE_ERROR + 1e-9)
    assert (approx[exact == 0] == 0).all()


def test_stickiness_on_dask_equals_pandas(client, sample):
    local = journey.stickiness(journey.read_events(sample), mau_days=28, n_boot=200)
    remote = journey.stickiness(dd.from_pandas(sample, npartitions=5, sort=False), mau_days=28, n_boot=200)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame(), check_dtype=False)
    assert local.estimate == remote.estimate
    # Each user's bootstrap weights depend on the user and the seed only: the same replicates on any partitioning.
    assert (local.replicates == remote.replicates).all() and local.confidence_interval() == remote.confidence_interval()


def test_a_raw_frame_whose_columns_happen_to_be_called_user_time_event_is_read_not_trusted(client):
    raw = pd.DataFrame(
        {
            "user": ["a", "a", "b"],
            "time": ["2025-01-01T10:00Z", "2025-01-01T11:00Z", "2025-01-02T10:00Z"],
            "event": ["home", "cart", "home"],
        }
    )
    with pytest.raises(journey.errors.MissingColumnError, match="'user_id'"):
        journey.journey_graph(dd.from_pandas(raw, npartitions=2))
    with pytest.raises(journey.errors.MissingColumnError, match="'user_id'"):
        journey.churn(dd.from_pandas(raw, npartitions=2))


def test_retention_refuses_an_unknown_event_on_dask(client, sample):
    with pytest.raises(journey.errors.UnknownEventError, match="purchse"):
        journey.retention(dd.from_pandas(sample, npartitions=3, sort=False), touchpoint="purchse")


def test_csv_on_dask_keeps_extra_column_types(client, tmp_path, sample):
    path = tmp_path / "e.csv"
    sample.head(3000).assign(tier=lambda f: f.index % 3).to_csv(path, index=False)
    ddf = journey.read_events(str(path), engine="dask")
    local = journey.drop_off(journey.read_events(path), goal="purchase", by="tier")
    remote = journey.drop_off(ddf, goal="purchase", by="tier")
    local, remote = local.to_frame(), remote.to_frame()
    assert remote["tier"].tolist() == local["tier"].tolist() and isinstance(remote["tier"].iloc[0], (int, np.integer))


def test_csv_on_dask_reads_like_the_local_reader_delimiter_and_na_words_included(client, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text(
        "user_id;timestamp;event;device\nNA;2025-01-01T10:00Z;home;NA\nNA;2025-01-01T10:01Z;None;web\n"
        "b;2025-01-01T10:00Z;home;\n"
    )
    local = journey.journey_graph(journey.read_events(path))
    remote = journey.journey_graph(journey.read_events(str(path), engine="dask"))
    assert set(remote.edges) == set(local.edges) and "None" in remote
    twice = tmp_path / "twice.csv"
    twice.write_text("user_id,timestamp,event,event\na,2025-01-01T10:00Z,home,x\n")
    with pytest.raises(journey.JourneyError, match="more than once: 'event'"):
        journey.read_events(str(twice), engine="dask")


def test_medians_below_a_millisecond_stay_within_the_bound(client):
    rows = [
        ("a", "2025-01-01T10:00:00.000000Z", "home"),
        ("a", "2025-01-01T10:00:00.000100Z", "cart"),
        ("b", "2025-01-01T11:00:00.000000Z", "home"),
        ("b", "2025-01-01T11:00:00.000300Z", "cart"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "timestamp", "event"])
    local = journey.journey_graph(df).edges["home", "cart"]["median_seconds"]
    remote = journey.journey_graph(dd.from_pandas(df, npartitions=2)).edges["home", "cart"]["median_seconds"]
    assert remote == pytest.approx(local, rel=MEDIAN_RELATIVE_ERROR + 1e-9)


def test_a_parquet_folder_is_read_as_parquet(client, tmp_path, sample):
    folder = tmp_path / "events_folder"
    folder.mkdir()
    sample.head(1000).to_parquet(folder / "a.parquet", index=False)
    assert journey.journey_graph(journey.read_events(str(folder), engine="dask")).graph["n_events"] == 1000


def test_markov_on_dask_equals_pandas_and_so_does_its_bootstrap(client, sample):
    local = journey.markov(journey.read_events(sample), goal="purchase")
    remote = journey.markov(dd.from_pandas(sample, npartitions=5, sort=False), goal="purchase")
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame(), rtol=0, atol=1e-12)
    assert local.n_journeys == remote.n_journeys
    pd.testing.assert_frame_equal(
        local.bootstrap(n_boot=20, seed=3).to_frame(),
        remote.bootstrap(n_boot=20, seed=3).to_frame(),
        rtol=0,
        atol=1e-12,
    )
    second = journey.markov(dd.from_pandas(sample, npartitions=5, sort=False), goal="purchase", order=2)
    pd.testing.assert_frame_equal(
        journey.markov(journey.read_events(sample), goal="purchase", order=2).to_frame(),
        second.to_frame(),
        rtol=0,
        atol=1e-12,
    )


def test_compare_paths_on_dask_equals_pandas(client, sample):
    local = journey.compare_paths(journey.read_events(sample), goal="purchase")
    remote = journey.compare_paths(dd.from_pandas(sample, npartitions=5, sort=False), goal="purchase")
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame(), check_dtype=False)
    assert (local.n_converted, local.n_other) == (remote.n_converted, remote.n_other)


@pytest.mark.parametrize("inactive_after", ["14D", "30D"])
def test_survival_on_dask_equals_pandas(client, sample, inactive_after):
    local = journey.survival(journey.read_events(sample), inactive_after=inactive_after)
    remote = journey.survival(dd.from_pandas(sample, npartitions=5, sort=False), inactive_after=inactive_after)
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame())
    orders = journey.datasets.load_sample().orders
    local = journey.survival(orders, outcome="next_purchase", order_id="order_id")
    remote = journey.survival(
        dd.from_pandas(orders, npartitions=4, sort=False), outcome="next_purchase", order_id="order_id"
    )
    pd.testing.assert_frame_equal(local.to_frame(), remote.to_frame())


def test_one_shuffle_serves_every_later_analysis(client, sample):
    log = journey.partition_by_user(dd.from_pandas(sample, npartitions=4, sort=False))
    parts = log.partitions()
    journey.journey_graph(log, goal="purchase"), journey.drop_off(log, goal="purchase"), journey.churn(log)
    assert log.partitions() is parts  # partitioned and persisted once, reused
    local = journey.read_events(sample)
    pd.testing.assert_frame_equal(
        journey.drop_off(local, goal="purchase").to_frame(), journey.drop_off(log, goal="purchase").to_frame()
    )


def test_partitions_that_split_every_user_give_the_same_answers(client, sample):
    # Round-robin rows over 6 partitions: each customer with more than one event is split.
    rows = sample.assign(_part=np.arange(len(sample)) % 6).sort_values("_part", kind="stable").drop(columns="_part")
    ddf = dd.from_pandas(rows, npartitions=6, sort=False)
    local = journey.read_events(sample)
    pd.testing.assert_frame_equal(
        journey.path_variants(local, goal="purchase").to_frame().drop(columns="median_seconds"),
        journey.path_variants(ddf, goal="purchase").to_frame().drop(columns="median_seconds"),
        check_dtype=False,
    )
    steps = ["product", "cart", "purchase"]
    pd.testing.assert_frame_equal(
        journey.funnel(local, steps).to_frame().drop(columns="median_seconds_to_next"),
        journey.funnel(ddf, steps).to_frame().drop(columns="median_seconds_to_next"),
        check_dtype=False,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda log: journey.journey_graph(log, goal="purchse"),
        lambda log: journey.markov(log, goal="purchse"),
        lambda log: journey.funnel(log, ["product", "crat"]),
        lambda log: journey.drop_off(log, goal="purchase", by="devise"),
        lambda log: journey.retention(log, touchpoint="purchse"),
    ],
)
def test_argument_errors_are_raised_before_any_analysis_task_runs(client, sample, call):
    log = journey.partition_by_user(dd.from_pandas(sample, npartitions=3, sort=False))
    started = []
    with pytest.raises(journey.JourneyError):
        with dask_task_counter(client, started):
            call(log)
    assert not [key for key in started if "_partial" in key], started


@contextlib.contextmanager
def dask_task_counter(client, started):
    """Collect the keys of tasks the scheduler runs while the block runs."""
    from distributed.diagnostics.plugin import SchedulerPlugin

    class Recorder(SchedulerPlugin):
        name = "journey-recorder"

        def transition(self, key, start, finish, *args, **kwargs):
            if finish == "processing":
                self.keys.append(str(key))

    def install(dask_scheduler=None):
        plugin = Recorder()
        plugin.keys = []
        dask_scheduler.add_plugin(plugin, name="journey-recorder")

    def keys(dask_scheduler=None):
        plugin = dask_scheduler.plugins.pop("journey-recorder")
        return plugin.keys

    client.run_on_scheduler(install)
    try:
        yield
    finally:
        started.extend(client.run_on_scheduler(keys))


def test_compare_graphs_on_dask_equals_pandas(client, sample):
    local_nodes, local_edges = journey.compare_graphs(sample, by="device", goal="purchase").to_frames()
    remote = journey.compare_graphs(dd.from_pandas(sample, npartitions=5, sort=False), by="device", goal="purchase")
    nodes, edges = remote.to_frames()
    pd.testing.assert_frame_equal(nodes, local_nodes)
    pd.testing.assert_frame_equal(edges, local_edges)
    with pytest.raises(journey.JourneyError, match="versus='desktop' is the baseline too"):
        journey.compare_graphs(dd.from_pandas(sample, npartitions=2), by="device", baseline="desktop", versus="desktop")


def test_experience_map_on_dask_equals_pandas(client):
    from test_experience import STAGES, simulate

    from journey.analysis.experience import experience_map

    events, survey = simulate(600, seed=3)
    local = experience_map(events, stages=STAGES, survey=survey, goal="purchase")
    remote = experience_map(
        dd.from_pandas(events, npartitions=4, sort=False), stages=STAGES, survey=survey, goal="purchase"
    )
    times = ["median_seconds", "median_seconds_ci_low", "median_seconds_ci_high"]
    pd.testing.assert_frame_equal(local.to_frame().drop(columns=times), remote.to_frame().drop(columns=times))
    np.testing.assert_allclose(
        remote.to_frame()[times], local.to_frame()[times], rtol=MEDIAN_RELATIVE_ERROR + 1e-9, atol=1e-3
    )
    pd.testing.assert_frame_equal(local.comparisons, remote.comparisons)
    pd.testing.assert_frame_equal(local.touchpoints, remote.touchpoints)
    assert (local.n_customers, local.n_answers, local.n_unplaced) == (
        remote.n_customers,
        remote.n_answers,
        remote.n_unplaced,
    )
    with pytest.raises(journey.JourneyError, match="Did you mean 'support'"):
        experience_map(dd.from_pandas(events, npartitions=2), stages={"service": ["suport"]})
