"""Rubric model, validation and loading: the shipped default and one test per problem kind."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from scoring.rubric import (
    METRIC_NAMES,
    Rubric,
    RubricError,
    RubricProblem,
    load_rubric,
    load_rubric_dir,
    parse_rubric,
)

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
DEFAULT = RUBRICS / "listening.v1.toml"
DEFAULT_KEYS = (
    "stop_talking",
    "open_mind",
    "active_listening",
    "natural_pauses",
    "eye_contact",
    "understand_remember",
    "paraphrase",
    "not_defensive",
    "be_patient",
    "lose_distractions",
)
SOURCE = "case.toml"


def _anchors() -> dict[str, str]:
    return {str(level): f"Level {level} behaviour." for level in range(1, 6)}


def _minimal() -> dict[str, Any]:
    """A valid two-item rubric as decoded TOML, for breaking one field at a time."""
    return {
        "key": "mini",
        "version": 1,
        "title": "Mini",
        "scale": {"min": 1, "max": 5},
        "items": [
            {
                "key": "first",
                "title": "First",
                "listen_for": "Something.",
                "weight": 1.0,
                "anchors": _anchors(),
            },
            {
                "key": "second",
                "title": "Second",
                "listen_for": "Something else.",
                "weight": 2,
                "anchors": _anchors(),
            },
        ],
    }


def _problems(data: Any) -> list[RubricProblem]:
    with pytest.raises(RubricError) as caught:
        parse_rubric(data, source=SOURCE)
    return caught.value.problems


def _only(data: Any) -> RubricProblem:
    problems = _problems(data)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --- the shipped default --------------------------------------------------------------


@pytest.fixture(scope="module")
def default() -> Rubric:
    return load_rubric(DEFAULT)


def test_default_rubric_has_the_ten_practices_in_order(default: Rubric) -> None:
    assert default.key == "listening"
    assert default.version == 1
    assert default.item_keys == DEFAULT_KEYS
    assert default.levels == (1, 2, 3, 4, 5)
    assert default.scale_labels[1] == "Poor"
    assert default.scale_labels[5] == "Excellent"
    for item in default.items:
        assert set(item.anchors) == {1, 2, 3, 4, 5}
        assert 1.0 <= item.weight <= 1.5
        assert not item.critical


def test_default_rubric_eye_contact_is_na_on_audio_only(default: Rubric) -> None:
    eye = default.item("eye_contact")
    assert eye.na_allowed and eye.na_default_audio_only
    assert default.default_values(audio_only=True) == {"eye_contact": None}
    assert default.default_values(audio_only=False) == {}
    others = [item for item in default.items if item.key != "eye_contact"]
    assert not any(item.na_allowed or item.na_default_audio_only for item in others)


def test_default_rubric_evidence_mapping(default: Rubric) -> None:
    evidence = {item.key: item.evidence for item in default.items if item.evidence}
    assert evidence == {
        "stop_talking": ("talk_share", "longest_agent_turn"),
        "active_listening": ("backchannels",),
        "natural_pauses": ("response_gaps", "long_silences"),
        "be_patient": ("interruptions", "overtalk"),
    }


def test_load_rubric_dir_reads_the_shipped_folder() -> None:
    rubrics = load_rubric_dir(RUBRICS)
    assert ("listening", 1) in [(r.key, r.version) for r in rubrics]
    assert rubrics == sorted(rubrics, key=lambda r: (r.key, r.version))


def test_metric_names() -> None:
    assert len(METRIC_NAMES) == 7
    assert "backchannels" in METRIC_NAMES


# --- model behaviour ------------------------------------------------------------------


def test_to_dict_round_trips_through_json_and_parse(default: Rubric) -> None:
    data = json.loads(json.dumps(default.to_dict()))
    again = parse_rubric(data, source="roundtrip")
    assert again == default
    assert again.content_hash() == default.content_hash()


def test_to_dict_round_trips_with_defaults_filled_in() -> None:
    data = _minimal()
    del data["scale"]
    rubric = parse_rubric(data)
    assert parse_rubric(json.loads(json.dumps(rubric.to_dict()))) == rubric


def test_content_hash_changes_when_an_anchor_changes(default: Rubric) -> None:
    data = default.to_dict()
    data["items"][3]["anchors"]["2"] += " Slightly reworded."
    changed = parse_rubric(data)
    assert changed.content_hash() != default.content_hash()
    assert len(default.content_hash()) == 64


def test_content_hash_ignores_int_versus_float_weight() -> None:
    as_int = parse_rubric(_minimal())
    data = _minimal()
    data["items"][1]["weight"] = 2.0
    assert parse_rubric(data).content_hash() == as_int.content_hash()


def test_item_lookup_and_unknown_key(default: Rubric) -> None:
    assert default.item("paraphrase").key == "paraphrase"
    with pytest.raises(KeyError, match="no item 'nope'"):
        default.item("nope")


def test_rubric_and_items_are_hashable(default: Rubric) -> None:
    assert hash(default) == hash(load_rubric(DEFAULT))
    assert len({item for item in default.items}) == 10


def test_defaults_when_optional_fields_are_absent() -> None:
    data = _minimal()
    del data["scale"]
    rubric = parse_rubric(data)
    assert (rubric.scale_min, rubric.scale_max) == (1, 5)
    assert rubric.scale_labels == {1: "1", 2: "2", 3: "3", 4: "4", 5: "5"}
    assert rubric.description == ""
    item = rubric.item("second")
    assert item.weight == 2.0 and isinstance(item.weight, float)
    assert (item.na_allowed, item.na_default_audio_only, item.critical) == (False, False, False)
    assert item.evidence == ()


def test_other_scale_ranges_are_supported() -> None:
    data = _minimal()
    data["scale"] = {"min": 0, "max": 3, "labels": {"0": "No", "1": "Bit", "2": "Most", "3": "All"}}
    for item in data["items"]:
        item["anchors"] = {str(level): "x" for level in range(4)}
    rubric = parse_rubric(data)
    assert rubric.levels == (0, 1, 2, 3)


def test_hostile_text_is_kept_as_data() -> None:
    data = _minimal()
    data["title"] = "<script>alert(1)</script>"
    data["items"][0]["anchors"]["3"] = "<b>" * 250  # exactly 750 characters: within limit
    rubric = parse_rubric(data)
    assert rubric.title == "<script>alert(1)</script>"


def test_error_pickles_with_its_problems() -> None:
    data = _minimal()
    data["version"] = 0
    with pytest.raises(RubricError) as caught:
        parse_rubric(data, source=SOURCE)
    again = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own object
    assert again.problems == caught.value.problems


# --- one test per validation problem kind --------------------------------------------


def test_problem_str_names_file_item_and_field() -> None:
    data = _minimal()
    data["items"][1]["weight"] = 0
    problem = _only(data)
    assert str(problem) == "case.toml: item 'second': field 'weight': must be greater than 0"


@pytest.mark.parametrize("field", ["key", "version", "title", "items"])
def test_missing_top_level_field(field: str) -> None:
    data = _minimal()
    del data[field]
    problem = _only(data)
    assert (problem.file, problem.item, problem.field) == (SOURCE, None, field)
    assert "required" in problem.message


@pytest.mark.parametrize("field", ["title", "listen_for", "weight", "anchors"])
def test_missing_item_field(field: str) -> None:
    data = _minimal()
    del data["items"][0][field]
    problem = _only(data)
    assert (problem.file, problem.item, problem.field) == (SOURCE, "first", field)
    assert "is required" in problem.message


def test_missing_item_key_names_item_by_position() -> None:
    data = _minimal()
    del data["items"][1]["key"]
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == ("#2", "key", "is required")


@pytest.mark.parametrize(
    ("path", "value", "field", "expected"),
    [
        (("version",), "1", "version", "must be a whole number, got text"),
        (("version",), 1.5, "version", "must be a whole number, got a number"),
        (("version",), True, "version", "must be a whole number, got true/false"),
        (("title",), 7, "title", "must be text, got a whole number"),
        (("description",), ["x"], "description", "must be text, got a list"),
        (("scale",), 5, "scale", "must be a table, got a whole number"),
        (("scale", "max"), "5", "scale.max", "must be a whole number, got text"),
        (("items",), {"key": "x"}, "items", "must be a list of [[items]] tables"),
    ],
)
def test_wrong_type_top_level(path: tuple[str, ...], value: Any, field: str, expected: str) -> None:
    data = _minimal()
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    problem = _only(data)
    assert (problem.file, problem.item, problem.field) == (SOURCE, None, field)
    assert expected in problem.message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("title", None, "must be text"),
        ("listen_for", 3, "must be text, got a whole number"),
        ("weight", "heavy", "must be a number, got text"),
        ("weight", True, "must be a number, got true/false"),
        ("na_allowed", "yes", "must be true or false, got text"),
        ("critical", 1, "must be true or false, got a whole number"),
        ("evidence", "talk_share", "must be a list of metric names, got text"),
        ("anchors", ["a", "b"], "must be a table of level = text, got a list"),
    ],
)
def test_wrong_type_item_field(field: str, value: Any, expected: str) -> None:
    data = _minimal()
    data["items"][0][field] = value
    problem = _only(data)
    assert (problem.file, problem.item, problem.field) == (SOURCE, "first", field)
    assert expected in problem.message


def test_item_that_is_not_a_table() -> None:
    data = _minimal()
    data["items"][1] = "second"
    problem = _only(data)
    assert (problem.item, problem.message) == ("#2", "must be a table, got text")


def test_data_that_is_not_a_table() -> None:
    problem = _only(["not", "a", "table"])
    assert problem.file == SOURCE and "must be a table" in problem.message


@pytest.mark.parametrize("bad", ["Listening", "two words", "1st", "ends_", "a__b", "é", ""])
def test_non_slug_rubric_key(bad: str) -> None:
    data = _minimal()
    data["key"] = bad
    problem = _only(data)
    assert (problem.item, problem.field) == (None, "key")


def test_non_slug_item_key() -> None:
    data = _minimal()
    data["items"][0]["key"] = "Stop Talking"
    problem = _only(data)
    assert (problem.file, problem.item, problem.field) == (SOURCE, "#1", "key")
    assert "must be a slug" in problem.message and "'Stop Talking'" in problem.message


def test_duplicate_item_key() -> None:
    data = _minimal()
    data["items"][1]["key"] = "first"
    problem = _only(data)
    assert (problem.item, problem.field) == ("first", "key")
    assert problem.message == "duplicate key: item #2 repeats the key of item #1"


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (0, "must be greater than 0"),
        (-1.5, "must be greater than 0"),
        (float("nan"), "must be a finite number"),
        (float("inf"), "must be a finite number"),
        (10_000, "must be at most 1000"),
    ],
)
def test_bad_weight(weight: float, expected: str) -> None:
    data = _minimal()
    data["items"][1]["weight"] = weight
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == ("second", "weight", expected)


def test_anchors_missing_a_level() -> None:
    data = _minimal()
    del data["items"][0]["anchors"]["3"]
    del data["items"][0]["anchors"]["5"]
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == (
        "first",
        "anchors",
        "missing level 3, 5",
    )


def test_anchors_level_outside_scale() -> None:
    data = _minimal()
    data["items"][1]["anchors"]["6"] = "Beyond excellent."
    problem = _only(data)
    assert (problem.item, problem.field) == ("second", "anchors")
    assert problem.message == "level 6 is outside the scale 1–5"


def test_anchors_level_that_is_not_a_number() -> None:
    data = _minimal()
    data["items"][1]["anchors"]["five"] = "Great."
    problem = _only(data)
    assert (problem.item, problem.field) == ("second", "anchors")
    assert "'five' is not a whole number" in problem.message


def test_empty_anchor_text() -> None:
    data = _minimal()
    data["items"][1]["anchors"]["2"] = "   "
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == (
        "second",
        "anchors.2",
        "must not be empty",
    )


def test_scale_labels_must_match_levels() -> None:
    data = _minimal()
    data["scale"]["labels"] = {"1": "Poor", "2": "Fair", "3": "OK", "4": "Good"}
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == (
        None,
        "scale.labels",
        "missing level 5",
    )


@pytest.mark.parametrize(("low", "high"), [(5, 5), (5, 1)])
def test_scale_min_not_below_max(low: int, high: int) -> None:
    data = _minimal()
    data["scale"] = {"min": low, "max": high}
    problem = _only(data)
    assert (problem.item, problem.field) == (None, "scale")
    assert problem.message == f"min ({low}) must be less than max ({high})"


def test_scale_with_too_many_levels() -> None:
    data = _minimal()
    data["scale"] = {"min": 0, "max": 100}
    problem = _only(data)
    assert (problem.field, problem.message) == ("scale", "has 101 levels; the limit is 11")


def test_unknown_evidence_metric() -> None:
    data = _minimal()
    data["items"][0]["evidence"] = ["talk_share", "talktime"]
    problem = _only(data)
    assert (problem.item, problem.field) == ("first", "evidence")
    assert problem.message.startswith("unknown metric 'talktime'; choose from talk_share")


def test_duplicate_evidence_metric() -> None:
    data = _minimal()
    data["items"][0]["evidence"] = ["overtalk", "overtalk"]
    problem = _only(data)
    assert (problem.field, problem.message) == (
        "evidence",
        "metric 'overtalk' is listed more than once",
    )


def test_na_default_audio_only_requires_na_allowed() -> None:
    data = _minimal()
    data["items"][1]["na_default_audio_only"] = True
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == (
        "second",
        "na_default_audio_only",
        "requires na_allowed = true",
    )


def test_no_items() -> None:
    data = _minimal()
    data["items"] = []
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == (
        None,
        "items",
        "must list at least one item",
    )


def test_unknown_top_level_field_suggests_the_right_one() -> None:
    data = _minimal()
    data["titel"] = "Typo"
    problem = _only(data)
    assert (problem.item, problem.field) == (None, "titel")
    assert problem.message == "unknown field; did you mean 'title'?"


def test_unknown_item_field() -> None:
    data = _minimal()
    data["items"][0]["wieght"] = 2
    problem = _only(data)
    assert str(problem) == (
        "case.toml: item 'first': field 'wieght': unknown field; did you mean 'weight'?"
    )


def test_unknown_scale_field() -> None:
    data = _minimal()
    data["scale"]["steps"] = 5
    problem = _only(data)
    assert problem.field == "scale.steps" and problem.message.startswith("unknown field")


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", 200), ("listen_for", 1000)],
)
def test_item_text_length_caps(field: str, limit: int) -> None:
    data = _minimal()
    data["items"][0][field] = "<i>" * 400  # 1200 characters
    problem = _only(data)
    assert (problem.item, problem.field) == ("first", field)
    assert problem.message == f"is 1200 characters long; the limit is {limit}"


def test_anchor_length_cap() -> None:
    data = _minimal()
    data["items"][0]["anchors"]["4"] = "a" * 1001
    problem = _only(data)
    assert (problem.item, problem.field, problem.message) == (
        "first",
        "anchors.4",
        "is 1001 characters long; the limit is 1000",
    )


def test_rubric_title_length_cap() -> None:
    data = _minimal()
    data["title"] = "x" * 201
    problem = _only(data)
    assert (problem.item, problem.field) == (None, "title")


def test_version_must_be_positive() -> None:
    data = _minimal()
    data["version"] = 0
    problem = _only(data)
    assert (problem.field, problem.message) == ("version", "must be 1 or more, got 0")


def test_several_problems_are_all_reported_at_once() -> None:
    data = _minimal()
    del data["title"]
    data["extra"] = 1
    data["items"][0]["weight"] = -1
    data["items"][0]["evidence"] = ["nope"]
    data["items"][1]["key"] = "first"
    del data["items"][1]["anchors"]["1"]
    with pytest.raises(RubricError) as caught:
        parse_rubric(data, source=SOURCE)
    error = caught.value
    found = {(p.item, p.field) for p in error.problems}
    assert found == {
        (None, "title"),
        (None, "extra"),
        ("first", "weight"),
        ("first", "evidence"),
        ("first", "key"),
        ("first", "anchors"),
    }
    lines = str(error).splitlines()
    assert len(lines) == len(error.problems) == 6
    assert all(line.startswith("case.toml: ") for line in lines)


# --- loading files --------------------------------------------------------------------


def _write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_load_names_the_file_in_problems(tmp_path: Path) -> None:
    text = DEFAULT.read_text(encoding="utf-8").replace("weight = 1.5", "weight = 0", 1)
    path = _write(tmp_path, "broken.v1.toml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert str(caught.value) == (
        "broken.v1.toml: item 'stop_talking': field 'weight': must be greater than 0"
    )


def test_load_toml_syntax_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.toml", 'key = "x"\nversion = \n')
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    (problem,) = caught.value.problems
    assert problem.file == "bad.toml" and problem.message.startswith("is not valid TOML")


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match=r"^nowhere\.toml: file not found$"):
        load_rubric(tmp_path / "nowhere.toml")


def test_load_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "latin.toml", 'title = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(RubricError, match=r"^latin\.toml: is not UTF-8 text"):
        load_rubric(path)


def test_load_accepts_byte_order_mark(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.toml", b"\xef\xbb\xbf" + DEFAULT.read_bytes())
    assert load_rubric(path) == load_rubric(DEFAULT)


def test_load_dir_sorts_and_collects_problems(tmp_path: Path) -> None:
    base = DEFAULT.read_text(encoding="utf-8")
    _write(tmp_path, "b.toml", base.replace("version = 1", "version = 2"))
    _write(tmp_path, "a.toml", base)
    _write(tmp_path, "notes.txt", "ignored")
    rubrics = load_rubric_dir(tmp_path)
    assert [(r.key, r.version) for r in rubrics] == [("listening", 1), ("listening", 2)]

    _write(tmp_path, "c.toml", base)  # same key and version as a.toml
    _write(tmp_path, "d.toml", "not toml at all [")
    with pytest.raises(RubricError) as caught:
        load_rubric_dir(tmp_path)
    problems = caught.value.problems
    assert [p.file for p in problems] == ["c.toml", "d.toml"]
    assert "also defined in a.toml" in problems[0].message


def test_load_dir_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="is not a directory"):
        load_rubric_dir(tmp_path / "missing")


def test_minimal_fixture_is_valid() -> None:
    # Guards the other tests: each breaks exactly one thing in an otherwise valid rubric.
    rubric = parse_rubric(copy.deepcopy(_minimal()))
    assert rubric.item_keys == ("first", "second")
