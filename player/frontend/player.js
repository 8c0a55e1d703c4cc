// Earshot call player: a Streamlit components-v2 module (plain ES module, no build step).
//
// Lifecycle (streamlit 1.67): Streamlit imports this module once and calls the default
// export on mount and again, with the same parentElement, whenever `data` changes. A
// rerun with unchanged data does not call it at all. So one Player lives per
// parentElement and update() patches it in place: the <audio> element is created once
// (from player.html) and its src is only touched when the call itself changes.
// All user-visible text goes through textContent or setAttribute, never innerHTML.

const SKIP_S = 5;
const LANE_H = 56; // px per speaker lane on the canvas
const TURN_H = 6; // px of the turn bar at the bottom of a lane
const REFRESH_MIN_GAP_MS = 60000; // at most one "give me a fresh URL" rerun a minute
// Text-evidence kinds (moments found in the transcript) draw like the listening ones.
const TEXT_KINDS = ["paraphrase", "question", "defensive", "completion", "repeat", "empathy"];
const KINDS = new Set(["comment", "interruption", "silence", "hold", ...TEXT_KINDS]);
const KIND_NAMES = {
  comment: "Comment",
  interruption: "Interruption",
  silence: "Silence",
  hold: "On hold",
  paraphrase: "Paraphrase",
  question: "Question",
  defensive: "Defensive",
  completion: "Finished their sentence",
  repeat: "Customer repeats",
  empathy: "Empathy",
  search: "Search match",
};
const BADGE_TEXT = {
  paraphrase: "P",
  question: "?",
  defensive: "D",
  completion: "F",
  repeat: "R",
  empathy: "E",
};
const PARTY_NAMES = { agent: "Agent", customer: "Customer", unknown: "Speaker" };
const SEARCH_DELAY_MS = 150;
const FOLLOW_PAUSE_MS = 4000; // after the listener scrolls the pane, follow again later
const FLASH_MS = 2500;
const LANE_FALLBACK_COLORS = ["#0068c9", "#ff8700", "#29b09d", "#7defa1"];
const MAX_ZOOM = 64; // the waveform zooms in powers of two up to this
const MAX_CANVAS_PX = 30000; // browsers refuse wider canvases
const WHEEL_GAP_MS = 120; // one zoom step per wheel gesture, not one per trackpad event
const TYPING_SETTING = "earshot.pauseWhileTyping"; // localStorage: "1" (default) or "0"

const players = new Map(); // parentElement -> Player
const memory = new Map(); // source id -> { time, rate, nonce }: survives remounts
let activePlayer = null; // the player keyboard shortcuts drive
let pinNonce = 0;

// A moment in the call as every page shows it (ui/times.py call_offset): m:ss, or
// h:mm:ss past an hour. Whole seconds, rounded down as a playhead reads.
function fmt(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const round2 = (x) => Math.round(x * 100) / 100;
const finite = (x) => typeof x === "number" && Number.isFinite(x);

class Player {
  constructor(parent) {
    this.parent = parent;
    const q = (sel) => parent.querySelector(sel);
    this.root = q(".ep");
    this.audio = q(".ep-audio");
    this.canvas = q(".ep-canvas");
    this.wave = q(".ep-wave");
    this.progress = q(".ep-progress");
    this.playhead = q(".ep-playhead");
    this.markerBox = q(".ep-markers");
    this.tooltip = q(".ep-tooltip");
    this.playBtn = q(".ep-play");
    this.rateSel = q(".ep-rate");
    this.curEl = q(".ep-cur");
    this.durEl = q(".ep-dur");
    this.statusEl = q(".ep-status");
    this.legendEl = q(".ep-legend");
    this.txBox = q(".ep-transcript");
    this.txLines = q(".ep-tx-lines");
    this.txSearch = q(".ep-tx-search");
    this.txHits = q(".ep-tx-hits");
    this.txFollow = q(".ep-tx-follow");
    this.scroll = q(".ep-scroll");
    this.track = q(".ep-track");
    this.zoomEl = q(".ep-zoom");
    this.helpEl = q(".ep-help");
    this.helpBtn = q(".ep-help-btn");
    this.typingBox = q(".ep-typing");
    this.typingLabel = q(".ep-typing-label");
    this.zoom = 1;
    this.lastWheel = 0;
    this.pauseSelector = "";
    this.utterances = [];
    this.starts = [];
    this.lineEls = [];
    this.transcriptKey = undefined;
    this.currentLine = -1;
    this.currentWord = null;
    this.searchHits = [];
    this.searchAt = -1;
    this.searchQuery = "";
    this.searchTimer = 0;
    this.userScrolledAt = 0;
    this.programScroll = false;
    this.flashTimer = 0;
    this.cleanups = [];
    this.source = undefined; // identity of the loaded call (not the URL: tokens rotate)
    this.url = undefined;
    this.latestUrl = undefined;
    this.seekNonce = undefined;
    this.duration = 0;
    this.lanes = [];
    this.markers = [];
    this.drawnKey = "";
    this.wantPlaying = false;
    this.errored = false;
    this.lastRefresh = 0;
    this.refreshes = 0;
    this.raf = 0;
    this.shownSecond = -1;
    this.wire();
  }

  on(target, type, fn, opts) {
    target.addEventListener(type, fn, opts);
    this.cleanups.push(() => target.removeEventListener(type, fn, opts));
  }

  wire() {
    const a = this.audio;
    // Pointer clicks on our buttons hand focus back to the root, so a later space
    // press toggles playback instead of re-clicking the last button.
    const button = (el, fn) =>
      this.on(el, "click", (ev) => {
        fn();
        if (ev.detail > 0) this.root.focus({ preventScroll: true });
      });
    button(this.playBtn, () => this.toggle());
    button(this.root.querySelector(".ep-back"), () => this.skip(-SKIP_S));
    button(this.root.querySelector(".ep-fwd"), () => this.skip(SKIP_S));
    button(this.root.querySelector(".ep-pin"), () => this.pin());
    button(this.root.querySelector(".ep-zoom-in"), () => this.setZoom(this.zoom * 2));
    button(this.root.querySelector(".ep-zoom-out"), () => this.setZoom(this.zoom / 2));
    button(this.helpBtn, () => this.toggleHelp());
    this.on(
      this.scroll,
      "wheel",
      (ev) => {
        // Vertical wheel over the waveform zooms around the pointer; sideways pans.
        if (Math.abs(ev.deltaY) <= Math.abs(ev.deltaX) || !(this.duration > 0)) return;
        ev.preventDefault();
        const now = Date.now();
        if (now - this.lastWheel < WHEEL_GAP_MS) return;
        this.lastWheel = now;
        const box = this.track.getBoundingClientRect();
        const t = box.width > 0 ? ((ev.clientX - box.left) / box.width) * this.duration : undefined;
        this.setZoom(ev.deltaY < 0 ? this.zoom * 2 : this.zoom / 2, t);
      },
      { passive: false },
    );
    this.typingBox.checked = readSetting(TYPING_SETTING) !== "0";
    this.on(this.typingBox, "change", () => {
      writeSetting(TYPING_SETTING, this.typingBox.checked ? "1" : "0");
    });
    this.on(this.rateSel, "change", () => {
      a.playbackRate = parseFloat(this.rateSel.value) || 1;
    });
    this.on(this.root, "pointerdown", () => {
      activePlayer = this;
    });
    this.on(this.wave, "click", (ev) => {
      const box = this.wave.getBoundingClientRect();
      if (box.width > 0) this.seek(((ev.clientX - box.left) / box.width) * this.duration);
      this.root.focus({ preventScroll: true });
    });
    this.on(this.markerBox, "click", (ev) => {
      const mk = ev.target.closest(".ep-mk");
      if (!mk) return;
      this.seek(parseFloat(mk.dataset.t)); // a marker is "play from here": seek and play
      this.play();
      if (ev.detail > 0) this.root.focus({ preventScroll: true });
    });
    const showTip = (ev) => {
      const mk = ev.target.closest && ev.target.closest(".ep-mk");
      if (!mk) return;
      this.tooltip.textContent = mk.dataset.tip; // plain text, never parsed as HTML
      this.tooltip.hidden = false;
      const rootBox = this.root.getBoundingClientRect();
      const mkBox = mk.getBoundingClientRect();
      const left = Math.min(mkBox.left - rootBox.left, rootBox.width - this.tooltip.offsetWidth);
      this.tooltip.style.left = `${Math.max(0, left)}px`;
      this.tooltip.style.top = `${mkBox.bottom - rootBox.top + 4}px`;
    };
    const hideTip = () => {
      this.tooltip.hidden = true;
    };
    this.on(this.markerBox, "mouseover", showTip);
    this.on(this.markerBox, "focusin", showTip);
    this.on(this.markerBox, "mouseout", hideTip);
    this.on(this.markerBox, "focusout", hideTip);
    this.wireTranscript();

    this.on(a, "play", () => this.onPlayState());
    // A pause or a seek stays in the browser: sending the playhead would rerun the page
    // (issue 15). Python gets the position only with a pin, which needs it.
    this.on(a, "pause", () => this.onPlayState());
    this.on(a, "seeked", () => this.renderTime());
    this.on(a, "timeupdate", () => {
      this.renderTime();
      this.remember();
    });
    this.on(a, "ratechange", () => {
      this.rateSel.value = String(a.playbackRate);
      this.remember();
    });
    this.on(a, "playing", () => {
      this.errored = false;
      this.status("");
    });
    this.on(a, "error", () => this.onError());

    if (typeof ResizeObserver !== "undefined") {
      const ro = new ResizeObserver(() => this.draw());
      ro.observe(this.wave);
      this.cleanups.push(() => ro.disconnect());
    }
  }

  wireTranscript() {
    // A line: click seeks there and plays; its "Comment" button pins a comment at its start.
    this.on(this.txLines, "click", (ev) => {
      const pinBtn = ev.target.closest(".ep-line-pin");
      const line = ev.target.closest(".ep-line");
      if (!line) return;
      const t = parseFloat(line.dataset.t);
      if (pinBtn) {
        this.pin(t);
      } else {
        const selection = window.getSelection && window.getSelection();
        if (selection && !selection.isCollapsed) return; // selecting text, not seeking
        this.seek(t);
        this.play();
      }
      this.root.focus({ preventScroll: true });
    });
    this.on(this.txLines, "scroll", () => {
      if (this.programScroll) {
        this.programScroll = false;
        return;
      }
      this.userScrolledAt = Date.now();
    });
    this.on(this.txSearch, "input", () => {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.runSearch(), SEARCH_DELAY_MS);
    });
    this.on(this.txSearch, "keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        clearTimeout(this.searchTimer);
        if (this.txSearch.value.trim().toLowerCase() !== this.searchQuery) this.runSearch();
        this.stepSearch(ev.shiftKey ? -1 : 1);
      } else if (ev.key === "Escape") {
        this.txSearch.value = "";
        this.runSearch();
      }
    });
    this.on(this.root.querySelector(".ep-tx-next"), "click", () => this.stepSearch(1));
    this.on(this.root.querySelector(".ep-tx-prev"), "click", () => this.stepSearch(-1));
  }

  // Called on mount and whenever the data sent from Python changes.
  update(data, setStateValue) {
    this.setStateValue = setStateValue;
    this.duration = finite(data.duration_s) && data.duration_s > 0 ? data.duration_s : 0;
    this.lanes = Array.isArray(data.lanes) ? data.lanes : [];
    this.markers = Array.isArray(data.markers) ? data.markers : [];
    // Pinning is for scorers; a read-only player (an agent's feedback) hides it.
    const pinWas = this.allowPin;
    this.allowPin = data.allow_pin !== false;
    // Where the page's comment text is typed: typing there pauses playback (a setting).
    this.pauseSelector = typeof data.pause_while_typing_in === "string" ? data.pause_while_typing_in : "";
    this.typingLabel.hidden = !this.pauseSelector;
    this.noPinReason = String(data.no_pin_reason || "");
    this.root.querySelector(".ep-pin").hidden = !this.allowPin;

    const url = String(data.audio_url || "");
    const source = String(data.source_id || url);
    if (source !== this.source) {
      this.load(source, url);
    } else if (url !== this.url) {
      // Same call, re-signed URL. Swapping src now would restart buffering and glitch
      // playback, so keep the current one and switch only if it stops working.
      this.latestUrl = url;
      if (this.errored) this.swapToLatest();
    }

    const txKey = String(data.transcript_key || "");
    // The lines' Comment buttons follow allow_pin too (e.g. the evaluation was just submitted).
    if (txKey !== this.transcriptKey || (pinWas !== undefined && pinWas !== this.allowPin)) {
      this.transcriptKey = txKey;
      this.utterances = Array.isArray(data.utterances) ? data.utterances : [];
      this.renderTranscript();
    }

    // Python asks for a seek by bumping seek_nonce; the same nonce never seeks twice.
    if (data.seek_nonce !== this.seekNonce) {
      const again = this.seekNonce !== undefined; // not the first data of this mount
      const fresh = again || finite(data.seek_to);
      this.seekNonce = data.seek_nonce;
      if (finite(data.seek_to)) {
        this.seek(data.seek_to);
        if (fresh) this.flashLine(data.seek_to);
        // "Play from here" (a comment's time): seek and play. Never on a first mount,
        // which replays no click (a link's ?t= only places the playhead).
        if (again && data.seek_play) this.play();
      }
      this.remember();
    }

    const key = JSON.stringify([this.duration, this.lanes, this.markers]);
    if (key !== this.drawnKey) {
      this.drawnKey = key;
      this.renderMarkers();
      this.renderBadges();
      this.renderLegend();
      this.draw();
    }
    this.durEl.textContent = fmt(this.duration);
    this.renderTime();
  }

  load(source, url) {
    this.remember();
    this.source = source;
    this.url = url;
    this.latestUrl = url;
    this.errored = false;
    this.refreshes = 0;
    this.wantPlaying = false;
    const a = this.audio;
    a.src = url; // a new call: this (and only this) resets the element
    this.onPlayState();
    const saved = memory.get(source);
    // A remount (e.g. page switch and back) resumes where the listener was, and must
    // not replay a seek request it already honoured.
    this.seekNonce = saved ? saved.nonce : undefined;
    a.playbackRate = saved ? saved.rate : parseFloat(this.rateSel.value) || 1;
    if (saved && saved.time > 0) a.currentTime = saved.time; // applied once metadata loads
  }

  remember() {
    if (this.source === undefined) return;
    memory.set(this.source, {
      time: this.audio.currentTime || 0,
      rate: this.audio.playbackRate || 1,
      nonce: this.seekNonce,
    });
  }

  toggle() {
    if (this.audio.paused) this.play();
    else this.pause();
  }

  play() {
    activePlayer = this;
    this.wantPlaying = true;
    const p = this.audio.play();
    if (p && p.catch) {
      p.catch((err) => {
        if (err && err.name !== "AbortError") this.status(`Cannot play: ${err.message}`);
      });
    }
  }

  pause() {
    this.wantPlaying = false;
    this.audio.pause();
  }

  seek(t) {
    if (!finite(t)) return;
    const end = this.duration || this.audio.duration || 0;
    const target = Math.max(0, end > 0 ? Math.min(t, end) : t);
    activePlayer = this;
    this.audio.currentTime = target;
    this.renderTime(target);
  }

  skip(delta) {
    this.seek((this.audio.currentTime || 0) + delta);
  }

  // The pin is a *state* value, not a trigger: Streamlit drops a trigger when another
  // widget change interrupts the rerun it started (e.g. a note being committed), but a
  // state value is still there on the next run. Python hands each nonce out once.
  pin(at) {
    if (!this.allowPin) {
      // Say why nothing happens (e.g. a submitted evaluation), never "pinned".
      if (this.noPinReason) this.status(this.noPinReason);
      return;
    }
    if (!this.setStateValue) return;
    const t = round2(finite(at) ? at : this.audio.currentTime || 0);
    pinNonce = Math.max(pinNonce + 1, Date.now()); // unique even across page reloads
    this.setStateValue("time_s", t);
    this.setStateValue("pin", { t_s: t, nonce: pinNonce });
    this.status(`Comment pinned at ${fmt(t)}`);
  }

  onPlayState() {
    const playing = !this.audio.paused;
    this.playBtn.textContent = playing ? "Pause" : "Play";
    this.playBtn.setAttribute("aria-label", playing ? "Pause (space)" : "Play (space)");
    cancelAnimationFrame(this.raf);
    if (playing) {
      // Move the playhead every frame while playing (timeupdate is only ~4 Hz).
      const tick = () => {
        this.renderTime();
        this.raf = requestAnimationFrame(tick);
      };
      this.raf = requestAnimationFrame(tick);
    }
  }

  onError() {
    if (this.latestUrl && this.latestUrl !== this.url) {
      this.swapToLatest();
      return;
    }
    this.errored = true;
    const now = Date.now();
    // Probably an expired link: ask for a rerun, which re-signs the URL. Rate-limited
    // so a missing or undecodable file cannot cause a rerun loop.
    if (this.setStateValue && this.refreshes < 3 && now - this.lastRefresh > REFRESH_MIN_GAP_MS) {
      this.refreshes += 1;
      this.lastRefresh = now;
      this.status("Audio link refused; refreshing…");
      this.setStateValue("refresh", now); // any rerun re-signs the URL
    } else {
      this.status("Audio unavailable. Reload the page to try again.");
    }
  }

  swapToLatest() {
    const a = this.audio;
    const t = a.currentTime || 0;
    this.url = this.latestUrl;
    this.errored = false;
    a.src = this.url;
    a.currentTime = t;
    if (this.wantPlaying) this.play();
  }

  status(text) {
    this.statusEl.textContent = text;
  }

  renderTime(at) {
    const t = finite(at) ? at : this.audio.currentTime || 0;
    const pct = this.duration > 0 ? Math.min(100, (t / this.duration) * 100) : 0;
    this.playhead.style.left = `${pct}%`;
    this.progress.style.width = `${pct}%`;
    if (this.zoom > 1 && this.duration > 0) this.keepInView(t);
    const second = Math.floor(t);
    if (second !== this.shownSecond) {
      this.shownSecond = second;
      this.curEl.textContent = fmt(t);
    }
    this.syncTranscript(t);
  }

  // ------------------------------------------------------------ zoom, help, typing

  // Zoom to z (a power of two, 1 = the whole call), keeping the moment `anchor` (default:
  // the playhead) where it is on screen.
  setZoom(z, anchor) {
    const view = this.scroll.clientWidth || 1;
    const widest = Math.max(1, MAX_CANVAS_PX / (view * (window.devicePixelRatio || 1)));
    let zoom = 1;
    while (zoom * 2 <= Math.min(MAX_ZOOM, widest, z)) zoom *= 2;
    if (zoom === this.zoom) return;
    const dur = this.duration;
    const t = finite(anchor) ? anchor : this.audio.currentTime || 0;
    const before = this.track.clientWidth || view;
    const onScreen = dur > 0 ? (t / dur) * before - this.scroll.scrollLeft : view / 2;
    this.zoom = zoom;
    this.track.style.width = `${zoom * 100}%`;
    this.zoomEl.textContent = `${zoom}×`;
    this.root.dataset.zoom = String(zoom);
    this.draw();
    if (dur > 0) {
      const x = (t / dur) * this.track.clientWidth;
      this.scroll.scrollLeft = Math.max(0, x - Math.min(Math.max(onScreen, 0), view));
    }
  }

  keepInView(t) {
    const view = this.scroll.clientWidth;
    const x = (t / this.duration) * this.track.clientWidth;
    const left = this.scroll.scrollLeft;
    if (x < left || x > left + view - 8) this.scroll.scrollLeft = Math.max(0, x - view * 0.1);
  }

  toggleHelp(show) {
    const open = show === undefined ? this.helpEl.hidden : show;
    this.helpEl.hidden = !open;
    this.helpBtn.setAttribute("aria-expanded", String(open));
  }

  // Typing a comment (where the page said) pauses playback, unless switched off.
  typedIn(el) {
    if (!this.pauseSelector || !this.typingBox.checked || this.audio.paused) return;
    if (!(el instanceof Element) || !this.root.isConnected) return;
    let match = false;
    try {
      match = el.matches(this.pauseSelector);
    } catch {
      return; // not a valid selector: never pause
    }
    if (match) {
      this.pause();
      this.status("Paused while you type a comment");
    }
  }

  // ------------------------------------------------------------ transcript pane

  renderTranscript() {
    const box = this.txLines;
    box.replaceChildren();
    this.lineEls = [];
    this.currentLine = -1;
    this.currentWord = null;
    const list = this.utterances.filter(
      (u) => u && finite(u.start_s) && finite(u.end_s) && typeof u.text === "string",
    );
    list.sort((a, b) => a.start_s - b.start_s);
    this.utterances = list;
    this.starts = list.map((u) => u.start_s);
    this.txBox.hidden = list.length === 0;
    for (let i = 0; i < list.length; i++) {
      const u = list[i];
      const speaker = PARTY_NAMES[u.speaker] ? u.speaker : "unknown";
      const line = document.createElement("div");
      line.className = `ep-line ep-party-${speaker}`;
      line.setAttribute("role", "listitem");
      line.dataset.i = String(i);
      line.dataset.t = String(u.start_s);
      line.dataset.speaker = speaker;
      const time = document.createElement("span");
      time.className = "ep-line-time";
      time.textContent = fmt(u.start_s);
      const who = document.createElement("span");
      who.className = "ep-line-who";
      who.textContent = speaker === "unknown" && u.label ? String(u.label) : PARTY_NAMES[speaker];
      const text = document.createElement("span");
      text.className = "ep-line-text";
      const words = Array.isArray(u.words) ? u.words : [];
      if (words.length) {
        // One span per word (text nodes only), so the spoken word can be marked.
        words.forEach((w, j) => {
          if (j > 0) text.appendChild(document.createTextNode(" "));
          const span = document.createElement("span");
          span.className = "ep-word";
          span.textContent = String(w[0]);
          span.dataset.s = String(w[1]);
          span.dataset.e = String(w[2]);
          text.appendChild(span);
        });
        text.title = u.text; // the punctuated text, as plain text
      } else {
        text.textContent = u.text;
      }
      const side = document.createElement("span");
      side.className = "ep-line-side";
      const badges = document.createElement("span");
      badges.className = "ep-line-badges";
      side.appendChild(badges);
      if (this.allowPin) {
        const pin = document.createElement("button");
        pin.type = "button";
        pin.className = "ep-line-pin";
        pin.textContent = "Comment";
        pin.setAttribute("aria-label", `Comment at ${fmt(u.start_s)}`);
        side.appendChild(pin);
      }
      line.append(time, who, text, side);
      box.appendChild(line);
      this.lineEls.push(line);
    }
    this.renderBadges();
    this.runSearch();
    this.syncTranscript(this.audio.currentTime || 0);
  }

  // The line spoken at t: the last one starting at or before t that has not ended, else -1.
  lineAt(t) {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= t + 1e-6) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Overlapping talk: an earlier line may still be running; prefer the latest started.
    for (let i = found; i >= 0 && i > found - 4; i--) {
      if (t < this.utterances[i].end_s) return i;
    }
    return -1;
  }

  syncTranscript(t) {
    if (!this.lineEls.length) return;
    const i = this.lineAt(t);
    if (i !== this.currentLine) {
      if (this.currentLine >= 0) {
        const old = this.lineEls[this.currentLine];
        old.classList.remove("ep-line-current");
        old.removeAttribute("aria-current");
      }
      this.currentLine = i;
      if (i >= 0) {
        const line = this.lineEls[i];
        line.classList.add("ep-line-current");
        line.setAttribute("aria-current", "true");
        this.follow(line);
      }
    }
    let word = null;
    if (i >= 0) {
      const spans = this.lineEls[i].querySelectorAll(".ep-word");
      for (const span of spans) {
        if (parseFloat(span.dataset.s) <= t && t < parseFloat(span.dataset.e)) {
          word = span;
          break;
        }
      }
    }
    if (word !== this.currentWord) {
      if (this.currentWord) this.currentWord.classList.remove("ep-word-current");
      if (word) word.classList.add("ep-word-current");
      this.currentWord = word;
    }
  }

  // Keep a line in view inside the pane (never scrolls the page itself).
  follow(line, force) {
    if (!force && (!this.txFollow.checked || Date.now() - this.userScrolledAt < FOLLOW_PAUSE_MS)) {
      return;
    }
    const box = this.txLines;
    const top = line.offsetTop;
    if (!force && top >= box.scrollTop && top + line.offsetHeight <= box.scrollTop + box.clientHeight) {
      return;
    }
    this.programScroll = true;
    box.scrollTop = Math.max(0, top - box.clientHeight / 3);
  }

  flashLine(t) {
    if (!this.lineEls.length) return;
    let i = this.lineAt(t);
    if (i < 0) {
      // A moment's time is its line's start; take the nearest start.
      i = this.starts.findIndex((s) => Math.abs(s - t) < 0.05);
    }
    if (i < 0) return;
    for (const el of this.txLines.querySelectorAll(".ep-line-flash")) {
      el.classList.remove("ep-line-flash");
    }
    const line = this.lineEls[i];
    line.classList.add("ep-line-flash");
    this.follow(line, true);
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => line.classList.remove("ep-line-flash"), FLASH_MS);
  }

  // Badges on the lines the text-evidence markers point at (a moment's t_s is its line's start).
  renderBadges() {
    for (const el of this.txLines.querySelectorAll(".ep-badge")) el.remove();
    if (!this.lineEls.length) return;
    for (const m of this.markers) {
      if (!m || !finite(m.t_s) || !TEXT_KINDS.includes(m.kind)) continue;
      let i = this.starts.findIndex((s) => Math.abs(s - m.t_s) < 0.05);
      if (i < 0) i = this.lineAt(m.t_s);
      if (i < 0) continue;
      const badge = document.createElement("span");
      badge.className = `ep-badge ep-badge-${m.kind}`;
      badge.style.setProperty("--ep-badge", `var(--ep-c-${m.kind})`);
      badge.textContent = BADGE_TEXT[m.kind];
      const label = m.label == null ? "" : String(m.label);
      badge.title = `${KIND_NAMES[m.kind]}${label ? ` · ${label}` : ""}`;
      badge.dataset.kind = m.kind;
      this.lineEls[i].querySelector(".ep-line-badges").appendChild(badge);
    }
  }

  renderLegend() {
    const counts = new Map();
    for (const m of this.markers) {
      if (m && KINDS.has(m.kind)) counts.set(m.kind, (counts.get(m.kind) || 0) + 1);
    }
    this.legendEl.replaceChildren();
    const kinds = [...KINDS].filter((k) => counts.has(k));
    this.legendEl.hidden = !kinds.some((k) => TEXT_KINDS.includes(k));
    if (this.legendEl.hidden) return;
    for (const kind of kinds) {
      const item = document.createElement("span");
      item.className = "ep-legend-item";
      item.setAttribute("role", "listitem");
      item.dataset.kind = kind;
      const swatch = document.createElement("span");
      swatch.className = "ep-swatch";
      swatch.style.background = this.kindColor(kind);
      const label = document.createElement("span");
      label.textContent = `${KIND_NAMES[kind]} (${counts.get(kind)})`;
      item.append(swatch, label);
      this.legendEl.appendChild(item);
    }
  }

  runSearch() {
    const q = this.txSearch.value.trim().toLowerCase();
    this.searchQuery = q;
    for (const el of this.lineEls) el.classList.remove("ep-line-hit");
    this.searchHits = [];
    this.searchAt = -1;
    if (q) {
      this.utterances.forEach((u, i) => {
        if (u.text.toLowerCase().includes(q)) this.searchHits.push(i);
      });
      for (const i of this.searchHits) this.lineEls[i].classList.add("ep-line-hit");
    }
    const n = this.searchHits.length;
    this.txHits.textContent = q ? `${n} ${n === 1 ? "match" : "matches"}` : "";
    this.renderSearchMarkers();
    this.draw();
  }

  stepSearch(direction) {
    const n = this.searchHits.length;
    if (!n) return;
    this.searchAt = (this.searchAt + direction + n) % n;
    const i = this.searchHits[this.searchAt];
    this.txHits.textContent = `${this.searchAt + 1} of ${n}`;
    this.seek(this.utterances[i].start_s);
    this.flashLine(this.utterances[i].start_s);
  }

  renderSearchMarkers() {
    for (const el of this.markerBox.querySelectorAll(".ep-mk-search")) el.remove();
    if (!(this.duration > 0)) return;
    for (const i of this.searchHits) {
      const u = this.utterances[i];
      const mk = document.createElement("button");
      mk.type = "button";
      mk.className = "ep-mk ep-mk-search";
      mk.dataset.t = String(u.start_s);
      mk.dataset.kind = "search";
      const tip = `Search match at ${fmt(u.start_s)} · ${u.text.slice(0, 80)}`;
      mk.dataset.tip = tip;
      mk.setAttribute("aria-label", tip);
      mk.style.left = `${Math.min(100, Math.max(0, (u.start_s / this.duration) * 100))}%`;
      this.markerBox.appendChild(mk);
    }
  }

  kindColor(kind) {
    const fixed = {
      comment: ["--st-violet-color", "#803df5"],
      interruption: ["--st-red-color", "#ff2b2b"],
      silence: ["--st-gray-color", "#a3a8b8"],
      hold: ["--st-orange-color", "#ffa421"],
    };
    if (fixed[kind]) return this.themeColor(fixed[kind][0], fixed[kind][1]);
    return this.themeColor(`--ep-c-${kind}`, "#808495");
  }

  renderMarkers() {
    this.markerBox.replaceChildren();
    if (!(this.duration > 0)) return;
    for (const m of this.markers) {
      if (!m || !finite(m.t_s)) continue;
      const kind = KINDS.has(m.kind) ? m.kind : "comment";
      const label = m.label == null ? "" : String(m.label);
      const tip = `${KIND_NAMES[kind]} at ${fmt(m.t_s)}${label ? ` · ${label}` : ""}`;
      const mk = document.createElement("button");
      mk.type = "button";
      mk.className = `ep-mk ep-mk-${kind}`;
      mk.dataset.t = String(m.t_s);
      mk.dataset.kind = kind;
      mk.dataset.tip = tip;
      mk.setAttribute("aria-label", tip);
      mk.style.left = `${Math.min(100, Math.max(0, (m.t_s / this.duration) * 100))}%`;
      if (kind === "hold" && finite(m.end_s)) {
        // A hold is a stretch, neither party's talk: a band across its whole length.
        const end = Math.min(this.duration, Math.max(m.t_s, m.end_s));
        mk.style.width = `${((end - m.t_s) / this.duration) * 100}%`;
        mk.dataset.tip = mk.getAttribute("aria-label") + ` to ${fmt(end)}`;
      }
      this.markerBox.appendChild(mk);
    }
    this.renderSearchMarkers();
  }

  themeColor(name, fallback) {
    const v = getComputedStyle(this.root).getPropertyValue(name).trim();
    return v && v !== "unset" ? v : fallback;
  }

  draw() {
    const width = this.wave.clientWidth;
    const lanes = this.lanes.length ? this.lanes : [{ label: "", peaks: [] }];
    const height = lanes.length * LANE_H;
    this.canvas.style.height = `${height}px`;
    if (!(width > 0)) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const palette = this.themeColor("--st-chart-categorical-colors", "")
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean);
    const textColor = this.themeColor("--st-text-color", "#31333f");
    const borderColor = this.themeColor("--st-border-color", "#d6d6d9");
    const labelBg = this.themeColor("--st-background-color", "#ffffff");
    const font = this.themeColor("--st-font", "sans-serif");
    // Scale quiet recordings up (at most 4x) so the loudest peak fills the lane.
    let loudest = 0;
    for (const lane of lanes) {
      for (const p of lane.peaks || []) if (p > loudest) loudest = p;
    }
    const gain = loudest > 0 ? Math.min(4, 1 / loudest) : 1;
    const dur = this.duration;

    lanes.forEach((lane, i) => {
      const color = palette[i] || LANE_FALLBACK_COLORS[i % LANE_FALLBACK_COLORS.length];
      const top = i * LANE_H;
      const mid = top + (LANE_H - TURN_H) / 2;
      const half = (LANE_H - TURN_H) / 2 - 4;
      if (i > 0) {
        ctx.fillStyle = borderColor;
        ctx.fillRect(0, top, width, 1);
      }
      const peaks = lane.peaks || [];
      const bw = width / Math.max(1, peaks.length);
      ctx.fillStyle = color;
      ctx.globalAlpha = 0.85;
      for (let j = 0; j < peaks.length; j++) {
        const amp = Math.max(0.5, Math.min(1, peaks[j] * gain) * half);
        ctx.fillRect(j * bw, mid - amp, Math.max(1, bw - 0.25), amp * 2);
      }
      if (dur > 0 && Array.isArray(lane.turns)) {
        ctx.globalAlpha = 0.55;
        for (const turn of lane.turns) {
          if (!Array.isArray(turn) || !finite(turn[0]) || !finite(turn[1])) continue;
          const x0 = (turn[0] / dur) * width;
          const x1 = (turn[1] / dur) * width;
          ctx.fillRect(x0, top + LANE_H - TURN_H - 1, Math.max(1, x1 - x0), TURN_H - 1);
        }
      }
      ctx.globalAlpha = 1;
      if (lane.label) {
        const label = String(lane.label); // canvas text: never parsed as HTML
        ctx.font = `600 11px ${font}`;
        ctx.fillStyle = labelBg;
        ctx.globalAlpha = 0.8;
        ctx.fillRect(2, top + 2, ctx.measureText(label).width + 8, 15);
        ctx.globalAlpha = 1;
        ctx.fillStyle = textColor;
        ctx.fillText(label, 6, top + 13);
      }
    });

    if (dur > 0) {
      const kindColors = {};
      for (const kind of KINDS) kindColors[kind] = this.kindColor(kind);
      ctx.globalAlpha = 0.5;
      for (const m of this.markers) {
        if (!m || !finite(m.t_s)) continue;
        ctx.fillStyle = kindColors[KINDS.has(m.kind) ? m.kind : "comment"];
        ctx.fillRect(Math.round((m.t_s / dur) * width), 0, 1, height);
      }
      // Search matches: a full-height band over each matching line's time.
      ctx.globalAlpha = 0.25;
      ctx.fillStyle = textColor;
      for (const i of this.searchHits) {
        const u = this.utterances[i];
        const x0 = (u.start_s / dur) * width;
        ctx.fillRect(x0, 0, Math.max(2, ((u.end_s - u.start_s) / dur) * width), height);
      }
      ctx.globalAlpha = 1;
    }
    // Transcript parties take the colours of their lanes.
    this.root.style.setProperty("--ep-agent", palette[0] || LANE_FALLBACK_COLORS[0]);
    this.root.style.setProperty("--ep-customer", palette[1] || LANE_FALLBACK_COLORS[1]);
  }

  destroy() {
    this.remember();
    clearTimeout(this.searchTimer);
    clearTimeout(this.flashTimer);
    cancelAnimationFrame(this.raf);
    for (const undo of this.cleanups.splice(0)) undo();
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load(); // aborts any download in flight
    players.delete(this.parent);
    if (activePlayer === this) activePlayer = null;
    if (players.size === 0) {
      window.removeEventListener("keydown", onKeyDown, true);
      document.removeEventListener("pointerdown", onPointerDown, true);
      document.removeEventListener("input", onTyped, true);
    }
  }
}

// ---------------------------------------------------------------- keyboard shortcuts

const TEXT_ROLES =
  "[role=textbox],[role=searchbox],[role=combobox],[role=spinbutton],[role=slider]," +
  "[role=listbox],[role=option],[role=menu],[role=menuitem],[role=radiogroup]," +
  "[role=radio],[role=tablist],[role=tab],[role=grid],[role=gridcell]";
const ACTIVATABLE = "button,a[href],summary,[role=button],[role=checkbox],[role=switch]";

function ownsKeys(el) {
  // Elements that use letters, space or arrows themselves: leave those keys alone.
  if (!(el instanceof Element)) return false;
  const tag = el.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) {
    return true;
  }
  return el.closest(TEXT_ROLES) !== null;
}

function currentPlayer() {
  if (activePlayer && players.has(activePlayer.parent) && activePlayer.root.isConnected) {
    return activePlayer;
  }
  let last = null;
  for (const p of players.values()) if (p.root.isConnected) last = p;
  return last;
}

function readSetting(name) {
  try {
    return window.localStorage.getItem(name);
  } catch {
    return null; // storage blocked: defaults
  }
}

function writeSetting(name, value) {
  try {
    window.localStorage.setItem(name, value);
  } catch {
    // storage blocked: the setting lasts this page only
  }
}

// The rubric item being scored: the radio group holding the focus, else the one last
// clicked (a click elsewhere forgets it).
let lastItem = null;

function itemGroup(target) {
  if (!(target instanceof Element)) return null;
  const tag = target.tagName;
  const typing =
    tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable ||
    (tag === "INPUT" && target.type !== "radio");
  if (typing) return null;
  const here = target.closest("[data-testid=stRadio]");
  if (here) return here;
  return lastItem && lastItem.isConnected ? lastItem : null;
}

// Click the option of `group` labelled `label` ("3", "N/A"); false if there is none or
// it is disabled (a submitted evaluation, an item without N/A).
function chooseLevel(group, label) {
  for (const option of group.querySelectorAll("label")) {
    const input = option.querySelector("input[type=radio]");
    if (!input || option.textContent.trim() !== label) continue;
    if (input.disabled) return false;
    if (!input.checked) option.click();
    input.focus({ preventScroll: true });
    return true;
  }
  return false;
}

function onPointerDown(ev) {
  const target = ev.composedPath()[0];
  lastItem = target instanceof Element ? target.closest("[data-testid=stRadio]") : null;
}

function onTyped(ev) {
  const target = ev.composedPath()[0];
  for (const p of players.values()) p.typedIn(target);
}

function onKeyDown(ev) {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
  const player = currentPlayer();
  if (!player) return;
  // composedPath()[0] is the real target even inside a shadow root (ev.target is
  // retargeted to the shadow host).
  const target = ev.composedPath()[0];
  const key = ev.key;
  if (/^[1-5]$/.test(key) || key === "n" || key === "N") {
    // Number keys score the item being worked on; N is its N/A.
    const group = itemGroup(target);
    if (group && !ev.repeat && chooseLevel(group, /^[nN]$/.test(key) ? "N/A" : key)) {
      ev.preventDefault();
      ev.stopPropagation();
    }
    if (group) return;
  }
  if (ownsKeys(target)) return;
  if (key === "?") {
    player.toggleHelp();
  } else if (key === "Escape" && !player.helpEl.hidden) {
    player.toggleHelp(false);
  } else if (key === "+" || key === "=") {
    player.setZoom(player.zoom * 2);
  } else if (key === "-" || key === "_") {
    player.setZoom(player.zoom / 2);
  } else if (key === " " || key === "Spacebar") {
    if (target instanceof Element && target.closest(ACTIVATABLE)) return; // native click
    if (!ev.repeat) player.toggle();
  } else if (key === "ArrowLeft") {
    player.skip(-SKIP_S);
  } else if (key === "ArrowRight") {
    player.skip(SKIP_S);
  } else if (key === "c" || key === "C") {
    if (!ev.repeat) player.pin();
  } else {
    return;
  }
  ev.preventDefault(); // no page scroll on space/arrows
  ev.stopPropagation(); // and no Streamlit "c" = clear-cache dialog
}

// ---------------------------------------------------------------- entry point

export default function (component) {
  const { parentElement, data, setStateValue } = component;
  let player = players.get(parentElement);
  if (player && !player.root.isConnected) {
    // Streamlit replaced our HTML (only happens if player.html/css changed): start over.
    player.destroy();
    player = undefined;
  }
  if (!player) {
    player = new Player(parentElement);
    players.set(parentElement, player);
    // Capture phase on window runs before Streamlit's own document-level hotkeys.
    window.addEventListener("keydown", onKeyDown, true);
    document.addEventListener("pointerdown", onPointerDown, true); // adding twice is a no-op
    document.addEventListener("input", onTyped, true);
  }
  player.update(data || {}, setStateValue);

  // Streamlit calls this on unmount. Destroy only if the element really left the page,
  // so an unexpected extra cleanup call can never stop playback.
  return () => {
    setTimeout(() => {
      const host = parentElement.host || parentElement;
      if (!host.isConnected && players.get(parentElement) === player) player.destroy();
    }, 0);
  };
}
