"""Survey answers: reading them with clear errors, and linking them to journeys."""

import warnings

import numpy as np
import pandas as pd
import pytest
from test_markov import log_from_paths

import journey
from journey.errors import InvalidValuesError, JourneyError, MissingColumnError
from journey.io.survey import survey_problems
from journey.stats.net_promoter import NPSTable, nps_interval


def test_read_survey_keeps_missing_answers_as_missing_and_other_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "user_id,when,nps,plan\na,2025-01-01T10:00Z,9,pro\nb,2025-01-02T10:00Z,,free\nc,2025-01-03T10:00Z,0,pro\n"
    )
    s = journey.read_survey(path, score="nps", time="when")
    assert s["score"].tolist()[0] == 9 and pd.isna(s["score"].iloc[1]) and s["plan"].tolist() == ["pro", "free", "pro"]
    assert str(s["time"].dt.tz) == "UTC" and list(s.columns) == ["user", "score", "time", "plan"]


def test_the_default_time_column_is_used_when_present_and_optional_when_absent():
    with_time = pd.DataFrame(
        {"user_id": ["a", "b"], "score": [9, 3], "timestamp": ["2025-01-02T00:00Z", "2025-01-01T00:00Z"]}
    )
    read = journey.read_survey(with_time)
    assert list(read.columns) == ["user", "score", "time"] and read["time"].iloc[1] == pd.Timestamp(
        "2025-01-01", tz="UTC"
    )
    assert list(journey.read_survey(with_time.drop(columns="timestamp")).columns) == ["user", "score"]
    assert list(journey.read_survey(with_time, time=None).columns) == ["user", "score", "timestamp"]
    with pytest.raises(MissingColumnError, match=r"'answered_at' \(the time column\)"):
        journey.read_survey(with_time, time="answered_at")


def test_read_survey_errors_name_the_column_and_rows():
    with pytest.raises(MissingColumnError, match="'nps'"):
        journey.read_survey(pd.DataFrame({"user_id": ["a"], "score": [9]}), score="nps")
    with pytest.raises(InvalidValuesError, match=r"'score'.*row 1 \(11\).*on_invalid='drop'.*survey_problems"):
        journey.read_survey(pd.DataFrame({"user_id": ["a", "b"], "score": [9, 11]}))
    with pytest.raises(InvalidValuesError, match="'user_id'.*missing"):
        journey.read_survey(pd.DataFrame({"user_id": ["a", None], "score": [9, 8]}))
    with pytest.raises(InvalidValuesError, match="'timestamp'.*ISO-8601"):
        journey.read_survey(pd.DataFrame({"user_id": ["a"], "score": [9], "timestamp": ["yesterday"]}))


def test_a_column_named_like_a_stored_one_is_refused_not_overwritten():
    with pytest.raises(JourneyError, match="column 'user' is in the input but is not the user column"):
        journey.read_survey(pd.DataFrame({"user_id": ["a"], "user": ["Ann"], "score": [9]}))


def test_read_survey_lenient_mode_drops_quotes_and_lists_without_attrs():
    answers = pd.DataFrame({"user_id": ["a", "b", "c", None], "score": [9, "ten", 3, 5]})
    with pytest.warns(
        journey.JourneyWarning, match=r"dropped 2 of 4 rows.*'user_id': row 3 \(missing\).*'score': row 1 \('ten'\)"
    ):
        s = journey.read_survey(answers, on_invalid="drop")
    assert s["user"].tolist() == ["a", "c"] and s.index.tolist() == [0, 1] and s.attrs == {}
    problems = survey_problems(answers)
    assert problems["row"].tolist() == [1, 3] and problems["column"].tolist() == ["score", "user_id"]
    assert list(problems.columns) == ["row", "column", "reason", "value"]
    assert survey_problems(answers.iloc[[0, 2]]).empty


def test_a_survey_with_no_valid_row_is_an_error_even_when_dropping():
    with pytest.raises(journey.errors.EmptyLogError, match="every one of the 1 rows is invalid"):
        journey.read_survey(pd.DataFrame({"user_id": ["a"], "score": [12]}), on_invalid="drop")


def test_read_survey_reads_a_semicolon_file_with_day_first_times(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("user_id;timestamp;score\na;13/02/2025 10:00;9\nb;01/02/2025 09:30;\n")
    s = journey.read_survey(path, sep=";", time_format="%d/%m/%Y %H:%M")
    assert s["time"].tolist() == [
        pd.Timestamp("2025-02-13 10:00", tz="UTC"),
        pd.Timestamp("2025-02-01 09:30", tz="UTC"),
    ]
    assert s["score"].iloc[0] == 9 and pd.isna(s["score"].iloc[1])
    assert survey_problems(path, sep=";", time_format="%d/%m/%Y %H:%M").empty
    assert survey_problems(path, sep=";", time_format="%m/%d/%Y %H:%M")["row"].tolist() == [0]  # no month 13


def test_read_survey_reads_parquet(tmp_path):
    path = tmp_path / "s.parquet"
    pd.DataFrame({"user_id": ["a", "b"], "score": [9, 3]}).to_parquet(path)
    assert journey.read_survey(path)["score"].tolist() == [9, 3]


def survey_for(scores):
    return pd.DataFrame({"user": list(scores), "score": pd.array(list(scores.values()), dtype="Int64")})


def test_nps_by_touchpoint_known_answer():
    log = log_from_paths([["home", "support"], ["home", "support"], ["home"], ["home"], ["home"]])
    survey = survey_for({"u00000": 0, "u00001": 2, "u00002": 10, "u00003": 9, "u00004": 8})
    result = journey.nps_by_touchpoint(log, survey)
    assert isinstance(result, NPSTable) and result.group == "touchpoint"
    t = result.to_frame().set_index("touchpoint")
    support = t.loc["support"]
    assert support["nps"] == -100.0 and support["other_nps"] == pytest.approx(200 / 3)
    assert support["difference"] == pytest.approx(-100 - 200 / 3)
    assert (support["customers"], support["n"], support["other_n"], support["response_rate"]) == (2, 2, 3, 1.0)
    # ci_low/ci_high belong to the touchpoint's own NPS: adjusted Wald on 0 / 0 / 2 answers.
    low, high = nps_interval(0, 0, 2)
    assert (support["ci_low"], support["ci_high"]) == pytest.approx((low[0], high[0]))
    compared = journey.nps_compare(journey.nps([0, 2]), journey.nps([10, 9, 8]))
    assert (support["difference_ci_low"], support["difference_ci_high"]) == pytest.approx(
        compared.confidence_interval()
    )
    assert np.isnan(t.loc["home", "difference"]) and t.loc["home", "nps"] == 0.0  # nobody skipped home
    assert (result.overall.n, result.overall.score) == (5, 0.0)


def test_nps_by_touchpoint_columns_and_order():
    log = log_from_paths([["a", "b"], ["a", "c"], ["a"], ["a", "b", "c"]])
    survey = survey_for({"u00000": 0, "u00001": 10, "u00002": 9, "u00003": 3})
    frame = journey.nps_by_touchpoint(log, survey).to_frame()
    assert list(frame.columns) == [
        "touchpoint",
        "customers",
        "n",
        "response_rate",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "ci_low",
        "ci_high",
        "other_response_rate",
        "other_n",
        "other_nps",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "p_value",
        "p_adjusted",
        "significant",
    ]
    # b: visitors 0 and 3 (-100) vs 10 and 9 (+100), difference -200; c: 10 and 3 (0) vs 0 and 9 (0), difference 0;
    # everyone visited a, which has no difference and comes last.
    assert frame["touchpoint"].tolist() == ["b", "c", "a"] and frame["difference"].tolist()[:2] == [-200.0, 0.0]


def test_the_level_reaches_every_interval_and_is_recomputed_from_counts():
    log = log_from_paths([["home", "support"]] * 6 + [["home"]] * 6)
    survey = survey_for({f"u{i:05d}": s for i, s in enumerate([0, 3, 5, 9, 2, 6, 10, 9, 8, 10, 7, 4])})
    t95, t80 = journey.nps_by_touchpoint(log, survey), journey.nps_by_touchpoint(log, survey, level=0.8)
    f95, f80 = t95.to_frame().set_index("touchpoint"), t80.to_frame().set_index("touchpoint")
    assert t80.level == 0.8
    assert (
        f80.loc["support", "ci_high"] - f80.loc["support", "ci_low"]
        < f95.loc["support", "ci_high"] - f95.loc["support", "ci_low"]
    )
    assert f80.loc["support", "difference_ci_low"] > f95.loc["support", "difference_ci_low"]
    low, high = t95.confidence_interval(0.8)
    assert low == pytest.approx(t80.to_frame()["ci_low"].to_numpy()) and high == pytest.approx(
        t80.to_frame()["ci_high"].to_numpy()
    )


def test_each_customers_latest_answer_counts():
    log = log_from_paths([["a"], ["a", "b"]])
    survey = pd.DataFrame(
        {
            "user": ["u00000", "u00000", "u00001"],
            "score": pd.array([0, 10, 5], dtype="Int64"),
            "time": pd.to_datetime(["2025-01-02", "2025-01-01", "2025-01-01"], utc=True),
        }
    )
    t = journey.nps_by_touchpoint(log, survey).to_frame().set_index("touchpoint")
    assert t.loc["b", "nps"] == -100.0 and t.loc["b", "other_nps"] == -100.0  # u00000's latest answer is the 0


def test_a_raw_survey_is_read_with_the_defaults_and_otherwise_the_error_says_how():
    log = log_from_paths([["a"], ["a", "b"]])
    raw = pd.DataFrame({"user_id": ["u00000", "u00001"], "score": [9, 3]})
    assert journey.nps_by_touchpoint(log, raw).to_frame().set_index("touchpoint").loc["b", "nps"] == -100.0
    with pytest.raises(
        JourneyError, match=r"no 'score' column; read it with journey.read_survey\(\.\.\., score=\.\.\.\)"
    ):
        journey.nps_by_touchpoint(log, raw.rename(columns={"score": "nps"}))


@pytest.mark.filterwarnings("ignore:response rates differ")
def test_respondents_outside_the_log_are_reported_not_dropped_silently():
    survey = survey_for({"u00000": 9, "zz": 3})
    with pytest.warns(journey.JourneyWarning, match="1 survey respondents have no events in the log"):
        journey.nps_by_touchpoint(log_from_paths([["a"], ["a", "b"]]), survey)


def test_uneven_response_rates_raise_a_warning():
    log = log_from_paths([["x"]] * 10 + [["y"]] * 10)
    answers = {f"u{i:05d}": 9 for i in range(8)} | {f"u{i:05d}": 3 for i in range(10, 12)}  # 80% vs 20% answer
    with pytest.warns(journey.JourneyWarning, match=r"response rates differ.*x: 80.0% vs 20.0%"):
        t = journey.nps_by_touchpoint(log, survey_for(answers)).to_frame().set_index("touchpoint")
    assert t.loc["x", "response_rate"] == 0.8 and t.loc["x", "other_response_rate"] == 0.2


def test_the_sample_shows_support_contact_lowers_nps():
    sample = journey.datasets.load_sample()
    log = journey.read_events(sample.events)
    survey = journey.read_survey(sample.survey, score="nps")
    assert "time" in survey.columns  # the sample's timestamp column, found by default
    with warnings.catch_warnings():
        warnings.simplefilter("error", journey.JourneyWarning)  # response rates are even in the sample
        t = journey.nps_by_touchpoint(log, survey).to_frame().set_index("touchpoint")
    support = t.loc["support"]
    assert support["difference_ci_high"] < 0 and support["significant"] and support["ci_high"] < support["other_nps"]
    assert t["difference"].idxmin() == "support"
    detractors = survey.assign(
        support=survey["user"].isin(sample.events.loc[sample.events["event"] == "support", "user_id"])
    )
    share = detractors.dropna(subset=["score"]).assign(d=lambda f: f["score"] <= 6).groupby("support")["d"].mean()
    assert share[True] > share[False] + 0.2


def test_nps_by_outcome_orders_converted_first():
    sample = journey.datasets.load_sample()
    result = journey.nps_by_outcome(
        journey.read_events(sample.events), journey.read_survey(sample.survey, score="nps"), goal="purchase"
    )
    assert isinstance(result, NPSTable) and result.group == "outcome"
    o = result.to_frame()
    assert o["outcome"].tolist()[:2] == ["converted", "not converted"]
    assert o.loc[0, "difference"] > 0 and o.loc[0, "difference_ci_low"] > 0
    assert o.loc[0, "difference"] == pytest.approx(-o.loc[1, "difference"])  # the two halves against each other
    assert o.set_index("outcome").loc["left at support", "nps"] < -80
    assert result.overall.n == o.loc[0, "n"] + o.loc[1, "n"]


# --- hostile inputs (issue 18) ----------------------------------------------------------------------


@pytest.mark.parametrize("columns", [["user_id", "score", "score"], ["user_id", "score", "plan", "plan"]])
def test_a_survey_naming_a_column_twice_is_refused_naming_it(columns):
    answers = pd.DataFrame([["a", 9, 9, 9][: len(columns)]], columns=columns)
    with pytest.raises(JourneyError, match=f"more than once: '{columns[-1]}'"):
        journey.read_survey(answers)


def test_true_and_false_are_not_scores():
    with pytest.raises(InvalidValuesError, match=r"'score': values that are not whole numbers .* row 0 \(True\)"):
        journey.read_survey(pd.DataFrame({"user_id": ["a", "b"], "score": [True, False]}))
    with pytest.raises(InvalidValuesError, match=r"row 1 \(True\)"):
        journey.nps([9, True, 10])
    with pytest.raises(InvalidValuesError, match="2 rows"):
        journey.nps(np.array([True, True]))


def test_nps_of_a_table_of_scores_asks_for_one_column():
    with pytest.raises(JourneyError, match=r"one answer per respondent .* shape \(2, 2\)"):
        journey.nps(np.array([[9, 10], [1, 2]]))
    with pytest.raises(JourneyError, match="one answer per respondent"):
        journey.nps(pd.DataFrame({"a": [9, 10], "b": [1, 2]}))


def test_na_words_are_survey_respondents_in_csv(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("user_id,score\nNA,9\nnull,NA\n")
    answers = journey.read_survey(path)
    assert answers["user"].tolist() == ["NA", "null"] and pd.isna(answers["score"].iloc[1])


def test_nps_by_touchpoint_never_holds_a_touchpoints_by_journeys_matrix(monkeypatch):
    import tracemalloc

    from journey.analysis import survey_links

    k, n = 4000, 10_000  # the matrix would be 40 MB
    rng = np.random.default_rng(0)
    log = journey.read_events(
        pd.DataFrame(
            {
                "user_id": np.repeat([f"u{i}" for i in range(n)], 2),
                "event": [f"p{i}" for i in rng.integers(0, k, 2 * n)],
                "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(np.tile([0, 60], n), unit="s"),
            }
        )
    )
    survey = pd.DataFrame({"user": [f"u{i}" for i in range(n)], "score": rng.integers(0, 11, n)})
    row = survey_links._row(np.arange(n) < n // 2, rng.integers(0, 11, n).astype(float), 0.95)
    seen = []
    monkeypatch.setattr(survey_links, "_row", lambda inside, scores, level: seen.append(int(inside.sum())) or row)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            journey.nps_by_touchpoint(log, survey)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < k * n / 4
    visits = log.frame.drop_duplicates(["user", "event"])["event"].value_counts()
    assert sorted(seen) == sorted(visits.reindex(log.events, fill_value=0).tolist())  # each touchpoint's visitors
