"""The call player's waveform peaks: checked and rounded once per process by their values
(every rerun of a Score page sends the same call's peaks), with the same refusals."""

from __future__ import annotations

import math

import pytest

from player.component import _lane


def test_peaks_are_clamped_and_rounded_the_same_on_every_rerun():
    raw = [0.12345, -0.5, 1.7, 0.5]
    first = _lane({"label": "Agent", "peaks": raw}, 0)
    assert first["peaks"] == [0.123, 0.0, 1.0, 0.5]
    first["peaks"].append(9.0)  # what one page does with its copy stays with it
    again = _lane({"label": "Agent", "peaks": list(raw)}, 0)
    assert again["peaks"] == [0.123, 0.0, 1.0, 0.5]
    assert again["peaks"] is not first["peaks"]


def test_bad_peaks_are_refused_even_when_equal_values_were_seen():
    _lane({"peaks": [1, 0]}, 0)  # ints: accepted
    with pytest.raises(TypeError, match="peak must be a number"):
        _lane({"peaks": [True, False]}, 0)  # equal to (1, 0) as a tuple, still refused
    with pytest.raises(ValueError, match="peak must be finite"):
        _lane({"peaks": [0.5, math.nan]}, 0)
    with pytest.raises(TypeError, match="peak must be a number"):
        _lane({"peaks": [0.5, [0.1]]}, 0)  # unhashable: checked one by one
