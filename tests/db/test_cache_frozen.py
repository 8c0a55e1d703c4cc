"""What the caches hand out is frozen: every caller gets the one value the cache holds, so
changing it must fail, and never change what the next caller reads. One test per cached
shape: trend frames, a dataclass holding frames, filter options, an agent's feedback list,
counts and detail (with its listening JSON), and the plain values (counts, id sets)."""

import dataclasses
from types import MappingProxyType

import pandas as pd
import pytest

from db.cache import ReadOnlyFrame, cached_by_versions, freeze
from db.services.calibration import scorer_accuracy
from db.services.feedback import feedback_counts, feedback_detail, my_evaluations
from db.services.listening import store_listening_report
from db.services.trends import TrendFilters, agent_trend, filter_options, weekly_totals
from tests.db.test_feedback import scored
from tests.factories import make_call, make_world

CHANGES_TO_A_FRAME = {
    "set a column": lambda df: df.__setitem__("n", 0),
    "add a column": lambda df: df.__setitem__("extra", 1),
    "delete a column": lambda df: df.__delitem__("n"),
    "write a cell with loc": lambda df: df.loc.__setitem__((0, "n"), 99),
    "write a cell with iat": lambda df: df.iat.__setitem__((0, 0), 99),
    "write a text cell": lambda df: df.loc.__setitem__((0, "agent"), "someone else"),
    "write into a column's values": lambda df: df["n"].to_numpy().__setitem__(0, 99),
    "rename in place": lambda df: df.rename(columns={"n": "N"}, inplace=True),
    "drop in place": lambda df: df.drop(columns="n", inplace=True),
    "set the columns": lambda df: setattr(df, "columns", [f"c{i}" for i in df.columns]),
    "set the index": lambda df: setattr(df, "index", [7] * len(df)),
    "insert a column": lambda df: df.insert(0, "first", 1),
    "pop a column": lambda df: df.pop("n"),
}


def assert_read_only_frame(read, wanted: pd.DataFrame) -> None:
    """Every change to the frame `read()` hands out fails, and the next read is unchanged;
    anything derived from it is an ordinary frame the caller may change."""
    for name, change in CHANGES_TO_A_FRAME.items():
        frame = read()
        assert isinstance(frame, ReadOnlyFrame)
        with pytest.raises((TypeError, ValueError)):
            change(frame)
        pd.testing.assert_frame_equal(pd.DataFrame(read()), wanted, obj=name)
    mine = read().copy()
    mine.loc[0, "n"] = 99
    mine["extra"] = 1
    assert type(mine) is pd.DataFrame
    pd.testing.assert_frame_equal(pd.DataFrame(read()), wanted)


@pytest.fixture
def world(database):
    return make_world()


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # deprecated, still a change
def test_a_cached_trend_frame_refuses_every_change(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    scored(world.sup_north, call.id, value=5)
    read = lambda: weekly_totals(world.sup_north, TrendFilters())  # noqa: E731
    wanted = pd.DataFrame(read()).copy()
    assert list(wanted["n"]) == [1] and list(wanted["mean_total"]) == [100.0]
    assert read() is read()  # one shared value: nothing copied per caller
    assert_read_only_frame(read, wanted)


def test_a_cached_dataclass_of_frames_is_frozen_through(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path, seed=1)
    scored(world.sup_north, call.id, value=4)
    trend = agent_trend(world.sup_north, agent_id=world.agent_north.id)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trend.agent = "someone else"  # type: ignore[misc]
    assert isinstance(trend.item_order, tuple) and trend.item_order
    with pytest.raises(TypeError):
        trend.weekly["agent_mean"] = 0
    with pytest.raises(ValueError):
        trend.items.loc[0, "agent_mean"] = 0
    again = agent_trend(world.sup_north, agent_id=world.agent_north.id)
    assert list(again.weekly["agent_n"]) == [1] and list(again.items["agent_mean"])[0] == 4.0


def test_cached_filter_options_and_calibration_accuracy_are_frozen(world):
    options = filter_options(world.admin)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.teams = ()  # type: ignore[misc]
    assert isinstance(options.teams, tuple)
    accuracy = scorer_accuracy(world.admin)
    assert isinstance(accuracy, ReadOnlyFrame) and accuracy.empty
    with pytest.raises(TypeError):
        accuracy["scorer"] = "x"
    assert list(scorer_accuracy(world.admin).columns) == list(accuracy.columns)


def test_an_agents_cached_feedback_is_frozen_to_the_last_value(world, tmp_path):
    call = make_call(world.admin, world.agent_north, tmp_path, seconds=30)
    store_listening_report(call.id)
    ev = scored(world.sup_north, call.id, value=2, comments=[(3.0, "Here", "be_patient")])
    agent = world.agent_north

    rows = my_evaluations(agent)
    assert isinstance(rows, tuple) and [r.evaluation_id for r in rows] == [ev.id]
    with pytest.raises(AttributeError):
        rows.append(rows[0])  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rows[0].unread = False  # type: ignore[misc]

    counts = feedback_counts(agent)
    with pytest.raises(dataclasses.FrozenInstanceError):
        counts.unread = 0  # type: ignore[misc]

    detail = feedback_detail(agent, ev.id)
    assert detail.listening is not None and detail.summary is not None
    with pytest.raises(TypeError):
        detail.listening["peaks"] = []  # type: ignore[index]
    with pytest.raises(TypeError):
        detail.summary["talk_ratio"] = 0  # type: ignore[index]
    report = detail.listening["report"]
    assert isinstance(report, MappingProxyType) and isinstance(report["turns"], tuple)
    with pytest.raises(TypeError):
        report["turns"][0]["speaker"] = "nobody"
    peaks = detail.listening["peaks"]
    assert isinstance(peaks, tuple) and all(isinstance(lane, tuple) for lane in peaks)
    with pytest.raises(AttributeError):
        detail.items[0].evidence.append("mine")  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        detail.comments.clear()  # type: ignore[attr-defined]

    again = feedback_detail(agent, ev.id)
    assert again.listening == detail.listening and len(again.comments) == 1
    assert [r.evaluation_id for r in my_evaluations(agent)] == [ev.id]
    assert feedback_counts(agent) == counts


def test_freeze_makes_json_sets_and_frozen_dataclasses_immutable_and_refuses_the_rest():
    @dataclasses.dataclass(frozen=True)
    class Row:
        tags: list[str]
        extra: dict[str, list[int]]

    row = freeze(Row(["a"], {"k": [1, 2]}))
    assert row == Row(("a",), MappingProxyType({"k": (1, 2)}))  # type: ignore[arg-type]
    assert freeze({1, 2}) == frozenset({1, 2}) and freeze(7) == 7
    original = Row(["a"], {})
    freeze(original)
    assert original.tags == ["a"]  # freezing gives a new value; the computed one is untouched

    @dataclasses.dataclass
    class Loose:
        n: int

    with pytest.raises(TypeError, match="frozen dataclasses only"):
        freeze(Loose(1))
    with pytest.raises(TypeError, match="immutable values only"):
        freeze(bytearray(b"x"))


def test_a_value_cached_by_versions_is_shared_and_frozen(database):
    computed = []

    def compute():
        computed.append(1)
        return {"ids": [1, 2], "frame": pd.DataFrame({"n": [1]})}

    first = cached_by_versions(("frozen-test",), (1,), compute)
    second = cached_by_versions(("frozen-test",), (1,), compute)
    assert first is second and len(computed) == 1
    with pytest.raises(TypeError):
        first["ids"] = []
    with pytest.raises(AttributeError):
        first["ids"].append(3)
    with pytest.raises(ValueError):
        first["frame"].loc[0, "n"] = 2
    assert cached_by_versions(("frozen-test",), (1,), compute)["frame"]["n"].tolist() == [1]
