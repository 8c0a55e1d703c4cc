"""Range answers for a recording that is not a local file (an object in a bucket): the
audio route hands `ranged_response` anything with a size, a name suffix and byte ranges.

One range per request (what audio elements send): ``bytes=a-b``, ``bytes=a-`` and
``bytes=-n``; 206 with ``Content-Range``; 416 for a range past the end; a header that is
not a single byte range is ignored (200, the whole recording), as RFC 9110 allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response, StreamingResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangedAudio(Protocol):
    @property
    def size(self) -> int: ...
    @property
    def suffix(self) -> str: ...
    def chunks(self, start: int, end: int) -> Iterator[bytes]: ...


def byte_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """(start, end inclusive) of one satisfiable range; None for no usable header (serve
    it all); "unsatisfiable" for a range wholly past the end."""
    match = _RANGE.match((header or "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, end


def ranged_response(
    audio: RangedAudio,
    range_header: str | None,
    media_type: str,
    headers: dict[str, str],
    head_only: bool = False,
) -> Response:
    """200 with the whole recording or 206 with one range; 416 when past the end."""
    size = audio.size
    wanted = byte_range(range_header, size)
    base = {**headers, "Accept-Ranges": "bytes"}
    if wanted == "unsatisfiable":
        return Response(status_code=416, headers={**base, "Content-Range": f"bytes */{size}"})
    if wanted is None or isinstance(wanted, str):
        start, end, status = 0, size - 1, 200
    else:
        (start, end), status = wanted, 206
    length = max(0, end - start + 1)
    base["Content-Length"] = str(length)
    if status == 206:
        base["Content-Range"] = f"bytes {start}-{end}/{size}"
    if head_only or length == 0:
        return Response(status_code=status, headers=base, media_type=media_type)
    return StreamingResponse(
        iterate_in_threadpool(audio.chunks(start, end)),
        status_code=status,
        headers=base,
        media_type=media_type,
    )
