"""Load, fault and deployment tests, plus the helper that runs the real app server.

``AppServer`` starts ``streamlit run server.py`` (the ASGI app with the audio route) in its
own process group on a free loopback port, so a test can SIGKILL it like a crash and a
fixture can always clean it up (``stop()`` kills the whole group).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
STREAMLIT = REPO_ROOT / ".venv" / "bin" / "streamlit"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 10.0):
    """(status, headers, body) for a loopback GET, without raising on 4xx/5xx."""
    assert url.startswith("http://127.0.0.1:"), url  # loopback only
    req = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@dataclass
class AppServer:
    """One app process: ``streamlit run server.py`` with the given environment."""

    env: Mapping[str, str]
    log_path: Path
    port: int = 0
    process: subprocess.Popen | None = None
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60.0) -> AppServer:
        """Start on a fresh free port and wait for ``/_stcore/health``; raise with the log."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        executable = STREAMLIT if STREAMLIT.exists() else Path("streamlit")
        cmd = [
            str(executable),
            "run",
            "server.py",
            "--server.port",
            str(self.port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--server.runOnSave",
            "false",
            "--browser.gatherUsageStats",
            "false",
        ]
        self._log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **self.env}
        self.process = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killpg reaches every child
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if self.healthy():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"app server did not become healthy:\n{self.log()[-4000:]}")

    def healthy(self) -> bool:
        try:
            status, _, body = http_get(f"{self.url}/_stcore/health", timeout=2)
        except OSError:
            return False
        return status == 200 and body.strip() == b"ok"

    def crash(self) -> None:
        """SIGKILL the whole process group: no shutdown handlers, no flushing."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class WebSession:
    """One browser tab's Streamlit session, spoken over the websocket protocol directly
    (protobuf BackMsg/ForwardMsg on ``/_stcore/stream``): enough to fill in and submit a
    form and read what the page drew, without a browser."""

    def __init__(self, server_url: str, timeout_s: float = 30.0) -> None:
        assert server_url.startswith("http://127.0.0.1:"), server_url  # loopback only
        self.url = server_url.replace("http://", "ws://") + "/_stcore/stream"
        self.timeout_s = timeout_s
        self._connect = None
        self.ws = None

    def __enter__(self) -> WebSession:
        from websockets.sync.client import connect

        self._connect = connect(
            self.url, subprotocols=["streamlit"], open_timeout=self.timeout_s, max_size=None
        )
        self.ws = self._connect.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._connect.__exit__(*exc)

    def run(self, widgets: list | tuple = ()) -> list:
        """Rerun the script with these WidgetStates; the Elements of the last full run."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.widget_states.widgets.extend(widgets)
        self.ws.send(msg.SerializeToString())
        elements: list = []
        deadline = time.monotonic() + self.timeout_s
        for _ in range(10_000):
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            kind = fwd.WhichOneof("type")
            if kind == "new_session":  # a script run starts (again, after st.rerun)
                elements = []
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                elements.append(fwd.delta.new_element)
            elif kind == "script_finished" and fwd.script_finished != (
                ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
            ):
                return elements
        raise TimeoutError("the script run did not finish")

    @staticmethod
    def texts(elements: list, kind: str) -> list[str]:
        return [
            e.alert.body if kind == "alert" else str(getattr(e, kind))
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
