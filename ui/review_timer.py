"""Active review time, measured in the browser (a tiny ``st.components.v2`` component).

The Score page used to store the seconds between its last page load and Submit, so a
reload restarted the clock. This counts, in the tab, only the seconds the page is in
use: visible, and touched (a key, click, scroll or pointer move) in the last `IDLE_S`
seconds or playing a call. It reports the running total of this page load every
`REPORT_S` active seconds and whenever the tab is hidden or left; the page adds what is
new to the draft (`db.services.evaluations.record_review_time`), so time accumulates across
loads and sessions. Nothing is fetched from outside the app.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

IDLE_S = 90  # no input and nothing playing for this long: the clock stops
REPORT_S = 10  # report after this many new active seconds (and on hide)

_JS = r"""
const timers = new WeakMap();

function playing() {
  // The player's <audio> lives in its component's shadow root.
  const roots = [document];
  for (const el of document.querySelectorAll("*")) if (el.shadowRoot) roots.push(el.shadowRoot);
  return roots.some((r) => [...r.querySelectorAll("audio")].some((a) => !a.paused && !a.ended));
}

function start(cfg) {
  const t = { activeMs: 0, reportedMs: 0, lastInput: Date.now(), lastTick: Date.now(), cfg };
  const touch = () => { t.lastInput = Date.now(); };
  const events = ["pointerdown", "pointermove", "keydown", "wheel", "scroll", "touchstart"];
  for (const name of events) window.addEventListener(name, touch, { capture: true, passive: true });
  t.report = (force) => {
    const fresh = t.activeMs - t.reportedMs;
    if (!t.send || fresh < (force ? 1000 : t.cfg.report_s * 1000)) return;
    const whole = Math.floor(t.activeMs / 1000); // the part of a second left counts next time
    t.reportedMs = whole * 1000;
    t.send("active_s", whole);
  };
  // Each step is counted by the state the page was in during it: visible since the
  // last tick (a step that ends when the tab shows again was spent hidden).
  t.wasVisible = document.visibilityState === "visible";
  const tick = () => {
    const now = Date.now();
    const step = Math.min(now - t.lastTick, 2000); // a sleeping laptop adds nothing
    t.lastTick = now;
    const busy = now - t.lastInput < t.cfg.idle_s * 1000 || playing();
    if (t.wasVisible && busy && step > 0) t.activeMs += step;
    t.wasVisible = document.visibilityState === "visible";
    t.report(false);
  };
  const hidden = () => {
    tick(); // closes the step before the change, counted as it was spent
    if (document.visibilityState !== "visible") t.report(true);
  };
  document.addEventListener("visibilitychange", hidden);
  window.addEventListener("pagehide", () => { tick(); t.report(true); });
  t.interval = setInterval(tick, 1000);
  t.stop = () => {
    clearInterval(t.interval);
    document.removeEventListener("visibilitychange", hidden);
    for (const name of events) window.removeEventListener(name, touch, { capture: true });
  };
  return t;
}

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  let t = timers.get(parentElement);
  if (!t) {
    t = start(data);
    timers.set(parentElement, t);
  }
  t.cfg = data;
  t.send = setStateValue;
  return () => {
    setTimeout(() => {
      const host = parentElement.host || parentElement;
      if (!host.isConnected && timers.get(parentElement) === t) {
        t.stop();
        timers.delete(parentElement);
      }
    }, 0);
  };
}
"""

_mount = st.components.v2.component(
    "earshot_review_timer",
    html='<span aria-hidden="true"></span>',
    js=_JS,
)


def _noop() -> None:
    """Callbacks must be registered for Streamlit to surface state values."""


def active_seconds(key: str) -> int | None:
    """Mount the timer (invisible) and return this page load's active seconds as last
    reported, or None before the first report or outside a Streamlit script run."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    result: Any = _mount(
        key=key,
        data={"idle_s": IDLE_S, "report_s": REPORT_S},
        on_active_s_change=_noop,
    )
    raw = result.get("active_s") if result is not None else None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return None
    return max(0, int(raw))


def new_seconds(key: str, reported: int | None) -> int:
    """Seconds reported since the last call for `key` in this session (0 if none): the
    part of this page load's active time not yet stored."""
    if reported is None:
        return 0
    seen_key = f"_earshot_review_seen::{key}"
    seen = int(st.session_state.get(seen_key, 0))
    st.session_state[seen_key] = reported
    return reported - seen if reported >= seen else reported  # a remount starts at 0
