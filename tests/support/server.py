"""The real app server for tests and benchmarks: ``streamlit run server.py`` as ``make run``
starts it (same entry point, same ``.streamlit/config.toml``, from the repository root),
on a free loopback port, in its own process group.

A test can SIGKILL it like a crash and a fixture can always clean it up (``stop()`` kills
the whole group). Only the port, the loopback address and the things a fresh process
needs for a test (headless, no file watcher) are given on the command line; every other
setting, in particular the runner's garbage collection, comes from the shipped config, so
what the load tests and the protocol benchmark measure is what ``make run`` serves.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
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
    req = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def server_command(
    port: int, script: str = "server.py", extra_args: Sequence[str] = ()
) -> list[str]:
    """``make run``'s command line (``streamlit run server.py --server.port N``) on loopback.

    The flags only repeat what `.streamlit/config.toml` already says (headless, no file
    watcher) so a checkout with another local config still starts quietly; `extra_args`
    adds a test's own (e.g. ``--secrets.files`` for single sign-on)."""
    executable = STREAMLIT if STREAMLIT.exists() else Path("streamlit")
    return [
        str(executable),
        "run",
        script,
        "--server.port",
        str(port),
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
        *extra_args,
    ]


def process_rss_kib(pid: int) -> int:
    """Resident set size of one process, in KiB (``VmRSS`` in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def process_cpu_s(pid: int) -> float:
    """User + system CPU time a process has used so far, in seconds (/proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


@dataclass
class AppServer:
    """One app process: ``streamlit run server.py`` with the given environment."""

    env: Mapping[str, str]
    log_path: Path
    port: int = 0
    script: str = "server.py"
    extra_args: Sequence[str] = ()
    process: subprocess.Popen | None = None
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def rss_kib(self) -> int:
        return process_rss_kib(self.pid)

    def cpu_s(self) -> float:
        return process_cpu_s(self.pid)

    def start(self, timeout_s: float = 60.0) -> AppServer:
        """Start on a fresh free port and wait for ``/_stcore/health``; raise with the log."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        self._log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **self.env}
        self.process = subprocess.Popen(
            server_command(self.port, self.script, self.extra_args),
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
