"""Averages drawn with their intervals and the number behind each week, and whether a
difference is larger than the uncertainty: one block shared by Trends and My feedback."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from charts import memo_figure
from charts.sampling import interval_frame, interval_trend_chart
from db.services.intervals import IntervalTrend
from scoring.uncertainty import LEVEL, MIN_N
from ui.format import plain


def _chart(series: Mapping[str, pd.DataFrame]) -> go.Figure:
    """``interval_trend_chart`` of named frames (a mapping, so ``memo_figure`` can key it)."""
    return interval_trend_chart(series.items())


def show_intervals(trend: IntervalTrend, key: str = "trends_intervals") -> None:
    st.caption(
        f"Weekly mean totals with a {LEVEL:.0%} interval (Student t on the week's "
        f"evaluations; hover for how many). Weeks with fewer than {MIN_N} evaluations are "
        "grey circles, not part of the line: too few to say."
    )
    series = {name: interval_frame(frame) for name, frame in trend.series}
    st.plotly_chart(memo_figure(_chart, series), key=key)
    for what, difference in trend.comparisons:
        st.markdown(f"**{plain(what)}:** {difference.label()}")
