"""`journey report`: the standard analysis on bundled or own data, and safe output."""

import re

import pandas as pd

import journey
from journey.cli import main
from journey.report import safe_csv

HOSTILE = "<img src=x onerror=alert(1)>"


def test_report_on_the_bundled_data(tmp_path):
    from journey.report import run_report

    out = run_report(out=tmp_path, progress=False)
    for name in (
        "report.ipynb",
        "report.html",
        "journey_map.png",
        "nodes.csv",
        "edges.csv",
        "path_variants.csv",
        "drop_off.csv",
        "markov.csv",
        "churn.csv",
        "nps_by_touchpoint.csv",
        "repeat_rate.csv",
    ):
        assert (out / name).exists(), name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64") >= 2 and "expected_lost_conversions" in page
    assert "journey.read_events(" not in page  # code hidden
    assert pd.read_csv(out / "drop_off.csv")["touchpoint"].iloc[1] == "payment"


def test_report_on_a_log_with_other_column_names_and_goal(tmp_path):
    sample = journey.datasets.load_sample().events.rename(
        columns={"user_id": "customer", "timestamp": "ts", "event": "action"}
    )
    path = tmp_path / "mine.csv"
    sample.to_csv(path, index=False)
    code = main(
        [
            "report",
            str(path),
            "--user",
            "customer",
            "--time",
            "ts",
            "--event",
            "action",
            "--goal",
            "checkout",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64" in page and "<table" in page
    assert "goal 'checkout': 33.1% converted (95% CI" in page  # the graph summary for this goal
    assert pd.read_csv(tmp_path / "out" / "drop_off.csv")["touchpoint"].notna().all()


def test_hostile_names_are_escaped_in_html_and_neutralised_in_csv(tmp_path):
    events = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "c", "c", "d"],
            "event": [HOSTILE, '=HYPERLINK("http://x")', HOSTILE, "buy", "@SUM(1)", "\r=2+2", "x\r=3+3"],
            "timestamp": pd.date_range("2025-01-01", periods=7, freq="h", tz="UTC"),
        }
    )
    path = tmp_path / "hostile.csv"
    events.to_csv(path, index=False)
    assert main(["report", str(path), "--goal", "buy", "--out", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    for table in ("nodes.csv", "edges.csv", "path_variants.csv", "drop_off.csv", "markov.csv"):
        text = (tmp_path / "out" / table).read_bytes().decode("utf-8")
        for line in re.split("[\r\n]", text):  # as a reader that splits at carriage returns sees it
            for cell in line.split(","):
                assert not cell.lstrip('"').startswith(("=", "@", "+")), (table, cell)
    assert {"'\r'=2+2", "x\r'=3+3"} <= set(pd.read_csv(tmp_path / "out" / "nodes.csv")["touchpoint"])
    assert "'=HYPERLINK" in (tmp_path / "out" / "nodes.csv").read_text(encoding="utf-8")


def test_bad_input_stops_before_any_notebook_runs(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("user_id,timestamp,event\na,yesterday,home\n")
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("journey: error: column 'timestamp'") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
    assert (
        main(
            ["report", str(journey.datasets.sample_path("events")), "--goal", "purchse", "--out", str(tmp_path / "o2")]
        )
        == 2
    )
    assert "Did you mean 'purchase'" in capsys.readouterr().err


def test_safe_csv_leaves_numbers_and_ordinary_text_alone(tmp_path):
    path = safe_csv(pd.DataFrame({"a": ["-x", "+1", "ok", "\tTAB"], "n": [-1.5, 2, 3, 4]}), tmp_path / "t.csv")
    back = pd.read_csv(path)
    assert back["a"].tolist() == ["'-x", "'+1", "ok", "'\tTAB"] and back["n"].tolist() == [-1.5, 2, 3, 4]


def test_safe_csv_neutralises_every_line_of_a_cell_headers_index_and_categories(tmp_path):
    frame = pd.DataFrame(
        {"=name": pd.Categorical(["=1+1", "ok"]), "path": ["a\n@SUM(1)", "b\r\n-2"]},
        index=pd.Index(["+x", "y"], name="@where"),
    )
    text = safe_csv(frame, tmp_path / "t.csv").read_bytes().decode("utf-8")
    assert not any(line.lstrip('"').startswith(("=", "+", "-", "@")) for line in re.split("[\r\n]", text))
    back = pd.read_csv(tmp_path / "t.csv", index_col=0)
    assert (
        back.index.name == "'@where"
        and back.index.tolist() == ["'+x", "y"]
        and list(back.columns) == ["'=name", "path"]
    )
    assert back["'=name"].tolist() == ["'=1+1", "ok"] and back["path"].tolist() == ["a\n'@SUM(1)", "b\r\n'-2"]


def test_safe_csv_writes_a_lone_surrogate_as_the_replacement_character(tmp_path):
    path = safe_csv(pd.DataFrame({"name": pd.Series(["x\ud800", "ok"], dtype=object)}), tmp_path / "t.csv")
    assert pd.read_csv(path)["name"].tolist() == ["x\ufffd", "ok"]


def test_report_on_a_log_whose_goal_starts_every_journey(tmp_path):
    path = tmp_path / "goal_first.csv"
    path.write_text(
        "user_id,timestamp,event\na,2025-01-01T10:00Z,buy\na,2025-01-01T10:05Z,home\nb,2025-01-02T10:00Z,buy\n"
    )
    assert main(["report", str(path), "--goal", "buy", "--out", str(tmp_path / "out")]) == 0
    assert "every journey reaches the goal at its first event" in (tmp_path / "out" / "report.html").read_text("utf-8")
