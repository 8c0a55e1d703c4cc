"""The benchmark's baseline: a blank Streamlit page (one title, nothing else).

Every page's server time is reported as a multiple of this page's run, measured in the
same process and the same run, so machine speed and load cancel out of the ratio.
"""

import streamlit as st

st.title("Blank")
