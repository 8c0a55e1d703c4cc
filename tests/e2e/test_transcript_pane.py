"""The transcript pane of the call player in real Chromium (tests/e2e/transcript_app.py):
clicking a line seeks the audio, playing highlights the current line and word, a moment
link from Python seeks and outlines its line, search marks matches on the waveform, a
line pins a comment at its start, and text stays text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import expect

APP = Path(__file__).with_name("transcript_app.py")
SECRET = "e2e-media-secret-0123456789abcdef"
RATE = 8000
SECONDS = 30


@pytest.fixture(scope="module")
def server(streamlit_server, tmp_path_factory):
    audio_dir = tmp_path_factory.mktemp("transcript-audio")
    t = np.arange(RATE * SECONDS) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    sf.write(audio_dir / "1.wav", np.stack([tone, tone], axis=1), RATE, subtype="PCM_16")
    return streamlit_server(
        APP, {"PLAYER_DEMO_AUDIO_DIR": str(audio_dir), "EARSHOT_MEDIA_SECRET": SECRET}
    )


def _open(page, server):
    page.goto(server.url)
    expect(page.locator(".ep-line")).to_have_count(5)
    expect(page.locator("audio")).to_have_js_property("readyState", 4, timeout=15_000)


def _lines(page):
    return page.locator(".ep-line")


CURRENT = re.compile(r"\bep-line-current\b")


@pytest.mark.browser
def test_lines_show_parties_and_text_as_text(page, server):
    _open(page, server)
    lines = _lines(page)
    expect(lines.nth(0)).to_have_attribute("data-speaker", "agent")
    expect(lines.nth(1)).to_have_attribute("data-speaker", "customer")
    expect(lines.nth(1).locator(".ep-line-who")).to_have_text("Customer")
    expect(lines.nth(3).locator(".ep-line-text")).to_have_text(
        '<img src=x onerror="window.__xss=1"> <b>bold</b> claims'
    )
    expect(page.locator(".ep img, .ep b")).to_have_count(0)
    assert page.evaluate("() => window.__xss") is None
    # Badges on the lines the text-evidence markers point at, and a legend.
    expect(lines.nth(2).locator(".ep-badge[data-kind=defensive]")).to_have_count(1)
    expect(lines.nth(4).locator(".ep-badge[data-kind=paraphrase]")).to_have_count(1)
    legend = page.locator(".ep-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("Defensive (1)")
    expect(legend).to_contain_text("Paraphrase (1)")
    expect(legend).to_contain_text("Silence (1)")


@pytest.mark.browser
def test_clicking_a_line_seeks_the_audio_and_plays(page, server):
    _open(page, server)
    _lines(page).nth(2).locator(".ep-line-text").click()
    audio = page.locator("audio")
    expect(audio).to_have_js_property("paused", False)
    expect(page.locator(".ep-cur")).to_have_text(re.compile(r"^0:(09|10)$"))
    expect(_lines(page).nth(2)).to_have_class(CURRENT)
    # The page's keyboard shortcuts still work after a click in the pane: space pauses.
    page.keyboard.press(" ")
    expect(audio).to_have_js_property("paused", True)


@pytest.mark.browser
def test_playing_highlights_the_current_line_and_word(page, server):
    _open(page, server)
    page.locator(".ep-play").click()
    expect(_lines(page).nth(0)).to_have_class(CURRENT)
    expect(page.locator(".ep-word-current")).to_have_count(1)
    expect(_lines(page).nth(1)).to_have_class(CURRENT, timeout=10_000)  # from 2.5 s
    expect(_lines(page).nth(0)).not_to_have_class(CURRENT)
    expect(page.locator(".ep-line-current")).to_have_count(1)
    expect(page.locator(".ep-word-current")).to_have_count(0)  # line 2 has no word timings


@pytest.mark.browser
def test_a_moment_link_seeks_and_highlights_its_line(page, server):
    _open(page, server)
    page.get_by_role("button", name="Moment at 0:09").click()
    line = _lines(page).nth(2)
    expect(line).to_have_class(re.compile(r"\bep-line-flash\b"))
    expect(line).to_have_class(CURRENT)
    expect(page.locator(".ep-cur")).to_have_text("0:09")
    expect(page.locator("audio")).to_have_js_property("currentTime", 9)


@pytest.mark.browser
def test_search_marks_matches_on_the_waveform_and_steps_through_them(page, server):
    _open(page, server)
    search = page.get_by_label("Search the transcript")
    search.fill("invoice")
    expect(page.locator(".ep-tx-hits")).to_have_text("2 matches")
    expect(page.locator(".ep-mk-search")).to_have_count(2)
    expect(page.locator(".ep-line-hit")).to_have_count(2)
    search.press("Enter")
    expect(page.locator(".ep-tx-hits")).to_have_text("1 of 2")
    expect(page.locator("audio")).to_have_js_property("currentTime", 2.5)
    search.press("Enter")
    expect(page.locator("audio")).to_have_js_property("currentTime", 16)
    # Typing in the search box is not a shortcut: no play, no pin.
    search.fill("c c")
    expect(page.locator("audio")).to_have_js_property("paused", True)
    expect(page.locator(".ep-tx-hits")).to_have_text("0 matches")
    search.fill("")
    expect(page.locator(".ep-mk-search")).to_have_count(0)


@pytest.mark.browser
def test_a_line_pins_a_comment_at_its_start(page, server):
    _open(page, server)
    line = _lines(page).nth(3)
    line.hover()
    line.get_by_role("button", name="Comment at 0:12").click()
    expect(page.get_by_text("pinned_at=12.0")).to_be_visible()


# ------------------------------------------------------------------ in the real Score page


@pytest.mark.browser
def test_score_page_moment_link_seeks_the_player_and_highlights_the_line(page, earshot_app):
    from db.services.transcripts import attach_transcript
    from tests.e2e.conftest import REPO_ROOT, log_in, wait_for_app
    from tests.factories import PASSWORD

    world, call = earshot_app.world, earshot_app.calls[1]  # ana-02: a paraphrase at 0:36
    vtt = REPO_ROOT / "demo" / "transcripts" / "ana-02-new-starter-access.vtt"
    attach_transcript(world.admin, call.id, vtt.read_bytes(), vtt.name)  # evidence: a job
    log_in(page, earshot_app.url, world.sup_north.username, PASSWORD)
    page.goto(f"{earshot_app.url}/score?call={call.id}")
    wait_for_app(page)
    expect(page.locator(".ep-line")).to_have_count(14)
    expect(page.locator(".ep-legend")).to_contain_text("Paraphrase (1)")
    # Listed beside both items the rubric maps paraphrases to (engaged listening, play back).
    moment = page.get_by_text(re.compile(r"^0:36 · a reflective opener"))
    expect(moment).to_have_count(2)
    moment.last.click()
    line = page.locator(".ep-line.ep-line-flash")
    expect(line).to_have_count(1)
    expect(line).to_have_attribute("data-t", re.compile(r"^36\.8"))
    expect(line.locator(".ep-badge[data-kind=paraphrase]")).to_have_count(1)
    expect(page.locator(".ep-cur")).to_have_text("0:36")
    expect(page.locator("audio")).to_have_js_property(
        "currentTime", float(line.get_attribute("data-t"))
    )
