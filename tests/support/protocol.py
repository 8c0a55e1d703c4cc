"""One browser tab's Streamlit session, spoken over the WebSocket protocol directly.

Protobuf ``BackMsg`` up and ``ForwardMsg`` down on ``/_stcore/stream``, as the browser's
client does: enough to log in, open a page, change a widget (in a fragment too) and read
what the script drew, without a browser. Shared by the load tests (tests/load) and the
protocol benchmark (bench/protocol.py).
"""

from __future__ import annotations

import random
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

# A backslash before markdown punctuation: the page escaped it so it shows as typed.
MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~>])")
ERROR_ALERT = 1  # Alert.Format.ERROR: what st.error draws


@dataclass
class Run:
    """What one action brought back: the elements drawn (with the fragment each belongs
    to, "" outside fragments), how the run ended and how long it took (seconds, from
    sending the BackMsg to the ``script_finished`` message)."""

    elements: list[Any] = field(default_factory=list)
    fragments: list[str] = field(default_factory=list)
    status: str = ""
    seconds: float = 0.0
    exception: str = ""

    @property
    def problem(self) -> str:
        """The exception or error alert the run drew, "" when none."""
        if self.exception:
            return self.exception
        for e in self.elements:
            if e.WhichOneof("type") == "alert" and e.alert.format == ERROR_ALERT:
                return e.alert.body
        return ""

    def widgets(self, kind: str) -> list[tuple[Any, str]]:
        """(widget proto, fragment id) for every element of this kind (``radio``, ...)."""
        return [
            (getattr(e, kind), frag)
            for e, frag in zip(self.elements, self.fragments, strict=True)
            if e.WhichOneof("type") == kind
        ]


class WebSession:
    """One tab's session over ``/_stcore/stream``; use as a context manager."""

    def __init__(self, server_url: str, timeout_s: float = 30.0) -> None:
        assert server_url.startswith("http://127.0.0.1:"), server_url  # loopback only
        self.url = server_url.replace("http://", "ws://") + "/_stcore/stream"
        self.timeout_s = timeout_s
        self._connect: Any = None
        self.ws: Any = None
        self.page_name = ""
        self.page_script_hash = ""  # the page st.navigation last drew, sent back as a browser does
        self.query_string = ""

    def __enter__(self) -> WebSession:
        from websockets.sync.client import connect

        self._connect = connect(
            self.url, subprotocols=["streamlit"], open_timeout=self.timeout_s, max_size=None
        )
        self.ws = self._connect.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._connect.__exit__(*exc)

    def act(
        self,
        widgets: list | tuple = (),
        *,
        page_name: str | None = None,
        query_string: str | None = None,
        fragment_id: str = "",
    ) -> Run:
        """Send one rerun request (these WidgetStates; optionally another page or query,
        or one fragment) and read until the run finishes: the last full run's elements.

        A run that ends in ``st.rerun`` is followed to the run it started."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if page_name is not None:
            self.page_name = page_name
            self.page_script_hash = ""  # navigating: the server resolves the name
        if query_string is not None:
            self.query_string = query_string
        msg = BackMsg()
        msg.rerun_script.query_string = self.query_string
        msg.rerun_script.page_name = self.page_name
        # As the browser does: a run the script itself restarts (st.rerun in a callback)
        # keeps to this page only when the request names the page's script hash.
        msg.rerun_script.page_script_hash = self.page_script_hash
        if fragment_id:
            msg.rerun_script.fragment_id = fragment_id
        msg.rerun_script.widget_states.widgets.extend(widgets)
        run = Run()
        started = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        deadline = time.monotonic() + self.timeout_s
        for _ in range(100_000):
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            kind = fwd.WhichOneof("type")
            if kind == "new_session":  # a script run starts (again, after st.rerun)
                run.elements, run.fragments = [], []
            elif kind == "navigation":  # st.navigation chose the page this run draws
                self.page_script_hash = fwd.navigation.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                run.elements.append(element)
                run.fragments.append(fwd.delta.fragment_id)
                if element.WhichOneof("type") == "exception":
                    run.exception = element.exception.message or element.exception.type
            elif kind == "script_finished" and fwd.script_finished != (
                ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
            ):
                run.seconds = time.perf_counter() - started
                run.status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                return run
        raise TimeoutError("the script run did not finish")

    def run(self, widgets: list | tuple = ()) -> list:
        """Rerun the script with these WidgetStates; the Elements of the last full run."""
        return self.act(widgets).elements

    @staticmethod
    def texts(elements: list, kind: str) -> list[str]:
        """The texts of these elements; alerts as shown (their markdown escapes undone)."""
        return [
            MARKDOWN_ESCAPE.sub(r"\1", e.alert.body) if kind == "alert" else str(getattr(e, kind))
            for e in elements
            if e.WhichOneof("type") == kind
        ]

    def log_in(self, username: str, password: str) -> tuple[bool, list[str]]:
        """Fill in the login form and submit it: (logged in?, error messages shown)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        form = self.run()
        ids = {}
        for element in form:
            kind = element.WhichOneof("type")
            if kind == "text_input":
                ids[element.text_input.id.rsplit("-", 1)[-1]] = element.text_input.id
            elif kind == "button" and element.button.is_form_submitter:
                ids["submit"] = element.button.id
        assert {"login_username", "login_password", "submit"} <= set(ids), "no login form"
        states = [
            WidgetState(id=ids["login_username"], string_value=username),
            WidgetState(id=ids["login_password"], string_value=password),
            WidgetState(id=ids["submit"], trigger_value=True),
        ]
        after = self.run(states)
        still_form = any(
            e.WhichOneof("type") == "text_input" and e.text_input.id == ids["login_username"]
            for e in after
        )
        return not still_form, self.texts(after, "alert")


@dataclass
class Scorer:
    """A simulated scorer: who logs in, and the call their tab scores."""

    username: str
    password: str
    call_id: int


class ScoringTab:
    """A supervisor's tab on the Score page of one call."""

    def __init__(self, url: str, scorer: Scorer) -> None:
        self.session = WebSession(url, timeout_s=120)
        self.scorer = scorer
        self.rng = random.Random(scorer.call_id)
        self.radios: list[tuple[Any, str]] = []
        self.notes: list[tuple[Any, str]] = []
        self.actions = 0

    def open(self) -> None:
        self.session.__enter__()
        ok, alerts = self.session.log_in(self.scorer.username, self.scorer.password)
        if not ok:
            raise RuntimeError(f"{self.scorer.username} could not log in: {alerts}")
        run = self.session.act(page_name="score", query_string=f"call={self.scorer.call_id}")
        self.radios = [(w, f) for w, f in run.widgets("radio") if not w.disabled]
        self.notes = [(w, f) for w, f in run.widgets("text_area") if not w.disabled]
        if not self.radios:
            raise RuntimeError(f"no rubric items on the Score page of call {self.scorer.call_id}")

    def step(self) -> tuple[str, Run]:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        self.actions += 1
        if self.notes and self.actions % 5 == 0:
            widget, fragment = self.rng.choice(self.notes)
            text = f"note {self.actions} {secrets.token_hex(4)}"
            state = WidgetState(id=widget.id, string_value=text)
            return "note", self._follow(self.session.act([state], fragment_id=fragment))
        widget, fragment = self.rng.choice(self.radios)
        # Radios travel as the option's formatted string (Streamlit 1.67's RadioSerde).
        state = WidgetState(id=widget.id, string_value=self.rng.choice(list(widget.options)))
        return "click", self._follow(self.session.act([state], fragment_id=fragment))

    def _follow(self, run: Run) -> Run:
        """Take the widgets a run drew, as the browser does: each widget drawn again
        replaces the one known by its id, with the fragment it is in now (a fragment's id
        follows its place on the page, which a full-app rerun can change); a fragment's
        own rerun draws only its part, so the widgets it did not draw keep theirs."""
        self.radios = _merged(self.radios, run.widgets("radio"))
        self.notes = _merged(self.notes, run.widgets("text_area"))
        return run

    def close(self) -> None:
        if self.session.ws is not None:
            self.session.__exit__(None, None, None)


def _merged(known: list[tuple[Any, str]], drawn: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """The widgets known, each replaced by its redrawn self (by id), then any new ones;
    disabled ones left out (a scorer cannot change them)."""
    fresh = {w.id: (w, f) for w, f in drawn}
    out = [fresh.pop(w.id, (w, f)) for w, f in known]
    out.extend(fresh.values())
    return [(w, f) for w, f in out if not w.disabled]
