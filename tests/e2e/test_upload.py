"""Uploading recordings through the Calls page in Chromium: a good file imports, a
corrupt one is refused with its name and reason, and nothing else changes."""

import pytest

from db.engine import use_engine
from db.services.calls import list_calls
from tests.e2e.conftest import REPO_ROOT, log_in, wait_for_app
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _services_on_the_app_database(earshot_app):
    use_engine(earshot_app.engine)


def test_upload_a_recording_and_a_corrupt_file(page, earshot_app, tmp_path):
    world, url = earshot_app.world, earshot_app.url
    recording = sorted((REPO_ROOT / "demo" / "audio").glob("*.opus"))[5]
    corrupt = tmp_path / "broken-call.wav"
    corrupt.write_bytes(b"RIFF....WAVEfmt this is not really audio")
    before = {c.external_id for c in list_calls(world.admin)}

    log_in(page, url, "admin", PASSWORD)
    page.goto(f"{url}/calls")
    wait_for_app(page)
    page.get_by_text("Upload recordings").click()
    # The first uploader takes recordings; the ones after it take transcripts.
    page.locator("[data-testid=stFileUploaderDropzoneInput]").first.set_input_files(
        [str(recording), str(corrupt)]
    )
    page.get_by_text(corrupt.name).first.wait_for()
    page.get_by_role("button", name="Import").click()
    page.get_by_text(f"Imported {recording.name}", exact=False).wait_for()
    page.get_by_text(f"{corrupt.name}:", exact=False).first.wait_for()

    after = {c.external_id for c in list_calls(world.admin)}
    assert after - before == {recording.stem}
