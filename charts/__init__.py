"""Small chart builders: plain data in, plotly Figure out."""

from __future__ import annotations

import hashlib
import html
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

MAX_FIGURES = 128
_figures: OrderedDict[tuple[Any, ...], DrawnFigure] = OrderedDict()
_lock = threading.Lock()


def plain_label(text: object) -> str:
    """A user-typed name made safe for Plotly, which renders a few HTML tags in labels."""
    return html.escape(str(text), quote=False)


class DrawnFigure(go.Figure):  # type: ignore[misc]  # plotly ships no type hints
    """A figure that is built once and drawn on many reruns. Streamlit turns the figure
    into a dict on every draw, a deep copy of every point (most of a chart's cost on a
    rerun); this one makes that dict once. Do not change it after the first draw."""

    _as_dict: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        if self._as_dict is None:
            self._as_dict = super().to_dict()
        return self._as_dict


def _data_key(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        # The pickle holds columns, index, dtypes and values: equal frames, equal bytes.
        return ("frame", hashlib.blake2b(pickle.dumps(value, protocol=5)).digest())
    if isinstance(value, Mapping):
        return ("mapping", tuple((k, _data_key(v)) for k, v in value.items()))
    return value


def memo_figure(builder: Callable[..., go.Figure], *data: Any, **options: Any) -> DrawnFigure:
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
    figure = DrawnFigure(builder(*data, **options))
    with _lock:
        _figures[key] = figure
        while len(_figures) > MAX_FIGURES:
            _figures.popitem(last=False)
    return figure
