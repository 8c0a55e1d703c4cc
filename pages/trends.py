"""Placeholder until its issue lands."""

import streamlit as st

from ui.session import require_actor

require_actor()
st.title("Coming soon")
