"""Starlette routes of the export API, mounted beside the app (server.py) like the audio
route, so they get the same security headers.

``GET /api/v1/{evaluations,comments,disputes,calibration,trends}`` with
``Authorization: Bearer <personal access token>``; ``GET /api/openapi.json`` describes
them. Every answer is JSON (or CSV with ``format=csv``) and never cached. Refusals: 401
for a missing, unknown, revoked or expired token or a deactivated owner; 400 naming the
malformed parameter; 403 when the owner may not read; 429 past the per-token or
per-address rate (EARSHOT_API_REQUESTS_PER_MINUTE). Every request, answered or refused,
is audited (db/services/tokens.py `record_request`: who, what, when, how many rows).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.openapi import API_PREFIX, KINDS, openapi_document
from scoring.errors import Denied, EarshotError, NotFound
from scoring.ids import parse_id

WINDOW_S = 60.0
NO_STORE = {"Cache-Control": "no-store"}


class RateLimiter:
    """At most `limit()` hits per key in any WINDOW_S seconds (a sliding window kept in
    this process: behind several app processes each allows its share)."""

    def __init__(self, limit: Callable[[], int], clock: Callable[[], float] = time.monotonic):
        self._limit, self._clock = limit, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float | None:
        """None when allowed (and counted); else the seconds until the next is allowed."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW_S:
                hits.popleft()
            if len(hits) >= self._limit():
                return max(1.0, hits[0] + WINDOW_S - now)
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle keys so memory stays bounded
                for stale in [k for k, v in self._hits.items() if not v]:
                    del self._hits[stale]
            return None


class BadParameter(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="earshot"'
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _date(params: Any, name: str) -> date | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParameter(name, f"{name} must be a date like 2026-11-02, got {raw!r}") from None


def _id(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    ident = parse_id(raw)
    if ident is None:
        raise BadParameter(name, f"{name} must be an id (a whole number from 1), got {raw!r}")
    return ident


def parse_query(params: Any) -> tuple[Any, str]:
    """The ExportQuery and format the query string asks for; BadParameter names the first
    malformed parameter."""
    from db.services.api import DEFAULT_LIMIT, MAX_LIMIT, ExportQuery

    for name in params:
        if len(params.getlist(name)) > 1:
            raise BadParameter(name, f"{name} is given more than once")
    raw_limit = params.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        parsed = parse_id(raw_limit)
        if parsed is None or parsed > MAX_LIMIT:
            raise BadParameter(
                "limit", f"limit must be a whole number from 1 to {MAX_LIMIT}, got {raw_limit!r}"
            )
        limit = parsed
    raw_cursor = params.get("cursor")
    cursor = None
    if raw_cursor is not None:
        cursor = parse_id(raw_cursor) if raw_cursor != "0" else 0
        if cursor is None:
            raise BadParameter(
                "cursor", f"cursor must be the next_cursor of a previous page, got {raw_cursor!r}"
            )
    fmt = params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadParameter("format", f"format must be json or csv, got {fmt!r}")
    since, until = _date(params, "since"), _date(params, "until")
    if since and until and since > until:
        raise BadParameter("until", f"until ({until}) is before since ({since})")
    query = ExportQuery(
        since=since,
        until=until,
        team_id=_id(params, "team"),
        agent_id=_id(params, "agent"),
        cursor=cursor,
        limit=limit,
    )
    return query, fmt


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class _Exchange:
    """One request's audit facts, filled in as it is answered."""

    def __init__(self, request: Request, address: str) -> None:
        self.request, self.address = request, address
        self.token_id: int | None = None
        self.user_id: int | None = None
        self.rows = 0

    async def answer(self, response: Response) -> Response:
        from db.services.tokens import record_request

        await run_in_threadpool(
            record_request,
            self.token_id,
            self.user_id,
            self.address,
            self.request.url.path,
            self.request.url.query,
            response.status_code,
            self.rows,
        )
        return response


async def _run_export(kind: str, actor: Any, request: Request, exchange: _Exchange) -> Response:
    """Parse, read, render one page for an authenticated actor."""
    from db.services.api import EXPORTS, page_csv

    try:
        query, fmt = parse_query(request.query_params)
    except BadParameter as exc:
        return _error(400, str(exc), parameter=exc.name)
    try:
        page = await run_in_threadpool(EXPORTS[kind], actor, query)
    except Denied as exc:
        return _error(403, str(exc))
    except NotFound as exc:
        return _error(404, str(exc))
    except EarshotError as exc:
        return _error(400, str(exc))
    exchange.rows = len(page.rows)
    if fmt == "csv":
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{kind}.csv"'}
        if page.next_cursor is not None:
            headers["X-Next-Cursor"] = page.next_cursor
        return Response(page_csv(page.rows), media_type="text/csv", headers=headers)
    body = {"data": page.rows, "count": exchange.rows, "next_cursor": page.next_cursor}
    return JSONResponse(body, headers=NO_STORE)


def api_routes(
    client_address: Callable[[Request], str] | None = None,
    requests_per_minute: Callable[[], int] | None = None,
) -> list[Route]:
    """The export API's routes. `client_address(request)` names the caller for the
    per-address limit and the audit (default: the TCP peer); `requests_per_minute()` the
    rate per token and per address (default: the setting)."""

    def limit() -> int:
        if requests_per_minute is not None:
            return requests_per_minute()
        from db.operations.config import settings

        return settings().api_requests_per_minute

    per_token, per_address = RateLimiter(limit), RateLimiter(limit)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(), headers=NO_STORE)

    async def export(request: Request) -> Response:
        from db.services.tokens import TokenRefused, actor_for_token

        if client_address is not None:
            address = client_address(request)
        else:
            address = request.client.host if request.client else ""
        exchange = _Exchange(request, address)
        if (wait := per_address.allow(f"address:{address}")) is not None:
            return await exchange.answer(_too_many(wait, "this address"))
        token = _bearer(request)
        if token is None:
            return await exchange.answer(
                _error(401, "Authorization: Bearer <token> is required (create one in the app).")
            )
        try:
            actor, exchange.token_id = await run_in_threadpool(actor_for_token, token)
        except TokenRefused as exc:
            return await exchange.answer(_error(401, str(exc)))
        exchange.user_id = actor.id
        if (wait := per_token.allow(f"token:{exchange.token_id}")) is not None:
            return await exchange.answer(_too_many(wait, "this token"))
        kind = request.url.path.removeprefix(API_PREFIX)
        return await exchange.answer(await _run_export(kind, actor, request, exchange))

    return [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        *(Route(f"{API_PREFIX}{kind}", export, methods=["GET"]) for kind in KINDS),
    ]


def _too_many(wait_s: float, who: str) -> JSONResponse:
    response = _error(429, f"Too many requests from {who}: wait {wait_s:.0f} s and try again.")
    response.headers["Retry-After"] = str(int(wait_s + 0.999))
    return response
