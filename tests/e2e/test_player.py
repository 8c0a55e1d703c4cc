"""The call player in real Chromium, on the standalone demo page tests/e2e/player_app.py.

The audio is generated here: 30 s of 8 kHz stereo tones (agent left, customer right)
with an overlap at 9-10 s and a silence at 20-24 s.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playwright.sync_api import expect

from media.signing import sign_media_token

APP = Path(__file__).with_name("player_app.py")
SECRET = "e2e-media-secret-0123456789abcdef"
RATE = 8000
SECONDS = 30


def _write_audio(folder: Path) -> None:
    t = np.arange(RATE * SECONDS) / RATE
    agent_on = (t < 10) | ((t >= 16) & (t < 20)) | (t >= 24)
    customer_on = ((t >= 9) & (t < 16)) | ((t >= 26) & (t < 28))
    stereo = np.stack(
        [
            np.where(agent_on, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0),
            np.where(customer_on, 0.4 * np.sin(2 * np.pi * 330 * t), 0.0),
        ],
        axis=1,
    )
    sf.write(folder / "1.wav", stereo, RATE, subtype="PCM_16")
    sf.write(folder / "2.opus", stereo, RATE, format="OGG", subtype="OPUS")
    sf.write(folder / "3.flac", stereo, RATE)
    # call 4 has no file: 404


@pytest.fixture(scope="module")
def server(streamlit_server, tmp_path_factory):
    audio_dir = tmp_path_factory.mktemp("player-audio")
    _write_audio(audio_dir)
    srv = streamlit_server(
        APP, {"PLAYER_DEMO_AUDIO_DIR": str(audio_dir), "EARSHOT_MEDIA_SECRET": SECRET}
    )
    srv.audio_dir = audio_dir
    return srv


def _token(call_id: int = 1, **kwargs) -> str:
    return sign_media_token(call_id, 7, SECRET.encode(), **kwargs)


def _get(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) without raising on 4xx."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


# ------------------------------------------------------------------ route, no browser


@pytest.mark.parametrize(
    ("call_id", "content_type"), [(1, "audio/wav"), (2, "audio/ogg"), (3, "audio/flac")]
)
def test_route_content_types_and_headers(server, call_id: int, content_type: str) -> None:
    status, headers, body = _get(f"{server.url}/audio/{_token(call_id)}")
    assert status == 200
    assert headers["Content-Type"] == content_type
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["Cache-Control"].startswith("private")
    assert len(body) == int(headers["Content-Length"]) > 0


def test_route_head_and_suffix_range(server) -> None:
    size = (server.audio_dir / "1.wav").stat().st_size
    status, headers, body = _get(f"{server.url}/audio/{_token()}", method="HEAD")
    assert (status, int(headers["Content-Length"]), body) == (200, size, b"")
    status, headers, body = _get(f"{server.url}/audio/{_token()}", headers={"Range": "bytes=-100"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {size - 100}-{size - 1}/{size}"
    assert body == (server.audio_dir / "1.wav").read_bytes()[-100:]


def test_route_unsatisfiable_range(server) -> None:
    status, headers, _ = _get(
        f"{server.url}/audio/{_token()}", headers={"Range": "bytes=99999999-"}
    )
    assert status == 416


def test_route_missing_audio_is_404(server) -> None:
    status, _, body = _get(f"{server.url}/audio/{_token(4)}")
    assert status == 404
    assert b"no audio" in body


# ------------------------------------------------------------------ browser helpers


def _open(page, server, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    page.get_by_text("runs=").wait_for()
    page.locator("audio").wait_for(state="attached")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
    )


def _audio(page, expr: str):
    return page.locator("audio").evaluate(f"a => {expr}")


def _wait_audio(page, predicate: str, timeout_ms: int = 10_000) -> None:
    """Wait until ``predicate`` (JS, audio element bound to ``a``) holds."""
    page.locator("audio").evaluate(
        """(a, [src, timeout]) => new Promise((resolve, reject) => {
            const test = new Function('a', 'return (' + src + ');');
            const start = performance.now();
            (function poll() {
                if (test(a)) return resolve(true);
                if (performance.now() - start > timeout) {
                    return reject(new Error('timed out waiting for ' + src +
                        ' (currentTime=' + a.currentTime + ', paused=' + a.paused + ')'));
                }
                setTimeout(poll, 50);
            })();
        })""",
        [predicate, timeout_ms],
    )


def _text_value(page, prefix: str) -> str:
    text = page.get_by_text(re.compile(f"^{prefix}=")).inner_text()
    return text.split("=", 1)[1]


def _runs(page) -> int:
    return int(_text_value(page, "runs"))


def wait_for_app_idle(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
    )


def _play(page) -> None:
    page.locator(".ep-play").click()
    _wait_audio(page, "!a.paused && a.currentTime > 0.3")


# ------------------------------------------------------------------ browser tests


@pytest.mark.browser
def test_play_advances_time(page, server) -> None:
    _open(page, server)
    assert _audio(page, "a.paused")
    assert page.locator(".ep-dur").inner_text() == "0:30"  # m:ss, as every page shows it
    _play(page)
    _wait_audio(page, "a.currentTime > 1.2")
    assert page.locator(".ep-cur").inner_text() in {"0:01", "0:02"}
    assert page.locator(".ep-play").inner_text() == "Pause"
    page.locator(".ep-play").click()
    _wait_audio(page, "a.paused")


@pytest.mark.browser
def test_opus_plays(page, server) -> None:
    _open(page, server, "?call=2")
    _play(page)
    _wait_audio(page, "a.currentTime > 1.0")


@pytest.mark.browser
def test_marker_click_seeks_and_plays(page, server) -> None:
    _open(page, server)
    assert _audio(page, "a.paused")
    # A marker is "play from here" (issue 14, bug 4): it seeks and plays.
    page.locator(".ep-mk[data-kind=silence]").click()
    _wait_audio(page, "!a.paused && a.currentTime > 20.2 && a.currentTime < 22")
    expect(page.locator(".ep-cur")).to_have_text(re.compile(r"^0:2[01]$"))
    page.locator(".ep-play").click()
    _wait_audio(page, "a.paused")
    # Clicking the waveform seeks too: 25% of 30 s.
    box = page.locator(".ep-wave").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)
    _wait_audio(page, "Math.abs(a.currentTime - 7.5) < 0.2")
    # A seek stays in the browser (no rerun, issue 15): after the next rerun (a note)
    # Python still has no position; a pin brings it, with the pin.
    page.get_by_label("Notes").fill("after the seek")
    page.get_by_label("Notes").press("Control+Enter")
    page.get_by_text("notes_len=14").wait_for()
    assert _text_value(page, "time_s") == "None"
    page.locator(".ep-pin").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stText]')]"
        ".some(e => /^time_s=7\\.[3-7]/.test(e.innerText))"
    )


@pytest.mark.browser
def test_comment_in_list_seeks_from_python(page, server) -> None:
    _open(page, server)
    _play(page)
    page.get_by_role("button", name="Go to 8.00").click()
    _wait_audio(page, "a.currentTime >= 8 && a.currentTime < 9.5")
    assert not _audio(page, "a.paused"), "a seek requested by Python must not stop playback"


@pytest.mark.browser
def test_a_comments_time_plays_from_there_when_paused(page, server) -> None:
    """Issue 14, bug 4: "Play from here" seeked and left the audio paused."""
    _open(page, server)
    assert _audio(page, "a.paused")
    page.get_by_role("button", name="Go to 8.00").click()
    _wait_audio(page, "!a.paused && a.currentTime > 8.2 && a.currentTime < 10")
    expect(page.locator(".ep-play")).to_have_text("Pause")


@pytest.mark.browser
def test_marker_labels_are_text_not_html(page, server) -> None:
    _open(page, server)
    marker = page.locator(".ep-mk[data-kind=comment]").first
    marker.hover()
    tooltip = page.locator(".ep-tooltip")
    assert '<img src=x onerror="window.__xss=1"> Greeting <b>ok</b>' in tooltip.inner_text()
    assert page.locator(".ep img, .ep b").count() == 0
    assert page.evaluate("() => window.__xss") is None


@pytest.mark.browser
def test_c_pins_comment_at_playhead(page, server) -> None:
    _open(page, server)
    _play(page)
    _wait_audio(page, "a.currentTime > 1.5")
    page.locator(".ep-play").click()  # pause, so the playhead is exact
    _wait_audio(page, "a.paused")
    expected = round(_audio(page, "a.currentTime"), 2)
    page.locator("h1").click()  # focus on the page, outside any input
    page.keyboard.press("c")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stText]')]"
        ".some(e => e.innerText.startsWith('pinned_at=') && e.innerText !== 'pinned_at=None')"
    )
    assert float(_text_value(page, "pinned_at")) == pytest.approx(expected, abs=0.01)
    # Streamlit's own "c" shortcut (clear-cache dialog) must not fire.
    assert page.get_by_role("dialog").count() == 0
    # The page turned the pin into a comment: a new marker and a list entry.
    page.get_by_role("button", name=f"Go to {expected:.2f}").wait_for()
    assert page.locator(".ep-mk[data-kind=comment]").count() == 2
    # The "Comment here" button does the same.
    page.locator(".ep-pin").click()
    page.locator(".ep-mk[data-kind=comment]").nth(2).wait_for(state="attached")


@pytest.mark.browser
def test_keyboard_shortcuts(page, server) -> None:
    _open(page, server)
    page.locator("h1").click()
    page.keyboard.press(" ")
    _wait_audio(page, "!a.paused")
    page.keyboard.press(" ")
    _wait_audio(page, "a.paused")
    start = _audio(page, "a.currentTime")
    page.keyboard.press("ArrowRight")
    _wait_audio(page, f"Math.abs(a.currentTime - {start + 5}) < 0.05")
    page.keyboard.press("ArrowLeft")
    _wait_audio(page, f"Math.abs(a.currentTime - {start}) < 0.05")
    # In a text field the keys are the user's: no toggling, no seeking, no pin.
    page.get_by_label("Notes").click()
    page.keyboard.type("c c")
    page.keyboard.press("ArrowLeft")
    assert _audio(page, "a.paused")
    assert _audio(page, "a.currentTime") == pytest.approx(start, abs=0.05)
    assert page.get_by_label("Notes").input_value() == "c c"


@pytest.mark.browser
def test_range_request_returns_206(page, server) -> None:
    _open(page, server)
    src = _audio(page, "a.currentSrc")
    assert re.search(r"/audio/[\w-]+\.[\w-]+$", src)
    size = (server.audio_dir / "1.wav").stat().st_size
    resp = page.request.get(src, headers={"Range": "bytes=100-199"})
    assert resp.status == 206
    assert resp.headers["content-range"] == f"bytes 100-199/{size}"
    assert resp.headers["accept-ranges"] == "bytes"
    assert resp.headers["content-type"] == "audio/wav"
    assert resp.headers["cache-control"].startswith("private")
    assert resp.body() == (server.audio_dir / "1.wav").read_bytes()[100:200]


@pytest.mark.browser
def test_tampered_or_expired_token_is_403(page, server) -> None:
    _open(page, server)
    src = _audio(page, "a.currentSrc")
    base, token = src.rsplit("/", 1)
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    other_call = _token(2).split(".")[0] + "." + token.split(".")[1]  # payload swapped
    expired = _token(ttl_s=60, now=time.time() - 3600)
    for bad in (flipped, other_call, expired, "not-a-token"):
        resp = page.request.get(f"{base}/{bad}", headers={"Range": "bytes=0-99"})
        assert resp.status == 403, bad
        assert "invalid or has expired" in resp.text()
    assert page.request.get(src).status == 200


@pytest.mark.browser
def test_reruns_do_not_interrupt_playback(page, server) -> None:
    _open(page, server)
    # Count (re)loads of the media element from now on and tag the element itself.
    page.locator("audio").evaluate(
        "a => { a.__probe = 'same-element'; a.__loads = 0;"
        " a.addEventListener('loadstart', () => a.__loads++);"
        " a.addEventListener('emptied', () => a.__loads++); }"
    )
    _play(page)
    src = _audio(page, "a.currentSrc")
    _wait_audio(page, "a.currentTime > 1.0")

    # 1) A rerun that leaves the player's props unchanged (apart from the re-signed
    #    URL): typing a note and committing it.
    runs = _runs(page)
    before = _audio(page, "a.currentTime")
    page.get_by_label("Notes").fill("Greeting was fine; ")
    page.get_by_label("Notes").press("Control+Enter")
    page.get_by_text("notes_len=19").wait_for()
    assert _runs(page) > runs
    _wait_audio(page, f"!a.paused && a.currentTime > {before + 0.5}")

    # 2) A rerun that changes the player's props while playing: a new comment marker.
    runs = _runs(page)
    before = _audio(page, "a.currentTime")
    page.locator(".ep-pin").click()
    page.get_by_text(re.compile(r"^pinned_at=\d")).wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stApp]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'"
    )
    assert _runs(page) > runs
    assert page.locator(".ep-mk[data-kind=comment]").count() == 2
    _wait_audio(page, f"!a.paused && a.currentTime > {before + 0.5}")

    assert _audio(page, "a.__probe") == "same-element", "the <audio> element was recreated"
    assert _audio(page, "a.__loads") == 0, "the audio source was reloaded"
    assert _audio(page, "a.currentSrc") == src


@pytest.mark.browser
def test_element_appearing_above_player_does_not_interrupt(page, server) -> None:
    _open(page, server)
    page.locator("audio").evaluate("a => { a.__probe = 'same-element'; }")
    _play(page)
    _wait_audio(page, "a.currentTime > 1.0")
    before = _audio(page, "a.currentTime")
    page.get_by_text("Show banner").click()
    page.get_by_text("Score saved.").wait_for()
    _wait_audio(page, f"!a.paused && a.currentTime > {before + 0.5}")
    assert _audio(page, "a.__probe") == "same-element"


@pytest.mark.browser
def test_expired_link_recovers_with_a_fresh_url(page, server) -> None:
    # First run hands out an expired link: the player gets a 403, asks for one rerun,
    # and switches to the freshly signed URL from that run.
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/audio/" in r.url else None)
    _open(page, server, "?expired_first=1")
    _wait_audio(page, "a.readyState >= 1")
    assert 403 in statuses
    assert _runs(page) >= 2
    _play(page)
    _wait_audio(page, "a.currentTime > 1.0")


@pytest.mark.browser
def test_a_hold_shows_as_a_band_over_its_whole_length(page, server) -> None:
    """Hold (issue 19) is neither party's talk: a band from its start to its end, named."""
    _open(page, server)
    band = page.locator(".ep-mk[data-kind=hold]")
    expect(band).to_be_visible()
    expect(band).to_have_attribute("aria-label", "On hold at 0:25 · On hold 3 s")
    strip = page.locator(".ep-markers").bounding_box()
    box = band.bounding_box()
    assert abs(box["width"] - strip["width"] * 3 / 30) < 3  # 3 s of a 30 s call
    assert abs(box["x"] - (strip["x"] + strip["width"] * 25 / 30)) < 3
    band.click()
    _wait_audio(page, "a.currentTime >= 25 && a.currentTime < 26.5")


# ------------------------------------------------------------------ scoring flow (issue 14)


@pytest.mark.browser
def test_number_keys_score_the_item_being_worked_on(page, server) -> None:
    _open(page, server)
    item = page.locator("[data-testid=stRadio]", has_text="Item one")
    item.get_by_text("2", exact=True).click()
    expect(page.get_by_text("item_one=2")).to_be_visible()
    page.keyboard.press("4")
    expect(page.get_by_text("item_one=4")).to_be_visible()
    page.keyboard.press("n")
    expect(page.get_by_text("item_one=N/A")).to_be_visible()
    # A click elsewhere leaves the item: the keys no longer score it.
    page.locator("h1").click()
    page.keyboard.press("1")
    wait_for_app_idle(page)
    expect(page.get_by_text("item_one=N/A")).to_be_visible()
    # In a text field a digit is just typed.
    page.get_by_label("Notes").click()
    page.keyboard.type("3")
    expect(page.get_by_label("Notes")).to_have_value("3")
    expect(page.get_by_text("item_one=N/A")).to_be_visible()


@pytest.mark.browser
def test_question_mark_shows_the_shortcuts(page, server) -> None:
    _open(page, server)
    help_box = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_box).to_be_hidden()
    page.locator("h1").click()
    page.keyboard.press("?")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("Score the item you are on")
    page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()
    page.get_by_role("button", name="Keyboard shortcuts (?)").click()
    expect(help_box).to_be_visible()


@pytest.mark.browser
def test_the_waveform_zooms_with_keys_buttons_and_the_wheel(page, server) -> None:
    _open(page, server)
    scroll = page.locator(".ep-scroll")
    view = scroll.evaluate("e => e.clientWidth")
    track = page.locator(".ep-track")
    page.locator("h1").click()
    page.keyboard.press("+")
    expect(page.locator(".ep-zoom")).to_have_text("2×")
    assert track.evaluate("e => e.clientWidth") == pytest.approx(2 * view, abs=2)
    page.get_by_role("button", name="Zoom in (+)").click()
    expect(page.locator(".ep-zoom")).to_have_text("4×")
    # The canvas is redrawn at the new width, and a click still seeks to the right moment.
    assert page.locator(".ep-canvas").evaluate("e => e.clientWidth") == pytest.approx(
        4 * view, abs=4
    )
    page.locator(".ep-mk[data-kind=silence]").click()  # 20 s: scrolled into view first
    _wait_audio(page, "a.currentTime >= 20 && a.currentTime < 22")
    page.locator(".ep-play").click()
    _wait_audio(page, "a.paused")
    page.keyboard.press("-")
    expect(page.locator(".ep-zoom")).to_have_text("2×")
    box = scroll.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -200)
    expect(page.locator(".ep-zoom")).to_have_text("4×")
    page.wait_for_timeout(200)  # the next gesture (one step per gesture)
    page.mouse.wheel(0, 200)
    expect(page.locator(".ep-zoom")).to_have_text("2×")


@pytest.mark.browser
def test_typing_a_comment_pauses_playback_unless_switched_off(page, server) -> None:
    _open(page, server)
    setting = page.get_by_label("Pause while I type a comment")
    expect(setting).to_be_checked()
    _play(page)
    page.get_by_label("Comment text").click()
    page.keyboard.type("Agent")
    _wait_audio(page, "a.paused")
    expect(page.locator(".ep-status")).to_have_text("Paused while you type a comment")
    # Typing elsewhere (the notes) never pauses; and with the setting off, neither does this.
    setting.uncheck()
    _play(page)
    page.get_by_label("Comment text").click()
    page.keyboard.type(" talks")
    page.get_by_label("Notes").click()
    page.keyboard.type("x")
    _wait_audio(page, "!a.paused && a.currentTime > 1.5")
    page.reload()
    page.locator("audio").wait_for(state="attached")
    expect(page.get_by_label("Pause while I type a comment")).not_to_be_checked()


@pytest.mark.browser
def test_a_player_made_read_only_stops_pinning_and_says_why(page, server) -> None:
    """Issue 14, bug 7: pinning where comments are closed said "Comment pinned"."""
    _open(page, server)
    expect(page.locator(".ep-pin")).to_be_visible()
    page.get_by_text("Read only").click()
    expect(page.locator(".ep-pin")).to_be_hidden()
    wait_for_app_idle(page)
    page.locator("h1").click()
    page.keyboard.press("c")
    expect(page.locator(".ep-status")).to_have_text("Read only: comments are closed.")
    wait_for_app_idle(page)
    expect(page.get_by_text("pinned_at=None")).to_be_visible()
