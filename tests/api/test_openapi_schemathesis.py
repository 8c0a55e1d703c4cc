"""Schemathesis against the export API on loopback: a real HTTP server (uvicorn) serving
the routes and middleware server.py mounts, the OpenAPI description read from it, and a
few dozen generated requests per endpoint (valid and malformed parameters, with a real
token) answered without a single server error."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlmodel import SQLModel
from starlette.applications import Starlette

from api.routes import api_routes
from db.engine import make_engine, use_engine
from db.services.tokens import create_token
from tests.factories import make_call, make_world, submit_evaluation
from ui.http_app import app_middleware

EXAMPLES_PER_ENDPOINT = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    """The API on 127.0.0.1 over a scratch SQLite database with a little data; yields
    (base URL, a token of the admin)."""
    folder = tmp_path_factory.mktemp("api-server")
    engine = make_engine(f"sqlite:///{folder / 'api.db'}")
    SQLModel.metadata.create_all(engine)
    use_engine(engine)
    world = make_world()
    call = make_call(world.admin, world.agent_north, folder, seconds=2, seed=1)
    submit_evaluation(world.sup_north, call.id, comments=((0.5, "a note", None),))
    token, _ = create_token(world.admin, "schemathesis", 1)
    app = Starlette(
        routes=api_routes(requests_per_minute=lambda: 1_000_000), middleware=app_middleware()
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", token
    server.should_exit = True
    thread.join(timeout=10)
    use_engine(None)
    engine.dispose()


def _operations(base_url: str) -> dict[str, object]:
    schema = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    found = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        found[operation.path] = operation
    return found


PATHS = [f"/api/v1/{k}" for k in ("evaluations", "comments", "disputes", "calibration", "trends")]


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("path", PATHS)
def test_no_server_errors_and_only_documented_statuses(api_server, path, mode):
    """Positive cases follow the description; negative ones break it (wrong types, out
    of range, bad patterns): both are answered, never with a 5xx."""
    base_url, token = api_server
    operations = _operations(base_url)
    assert set(operations) >= {path}
    answered: list[int] = []

    @given(case=operations[path].as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_ENDPOINT,
        deadline=None,
        derandomize=True,  # the same examples every run
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
        answered.append(response.status_code)
        case.validate_response(response, checks=(not_a_server_error, status_code_conformance))

    check()
    assert len(answered) >= EXAMPLES_PER_ENDPOINT // 2
    # Valid input is answered; broken input is refused as such, not answered.
    expected = 200 if mode is GenerationMode.POSITIVE else 400
    assert expected in answered, sorted(set(answered))
