"""Moments an agent cites in a dispute, typed as m:ss."""

import math

import pytest

from scoring.cited_moments import MAX_MOMENTS, parse_moments, valid_moments
from scoring.errors import Invalid


def test_times_are_read_sorted_and_without_repeats():
    assert parse_moments("1:05, 0:12; 0:12  1:00:00", 4000) == (12.0, 65.0, 3600.0)
    assert parse_moments("", 30) == () and parse_moments(None, 30) == ()
    assert parse_moments(" 0:30 ", 30) == (30.0,)  # the last second is in the call


@pytest.mark.parametrize(
    ("typed", "named"),
    [("12", "“12”"), ("0:75", "“0:75”"), ("abc", "“abc”"), ("1:2", "“1:2”"), ("-0:05", "“-0:05”")],
)
def test_something_that_is_not_a_time_is_refused_by_name(typed, named):
    with pytest.raises(Invalid, match=named):
        parse_moments(f"0:01, {typed}", 600)


def test_a_time_past_the_end_of_the_call_is_refused_with_the_calls_length():
    with pytest.raises(Invalid, match=r"0:31 is after the end of the call \(0:30\)"):
        parse_moments("0:10, 0:31", 30)


def test_too_many_moments_are_refused():
    typed = ", ".join(f"0:{s:02d}" for s in range(MAX_MOMENTS + 1))
    with pytest.raises(Invalid, match=f"at most {MAX_MOMENTS}"):
        parse_moments(typed, 60)


def test_seconds_given_by_a_program_are_checked_the_same_way():
    assert valid_moments([20, 3.5, 20.0], 30) == (3.5, 20.0)
    for bad in (-1, 31, math.inf, math.nan):
        with pytest.raises(Invalid, match="outside the call"):
            valid_moments([bad], 30)
