"""Formatting for display."""

from __future__ import annotations

import re
from datetime import datetime

from ui.times import call_offset, local_time


def mmss(seconds: float | None) -> str:
    """A moment in a call, m:ss (or h:mm:ss past an hour): :func:`ui.times.call_offset`."""
    return call_offset(seconds)


def local_date(value: datetime | None) -> str:
    """A date and time in the reader's time zone: :func:`ui.times.local_time`."""
    return local_time(value)


# A colon only where an icon or emoji shortcode could start (``:material/x:``,
# ``:smile:``); ``file.wav: reason`` stays as it is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#~$]|:(?=[\w/+\-]))")
# Markdown's literal autolinks (``http://…``, ``www.…``, ``name@host``) are found in the
# text after escapes are undone, so no backslash stops them: an invisible word joiner
# (U+2060) inside the pattern does.
_AUTOLINK = re.compile(r"(?i)(://|\bwww(?=\.)|@)")
_BLOCK_START = re.compile(r"^(\s*(?:\d+)?)([-+=>|.)])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def plain(text: object) -> str:
    """``text`` to show as itself in anything Streamlit renders as Markdown (st.markdown,
    titles, captions, alerts, metric/expander/page-link/widget labels, radio options).

    Backslash-escaped: brackets (no link, image or ``:red[...]`` directive), a colon
    before a word (no ``:material/x:`` icon or emoji), emphasis, code, ``<`` autolinks,
    headings, strikethrough, LaTeX (``$``), and a list, quote or table marker at the
    start. A word joiner (U+2060, invisible) goes after ``://``, ``www`` and ``@``, so no
    bare address becomes a link. Line breaks become spaces (no block structure). Shown,
    the text reads as typed, on one line.
    """
    one_line = _AUTOLINK.sub("\\1\u2060", _LINE_BREAKS.sub(" ", str(text)))
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped, count=1)
