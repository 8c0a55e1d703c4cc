"""Overview: what needs this user's attention, each with a link to where it is done."""

import streamlit as st

from db.services.overview import overview_for
from ui.format import plain
from ui.session import require_actor
from ui.times import reader_zone

actor = require_actor()
st.title(f"Welcome, {plain(actor.display_name)}")
figures = list(overview_for(actor, reader_zone()).values())  # "due today" in their day
for col, figure in zip(st.columns(len(figures)), figures, strict=True):
    with col:
        st.metric(figure.label, figure.value)
        if figure.page and figure.value not in (0, ""):  # nothing waiting: no call to act
            st.page_link(figure.page, label=figure.action, icon=":material/arrow_forward:")
