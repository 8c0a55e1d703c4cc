"""The Rubrics page: admins edit a rubric in a form and save it as a new version, with the
file loader's validation (problems named by item title and field) and a preview as
scorers see it; supervisors only read."""

from db.services.rubrics import list_rubric_versions, load_rubric_version
from tests.app.conftest import open_page
from tests.factories import make_world

SAVE = "FormSubmitter:rx_form-Save as a new version"
PREVIEW = "FormSubmitter:rx_form-Preview"


def _newest() -> dict:
    return list_rubric_versions()[-1]


def test_supervisors_read_rubrics_but_get_no_editor(app_db):
    world = make_world()
    at = open_page(world.sup_north, "pages/rubrics.py")
    assert not at.exception
    assert "Edit as a new version" not in [s.value for s in at.subheader]
    assert not at.button(key="FormSubmitter:rx_form-Preview") if False else True
    assert all(not b.key or not b.key.startswith("FormSubmitter:rx_form") for b in at.button)


def test_a_bad_edit_is_refused_naming_item_and_field_and_keeps_the_edit(app_db):
    world = make_world()
    before = _newest()
    at = open_page(world.admin, "pages/rubrics.py")
    at.text_input(key="rx_i0_title").input("Lets the customer talk")
    at.text_area(key="rx_i1_listen").input("   ")
    at.checkbox(key="rx_i2_nadef").check()  # N/A by default without N/A allowed
    at.button(key=SAVE).click()
    at.run()
    [error] = at.error
    text = error.value.replace("\\", "")
    assert "Item 2 “Keeps assumptions in check” · Listen for: must not be empty" in text
    assert "Item 3 “Shows engaged listening” · N/A by default on audio-only calls" in text
    assert "open_mind" not in text and "listen_for" not in text  # titles, not keys
    assert at.text_input(key="rx_i0_title").value == "Lets the customer talk"
    assert _newest() == before  # nothing stored


def test_a_good_edit_becomes_the_next_version_and_old_versions_stay(app_db):
    world = make_world()
    before = _newest()
    at = open_page(world.admin, "pages/rubrics.py")
    at.text_input(key="rx_i0_title").input("Lets the customer talk")
    at.number_input(key="rx_i0_weight").set_value(2.0)
    at.checkbox(key="rx_i9_crit").check()
    at.button(key=SAVE).click()
    at.run()
    assert not at.error
    newest = _newest()
    assert (newest["key"], newest["version"]) == (before["key"], before["version"] + 1)
    assert f"version {newest['version']}" in at.success[0].value
    saved = load_rubric_version(newest["id"])
    assert saved.items[0].title == "Lets the customer talk" and saved.items[0].weight == 2.0
    assert saved.items[9].critical
    old = load_rubric_version(before["id"])
    assert old.items[0].title == "Gives the customer the floor" and not old.items[9].critical


def test_a_new_item_is_added_and_the_preview_shows_it_as_scorers_will(app_db):
    world = make_world()
    at = open_page(world.admin, "pages/rubrics.py")
    at.button(key="rx_add").click()
    at.run()
    at.text_input(key="rx_n10_title").input("Closes the call warmly")
    at.text_area(key="rx_n10_listen").input("How the agent ends the call.")
    for level in range(1, 6):
        at.text_area(key=f"rx_n10_a{level}").input(f"Level {level} closing.")
    at.checkbox(key="rx_n10_na").check()
    at.button(key=PREVIEW).click()
    at.run()
    assert not at.error
    assert "Preview: as scorers will see it" in [s.value for s in at.subheader]
    radios = [r for r in at.radio if r.key.startswith("preview_listening_")]
    new = radios[-1]
    assert new.label.replace("\\", "") == "11. Closes the call warmly"
    assert list(new.options) == ["1", "2", "3", "4", "5", "N/A"]
    eye = radios[-11 + 4]  # item 5 of the preview: N/A already chosen on audio-only calls
    assert eye.value == "N/A"
    at.button(key=SAVE).click()
    at.run()
    saved = load_rubric_version(_newest()["id"])
    assert saved.item("closes_the_call_warmly").na_allowed
