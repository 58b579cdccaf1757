"""The proxy's routes as a Starlette app (`create_app`), and `serve`, which runs it."""
from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..call import CallShape
from ..chain import Chain, last_report
from ..context import scope
from ..errors import Blocked, BudgetExceeded, ConfigError
from .answers import completion, error_body, problem, sse
from .relay import TIMEOUT, Relay

log = logging.getLogger("guardlayer")

OUTCOME = "X-Guardlayer-Outcome"


class Invalid(ValueError):
    """The request body is not a chat completion request the proxy can guard."""


def create_app(chain: Chain, upstream: str, *, api_key: str | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The proxy as an ASGI app: ``chain`` guards every call forwarded to ``upstream`` (the
    base URL of an OpenAI-compatible API, e.g. ``https://api.openai.com/v1``). ``api_key`` is
    sent upstream instead of the client's ``Authorization``; ``transport`` replaces the network
    (tests serve a fake upstream through it)."""
    if not upstream.startswith(("http://", "https://")):
        raise ConfigError(f"the upstream must be an http:// or https:// URL, not {upstream!r}")
    client = httpx.AsyncClient(transport=transport, timeout=TIMEOUT)
    url = upstream.rstrip("/") + "/chat/completions"

    async def chat(request: Request) -> Response:
        try:
            body = _body(await request.body())
        except Invalid as exc:
            return _error(400, {"message": str(exc), "type": "invalid_request_error"}, "invalid")
        auth = request.headers.get("authorization")
        relay = Relay(client, url, {"authorization": f"Bearer {api_key}"} if api_key
                      else {"authorization": auth} if auth else {})
        streamed = bool(body.get("stream"))
        try:
            with scope(**_who(request, body, auth)):
                result = await chain.run_async(relay, CallShape(inspect.signature(relay), {}, "messages"),
                                               (), body)
        except Exception as exc:  # noqa: BLE001 - every failure is an OpenAI-style error
            status, error = problem(exc)
            return _error(status, error, "blocked" if isinstance(exc, (Blocked, BudgetExceeded)) else "error")
        if streamed:
            return StreamingResponse(sse(result, relay, body.get("model")), media_type="text/event-stream",
                                     headers={OUTCOME: "streaming", "Cache-Control": "no-cache"})
        report = last_report()
        assert report is not None
        answer = await completion(result, relay, report, body.get("model"))
        return JSONResponse(answer, headers={OUTCOME: report.outcome})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "chain": chain.name})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                            Route("/healthz", healthz, methods=["GET"])],
                    lifespan=lifespan)
    app.add_middleware(_OutcomeHeader)
    return app


def _body(raw: bytes) -> dict[str, Any]:
    """The request, checked as far as the chain needs it (the upstream judges the rest)."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise Invalid(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Invalid(f"the body must be a JSON object, not {type(body).__name__}")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Invalid("'messages' must be a non-empty list of messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise Invalid(f"messages[{i}] must be an object with a string 'role'")
    if body.get("n") not in (None, 1):
        raise Invalid("'n' must be 1: guardlayer guards one answer")
    if not isinstance(body.get("stream") or False, bool):
        raise Invalid("'stream' must be true or false")
    if not isinstance(body.get("user") or "", str):
        raise Invalid("'user' must be a string")
    return body


def _who(request: Request, body: dict[str, Any], auth: str | None) -> dict[str, Any]:
    """The budget scope: user (header, else the body's ``user``), session, and a digest of
    the client's key (budgets per key without keeping the key)."""
    key = hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else None
    return {"user": request.headers.get("x-guardlayer-user") or body.get("user") or None,
            "session": request.headers.get("x-guardlayer-session"), "api_key": key}


def _error(status: int, error: dict[str, Any], outcome: str) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=status, headers={OUTCOME: outcome})


class _OutcomeHeader:
    """ASGI middleware: a response that says no outcome (not a guarded call) says ``none``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if OUTCOME.lower() not in headers:
                    headers[OUTCOME] = "none"
            await send(message)

        await self.app(scope, receive, sending)


class _ReportFormatter(logging.Formatter):
    """A log line, and the call's Report as JSON when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        report = getattr(record, "guardlayer", None)
        return f"{line} {json.dumps(report, default=str)}" if report is not None else line


def serve(chain: Chain, upstream: str, *, host: str = "127.0.0.1", port: int = 8000,
          api_key: str | None = None) -> None:
    """Run the proxy with uvicorn until it is stopped; each call's Report is logged to stderr."""
    import uvicorn

    app = create_app(chain, upstream, api_key=api_key)
    handler = logging.StreamHandler()
    handler.setFormatter(_ReportFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    uvicorn.run(app, host=host, port=port)
