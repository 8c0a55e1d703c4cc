"""Single sign-on's data side on both databases: claims become a user (linked by verified
e-mail, created without a role, roles from a claim), refusals say why, and an admin can
require SSO for everyone but a break-glass admin."""

import pytest
from sqlmodel import Session

from db.access import AccessDenied
from db.models import User
from db.services.auth import LoginFailed, authenticate
from db.services.sso import (
    NO_ROLE,
    SsoRefused,
    set_email,
    set_sso_policy,
    sso_policy,
    sso_sign_in,
    users_waiting_for_a_role,
)
from db.services.users import set_active, set_role
from tests.factories import PASSWORD, make_world

ISSUER = "http://127.0.0.1:9/"


def claims(sub: str, email: str | None, verified: object = True, **more: object) -> dict:
    out: dict = {"iss": ISSUER, "sub": sub, "name": f"Person {sub}", **more}
    if email is not None:
        out["email"], out["email_verified"] = email, verified
    return out


@pytest.fixture
def world(database):
    return make_world()


def test_a_verified_email_links_the_existing_user_once_and_for_all(world):
    set_email(world.admin, world.sup_north.id, "Sup.North@Example.org")
    actor = sso_sign_in(claims("north-1", "sup.north@example.org"))
    assert (actor.id, actor.role) == (world.sup_north.id, "supervisor")
    # Linked by subject from now on, even when the provider's address changes.
    again = sso_sign_in(claims("north-1", "renamed@example.org"))
    assert again.id == world.sup_north.id


def test_an_unknown_verified_person_gets_an_account_without_a_role(world):
    actor = sso_sign_in(claims("new-1", "new.person@example.org", preferred_username="N P"))
    assert actor.role == NO_ROLE and actor.username == "n-p"
    assert users_waiting_for_a_role(world.admin) == [(actor.id, "n-p", "new.person@example.org")]
    assert users_waiting_for_a_role(world.sup_north) == []
    set_role(world.admin, actor.id, "agent", "North")
    assert sso_sign_in(claims("new-1", "new.person@example.org")).role == "agent"
    with pytest.raises(LoginFailed):  # no local password
        authenticate("n-p", "!sso")


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_is_refused_and_links_nothing(world, verified):
    set_email(world.admin, world.agent_north.id, "agent@example.org")
    with pytest.raises(SsoRefused, match="has not verified the e-mail address agent@example"):
        sso_sign_in(claims("evil", "agent@example.org", verified=verified))
    assert users_waiting_for_a_role(world.admin) == []


def test_no_subject_or_no_email_is_refused_with_the_reason(world):
    with pytest.raises(SsoRefused, match="no subject"):
        sso_sign_in({"iss": ISSUER, "email": "x@example.org", "email_verified": True})
    with pytest.raises(SsoRefused, match="no e-mail address"):
        sso_sign_in(claims("nobody", None))


def test_a_deactivated_user_is_refused_whatever_the_provider_says(world):
    set_email(world.admin, world.agent_north.id, "agent@example.org")
    sso_sign_in(claims("a-1", "agent@example.org"))
    set_active(world.admin, world.agent_north.id, False)
    with pytest.raises(SsoRefused, match="not active"):
        sso_sign_in(claims("a-1", "agent@example.org"))


def test_roles_and_teams_come_from_the_configured_claim(world, monkeypatch):
    monkeypatch.setenv("EARSHOT_SSO_ROLE_CLAIM", "groups")
    monkeypatch.setenv(
        "EARSHOT_SSO_ROLE_MAP", "qa-admins=admin; leads-west=supervisor:West; west=agent:West"
    )
    lead = sso_sign_in(claims("w-1", "lead@example.org", groups=["west", "leads-west"]))
    assert lead.role == "supervisor"  # the highest mapped role wins
    agent = sso_sign_in(claims("w-2", "agent.w@example.org", groups=["west", "other"]))
    assert agent.role == "agent" and agent.team_id == lead.team_id is not None
    # The provider stays the source: a group change moves the role at the next sign-in.
    assert sso_sign_in(claims("w-2", "agent.w@example.org", groups="qa-admins")).role == "admin"
    unmapped = sso_sign_in(claims("w-3", "x@example.org", groups=["unknown"]))
    assert unmapped.role == NO_ROLE
    monkeypatch.setenv("EARSHOT_SSO_ROLE_MAP", "west=agent")
    with pytest.raises(ValueError, match="'west=agent': a agent needs a team"):
        sso_sign_in(claims("w-2", "agent.w@example.org", groups=["west"]))


def test_requiring_sso_leaves_only_the_break_glass_admin_a_password(world):
    with pytest.raises(AccessDenied):
        set_sso_policy(world.sup_north, True, world.admin.id)
    with pytest.raises(ValueError, match="break-glass admin"):
        set_sso_policy(world.admin, True, world.sup_north.id)
    set_sso_policy(world.admin, True, world.admin.id)
    assert sso_policy().required
    with pytest.raises(LoginFailed, match="single sign-on"):
        authenticate("sup.north", PASSWORD)
    assert authenticate("admin", PASSWORD).id == world.admin.id  # break glass
    set_sso_policy(world.admin, False, None)
    assert authenticate("sup.north", PASSWORD).id == world.sup_north.id


def test_set_email_is_for_admins_and_refuses_duplicates(world, database):
    with pytest.raises(AccessDenied):
        set_email(world.sup_north, world.agent_north.id, "a@example.org")
    set_email(world.admin, world.agent_north.id, "a@example.org")
    with pytest.raises(ValueError, match="already has the address a@example.org"):
        set_email(world.admin, world.agent_south.id, "A@example.org")
    with pytest.raises(ValueError, match="is not an e-mail address"):
        set_email(world.admin, world.agent_south.id, "not-an-address")
    with Session(database) as s:
        assert s.get(User, world.agent_north.id).email == "a@example.org"
