"""The OpenAPI 3.1 description of the export API, served at ``/api/openapi.json``."""

from __future__ import annotations

from typing import Any

API_PREFIX = "/api/v1/"
KINDS = ("evaluations", "comments", "disputes", "calibration", "trends")

_SUMMARIES = {
    "evaluations": "Submitted evaluations with their item scores (an agent: their own)",
    "comments": "Comments pinned on those evaluations",
    "disputes": "Disputes (an agent: their own; a supervisor: the team's)",
    "calibration": "Calibration results of revealed sessions only",
    "trends": "Weekly aggregates per agent, as on the Trends page",
}

_DATE = {"type": "string", "format": "date"}
_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
PARAMETERS: list[dict[str, Any]] = [
    {"name": "since", "in": "query", "schema": _DATE, "description": "from this UTC day"},
    {"name": "until", "in": "query", "schema": _DATE, "description": "to this UTC day"},
    {"name": "team", "in": "query", "schema": _ID, "description": "a team's id"},
    {"name": "agent", "in": "query", "schema": _ID, "description": "an agent's user id"},
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    },
    {
        "name": "cursor",
        "in": "query",
        "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
        "description": "next_cursor of the previous page",
    },
    {
        "name": "format",
        "in": "query",
        "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"},
    },
]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "parameter": {"type": "string"}},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document() -> dict[str, Any]:
    page = {
        "type": "object",
        "required": ["data", "count", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": {"type": "object"}},
            "count": {"type": "integer", "minimum": 0},
            "next_cursor": {"type": ["string", "null"]},
        },
    }
    paths = {
        f"{API_PREFIX}{kind}": {
            "get": {
                "operationId": f"export_{kind}",
                "summary": _SUMMARIES[kind],
                "security": [{"token": []}],
                "parameters": PARAMETERS,
                "responses": {
                    "200": {
                        "description": "one page; next_cursor (JSON) or the X-Next-Cursor "
                        "header (CSV) names the next",
                        "content": {
                            "application/json": {"schema": page},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "400": _error("a parameter is malformed; `parameter` names it"),
                    "401": _error("no token, or an unknown, revoked or expired one"),
                    "403": _error("the token's owner may not read this"),
                    "429": _error("too many requests for this token or address"),
                },
            }
        }
        for kind in KINDS
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Earshot export API",
            "version": "1",
            "description": "Read-only exports scoped by the token owner's role, as the "
            "pages are. Authenticate with `Authorization: Bearer <personal access token>`.",
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": _ERROR},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }
