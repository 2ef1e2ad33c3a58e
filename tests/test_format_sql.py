"""Event logs from SQL databases: SQLite always, DuckDB when duckdb-engine is installed, and a real
PostgreSQL server the tests start themselves (in CI a server that cannot start is a failure, not a skip)."""

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import journey
from journey.errors import EmptyLogError, JourneyError, SourceError
from journey.io.formats import sql
from journey.io.formats.read_report import report_of

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

if IN_CI and importlib.util.find_spec("sqlalchemy") is None:  # CI installs the sql extra: its absence is a failure
    pytest.fail("the SQL reader's tests need SQLAlchemy in CI: install journey[sql]", pytrace=False)
sa = pytest.importorskip("sqlalchemy", reason="the SQL reader needs the sql extra (SQLAlchemy 2)")

# Twelve events of four users, with the tie and the offsets the tidy reader must handle.
TIDY = pd.DataFrame(
    {
        "user_id": ["u1", "u1", "u1", "u2", "u2", "u3", "u3", "u3", "u4", "u4", "u1", "u2"],
        "timestamp": pd.to_datetime(
            [
                "2025-02-01T09:00:00Z",
                "2025-02-01T09:05:00Z",
                "2025-02-01T09:05:00Z",
                "2025-02-01T10:00:00Z",
                "2025-02-01T10:10:00.123456Z",
                "2025-02-02T08:00:00Z",
                "2025-02-02T08:01:00Z",
                "2025-02-02T08:30:00Z",
                "2025-02-03T12:00:00Z",
                "2025-02-03T12:00:01Z",
                "2025-02-04T09:00:00Z",
                "2025-02-04T09:30:00Z",
            ],
            format="ISO8601",
            utc=True,
        ),
        "event": [
            "home",
            "search",
            "product",
            "home",
            "product",
            "home",
            "search",
            "cart",
            "home",
            "cart",
            "purchase",
            "purchase",
        ],
        "amount": [None, None, 19.5, None, 5.0, None, None, 7.25, None, 3.0, 19.5, 5.0],
    }
)


def edges(log):
    return journey.to_frames(journey.journey_graph(log))[1]


def load(engine, frame=TIDY, name="events"):
    """The events as a table with a real timestamp type (timestamptz where the database has one)."""
    with engine.begin() as connection:
        connection.exec_driver_sql(f"drop table if exists {name}")
        stamp = "timestamptz" if engine.dialect.name in ("postgresql", "duckdb") else "text"
        connection.exec_driver_sql(
            f"create table {name} (user_id text, timestamp {stamp}, event text, amount numeric(10, 2))"
        )
        rows = [
            {
                "user_id": r.user_id,
                "timestamp": r.timestamp.isoformat() if stamp == "text" else r.timestamp,
                "event": r.event,
                "amount": None if pd.isna(r.amount) else r.amount,
            }
            for r in frame.itertuples()
        ]
        connection.execute(sa.text(f"insert into {name} values (:user_id, :timestamp, :event, :amount)"), rows)


# --- the databases ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    engine = sa.create_engine(url)
    load(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def duckdb_url(tmp_path_factory):
    pytest.importorskip("duckdb_engine", reason="DuckDB is tested when duckdb-engine is installed")
    url = f"duckdb:///{tmp_path_factory.mktemp('duck') / 'events.duckdb'}"
    engine = sa.create_engine(url)
    load(engine)
    engine.dispose()
    return url


def _unavailable(reason):
    """Skip where PostgreSQL is not installed; in CI, where .ci/postgres.sh installs it, fail loudly."""
    if IN_CI:
        pytest.fail(f"the PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _postgres_binaries():
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    return next((d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()), None)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A PostgreSQL server of our own: a fresh cluster in a temporary folder, on a free loopback port."""
    if importlib.util.find_spec("psycopg") is None:
        _unavailable("the psycopg driver is not installed (pip install 'psycopg[binary]')")
    binaries = _postgres_binaries()
    if binaries is None:
        _unavailable("PostgreSQL's initdb and pg_ctl are not installed (.ci/postgres.sh installs them)")
    root = Path(tempfile.mkdtemp(prefix="journey-pg-"))
    as_user = {}
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the package's own user
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            _unavailable("running as root and there is no 'postgres' user to run the server as")
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid}
    data, port = root / "data", _free_port()
    pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data)]

    def run(command):
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, **as_user)
        if done.returncode != 0:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            return f"{' '.join(command[:1])} failed: {done.stderr.strip() or done.stdout.strip()} {log[-2000:]}"
        return None

    failure = run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]
    )
    failure = failure or run(
        pg_ctl
        + [
            "-l",
            str(root / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c full_page_writes=off",
            "start",
        ]
    )
    if failure:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"the PostgreSQL server did not start: {failure}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    try:
        engine = sa.create_engine(url)
        load(engine)
        engine.dispose()
        yield url
    finally:
        run(pg_ctl + ["-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "duckdb", "postgresql"])
def database_url(request):
    return request.getfixturevalue(
        {"sqlite": "sqlite_url", "duckdb": "duckdb_url", "postgresql": "postgres_url"}[request.param]
    )


# --- every database: the tidy table's journeys ------------------------------------------------------


def test_a_table_gives_the_journeys_of_the_same_events_as_a_dataframe(database_url):
    log = journey.read_events(database_url, table="events")
    pd.testing.assert_frame_equal(edges(log), edges(journey.read_events(TIDY)))
    assert log.frame["time"].tolist() == journey.read_events(TIDY).frame["time"].tolist()  # microseconds exact
    assert str(log.frame["time"].dt.tz) == "UTC"


def test_a_query_is_read_in_chunks_with_progress_and_validated_on_the_columns_it_returns(database_url):
    seen = []
    log = journey.read_events(
        database_url,
        query="select user_id as customer, timestamp as at, event, amount from events where event <> 'home'",
        user="customer",
        time="at",
        chunksize=3,
        progress=seen.append,
    )
    assert seen == [3, 6, 8] and log.n_events == 8
    assert log.input_names["user"] == "customer"
    assert sorted(log.frame["amount"].dropna().astype(float).tolist()) == [3.0, 5.0, 5.0, 7.25, 19.5, 19.5]


def test_the_reader_reports_the_query_it_sent_and_hides_passwords(database_url):
    frame = sql.read(database_url, table="events", chunksize=5)
    report = report_of(frame)
    assert (report.rows, report.details["chunks"]) == (12, 3)
    assert "events" in report.details["query"] and report.source.split("://")[0] == database_url.split("://")[0]


def test_a_failing_query_is_a_source_error_quoting_the_query(database_url):
    with pytest.raises(SourceError, match=r"the query failed: 'select missing from nowhere' \(.*nowhere"):
        journey.read_events(database_url, query="select missing from nowhere")


def test_an_unknown_table_lists_the_tables(database_url):
    with pytest.raises(
        SourceError,
        match=r"table='event' is not a table of the database; tables: 'events'\. "
        r"Did you mean 'events'\?",
    ):
        journey.read_events(database_url, table="event")


def test_an_empty_result_is_an_empty_log_naming_the_columns(database_url):
    with pytest.raises(EmptyLogError, match=r"holds no rows \(columns: 'user_id', 'timestamp', 'event', 'amount'\)"):
        journey.read_events(database_url, query="select * from events where event = 'never'")


# --- engines, connections, options --------------------------------------------------------------------


def test_an_engine_or_an_open_connection_is_accepted_and_a_connection_stays_open(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    assert journey.read_events(engine, table="events").n_events == 12
    with engine.connect() as connection:
        with pytest.raises(SourceError):
            journey.read_events(connection, query="select * from nowhere")
        assert journey.read_events(connection, table="events").n_events == 12  # still usable after a failure
        assert not connection.closed
    engine.dispose()


def test_query_and_table_are_one_or_the_other(sqlite_url):
    with pytest.raises(JourneyError, match=r"query=\.\.\. \(SQL\) or table=\.\.\. \(a table\), one of them"):
        journey.read_events(sqlite_url, query="select 1", table="events")
    with pytest.raises(JourneyError, match="chunksize=0"):
        journey.read_events(sqlite_url, table="events", chunksize=0)
    with pytest.raises(JourneyError, match=r"object_type=\.\.\. is not an option of format 'sql'"):
        journey.read_events(sqlite_url, table="events", object_type="order")


def test_a_source_that_is_not_a_database_is_refused(tmp_path):
    with pytest.raises(SourceError, match="not a database URL"):
        journey.read_events("not a url", query="select 1")
    with pytest.raises(SourceError, match="must be a database URL or an SQLAlchemy Engine or Connection"):
        journey.read_events(TIDY, query="select 1")


def test_lenient_mode_drops_invalid_rows_of_the_result(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("insert into events values (NULL, '2025-02-05T10:00:00Z', 'home', NULL)")
        connection.exec_driver_sql("insert into events values ('u9', 'yesterday', 'home', NULL)")
    engine.dispose()
    with pytest.raises(JourneyError, match=r"column 'user_id': missing values in 1 row: row 12"):
        journey.read_events(sqlite_url, table="events")
    with pytest.warns(journey.JourneyWarning, match="dropped 2 of 14 rows"):
        log = journey.read_events(sqlite_url, table="events", on_invalid="drop")
    assert log.dropped[["row", "column"]].values.tolist() == [[12, "user_id"], [13, "timestamp"]]
    assert "line" not in log.dropped.columns


def test_a_long_read_shows_its_progress_on_standard_error(sqlite_url, capsys):
    journey.read_events(sqlite_url, table="events", chunksize=5, progress=True)
    assert capsys.readouterr().err.rstrip().endswith("journey: read 12 rows from " + sqlite_url + " (0.0 s)")
    journey.read_events(sqlite_url, table="events", chunksize=5)  # a quick read stays quiet
    assert capsys.readouterr().err == ""


# --- PostgreSQL's own SQL ------------------------------------------------------------------------------


def test_postgres_sql_is_sent_as_written_and_naive_timestamps_read_in_tz(postgres_url):
    query = (
        "select user_id, (timestamp at time zone 'Europe/Paris')::timestamp as local_time, event, "
        "'100%' as share from events"
    )
    log = journey.read_events(postgres_url, query=query, time="local_time", tz="Europe/Paris", chunksize=4)
    assert log.frame["time"].tolist() == journey.read_events(TIDY).frame["time"].tolist()
    assert set(log.frame["share"]) == {"100%"}


def test_postgres_errors_are_the_servers_own_words(postgres_url):
    with pytest.raises(
        SourceError,
        match=r"postgresql\+psycopg://postgres@127\.0\.0\.1:\d+/postgres: the query "
        r"failed: 'select missing from events' \(column \"missing\" does not exist",
    ):
        journey.read_events(postgres_url, query="select missing from events")
