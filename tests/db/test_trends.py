"""Trend aggregations on both databases, against a small data set checked by hand.

The evaluations (regular, submitted unless said otherwise). W1 is the week of Monday
2 November 2026, W2 the week of Monday 9 November. Items: st = stop_talking,
bp = be_patient, ec = eye_contact (N/A unless a level is given).

    id  agent  scorer  when                total  st bp ec   listening (talk, interr.)
    E1  AN     SN      W1 Mon 09:00          80   4  5  -    0.5, 2
    E2  AN     AD      W1 Wed 10:00          60   3  3  -    0.7, 4
    E3  AN     SN      W1 Sun 23:30          70   4  2  -    report with an error
    E4  AN2    SN      W1 Tue 11:00          50   2  3  -
    E5  AN     SN      W2 Mon 00:30          90   5  5  3    0.4, 0
    E6  AN2    AD      W2 Thu 15:00          40   1  2  -
    E7  AS     SS      W1 Tue 12:00         100   5  5  -    (rubric v2)
    E8  AN2    SN      W2 Fri 16:00          60   3  4  -
    X1  AN     SN      W1 Tue: a draft, total 10               never counts
    X2  AN     SN      W1 Tue: calibration, submitted, total 0 never counts

AN, AN2 are in North (supervisor SN), AS in South (supervisor SS); AD is the admin.
"""

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session, select

from db.access import NotFound
from db.models import (
    CalibrationSession,
    Call,
    Evaluation,
    ItemScore,
    ListeningReportRow,
    Purpose,
    Status,
)
from db.models import Rubric as RubricRow
from db.services.trends import (
    TrendFilters,
    agent_item_averages,
    agent_trend,
    evaluations_behind,
    export_csv,
    export_rows,
    filter_options,
    item_distribution,
    listening_weekly,
    scorer_leniency,
    scorer_weekly_volume,
    team_weekly_average,
    weekly_totals,
)
from tests.factories import make_world

W1, W2 = date(2026, 11, 2), date(2026, 11, 9)
ALL = TrendFilters()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def data(database):
    world = make_world()
    names = {
        "AN": world.agent_north,
        "AN2": world.agent_north2,
        "AS": world.agent_south,
        "SN": world.sup_north,
        "SS": world.sup_south,
        "AD": world.admin,
    }
    with Session(database) as s:
        v1 = s.exec(select(RubricRow).where(RubricRow.version == 1)).one()
        v2 = s.exec(select(RubricRow).where(RubricRow.version == 2)).one()  # shipped
        cal = CalibrationSession(title="cal", facilitator_id=world.admin.id, rubric_id=v1.id)
        s.add_all([cal])
        s.flush()
        ids = {}
        spec = [
            ("E1", "AN", "SN", _at(2, 9), 80, 4, 5, None, (0.5, 2)),
            ("E2", "AN", "AD", _at(4, 10), 60, 3, 3, None, (0.7, 4)),
            ("E3", "AN", "SN", _at(8, 23, 30), 70, 4, 2, None, "error"),
            ("E4", "AN2", "SN", _at(3, 11), 50, 2, 3, None, None),
            ("E5", "AN", "SN", _at(9, 0, 30), 90, 5, 5, 3, (0.4, 0)),
            ("E6", "AN2", "AD", _at(12, 15), 40, 1, 2, None, None),
            ("E7", "AS", "SS", _at(3, 12), 100, 5, 5, None, None),
            ("E8", "AN2", "SN", _at(13, 16), 60, 3, 4, None, None),
            ("X1", "AN", "SN", _at(3, 9), 10, 1, 1, None, None),
            ("X2", "AN", "SN", _at(3, 10), 0, 1, 1, None, None),
        ]
        for n, (label, agent, scorer, when, total, st, bp, ec, listening) in enumerate(spec):
            call = Call(
                external_id=f"C-{label}",
                agent_id=names[agent].id,
                started_at=when,
                duration_s=60,
                audio_path=f"x/{n}.wav",
                audio_sha256=f"{n:064d}",
                audio_format="wav",
                sample_rate=8000,
                channels=2,
            )
            s.add(call)
            s.flush()
            ev = Evaluation(
                call_id=call.id,
                agent_id=names[agent].id,
                scorer_id=names[scorer].id,
                rubric_id=v2.id if label == "E7" else v1.id,
                purpose=Purpose.calibration if label == "X2" else Purpose.regular,
                calibration_session_id=cal.id if label == "X2" else None,
                status=Status.draft if label == "X1" else Status.submitted,
                total=total,
                submitted_at=None if label == "X1" else when,
            )
            s.add(ev)
            s.flush()
            ids[label] = ev.id
            for key, value in (("stop_talking", st), ("be_patient", bp), ("eye_contact", ec)):
                s.add(ItemScore(evaluation_id=ev.id, item_key=key, value=value, na=value is None))
            if listening == "error":
                s.add(
                    ListeningReportRow(
                        call_id=call.id,
                        report={},
                        error="unreadable",
                        talk_share=0.99,
                        interruptions=99,
                    )
                )
            elif listening:
                s.add(
                    ListeningReportRow(
                        call_id=call.id,
                        report={},
                        talk_share=listening[0],
                        interruptions=listening[1],
                        backchannels=1,
                    )
                )
        s.commit()
        rubric_ids = (v1.id, v2.id)
    return world, ids, rubric_ids


def _weekly(df):
    return {(r.agent, r.week): (r.n, round(r.mean_total, 3)) for r in df.itertuples()}


def test_week_bucketing_and_weekly_totals_per_agent(data):
    world, _, _ = data
    assert _weekly(weekly_totals(world.admin, ALL)) == {
        ("Agent.North", W1): (3, 70.0),  # E1 80, E2 60, E3 70 (Sunday 23:30 is still W1)
        ("Agent.North", W2): (1, 90.0),  # E5 (Monday 00:30 is W2)
        ("Agent.North2", W1): (1, 50.0),
        ("Agent.North2", W2): (2, 50.0),  # E6 40, E8 60
        ("Agent.South", W1): (1, 100.0),
    }


def test_team_average_weighs_each_evaluation_and_ignores_the_agent_filter(data):
    world, _, _ = data
    teams = team_weekly_average(world.admin, TrendFilters(agent_id=world.agent_north.id))
    got = {(r.team, r.week): (r.n, round(r.mean_total, 3)) for r in teams.itertuples()}
    assert got == {
        ("North", W1): (4, 65.0),  # 80 60 70 50
        ("North", W2): (3, 63.333),  # 90 40 60
        ("South", W1): (1, 100.0),
    }


def test_every_filter_is_honoured(data):
    world, _, (v1, v2) = data
    by_scorer = weekly_totals(world.admin, TrendFilters(scorer_id=world.sup_north.id))
    assert _weekly(by_scorer) == {
        ("Agent.North", W1): (2, 75.0),
        ("Agent.North", W2): (1, 90.0),
        ("Agent.North2", W1): (1, 50.0),
        ("Agent.North2", W2): (1, 60.0),
    }
    north = TrendFilters(team_id=world.sup_north.team_id)
    assert set(weekly_totals(world.admin, north)["agent"]) == {"Agent.North", "Agent.North2"}
    one = TrendFilters(agent_id=world.agent_north2.id)
    assert set(weekly_totals(world.admin, one)["agent"]) == {"Agent.North2"}
    assert set(weekly_totals(world.admin, TrendFilters(rubric_id=v2))["agent"]) == {"Agent.South"}
    assert "Agent.South" not in set(weekly_totals(world.admin, TrendFilters(rubric_id=v1))["agent"])
    # Both ends inclusive: until Sunday W1 keeps E3 at 23:30; since Monday W2 keeps W2 only.
    assert _weekly(weekly_totals(world.admin, TrendFilters(until=date(2026, 11, 8))))[
        ("Agent.North", W1)
    ] == (3, 70.0)
    assert set(weekly_totals(world.admin, TrendFilters(since=W2))["week"]) == {W2}
    assert scorer_weekly_volume(world.admin, TrendFilters(since=W2))["n"].sum() == 3


def test_scope_supervisors_see_their_team_whatever_they_ask(data):
    world, _, _ = data
    south = TrendFilters(team_id=world.sup_south.team_id)
    assert weekly_totals(world.sup_north, south).empty
    assert weekly_totals(world.sup_north, TrendFilters(agent_id=world.agent_south.id)).empty
    assert set(weekly_totals(world.sup_north, ALL)["agent"]) == {"Agent.North", "Agent.North2"}
    assert set(team_weekly_average(world.sup_north, ALL)["team"]) == {"North"}
    assert set(weekly_totals(world.sup_south, ALL)["agent"]) == {"Agent.South"}
    assert set(export_rows(world.sup_south, ALL)["agent"]) == {"Agent.South"}
    assert set(agent_item_averages(world.sup_south, ALL)["agent"]) == {"Agent.South"}
    options = filter_options(world.sup_north)
    assert [name for _, name in options.teams] == ["North"]
    assert {name for _, name in options.agents} == {"Agent.North", "Agent.North2"}
    assert "Sup.South" not in {name for _, name in options.scorers}


def test_scope_an_agent_gets_only_their_own_data_whatever_ids_they_pass(data):
    world, ids, _ = data
    other = TrendFilters(agent_id=world.agent_south.id, team_id=world.sup_south.team_id)
    assert set(weekly_totals(world.agent_north, other)["agent"]) == {"Agent.North"}
    assert set(export_rows(world.agent_north, other)["agent"]) == {"Agent.North"}
    behind = evaluations_behind(world.agent_north, other, {"agent_id": world.agent_south.id})
    assert behind.empty
    behind = evaluations_behind(world.agent_north, ALL, {"team_id": world.sup_north.team_id})
    assert set(behind["agent"]) == {"Agent.North"}
    teams = team_weekly_average(world.agent_north, other)
    assert set(teams["team"]) == {"North"}
    trend = agent_trend(world.agent_north, agent_id=world.agent_south.id)
    assert trend.agent == "Agent.North"
    with pytest.raises(NotFound):
        agent_trend(world.sup_north, agent_id=world.agent_south.id)


def test_agent_item_averages_keep_na_apart(data):
    world, _, _ = data
    df = agent_item_averages(world.admin, ALL)
    got = {(r.agent, r.item_key): (r.n, r.n_na, r.mean_value) for r in df.itertuples()}
    assert got[("Agent.North", "stop_talking")] == (4, 0, 4.0)  # 4 3 4 5
    assert got[("Agent.North", "be_patient")] == (4, 0, 3.75)  # 5 3 2 5
    assert got[("Agent.North", "eye_contact")] == (1, 3, 3.0)
    assert got[("Agent.North2", "stop_talking")] == (3, 0, 2.0)  # 2 1 3
    n, n_na, mean = got[("Agent.North2", "eye_contact")]
    assert (n, n_na) == (0, 3) and pd.isna(mean)  # nothing scored: no average
    assert got[("Agent.South", "be_patient")] == (1, 0, 5.0)


def test_item_distribution_counts_each_level_and_na(data):
    world, _, _ = data
    df = item_distribution(world.admin, ALL)
    got = {(r.item_key, r.level): r.count for r in df.itertuples()}
    assert {lvl: n for (k, lvl), n in got.items() if k == "stop_talking"} == {
        "1": 1,
        "2": 1,
        "3": 2,
        "4": 2,
        "5": 2,
    }
    assert {lvl: n for (k, lvl), n in got.items() if k == "be_patient"} == {
        "2": 2,
        "3": 2,
        "4": 1,
        "5": 3,
    }
    assert {lvl: n for (k, lvl), n in got.items() if k == "eye_contact"} == {"3": 1, "N/A": 7}
    # Rubric order: stop_talking comes before be_patient.
    keys = list(dict.fromkeys(df["item_key"]))
    assert keys.index("stop_talking") < keys.index("be_patient")


def test_scorer_volume_per_week(data):
    world, _, _ = data
    df = scorer_weekly_volume(world.admin, ALL)
    got = {(r.scorer, r.week): r.n for r in df.itertuples()}
    assert got == {
        ("Sup.North", W1): 3,
        ("Sup.North", W2): 2,
        ("Admin", W1): 1,
        ("Admin", W2): 1,
        ("Sup.South", W1): 1,
    }


def test_scorer_leniency_against_others_on_the_same_agent_and_week(data):
    world, _, _ = data
    df = scorer_leniency(world.admin, ALL)
    got = {r.scorer: (r.leniency, r.n_cells, r.n_evaluations) for r in df.itertuples()}
    # (AN, W1): SN mean 75 vs AD 60 → +15 / −15; (AN2, W2): SN 60 vs AD 40 → +20 / −20.
    assert got == {"Sup.North": (17.5, 2, 3), "Admin": (-17.5, 2, 2)}
    assert list(df["scorer"]) == ["Sup.North", "Admin"]
    # A scorer filter still compares with the others and returns that scorer only.
    only = scorer_leniency(world.admin, TrendFilters(scorer_id=world.admin.id))
    assert list(only["leniency"]) == [-17.5]


def test_listening_metrics_per_agent_and_week_skip_failed_reports(data):
    world, _, _ = data
    df = listening_weekly(world.admin, ALL)
    got = {
        (r.agent, r.week): (r.n_calls, round(r.talk_share, 3), r.interruptions)
        for r in df.itertuples()
    }
    assert got == {("Agent.North", W1): (2, 0.6, 3.0), ("Agent.North", W2): (1, 0.4, 0.0)}


def test_export_has_one_row_per_evaluation_and_the_charts_numbers(data):
    world, ids, _ = data
    df = export_rows(world.admin, ALL)
    assert sorted(df["evaluation_id"]) == sorted(ids[k] for k in ids if k.startswith("E"))
    e1 = df.set_index("evaluation_id").loc[ids["E1"]]
    assert (e1["agent"], e1["scorer"], e1["team"], e1["total"]) == (
        "Agent.North",
        "Sup.North",
        "North",
        80.0,
    )
    assert (e1["item:stop_talking"], e1["item:eye_contact"], e1["talk_share"]) == (4, "N/A", 0.5)
    # The same numbers as the weekly chart and the listening chart.
    from_csv = df.groupby(["agent", "week"])["total"].agg(["count", "mean"])
    weekly = weekly_totals(world.admin, ALL)
    for r in weekly.itertuples():
        assert tuple(from_csv.loc[(r.agent, r.week.isoformat())]) == (r.n, r.mean_total)
    listening = df.groupby(["agent", "week"])["talk_share"].mean().dropna()
    assert dict(listening.round(3)) == {
        ("Agent.North", W1.isoformat()): 0.6,
        ("Agent.North", W2.isoformat()): 0.4,
    }


def test_csv_defuses_formulas_in_names(data, database):
    world, _, _ = data
    from db.models import User

    with Session(database) as s:
        user = s.get(User, world.agent_south.id)
        user.display_name = '=HYPERLINK("http://x")'
        s.add(user)
        s.commit()
    text = export_csv(world.admin, TrendFilters(agent_id=world.agent_south.id))
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert text.splitlines()[0].startswith("evaluation_id,submitted_at,week,team,agent")


def test_evaluations_behind_a_point(data):
    world, ids, _ = data
    point = {"agent_id": world.agent_north.id, "week": W1.isoformat()}
    behind = evaluations_behind(world.admin, ALL, point)
    assert set(behind["evaluation_id"]) == {ids["E1"], ids["E2"], ids["E3"]}
    team = evaluations_behind(
        world.admin,
        TrendFilters(agent_id=world.agent_north.id),
        {"team_id": world.sup_north.team_id, "week": W2.isoformat()},
    )
    assert set(team["evaluation_id"]) == {ids["E5"], ids["E6"], ids["E8"]}
    level = evaluations_behind(world.admin, ALL, {"item_key": "stop_talking", "level": "4"})
    assert set(level["evaluation_id"]) == {ids["E1"], ids["E3"]}
    na = evaluations_behind(
        world.admin,
        ALL,
        {"item_key": "eye_contact", "level": "N/A", "agent_id": world.agent_north2.id},
    )
    assert set(na["evaluation_id"]) == {ids["E4"], ids["E6"], ids["E8"]}
    scorer = evaluations_behind(world.sup_north, ALL, {"scorer_id": world.admin.id})
    assert set(scorer["evaluation_id"]) == {ids["E2"], ids["E6"]}
    assert evaluations_behind(world.sup_north, ALL, {"agent_id": world.agent_south.id}).empty
    with pytest.raises(ValueError):
        evaluations_behind(world.admin, ALL, {"agent_id": "x"})


def test_agent_trend_against_the_team(data):
    world, _, _ = data
    trend = agent_trend(world.agent_north2)
    weekly = {
        r.week: (r.agent_n, r.agent_mean, r.team_n, round(r.team_mean, 3))
        for r in trend.weekly.itertuples()
    }
    assert weekly == {W1: (1, 50.0, 4, 65.0), W2: (2, 50.0, 3, 63.333)}
    items = trend.items.set_index("item_key")
    assert items.loc["stop_talking", "agent_mean"] == 2.0
    assert items.loc["stop_talking", "team_mean"] == pytest.approx((4 + 3 + 4 + 2 + 5 + 1 + 3) / 7)
    assert trend.team == "North"
    since = agent_trend(world.agent_north2, since=W2)
    assert list(since.weekly["week"]) == [W2]
    assert agent_trend(world.sup_north, agent_id=world.agent_north.id).agent == "Agent.North"
