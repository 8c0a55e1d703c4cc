"""Chromium against the real app (server.py): an agent signs in, makes a personal access
token on the Account page, and the export API served by the same server answers that
token with the agent's own feedback only; after Revoke it answers 401."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import log_in, wait_for_app
from tests.factories import PASSWORD, submit_evaluation

pytestmark = pytest.mark.browser


def _export(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/api/v1/evaluations", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_an_agent_makes_a_token_in_the_app_and_the_api_honours_and_revokes_it(page, earshot_app):
    world, calls = earshot_app.world, earshot_app.calls
    own = submit_evaluation(world.sup_north, calls[0].id)
    log_in(page, earshot_app.url, "agent.north", PASSWORD)
    page.goto(f"{earshot_app.url}/account")
    wait_for_app(page)
    page.get_by_label("Name").fill("Power BI")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("[data-testid=stCode] code").first
    shown.wait_for()
    token = shown.inner_text().strip()
    assert token.startswith("esk_")

    status, body = _export(earshot_app.url, token)
    assert status == 200 and [row["id"] for row in body["data"]] == [own.id]

    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("revoked").first.wait_for()
    status, body = _export(earshot_app.url, token)
    assert status == 401 and "revoked" in body["error"]
