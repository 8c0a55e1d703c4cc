"""Small chart builders: plain data in, plotly Figure out."""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go

MAX_FIGURES = 128
_figures: OrderedDict[tuple, go.Figure] = OrderedDict()
_lock = threading.Lock()


def plain_label(text: object) -> str:
    """A user-typed name made safe for Plotly, which renders a few HTML tags in labels."""
    return html.escape(str(text), quote=False)


def _data_key(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        hashed = pd.util.hash_pandas_object(value, index=True)
        return ("frame", tuple(map(str, value.columns)), len(value), int(hashed.sum()))
    return value


def memo_figure(builder: Callable[..., go.Figure], *data: Any, **options: Any) -> go.Figure:
    """`builder(*data, **options)`, built once per distinct data and reused after.

    Building a figure (Plotly validates every property) costs more than fetching cached
    aggregates, and the same chart is drawn on every rerun. The figure returned is
    shared: draw it, do not change it.
    """
    key = (
        builder.__module__,
        builder.__qualname__,
        tuple(_data_key(d) for d in data),
        tuple(sorted(options.items())),
    )
    with _lock:
        if key in _figures:
            _figures.move_to_end(key)
            return _figures[key]
    figure = builder(*data, **options)
    with _lock:
        _figures[key] = figure
        while len(_figures) > MAX_FIGURES:
            _figures.popitem(last=False)
    return figure
