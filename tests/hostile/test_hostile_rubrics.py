"""Hostile rubric files, read from disk the way sync_rubrics reads them.

The shipped rubric file is damaged one way at a time (as an author's editor would leave
it) and ``load_rubric`` must answer with a RubricError whose problems name the file, the
item and the field; never another exception. The database keeps the versions it has.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from db.services.rubrics import (
    RUBRIC_DIR,
    RubricVersionConflict,
    list_rubric_versions,
    sync_rubrics,
)
from scoring.rubric import RubricError, load_rubric, load_rubric_dir
from tests.factories import make_world

SOURCE = (RUBRIC_DIR / "listening.v1.toml").read_text(encoding="utf-8")
FIRST_ITEM = "stop_talking"


def _write(tmp_path: Path, text: str | bytes, name: str = "broken.toml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _sub(pattern: str, replacement: str, count: int = 1) -> str:
    changed, n = re.subn(pattern, replacement, SOURCE, count=count, flags=re.MULTILINE)
    assert n, f"the shipped rubric no longer contains {pattern!r}"
    return changed


# (damaged text, item named in the problem or None, field named, words in the message)
MISTAKES = {
    "weight zero": (_sub(r"^weight = 1\.5$", "weight = 0"), FIRST_ITEM, "weight", "greater"),
    "weight negative": (_sub(r"^weight = 1\.5$", "weight = -2"), FIRST_ITEM, "weight", "greater"),
    "weight inf": (_sub(r"^weight = 1\.5$", "weight = inf"), FIRST_ITEM, "weight", "finite"),
    "weight nan": (_sub(r"^weight = 1\.5$", "weight = nan"), FIRST_ITEM, "weight", "finite"),
    "weight text": (_sub(r"^weight = 1\.5$", 'weight = "1.5"'), FIRST_ITEM, "weight", "text"),
    "weight date": (
        _sub(r"^weight = 1\.5$", "weight = 1979-05-27"),
        FIRST_ITEM,
        "weight",
        "must be a number",
    ),
    "weight huge": (_sub(r"^weight = 1\.5$", "weight = 1e308"), FIRST_ITEM, "weight", "at most"),
    "typo in a field": (
        _sub(r"^weight = 1\.5$", "wieght = 1.5"),
        FIRST_ITEM,
        "wieght",
        "did you mean 'weight'",
    ),
    "missing title": (
        _sub(r'^title = "Gives the customer the floor"$', ""),
        FIRST_ITEM,
        "title",
        "is required",
    ),
    "blank title": (
        _sub(r'^title = "Gives the customer the floor"$', 'title = "   "'),
        FIRST_ITEM,
        "title",
        "must not be empty",
    ),
    "title too long": (
        _sub(r'^title = "Gives the customer the floor"$', f'title = "{"x" * 5000}"'),
        FIRST_ITEM,
        "title",
        "limit is 200",
    ),
    "anchor level missing": (
        _sub(r'^"3" = "The customer gets to describe.*$', ""),
        FIRST_ITEM,
        "anchors",
        "missing level 3",
    ),
    "anchor level off scale": (
        _sub(r'^"5" = "The customer clearly leads.*$', '"9" = "Nine"'),
        FIRST_ITEM,
        "anchors",
        "outside the scale",
    ),
    "anchor not a number": (
        _sub(r'^"5" = "The customer clearly leads.*$', 'five = "Five"'),
        FIRST_ITEM,
        "anchors",
        "not a whole number",
    ),
    "anchor empty": (
        _sub(r'^"1" = "The agent dominates.*$', '"1" = ""'),
        FIRST_ITEM,
        "anchors.1",
        "must not be empty",
    ),
    "duplicate item key": (
        _sub(r'^key = "open_mind"$', 'key = "stop_talking"'),
        FIRST_ITEM,
        "key",
        "duplicate key",
    ),
    "key not a slug": (
        _sub(r'^key = "stop_talking"$', 'key = "Stop Talking!"'),
        "#1",
        "key",
        "slug",
    ),
    "homoglyph key": (
        _sub(r'^key = "stop_talking"$', 'key = "stop_talk\u0456ng"'),
        "#1",
        "key",
        "slug",
    ),
    "zero-width key": (
        _sub(r'^key = "stop_talking"$', 'key = "stop\u200b_talking"'),
        "#1",
        "key",
        "slug",
    ),
    "unknown metric": (
        _sub(
            r'^evidence = \["talk_share", "longest_agent_turn"\]$',
            'evidence = ["talk_share", "charisma"]',
        ),
        FIRST_ITEM,
        "evidence",
        "unknown metric 'charisma'",
    ),
    "evidence not a list": (
        _sub(r'^evidence = \["talk_share", "longest_agent_turn"\]$', 'evidence = "talk_share"'),
        FIRST_ITEM,
        "evidence",
        "list",
    ),
    "critical as text": (
        _sub(r"^weight = 1\.5$", 'weight = 1.5\ncritical = "yes"'),
        FIRST_ITEM,
        "critical",
        "true or false",
    ),
    "N/A default without N/A": (
        _sub(r"^weight = 1\.5$", "weight = 1.5\nna_default_audio_only = true"),
        FIRST_ITEM,
        "na_default_audio_only",
        "requires na_allowed",
    ),
    "version zero": (_sub(r"^version = 1$", "version = 0"), None, "version", "1 or more"),
    "version as text": (_sub(r"^version = 1$", 'version = "1"'), None, "version", "whole number"),
    "version missing": (_sub(r"^version = 1$", ""), None, "version", "is required"),
    "scale upside down": (
        _sub(r"^min = 1$", "min = 5").replace("max = 5", "max = 1", 1),
        None,
        "scale",
        "less than max",
    ),
    "scale too long": (_sub(r"^max = 5$", "max = 50"), None, "scale", "limit is 11"),
    "rubric key not a slug": (
        _sub(r'^key = "listening"$', 'key = "../../etc/passwd"'),
        None,
        "key",
        "slug",
    ),
    "unknown top-level field": (
        _sub(r'^key = "listening"$', 'key = "listening"\ntitel = "x"'),
        None,
        "titel",
        "did you mean 'title'",
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_mistake_names_file_item_and_field(tmp_path, mistake):
    text, item, field, words = MISTAKES[mistake]
    path = _write(tmp_path, text)
    with pytest.raises(RubricError) as refused:
        load_rubric(path)
    problems = refused.value.problems
    match = [p for p in problems if p.item == item and p.field == field]
    assert match, f"no problem for item={item!r} field={field!r}: {problems}"
    assert words in match[0].message
    assert all(p.file == "broken.toml" for p in problems)
    line = str(match[0])
    assert line.startswith("broken.toml: ") and (item is None or f"item '{item}'" in line)


FILE_MISTAKES = {
    "not TOML": ('key = "listening"\nversion = \n', "is not valid TOML"),
    "unclosed string": (
        SOURCE.replace(
            'title = "Listening on support calls"', 'title = "Listening on support calls', 1
        ),
        "is not valid TOML",
    ),
    "duplicate table key": (
        SOURCE.replace("version = 1", "version = 1\nversion = 2", 1),
        "is not valid TOML",
    ),
    "latin-1": ('title = "\xe9coute"\n'.encode("latin-1"), "is not UTF-8"),
    "utf-16": (SOURCE.encode("utf-16"), "is not UTF-8"),
    "binary": (bytes(range(256)) * 4, "is not UTF-8"),
    "too large": ("# " + "x" * 1_000_100 + "\n", "larger than"),
    "empty": ("", "is required"),
    "deeply nested arrays": ("x = " + "[" * 5000 + "]" * 5000 + "\n", "TOML"),
    "deeply nested tables": ("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", "TOML"),
}


@pytest.mark.parametrize("mistake", list(FILE_MISTAKES))
def test_unreadable_files_are_a_rubric_error_naming_the_file(tmp_path, mistake):
    content, words = FILE_MISTAKES[mistake]
    path = _write(tmp_path, content)
    try:
        load_rubric(path)
    except RubricError as exc:
        assert str(exc).startswith("broken.toml: ") and words in str(exc)
    else:
        pytest.fail("a broken file was accepted")


def test_paths_that_are_not_rubric_files(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    cases = {
        tmp_path / "missing.toml": "file not found",
        tmp_path / "folder.toml": "is a directory",
    }
    zero = tmp_path / "zero.toml"
    zero.symlink_to("/dev/zero")  # endless input: read is bounded
    cases[zero] = "larger than"
    for path, words in cases.items():
        with pytest.raises(RubricError, match=words):
            load_rubric(path)


def test_every_problem_in_a_file_is_reported_in_one_pass(tmp_path):
    text = _sub(r"^weight = 1\.5$", "weight = -1")
    text = re.sub(r'^key = "open_mind"$', 'key = "Open Mind"', text, count=1, flags=re.M)
    text = re.sub(r"^version = 1$", "version = 0", text, count=1, flags=re.M)
    with pytest.raises(RubricError) as refused:
        load_rubric(_write(tmp_path, text))
    named = {(p.item, p.field) for p in refused.value.problems}
    assert {(FIRST_ITEM, "weight"), ("#2", "key"), (None, "version")} <= named


def test_a_bom_and_hostile_text_in_wording_are_accepted_as_text(tmp_path):
    text = "\ufeff" + _sub(
        r'^title = "Gives the customer the floor"$',
        'title = "<script>alert(1)</script> \u202eroolf eht \U0001f3a7"',
    )
    rubric = load_rubric(_write(tmp_path, text))
    assert rubric.item(FIRST_ITEM).title == "<script>alert(1)</script> \u202eroolf eht \U0001f3a7"


def test_a_folder_with_a_broken_file_and_a_clash_reports_both_and_stores_nothing(
    database, tmp_path
):
    make_world()  # stores listening v1, v2 and v3 from the shipped folder
    stored = list_rubric_versions()
    assert [(r["key"], r["version"]) for r in stored] == [("listening", v) for v in (1, 2, 3)]
    folder = tmp_path / "rubrics"
    folder.mkdir()
    shutil.copy(RUBRIC_DIR / "listening.v1.toml", folder / "listening.v1.toml")
    _write(folder, SOURCE, "copy-of-v1.toml")  # the same key and version twice
    _write(
        folder,
        _sub(r"^version = 1$", "version = 2").replace("weight = 1.5", "weight = 0"),
        "listening.v2.toml",
    )
    with pytest.raises(RubricError) as refused:
        load_rubric_dir(folder)
    message = str(refused.value)
    assert "listening.v2.toml: item 'stop_talking': field 'weight'" in message
    assert "is also defined in" in message
    with pytest.raises(RubricError):
        sync_rubrics(None, folder)
    changed = folder / "changed"
    changed.mkdir()
    _write(
        changed,
        SOURCE.replace("Gives the customer the floor", "Lets the customer talk"),
        "listening.v1.toml",
    )
    with pytest.raises(RubricVersionConflict, match="new version number"):
        sync_rubrics(None, changed)  # same version, new wording: refused
    assert list_rubric_versions() == stored  # nothing added, nothing changed
