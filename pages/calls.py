"""Calls: the recordings the user may see, and uploading new ones."""

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from db.calls import IntakeProblem, import_call, list_calls
from db.users import list_agents
from ui.format import mmss
from ui.session import require_actor

actor = require_actor("admin", "supervisor")
st.title("Calls")

with st.expander("Upload recordings", icon=":material/upload:"):
    agents = {f"{a.display_name} ({a.username})": a.username for a in list_agents(actor)}
    with st.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            "Audio files (WAV, MP3, Ogg Vorbis/Opus, FLAC)",
            accept_multiple_files=True,
            type=["wav", "mp3", "ogg", "opus", "flac"],
        )
        agent = st.selectbox("Agent", list(agents))
        c1, c2, c3 = st.columns(3)
        day = c1.date_input("Call date", value=datetime.now(UTC).date())
        at = c2.time_input("Start time (UTC)")
        channel = c3.selectbox(
            "Agent's channel", [0, 1], format_func=lambda c: "left (0)" if c == 0 else "right (1)"
        )
        if st.form_submit_button("Import", type="primary") and files and agent:
            for upload in files:
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "upload"
                    path.write_bytes(upload.getvalue())
                    try:
                        row = import_call(
                            actor,
                            path,
                            original_name=upload.name,
                            agent_username=agents[agent],
                            started_at=datetime.combine(day, at, tzinfo=UTC),
                            agent_channel=channel,
                        )
                    except IntakeProblem as exc:
                        st.error(str(exc))
                    else:
                        st.success(
                            f"Imported {upload.name} as {row.external_id} ({mmss(row.duration_s)})."
                        )
    st.caption(
        "For many files at once use the bulk import: "
        "`python -m db.cli import-calls FOLDER MANIFEST.csv` (see the README)."
    )

calls = list_calls(actor)
if not calls:
    st.info("No calls yet.")
else:
    st.dataframe(
        pd.DataFrame(
            {
                "Call": [c.external_id for c in calls],
                "Agent": [c.agent for c in calls],
                "Started": [c.started_at for c in calls],
                "Length": [mmss(c.duration_s) for c in calls],
                "Channels": [c.channels for c in calls],
            }
        ),
        hide_index=True,
        width="stretch",
    )
