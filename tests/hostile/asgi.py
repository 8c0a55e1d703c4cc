"""One HTTP request to an ASGI app in-process, with a body, a peer address and a scheme
(tests/hostile/__init__.py's asgi_request sends neither)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-cased names; repeated headers joined with "\n"
    body: bytes

    @property
    def cookies(self) -> list[str]:
        return [c for c in self.headers.get("set-cookie", "").split("\n") if c]


def call(
    app,
    path: str,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    peer: str = "127.0.0.1",
    scheme: str = "http",
) -> Answer:
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1", "replace"),
        "query_string": query.encode(),
        "root_path": "",
        "client": (peer, 50000),
        "server": ("127.0.0.1", 80),
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()]
        + [(b"content-length", str(len(body)).encode())],
    }
    sent: list[dict] = []

    async def run() -> None:
        done = asyncio.Event()
        chunks = [body]

        async def receive() -> dict:
            if chunks:
                return {"type": "http.request", "body": chunks.pop(), "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                done.set()

        await app(scope, receive, send)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, asyncio.wait_for(run(), timeout=30)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers_out: dict[str, str] = {}
    for k, v in start["headers"]:
        name = k.decode().lower()
        headers_out[name] = (headers_out[name] + "\n" if name in headers_out else "") + v.decode()
    data = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], headers_out, data)
