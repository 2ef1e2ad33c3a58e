"""Survey answers: reading them with clear errors, and linking them to journeys."""

import warnings

import numpy as np
import pandas as pd
import pytest

import journey
from journey.errors import InvalidValuesError, MissingColumnError
from test_markov import log_from_paths


def test_read_survey_keeps_missing_answers_as_missing_and_other_columns(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("user_id,when,nps,plan\na,2025-01-01T10:00Z,9,pro\nb,2025-01-02T10:00Z,,free\nc,2025-01-03T10:00Z,0,pro\n")
    s = journey.read_survey(path, score="nps", time="when")
    assert s["score"].tolist()[0] == 9 and pd.isna(s["score"].iloc[1]) and s["plan"].tolist() == ["pro", "free", "pro"]
    assert str(s["time"].dt.tz) == "UTC"


def test_read_survey_errors_name_the_column_and_rows():
    with pytest.raises(MissingColumnError, match="'nps'"):
        journey.read_survey(pd.DataFrame({"user_id": ["a"], "score": [9]}), score="nps")
    with pytest.raises(InvalidValuesError, match=r"'score'.*row 1 \(11\)"):
        journey.read_survey(pd.DataFrame({"user_id": ["a", "b"], "score": [9, 11]}))
    with pytest.raises(InvalidValuesError, match="'user_id'.*missing"):
        journey.read_survey(pd.DataFrame({"user_id": ["a", None], "score": [9, 8]}))


def test_read_survey_lenient_mode_drops_and_lists():
    with pytest.warns(journey.JourneyWarning, match="dropped 1 of 3"):
        s = journey.read_survey(pd.DataFrame({"user_id": ["a", "b", "c"], "score": [9, "ten", 3]}), on_invalid="drop")
    assert s["user"].tolist() == ["a", "c"] and s.attrs["dropped"]["row"].tolist() == [1]


def survey_for(scores):
    return pd.DataFrame({"user": list(scores), "score": pd.array(list(scores.values()), dtype="Int64")})


def test_nps_by_touchpoint_known_answer():
    log = log_from_paths([["home", "support"], ["home", "support"], ["home"], ["home"], ["home"]])
    survey = survey_for({"u00000": 0, "u00001": 2, "u00002": 10, "u00003": 9, "u00004": 8})
    t = journey.nps_by_touchpoint(log, survey).set_index("touchpoint")
    assert t.loc["support", "nps"] == -100.0 and t.loc["support", "other_nps"] == pytest.approx(200 / 3)
    assert t.loc["support", "difference"] == pytest.approx(-100 - 200 / 3)
    assert t.loc["support", "response_rate"] == 1.0 and np.isnan(t.loc["home", "difference"])  # nobody skipped home


def test_each_customers_latest_answer_counts():
    log = log_from_paths([["a"], ["a", "b"]])
    survey = pd.DataFrame({"user": ["u00000", "u00000", "u00001"], "score": pd.array([0, 10, 5], dtype="Int64"),
                           "time": pd.to_datetime(["2025-01-02", "2025-01-01", "2025-01-01"], utc=True)})
    t = journey.nps_by_touchpoint(log, survey).set_index("touchpoint")
    assert t.loc["b", "nps"] == -100.0 and t.loc["b", "other_nps"] == -100.0  # u00000's latest answer is the 0


@pytest.mark.filterwarnings("ignore:response rates differ")
def test_respondents_outside_the_log_are_reported_not_dropped_silently():
    survey = survey_for({"u00000": 9, "zz": 3})
    with pytest.warns(journey.JourneyWarning, match="1 survey respondents have no events in the log"):
        journey.nps_by_touchpoint(log_from_paths([["a"], ["a", "b"]]), survey)


def test_uneven_response_rates_raise_a_warning():
    log = log_from_paths([["x"]] * 10 + [["y"]] * 10)
    answers = {f"u{i:05d}": 9 for i in range(8)} | {f"u{i:05d}": 3 for i in range(10, 12)}  # 80% vs 20% answer
    with pytest.warns(journey.JourneyWarning, match=r"response rates differ.*x: 80.0% vs 20.0%"):
        t = journey.nps_by_touchpoint(log, survey_for(answers)).set_index("touchpoint")
    assert t.loc["x", "response_rate"] == 0.8 and t.loc["x", "other_response_rate"] == 0.2


def test_the_sample_shows_support_contact_lowers_nps():
    sample = journey.datasets.load_sample()
    log = journey.read_events(sample.events)
    survey = journey.read_survey(sample.survey, score="nps", time="timestamp")
    with warnings.catch_warnings():
        warnings.simplefilter("error", journey.JourneyWarning)  # response rates are even in the sample
        t = journey.nps_by_touchpoint(log, survey).set_index("touchpoint")
    support = t.loc["support"]
    assert support["ci_high"] < 0 and support["significant"]
    assert t["difference"].idxmin() == "support"
    detractors = survey.assign(support=survey["user"].isin(sample.events.loc[sample.events["event"] == "support", "user_id"]))
    share = detractors.dropna(subset=["score"]).assign(d=lambda f: f["score"] <= 6).groupby("support")["d"].mean()
    assert share[True] > share[False] + 0.2


def test_nps_by_outcome_orders_converted_first():
    sample = journey.datasets.load_sample()
    o = journey.nps_by_outcome(journey.read_events(sample.events), journey.read_survey(sample.survey, score="nps"),
                               goal="purchase")
    assert o["outcome"].tolist()[:2] == ["converted", "not converted"]
    assert o.loc[0, "difference"] > 0 and o.loc[0, "ci_low"] > 0
    assert o.set_index("outcome").loc["left at support", "nps"] < -80
