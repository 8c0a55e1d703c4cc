"""Rubric listening v3: the v2 practices with the eye-contact item explained for a phone
team (issue 14): same keys, weights and evidence; N/A by default on audio-only calls."""

from pathlib import Path

from scoring.rubric import load_rubric

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


def test_v3_keeps_v2s_practices_and_explains_eye_contact_for_phone_calls():
    v2 = load_rubric(RUBRICS / "listening.v2.toml")
    v3 = load_rubric(RUBRICS / "listening.v3.toml")
    assert v3.version == 3 and v3.item_keys == v2.item_keys
    for key in v2.item_keys:
        old, new = v2.item(key), v3.item(key)
        assert (old.weight, old.na_allowed, old.critical, old.evidence) == (
            new.weight,
            new.na_allowed,
            new.critical,
            new.evidence,
        )
    eye = v3.item("eye_contact")
    assert eye.na_allowed and eye.na_default_audio_only
    assert v3.default_values(audio_only=True) == {"eye_contact": None}
    assert "phone" in eye.title.lower() and "phone call" in eye.listen_for.lower()
    assert not v3.description.lower().startswith("eye contact")
    assert "eye contact" not in v3.description.lower()
