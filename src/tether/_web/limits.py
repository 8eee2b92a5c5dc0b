"""Bounds on what one request may ask of the server, and the ASGI guard that enforces
the body size and the token before a route sees the request."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

__all__ = ["Guard", "Limits", "is_loopback"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """What one request may ask (each error message names its bound)."""

    #: Largest request body, in bytes.
    max_body: int = 1_000_000
    #: Longest horizon of a scenario or an exposure sweep, in days.
    max_horizon: int = 3_650
    #: Most Monte Carlo replications.
    max_reps: int = 5_000
    #: Most scenarios in a request's YAML, and in a comparison.
    max_scenarios: int = 10
    #: Most runs one client may have queued or running at once.
    max_jobs_per_client: int = 4
    #: Most runs queued or running on the server at once.
    max_jobs: int = 200


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


async def _reply(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: the token (when the server has one) and the body size bound."""

    def __init__(self, app: ASGIApp, limits: Limits, token: str | None) -> None:
        self.app = app
        self.limits = limits
        self.token = token

    def _token_of(self, scope: Scope) -> str | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return str(auth[7:].strip())
        if "x-tether-token" in headers:
            return str(headers["x-tether-token"])
        if "cookie" in headers:
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(headers["cookie"])
            except Exception:
                return None
            if "tether_token" in cookie:
                return str(cookie["tether_token"].value)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            return str(query["token"][0])
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.token is not None:
            given = self._token_of(scope)
            if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
                await _reply(
                    send,
                    401,
                    "this server requires a token: send it as 'Authorization: Bearer TOKEN' "
                    "(or open the page once with ?token=TOKEN)",
                )
                return
        limit = self.limits.max_body
        for key, value in scope["headers"]:
            if key.lower() == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    await _reply(send, 400, "bad Content-Length header")
                    return
                if size > limit:
                    await _reply(
                        send, 413, f"request body is {size:,} bytes; the limit is {limit:,} bytes"
                    )
                    return
        # read the body here, bounded, and hand it on whole
        chunks: list[bytes] = []
        seen = 0
        more = scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS")
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await _reply(send, 413, f"request body is over the limit of {limit:,} bytes")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
