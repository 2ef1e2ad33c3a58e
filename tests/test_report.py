"""`journey report`: a document on bundled or own data, every option, a folder of its own, safe output."""

import html
import math
import re
import warnings

import pandas as pd
import pytest

import journey
from journey.cli import main
from journey.errors import JourneyWarning
from journey.report import document as doc
from journey.report import safe_csv
from journey.report.run import MARKER, read_inputs, run_report

HOSTILE = "<img src=x onerror=alert(1)>"
#: The bundled sample's stages, as a CX team would name them (the sample report is made with them).
SAMPLE_STAGES = {
    "discover": ["ad_click", "search", "email_click", "home"],
    "consider": ["category", "product"],
    "buy": ["cart", "checkout", "payment", "purchase"],
    "service": ["support"],
}


def wilson(k, n, z=1.959963984540054):
    """The Wilson score interval, written out (Wilson 1927), to check the report's sentences by hand."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def visible_text(page):
    """What a reader sees: the body without tags, style and embedded pictures, entities decoded."""
    body = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(body)


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "report"
    run_report(out=out, progress=False, stages=SAMPLE_STAGES)  # the bundled sample, with its stages
    return out, (out / "report.html").read_text(encoding="utf-8")


def test_the_sample_report_writes_its_document_notebook_map_and_tables(sample_report):
    out, _ = sample_report
    written = {
        "report.ipynb",
        "report.html",
        "journey_map.png",
        "nodes.csv",
        "edges.csv",
        "path_variants.csv",
        "drop_off.csv",
        "markov.csv",
        "markov_bootstrap.csv",
        "funnel.csv",
        "retention.csv",
        "churn.csv",
        "nps_by_touchpoint.csv",
        "repeat_rate.csv",
        "experience_map.csv",
        "pain_points.csv",
    }
    assert {p.name for p in out.iterdir()} == written | {MARKER}
    assert set((out / MARKER).read_text(encoding="utf-8").splitlines()[1:]) == written
    ranked = pd.read_csv(out / "drop_off.csv")["touchpoint"].tolist()
    assert ranked[0] == "product" and "payment" in ranked[1:3]  # the planted mobile drop ranks near the top


def test_the_sample_report_is_titled_by_file_name_and_summarised_with_intervals(sample_report):
    _, page = sample_report
    assert "<title>Customer journeys: events.csv.gz</title>" in page
    assert "<h1>Customer journeys: events.csv.gz</h1>" in page
    assert str(journey.datasets.sample_path("events").parent) not in page  # files by name only
    summary = page[page.index('<ul class="findings">') :].split("</ul>", 1)[0]
    low, high = wilson(6282, 20000)  # 6,282 of the 20,000 sample customers buy
    assert f"31.4% of the 20,000 journeys reach purchase (95% CI {low:.1%} to {high:.1%})." in summary
    assert "The biggest drop-off is at product: 33.2% of the 17,514 journeys" in summary
    low, high = wilson(5810, 17514)
    assert f"(95% CI {low:.1%} to {high:.1%})" in summary
    assert "Every conversion passes through checkout and payment." in summary  # the funnel's last steps
    assert "depend most on product: without it 99.5% of them would be lost (95% bootstrap CI" in summary
    assert "The net promoter score is −38.7 points (95% CI −40.2 to −37.3) from 10,027 answers" in summary
    assert "Customers who visited support score 45.7 points lower than the others" in summary
    assert "ordered again within 90 days of an order (95% CI" in summary
    assert summary.count("<li>") == 8 and summary.count("CI") >= 8
    about = page[page.index("<h2>About this report</h2>") :]
    assert "Events: events.csv.gz (customer user_id, time timestamp, touchpoint event)." in about
    assert "a repeat is a next order within 90 days" in about
    assert "Orders: orders.csv.gz (customer customer_id, time timestamp; one row per order)." in about


def test_the_sample_report_has_a_described_picture_for_every_section(sample_report):
    _, page = sample_report
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) >= 8  # map, funnel, drop-off, Markov, retention, NPS, repeat rate, stages
    alts = [re.search(r'alt="([^"]*)"', tag) for tag in images]
    assert all(a and len(a.group(1)) > 30 and "No description" not in a.group(1) for a in alts), alts
    assert any(
        "Bar chart of the exit rate by touchpoint, with 95% intervals: product 33.2%" in a.group(1) for a in alts
    )
    assert page.count("<figcaption>") == len(images)


def test_the_sample_report_fetches_nothing_and_shows_no_code_or_kernel_noise(sample_report):
    _, page = sample_report
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page and "url(http" not in page
    text = visible_text(page)
    for noise in ("journey.read_events(", "Traceback", "WARNING", "Warning:", "site-packages"):
        assert noise not in text, noise


def test_the_sample_report_tables_are_formatted_for_reading(sample_report):
    _, page = sample_report
    text = visible_text(page)
    assert not re.findall(r"\d\.\d{3,}", text)  # no raw floats: at most one or two decimals
    assert "ad_click → product" in text and "('ad_click'" not in text  # paths with arrows
    assert "00:00:00" not in text and "2025-01-01" not in text.replace("2025-01-06", "")  # periods as months
    assert re.search(r"<td>2025-01</td>", page)
    assert "33.2% (32.5–33.9%)" in text  # a rate and its interval in one cell
    assert "−80.0 (−82.4 to −77.2)" in text and "−45.7 (−48.8 to −42.2)" in text  # NPS and a difference
    tables = re.findall(r"<table.*?</table>", page, flags=re.S)
    assert len(tables) >= 7 and all('class="journey-table"' in t for t in tables)
    assert all("<th></th>" not in t and not re.search(r"<th>\s*0\s*</th>", t) for t in tables)  # no index


def test_a_report_names_every_column_of_every_file_with_its_own_option(tmp_path, capsys):
    sample = journey.datasets.load_sample()
    events = sample.events.rename(columns={"user_id": "customer", "timestamp": "ts", "event": "action"})
    events["ts"] = pd.to_datetime(events["ts"]).dt.tz_convert("Europe/Paris").dt.tz_localize(None)
    events.to_csv(tmp_path / "mine.csv", index=False, sep=";", encoding="latin-1")
    sample.survey.rename(columns={"user_id": "respondent", "timestamp": "answered", "nps": "score10"}).to_csv(
        tmp_path / "answers.csv", index=False
    )
    orders = sample.orders.rename(columns={"customer_id": "client", "timestamp": "ordered_at", "order_id": "no"})
    orders.to_csv(tmp_path / "shop.csv", index=False)
    code = main(
        [
            "report",
            str(tmp_path / "mine.csv"),
            "--user",
            "customer",
            "--time",
            "ts",
            "--event",
            "action",
            "--tz",
            "Europe/Paris",
            "--encoding",
            "latin-1",
            "--sep",
            ";",
            "--goal",
            "checkout",
            "--funnel",
            "product, cart, checkout",
            "--unit",
            "session",
            "--gap",
            "1h",
            "--min-share",
            "0.2",
            "--survey",
            str(tmp_path / "answers.csv"),
            "--survey-user",
            "respondent",
            "--survey-time",
            "answered",
            "--score",
            "score10",
            "--orders",
            str(tmp_path / "shop.csv"),
            "--orders-user",
            "client",
            "--orders-time",
            "ordered_at",
            "--order-id",
            "no",
            "--repeat-within",
            "30D",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "warning" not in capsys.readouterr().err  # the files share their customers
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<h1>Customer journeys: mine.csv</h1>" in page and "answers.csv, shop.csv" in page
    assert "sessions reach checkout (95% CI" in page  # --unit session: sessions are the journeys
    assert "The funnel product → cart → checkout: steps as given (--funnel)" in page
    assert "ordered again within 30 days of an order" in page
    assert "The net promoter score is −38.7 points" in page  # the same answers, under other names
    repeat = pd.read_csv(tmp_path / "out" / "repeat_rate.csv")
    assert (
        repeat["customers"].iloc[0] == 5509 < 6282
    )  # of the 6,282 buyers, those whose 30 days have not ended are left out


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
    sample = str(journey.datasets.sample_path("events"))
    assert main(["report", sample, "--goal", "purchse", "--out", str(tmp_path / "o2")]) == 2
    assert "Did you mean 'purchase'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--orders", "{sample_orders}"], "--orders given without an event log: name the events file too"),
        (["--survey", "{sample_survey}", "--orders", "{sample_orders}"], "--survey and --orders given without"),
        (["{events}", "--repeat-within", "soon"], "--repeat-within soon: not a positive duration"),
        (["{events}", "--gap", "0min"], "--gap 0min: not a positive duration"),
        (["{events}", "--min-share", "2"], "--min-share 2.0: give a share between 0 and 1"),
        (["{events}", "--funnel", "home,nowhere"], "'nowhere'"),
        (["{events}", "--survey", "{events}"], "the survey file events.csv: column 'nps'"),
        (["{events}", "--survey", "{sample_survey}", "--survey-user", "who"], "Name it with --survey-user"),
        (["{events}", "--orders", "{events}", "--orders-time", "when"], "Name it with --orders-time"),
        (["{events}", "--orders", "{sample_orders}", "--order-id", "nr"], "the orders file orders.csv.gz: column"),
    ],
)
def test_bad_options_and_misnamed_columns_stop_in_one_line_naming_the_option(tmp_path, capsys, arguments, message):
    events = tmp_path / "events.csv"
    events.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\na,2025-01-01T10:05Z,buy\n")
    names = {
        "events": str(events),
        "sample_orders": str(journey.datasets.sample_path("orders")),
        "sample_survey": str(journey.datasets.sample_path("survey")),
    }
    argv = ["report", *(a.format(**names) for a in arguments), "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("journey: error: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_a_survey_or_orders_of_other_customers_is_warned_about(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\nb,2025-01-01T10:05Z,buy\n")
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,timestamp\na,2025-01-01\nx,2025-01-02\ny,2025-01-03\n")
    survey = tmp_path / "survey.csv"
    survey.write_text("user_id,nps\na,9\nb,3\n")
    settings = {
        "events": str(events),
        "survey": str(survey),
        "orders": str(orders),
        "goal": "buy",
        "funnel": None,
        "user": "user_id",
        "time": "timestamp",
        "event": "event",
        "tz": "UTC",
        "time_unit": None,
        "time_format": None,
        "encoding": "utf-8",
        "sep": None,
        "on_invalid": "raise",
        "unit": "user",
        "gap": "30min",
        "min_share": 0.1,
        "survey_user": "user_id",
        "survey_time": None,
        "score": "nps",
        "orders_user": "user_id",
        "orders_time": "timestamp",
        "order_id": None,
        "repeat_within": "90D",
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inputs = read_inputs(settings, warn=True)
    messages = [str(w.message) for w in caught if issubclass(w.category, JourneyWarning)]
    assert messages == [
        "only 1 of the 3 customers with orders in orders.csv (33%) are in the event log: check orders_user=... "
        "and that both files cover the same customers"
    ]  # both survey respondents are in the log: no warning for the survey
    assert inputs.names == {"events": "events.csv", "survey": "survey.csv", "orders": "orders.csv"}
    assert inputs.orders["user"].tolist() == ["a", "x", "y"]
    assert inputs.settings["orders_user"] == "customer_id"  # the column that stood in for user_id


def test_the_command_line_prints_the_warning_in_one_line(tmp_path, capsys):
    events = tmp_path / "events.csv"
    events.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\n")
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,timestamp\nx,2025-01-02\n")
    (tmp_path / "out").write_text("a file, not a folder")  # the run stops after the inputs are read
    assert main(["report", str(events), "--orders", str(orders), "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("journey: warning: only 0 of the 1 customers with orders in orders.csv (0%)")
    assert "check --orders-user" in lines[0]
    assert lines[1].startswith("journey: error: --out ") and "is a file, not a folder" in lines[1]


def test_a_folder_the_report_did_not_write_is_refused(tmp_path, capsys):
    events = tmp_path / "events.csv"
    events.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\n")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    assert main(["report", str(events), "--out", str(mine)]) == 2
    err = capsys.readouterr().err
    assert "the folder holds files journey report did not write (thesis.docx); choose a new or empty folder" in err
    assert [p.name for p in mine.iterdir()] == ["thesis.docx"]


def test_a_second_run_replaces_the_first_runs_files_and_keeps_others(tmp_path, capsys):
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,timestamp,event\na,2025-01-01T10:00Z,home\na,2025-01-01T10:05Z,buy\nb,2025-01-02T10:00Z,home\n"
    )
    out = tmp_path / "out"
    assert main(["report", str(events), "--goal", "buy", "--out", str(out)]) == 0
    assert (out / "drop_off.csv").exists() and (out / "markov.csv").exists()
    (out / "notes.txt").write_text("my own notes, added later")
    assert main(["report", str(events), "--out", str(out)]) == 0  # no goal this time: no drop-off table
    names = {p.name for p in out.iterdir()}
    assert "drop_off.csv" not in names and "markov.csv" not in names and "notes.txt" in names
    assert "notes.txt" not in (out / MARKER).read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "No goal was given (--goal)" in page


def test_dropped_rows_are_warned_about_on_the_command_line_and_noted_in_the_report(tmp_path, capsys):
    path = tmp_path / "epoch.csv"
    path.write_text(
        "user_id,timestamp,event\na,1735725600,home\na,1735725900,buy\n,1735726000,home\nb,1735812000,home\n"
    )
    out = tmp_path / "out"
    assert main(["report", str(path), "--time-unit", "s", "--drop-invalid", "--goal", "buy", "--out", str(out)]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if line.startswith("journey: warning: ")]
    assert len(warned) == 1 and "dropped 1 of 4 rows" in warned[0], warned
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Note: dropped 1 of 4 rows of epoch.csv: missing values in 'user_id' (1)." in visible_text(page)
    assert "Note: the Markov bootstrap intervals: 1 of 1 touchpoints have fewer than 20 journeys" in visible_text(page)
    assert str(tmp_path) not in page and "from 2025-01-01 to 2025-01-02" in page  # epoch seconds read as times
    assert "50.0% of the 2 journeys reach buy" in page  # the row without a customer is gone


def test_a_log_whose_every_event_is_the_goal_is_reported_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "all_goal.csv"
    path.write_text(
        "user_id,timestamp,event\na,2025-01-01T10:00Z,buy\na,2025-01-01T10:05Z,buy\nb,2025-01-02T10:00Z,buy\n"
    )
    assert main(["report", str(path), "--goal", "buy", "--out", str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "100.0% of the 2 journeys reach buy" in page
    assert page.count(doc.NO_TOUCHPOINTS) >= 3  # summary, drop-offs and the Markov model say it
    assert "Traceback" not in page


def test_a_log_whose_goal_starts_every_journey(tmp_path):
    path = tmp_path / "goal_first.csv"
    path.write_text(
        "user_id,timestamp,event\na,2025-01-01T10:00Z,buy\na,2025-01-01T10:05Z,home\nb,2025-01-02T10:00Z,buy\n"
    )
    assert main(["report", str(path), "--goal", "buy", "--out", str(tmp_path / "out")]) == 0
    assert doc.NO_TOUCHPOINTS in (tmp_path / "out" / "report.html").read_text("utf-8")


def test_tables_show_headings_in_words_no_index_and_intervals_in_one_cell():
    frame = pd.DataFrame(
        {
            "sequence": [("home", "cart"), ("home",)],
            "nps": [-38.25, 12.0],
            "lo": [-40.01, 8.0],
            "hi": [-36.4, 16.0],
            "d": [-4.5, 3.25],
            "month": pd.to_datetime(["2025-01-01", "2025-02-01"], utc=True),
        }
    )
    shown = doc.table_html(
        frame,
        [
            ("Path", "sequence", "text"),
            ("NPS (95% CI)", ("nps", "lo", "hi"), "points"),
            ("Difference", "d", "signed"),
            ("Cohort", "month", "month"),
        ],
        rows=1,
    )
    assert "<th>Path</th><th>NPS (95% CI)</th><th>Difference</th><th>Cohort</th>" in shown
    assert '<td>home → cart</td><td class="number">−38.2 (−40.0 to −36.4)</td><td class="number">−4.5</td>' in shown
    assert "<td>2025-01</td>" in shown and "cart</td>" in shown and "8.0" not in shown  # one row shown
    assert "… and 1 more rows in the CSV file." in shown


def test_findings_name_what_every_conversion_passes_through_and_skip_the_goal():
    boot = pd.DataFrame(
        {
            "touchpoint": ["checkout", "payment", "product"],
            "removal_effect": [1.0, 1.0, 0.993],
            "removal_ci_low": [1.0, 1.0, 0.992],
            "removal_ci_high": [1.0, 1.0, 0.994],
        }
    )
    assert doc.removal_finding(boot) == (
        "Every conversion passes through checkout and payment. Beyond them, conversions depend most on product: "
        "without it 99.3% of them would be lost (95% bootstrap CI 99.2% to 99.4%) (Markov removal effects)."
    )
    nps = pd.DataFrame(
        {
            "touchpoint": ["purchase", "support", "home"],
            "n": [1329, 678, 2601],
            "difference": [58.4, -46.7, 2.5],
            "difference_ci_low": [53.8, -50.4, -1.1],
            "difference_ci_high": [62.9, -42.4, 6.1],
            "significant": [True, True, False],
        }
    )
    assert doc.nps_touchpoint_finding(nps, goal="purchase").startswith("Customers who visited support score 46.7")
    assert doc.nps_touchpoint_finding(nps.iloc[[0, 2]], goal="purchase") == ""


def test_the_default_funnel_runs_from_the_commonest_converting_paths_busiest_step():
    variants = pd.DataFrame(
        {"sequence": [("ad", "home"), ("ad", "product", "cart", "buy"), ("home", "buy")], "conversions": [0, 9, 4]}
    )
    visits = pd.Series({"ad": 50, "home": 70, "product": 60, "cart": 30})
    assert doc.funnel_steps(variants, visits, "buy") == ["product", "cart", "buy"]
    assert doc.funnel_steps(variants.iloc[[0]], visits, "buy") == []  # nothing converts
    assert doc.funnel_steps(pd.DataFrame({"sequence": [("buy",)], "conversions": [2]}), visits, "buy") == []


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


# -- the journey in stages (--stages) ---------------------------------------------------------------------------


def test_stages_are_read_from_json_or_yaml_in_their_order(tmp_path):
    from journey.report.run import read_stages

    (tmp_path / "s.json").write_text('{"look": "home", "buy": ["cart", "buy"]}')
    (tmp_path / "s.yaml").write_text("look: home\nbuy: [cart, buy]\n")
    expected = {"look": ["home"], "buy": ["cart", "buy"]}
    assert read_stages(tmp_path / "s.json") == read_stages(tmp_path / "s.yaml")
    assert list(read_stages(tmp_path / "s.json").items()) == list(expected.items())
    assert read_stages({"look": ("home",)}) == {"look": ["home"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"look": ["home"],\n "buy": [cart]}', "--stages s.json: not readable JSON at line 2"),
        ('["home", "cart"]', "--stages s.json: the stages are one mapping of stage names"),
        ('{"look": ["home"], "buy": ["home"]}', "touchpoint 'home' is in two stages, 'look' and 'buy'"),
        ('{"look": []}', "stage 'look' has no touchpoints"),
        ('{"look": ["home"], "buy": ["bye"]}', "'bye'"),
    ],
)
def test_bad_stages_stop_in_one_line_naming_the_option(tmp_path, capsys, content, message):
    events = tmp_path / "events.csv"
    events.write_text("user_id,timestamp,event\na,2025-01-01T10:00Z,home\na,2025-01-01T10:05Z,buy\n")
    (tmp_path / "s.json").write_text(content)
    assert main(["report", str(events), "--stages", str(tmp_path / "s.json"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("journey: error: ") and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()
    assert main(["report", str(events), "--stages", str(tmp_path / "none.json"), "--out", str(tmp_path / "o")]) == 2
    assert "--stages none.json: file does not exist" in capsys.readouterr().err


def test_the_report_with_stages_shows_the_journey_map_in_stages(sample_report):
    out, page = sample_report
    sample = {t: str(journey.datasets.sample_path(t)) for t in ("events", "survey")}
    # The section and the summary hold what experience_map computes on the same files, in words.
    log = journey.read_events(sample["events"])
    survey = journey.read_survey(sample["survey"], score="nps")
    expected = journey.experience_map(log, stages=SAMPLE_STAGES, survey=survey, goal="purchase")
    sentence = doc.stages_finding(expected.to_frame(), expected.pain_points)
    assert sentence.startswith("In stages, the fewest go on after ")
    assert visible_text(page).count(html.unescape(sentence)) == 2  # in the summary and in its section
    table = pd.read_csv(out / "experience_map.csv")
    assert table["stage"].tolist() == list(SAMPLE_STAGES)
    assert table["reach"].tolist() == pytest.approx(expected.to_frame()["reach"].tolist())
    # reach is a count of customers: every customer has a discover touchpoint, the support visitors by hand
    visitors = log.frame.groupby("user", observed=True)["event"].apply(lambda e: "support" in set(e))
    assert table["reach"].iloc[0] == 1.0 and table["reach"].iloc[3] == pytest.approx(visitors.mean())
    assert pd.read_csv(out / "pain_points.csv")["touchpoint"].tolist() == expected.pain_points["touchpoint"].tolist()
    alts = re.findall(r'<img\b[^>]*\balt="(Customer journey map in 4 stages[^"]*)"', page)
    assert len(alts) == 1 and "service 18.3%" in alts[0], alts
    assert "Difference in points (95% CI)" in page and "Go on (95% CI)" in page
