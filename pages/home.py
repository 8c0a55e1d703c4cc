"""Overview: what needs this user's attention."""

import streamlit as st

from db.overview import overview_for
from ui.session import require_actor

actor = require_actor()
st.title(f"Welcome, {actor.display_name}")
figures = overview_for(actor)
cols = st.columns(len(figures))
for col, (label, value) in zip(cols, figures.items(), strict=True):
    col.metric(label, value)
