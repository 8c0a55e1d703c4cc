"""Sampling plans: define which calls are reviewed, by whom and how many, see what the
quota buys, run a plan, and follow its period's progress per scorer and per agent."""

import streamlit as st

from charts import memo_figure
from charts.sampling import plan_progress_chart, plan_totals_chart
from db.services.jobs import enqueue
from db.services.sampling import (
    KNOWN_METRICS,
    PlanView,
    hand_over,
    list_plans,
    plan_progress,
    save_plan,
    scorer_choices,
)
from db.services.users import list_agents, list_teams
from jobs.handlers import SAMPLE
from scoring.errors import EarshotError
from scoring.sampling import (
    DEFAULT_ANCHOR,
    PERIODS,
    FixedQuota,
    PercentQuota,
    SamplingPlan,
    Scorer,
    parse_condition,
    parse_trigger,
)
from scoring.uncertainty import LEVEL, quota_precision
from ui.format import plain
from ui.session import require_actor
from ui.times import reader_today

NEW = "New plan…"
PERIOD_LABELS = {
    "daily": "Daily",
    "weekly": "Weekly",
    "biweekly": "Every two weeks",
    "monthly": "Monthly",
}

actor = require_actor()
st.title("Sampling plans")
st.caption(
    "A plan decides which calls are reviewed, by whom and by when. The worker runs every "
    "active plan at the start of its period and as calls arrive; each assignment records "
    "why its call was drawn."
)
if notice := st.session_state.pop("sampling_notice", None):
    st.success(plain(notice))

plans = {p.title: p for p in list_plans(actor)}
if chosen := st.session_state.pop("sampling_plan_next", None):
    st.session_state["sampling_plan"] = chosen  # the plan just saved, before the widget
choice = st.selectbox("Plan", [*plans, NEW], key="sampling_plan")
current: PlanView | None = plans.get(choice)
plan = current.plan if current else None

# ------------------------------------------------------------------ progress
if current is not None:
    today = reader_today()  # the reader's date, not UTC's
    day = st.date_input("Period containing", value=today, key="sampling_day")
    progress = plan_progress(actor, current.id, day)
    window = progress.window
    st.subheader(f"{window.start:%d %b} – {window.last_day:%d %b %Y}")
    totals = progress.totals
    c = st.columns(5)
    c[0].metric("Expected", totals["expected"])
    c[1].metric("Completed", totals["completed"])
    c[2].metric("Overdue", totals["overdue"])
    c[3].metric("Replaced", totals["replaced"])
    c[4].metric("Needing a scorer", progress.unplaced)
    if progress.unplaced:
        st.warning(
            f"{progress.unplaced} open assignment(s) belong to a scorer who has left and no "
            "other scorer of the plan may take them: hand them to someone below, or add a "
            "scorer to the plan."
        )
        waiting = {
            f"{v.external_id} · {v.agent} · {v.scorer}": v.id
            for v in progress.assignments
            if v.id in progress.unplaced_ids
        }
        choices = dict(scorer_choices(actor))
        h1, h2 = st.columns(2)
        pick = h1.selectbox("Assignment", list(waiting), key="sampling_unplaced")
        to = h2.selectbox(
            "Hand to",
            list(choices),
            format_func=lambda s: choices.get(s, str(s)),
            key="sampling_hand_to",
        )
        if st.button("Hand over", key="sampling_hand_over") and pick and to:
            try:
                moved = hand_over(actor, waiting[pick], to, "the scorer has left")
            except EarshotError as exc:
                st.error(plain(exc))
            else:
                st.session_state["sampling_notice"] = (
                    f"Call {moved.external_id} handed to {moved.scorer}."
                )
                st.rerun()
    if progress.precision is not None:
        four_periods = quota_precision(progress.precision.n, progress.score_sd or 0.0, periods=4)
        st.info(
            f"What the quota buys: with {progress.precision.n} evaluation(s) per agent per "
            f"period and the spread of totals seen so far (sd {progress.score_sd:.1f} over "
            f"{progress.scored_n} evaluations, last 90 days), an agent's period average is "
            f"known to about {progress.precision.label()} ({LEVEL:.0%} interval); over four "
            f"periods to {four_periods.label()}."
        )
    else:
        st.caption("Too few submitted evaluations yet to say what the quota buys.")
    st.plotly_chart(
        memo_figure(plan_progress_chart, progress.daily, today=today),
        key="sampling_progress_chart",
    )
    left, right = st.columns(2)
    with left:
        st.caption("Per scorer")
        st.plotly_chart(
            memo_figure(plan_totals_chart, progress.by_scorer), key="sampling_by_scorer"
        )
    with right:
        st.caption("Per agent")
        st.plotly_chart(
            memo_figure(plan_totals_chart, progress.by_agent, who="Agent"), key="sampling_by_agent"
        )
    if st.button("Run now", key="sampling_run", disabled=not current.active):
        job = enqueue(SAMPLE, subject=str(current.id), requested_by=actor.id)
        if job.failed:
            st.error(f"The run failed: {plain(job.error)}")
        else:
            st.session_state["sampling_notice"] = f"Run {job.state}."
            st.rerun()

# ------------------------------------------------------------------ editor
st.subheader("Edit plan" if current else "New plan")
suffix = current.id if current else "new"  # each plan's fields keep their own state
teams = dict(list_teams(actor))
agents = {a.id: a.display_name for a in list_agents(actor)}
scorers = dict(scorer_choices(actor))
with st.form("sampling_editor"):
    title = st.text_input(
        "Title", value=current.title if current else "", key=f"plan_title_{suffix}"
    )
    key = st.text_input(
        "Key (a short id, kept with every assignment)",
        value=current.key if current else "",
        key=f"plan_key_{suffix}",
    )
    c1, c2 = st.columns(2)
    period = c1.selectbox(
        "Period",
        list(PERIODS),
        index=list(PERIODS).index(plan.period) if plan else 1,
        format_func=lambda p: PERIOD_LABELS.get(p, p),
        key=f"plan_period_{suffix}",
    )
    rubric_key = c2.text_input(
        "Rubric key", value=plan.rubric_key if plan else "listening", key=f"plan_rubric_{suffix}"
    )
    c1, c2 = st.columns(2)
    team_ids = c1.multiselect(
        "Teams reviewed",
        list(teams),
        default=[t for t in (plan.team_ids if plan else ()) if t in teams],
        format_func=lambda t: teams.get(t, str(t)),
        key=f"plan_teams_{suffix}",
    )
    agent_ids = c2.multiselect(
        "Agents reviewed (beside the teams)",
        list(agents),
        default=[a for a in (plan.agent_ids if plan else ()) if a in agents],
        format_func=lambda a: agents.get(a, str(a)),
        key=f"plan_agents_{suffix}",
    )
    scorer_ids = st.multiselect(
        "Scorers (work is shared evenly; nobody reviews their own calls)",
        list(scorers),
        default=[s.user_id for s in (plan.scorers if plan else ()) if s.user_id in scorers],
        format_func=lambda s: scorers.get(s, str(s)),
        key=f"plan_scorers_{suffix}",
    )
    fixed = not plan or isinstance(plan.quota, FixedQuota)
    kind = st.radio(
        "Quota",
        ["Calls per agent", "Percent of each agent's calls"],
        index=0 if fixed else 1,
        horizontal=True,
        key=f"plan_quota_kind_{suffix}",
    )
    c1, c2, c3, c4 = st.columns(4)
    per_agent = c1.number_input(
        "Calls per agent",
        min_value=1,
        value=plan.quota.per_agent if plan and isinstance(plan.quota, FixedQuota) else 4,
        key=f"plan_per_agent_{suffix}",
    )
    pq = plan.quota if plan and isinstance(plan.quota, PercentQuota) else None
    percent = c2.number_input(
        "Percent",
        min_value=0.1,
        max_value=100.0,
        value=pq.percent if pq else 2.0,
        key=f"plan_pct_{suffix}",
    )
    minimum = c3.number_input(
        "At least", min_value=0, value=pq.minimum if pq else 1, key=f"plan_min_{suffix}"
    )
    maximum = c4.number_input(
        "At most (0: no limit)",
        min_value=0,
        value=(pq.maximum or 0) if pq else 0,
        key=f"plan_max_{suffix}",
    )
    conditions = st.text_area(
        "Conditions, one a line (e.g. `direction = inbound`, `60 <= duration_s <= 900`)",
        value="\n".join(c.describe() for c in plan.conditions) if plan else "",
        key=f"plan_conditions_{suffix}",
    )
    triggers = st.text_area(
        f"Evidence triggers, one a line (metrics: {', '.join(KNOWN_METRICS)}; "
        "e.g. `interruptions >= 3`)",
        value="\n".join(t.label for t in plan.triggers) if plan else "",
        key=f"plan_triggers_{suffix}",
    )
    share = st.slider(
        "Share of each quota reserved for triggered calls",
        0.0,
        1.0,
        value=plan.triggered_share if plan else 0.0,
        step=0.05,
        key=f"plan_share_{suffix}",
    )
    active = st.checkbox(
        "Active", value=current.active if current else True, key=f"plan_active_{suffix}"
    )
    saved = st.form_submit_button("Save plan", type="primary")

if saved:
    try:
        quota = (
            FixedQuota(int(per_agent))
            if kind == "Calls per agent"
            else PercentQuota(float(percent), int(minimum), int(maximum) or None)
        )
        edited = SamplingPlan(
            key=key.strip(),
            rubric_key=rubric_key.strip(),
            period=period,
            quota=quota,
            scorers=tuple(Scorer(s) for s in scorer_ids),
            team_ids=frozenset(team_ids),
            agent_ids=frozenset(agent_ids),
            conditions=tuple(
                parse_condition(line, f"condition line {n}")
                for n, line in enumerate(conditions.splitlines(), 1)
                if line.strip()
            ),
            triggers=tuple(
                parse_trigger(line, f"trigger line {n}")
                for n, line in enumerate(triggers.splitlines(), 1)
                if line.strip()
            ),
            triggered_share=float(share),
            anchor=plan.anchor if plan else DEFAULT_ANCHOR,
        )
        view = save_plan(actor, title, edited, current.id if current else None, active)
    except EarshotError as exc:
        st.error(plain(exc))
    else:
        st.session_state["sampling_notice"] = f"Plan {view.title!r} saved."
        st.session_state["sampling_plan_next"] = view.title
        st.rerun()
