"""The proxy's routes as a Starlette app (`create_app`), and `serve`, which runs it."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ..call import SYSTEM, CallShape
from ..chain import CLEANUP_SECONDS, Chain, last_report
from ..context import Scope, scope
from ..errors import Blocked, BudgetExceeded, ConfigError
from ..providers import is_stream
from ..report import Report
from . import responses, responses_stream
from .answers import completion, error_body, problem, retry_after, sse, unread_error
from .relay import PLAIN, TIMEOUT, Relay, UpstreamError, bounded_body
from .stopping import Stopped, Stopping

log = logging.getLogger("guardlayer")

OUTCOME = "X-Guardlayer-Outcome"
MAX_BODY = 4 * 1024 * 1024
"""The largest request body the proxy takes by default, in bytes (larger: HTTP 413)."""
GRACE = 10.0
"""Seconds a stopping proxy waits for open calls (streams) before it cuts them."""
CUT_SECONDS = CLEANUP_SECONDS + 1.0
"""Seconds past the grace period the server gives cut calls to close their upstream request
and send their error, before it cancels what is left (breaking those connections)."""
T = TypeVar("T")


class Invalid(ValueError):
    """The request body is not a request the proxy can guard."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A guarded route's own parts: the upstream's path (after its base URL), why a body
    cannot be guarded (None: it can), the relay, which of its arguments the guards read
    (`CallShape`, worked out once: every request's relay is called alike), what is sent
    back made of the guarded chat completion, and the events a streamed answer is sent as."""

    path: str
    unguardable: Callable[[dict[str, Any]], str | None]
    relay: type[Relay]
    shape: CallShape
    answer: Callable[[dict[str, Any], Relay, Report, Any], dict[str, Any]]
    events: Callable[[Any, Relay, Any], AsyncIterator[bytes]]


def create_app(chain: Chain, upstream: str, *, api_key: str | None = None, max_body: int = MAX_BODY,
               transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The proxy as an ASGI app: ``chain`` guards every call forwarded to ``upstream`` (the
    base URL of an OpenAI-compatible API, e.g. ``https://api.openai.com/v1``). ``api_key`` is
    sent upstream instead of the client's ``Authorization``; a body over ``max_body`` bytes is
    refused (413); ``transport`` replaces the network (tests serve a fake upstream through it).
    A server that stops calls ``app.state.stopping.begin(grace)`` (`stopping.Stopping`) when it
    stops taking connections: calls still waiting for the model ``grace`` seconds later end
    with an error (`serve` does)."""
    if not upstream.startswith(("http://", "https://")):
        raise ConfigError(f"the upstream must be an http:// or https:// URL, not {upstream!r}")
    if max_body < 1:
        raise ConfigError(f"max_body must be a positive number of bytes, not {max_body!r}")
    client = httpx.AsyncClient(transport=transport, timeout=TIMEOUT, headers=PLAIN)
    stopping = Stopping()
    base = upstream.rstrip("/")

    async def guarded(request: Request, endpoint: Endpoint) -> Response:
        try:
            body = _body(await _read(request, max_body), endpoint)
        except ClientLeft:
            return _left()
        except TooLarge as exc:
            return _error(413, {"message": str(exc), "type": "invalid_request_error"}, "invalid")
        except Invalid as exc:
            return _error(400, {"message": str(exc), "type": "invalid_request_error"}, "invalid")
        auth = request.headers.get("authorization")
        who = _who(request, body, auth)
        missing = _unidentified(chain, who)
        if missing:
            return _error(400, {"message": missing, "type": "invalid_request_error"}, "invalid")
        relay = endpoint.relay(client, base + endpoint.path, _upstream_auth(api_key, request), stopping)
        streamed = bool(body.get("stream"))
        try:  # (the relay's waits for the upstream end when a stop's grace period does: `Stopped`)
            with scope(**who):
                if streamed:  # (up to its first text, read inside the retries; then the response watches)
                    result = await _unless_left(request, chain.run_async(relay, endpoint.shape, (), body))
                else:
                    result, report = await _unless_left(request, _answered(chain, relay, endpoint.shape, body))
        except ClientLeft:
            return _left()
        except Exception as exc:  # noqa: BLE001 - every failure is an OpenAI-style error
            if relay.unread is not None:
                return _unread(relay.unread)
            status, error = problem(exc, relay.restore)
            return _error(status, error, _outcome(exc), retry_after(exc))
        if relay.unread is not None:  # (no output guard looked: the chain passed it on)
            return _unread(relay.unread)
        if streamed:
            return StreamingResponse(endpoint.events(result, relay, body.get("model")), media_type="text/event-stream",
                                     headers={OUTCOME: "streaming", "Cache-Control": "no-cache"})
        judged = await completion(result, relay, report, body.get("model"))
        return JSONResponse(endpoint.answer(judged, relay, report, body.get("model")),
                            headers={OUTCOME: report.outcome})

    async def chat(request: Request) -> Response:
        return await guarded(request, CHAT)

    async def respond(request: Request) -> Response:
        return await guarded(request, RESPONSES)

    async def models(request: Request) -> Response:
        """The upstream's model list, for clients that read it first: no user text passes, so
        nothing is guarded; its failures are OpenAI-style errors. (Only the list: a model id
        in the path could walk to other upstream endpoints with the proxy's key.)"""
        try:
            async with client.stream("GET", base + "/models", headers=_upstream_auth(api_key, request)) as response:
                listed = json.loads(await bounded_body(response))
        except (httpx.HTTPError, ValueError, UpstreamError) as exc:
            return _error(502, {"message": f"the upstream's model list failed: {type(exc).__name__}",
                                "type": "upstream_error"}, "error")
        return JSONResponse(listed, status_code=response.status_code)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "chain": chain.name})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]),
                            Route("/v1/responses", respond, methods=["POST"]),
                            Route("/v1/models", models, methods=["GET"]),
                            Route("/healthz", healthz, methods=["GET"])],
                    lifespan=lifespan)
    app.state.stopping = stopping
    app.add_middleware(_OutcomeHeader)
    return app


class TooLarge(ValueError):
    """The request body is larger than the proxy takes."""


class ClientLeft(Exception):
    """The client disconnected before its answer was ready."""


async def _read(request: Request, limit: int) -> bytes:
    """The request body, refused (`TooLarge`) as soon as it passes ``limit`` bytes;
    `ClientLeft` when the client disconnects while sending it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is {int(declared)} bytes, over the proxy's limit of {limit}")
    parts, size = [], 0
    try:
        async for part in request.stream():
            size += len(part)
            if size > limit:
                raise TooLarge(f"the body is over the proxy's limit of {limit} bytes")
            parts.append(part)
    except ClientDisconnect:
        raise ClientLeft from None
    return b"".join(parts)


async def _answered(chain: Chain, relay: Relay, shape: CallShape,
                    body: dict[str, Any]) -> tuple[Any, Report]:
    """The guarded call's result and its Report (read in the task that ran it)."""
    result = await chain.run_async(relay, shape, (), body)
    report = last_report()
    assert report is not None
    return result, report


async def _unless_left(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """``work``'s result; `ClientLeft` once the client disconnects first, after cancelling it
    (which closes the upstream request and settles the budget)."""
    task = asyncio.ensure_future(work)
    left = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({task, left}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        left.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
    if left.done() and not left.cancelled():
        if not task.cancelled() and task.exception() is None and is_stream(given := task.result()):
            await given.aclose()  # (done as the client left: nobody reads it)
        left.result()  # (a failure to read the client's side is raised)
        raise ClientLeft
    return task.result()


async def _disconnect(request: Request) -> None:
    """Return when the client disconnects (the body has been read: nothing else can come)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _body(raw: bytes, endpoint: Endpoint) -> dict[str, Any]:
    """The request, checked as far as the chain needs it (the upstream judges the rest)."""
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise Invalid(f"the body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Invalid(f"the body must be a JSON object, not {type(body).__name__}")
    if not isinstance(body.get("stream") or False, bool):
        raise Invalid("'stream' must be true or false")
    if not isinstance(body.get("user") or "", str):
        raise Invalid("'user' must be a string")
    why = endpoint.unguardable(body)
    if why:
        raise Invalid(why)
    return body


def _chat_unguardable(body: dict[str, Any]) -> str | None:
    """Why the proxy cannot guard this chat completion request (None: it can)."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list of messages"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            return f"messages[{i}] must be an object with a string 'role'"
    if body.get("n") not in (None, 1):
        return "'n' must be 1: guardlayer guards one answer"
    return None


def _as_is(judged: dict[str, Any], relay: Relay, report: Report, model: Any) -> dict[str, Any]:
    """A chat completion goes back as the chain judged it."""
    return judged


def _shape(relay: type[Relay], sources: dict[str, str], messages: str | None) -> CallShape:
    """Where the guards read the text of a call of ``relay`` (its ``__call__``, ``self`` aside)."""
    signature = inspect.signature(relay.__call__)
    return CallShape(signature.replace(parameters=list(signature.parameters.values())[1:]), sources, messages)


CHAT = Endpoint("/chat/completions", _chat_unguardable, Relay, _shape(Relay, {"prediction": SYSTEM}, "messages"),
                _as_is, sse)
"""``POST /v1/chat/completions``: the messages and a Predicted Output are read."""
RESPONSES = Endpoint("/responses", responses.unguardable, responses.ResponsesRelay,
                     _shape(responses.ResponsesRelay, {"input": "user", "prompt": "user", "instructions": SYSTEM},
                            None), responses.response, responses_stream.events)
"""``POST /v1/responses``: its ``input`` items, a stored prompt's variables, and (the
application's own) ``instructions`` are read."""


def _upstream_auth(api_key: str | None, request: Request) -> dict[str, str]:
    """The proxy's own key for the upstream, else the client's ``Authorization``."""
    auth = api_key and f"Bearer {api_key}" or request.headers.get("authorization")
    return {"authorization": auth} if auth else {}


def _who(request: Request, body: dict[str, Any], auth: str | None) -> dict[str, Any]:
    """The budget scope: user (header, else the body's ``user``), session, and a digest of
    the client's key (budgets per key without keeping the key)."""
    key = hashlib.sha256(auth.encode()).hexdigest()[:16] if auth else None
    return {"user": request.headers.get("x-guardlayer-user") or body.get("user") or None,
            "session": request.headers.get("x-guardlayer-session"), "api_key": key}


SENT_AS = {"user": "the X-Guardlayer-User header (or the body's 'user')",
           "session": "the X-Guardlayer-Session header", "api_key": "an Authorization header"}
"""How a client of the proxy gives each identity a budget can be kept per."""


def _unidentified(chain: Chain, who: dict[str, Any]) -> str | None:
    """Why the chain's budget cannot count this request (an identity it keeps a limit per is
    missing and it does not skip such calls), told in the proxy's terms; else None."""
    refused_for = getattr(chain.budget, "refused_for", None)  # (a budget of one's own may lack it)
    for limit in refused_for(Scope(**who).keys()) if refused_for else ():
        how = SENT_AS.get(limit.per)
        return (f"the budget keeps a limit per {limit.per}: send {how}" if how else
                f"the budget keeps a limit per {limit.per}, which the proxy cannot set")
    return None


def _outcome(exc: Exception) -> str:
    """The outcome a failed call's response says (`OUTCOME`)."""
    if isinstance(exc, (Blocked, BudgetExceeded)):
        return "blocked"
    return "cancelled" if isinstance(exc, Stopped) else "error"


def _unread(why: str) -> JSONResponse:
    """The answer to a call whose upstream answer the guards could not read (`Relay.unread`,
    `answers.unread_error`), charged as the upstream reported when it was whole (the chain read
    its usage before its output guards refused it), a streamed one as a stream cut."""
    return _error(502, unread_error(why), "error")


def _left() -> Response:
    """The answer to a client that disconnected (nobody reads it; the log and tests do)."""
    return Response(status_code=499, headers={OUTCOME: "cancelled"})


def _error(status: int, error: dict[str, Any], outcome: str,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=status, headers={OUTCOME: outcome, **(headers or {})})


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
          api_key: str | None = None, max_body: int = MAX_BODY, grace: float = GRACE) -> None:
    """Run the proxy with uvicorn until it is stopped (calls still waiting for the model
    ``grace`` seconds after Ctrl-C or SIGTERM end with an error: an SSE error event, or HTTP
    503 before the answer began); each call's Report is logged to stderr."""
    import uvicorn
    from uvicorn.main import STARTUP_FAILURE

    if grace < 0:
        raise ConfigError(f"grace must be 0 or more seconds, not {grace!r}")
    app = create_app(chain, upstream, api_key=api_key, max_body=max_body)
    handler = logging.StreamHandler()
    handler.setFormatter(_ReportFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)

    class Server(uvicorn.Server):
        """uvicorn's server, starting the app's grace period (`Stopping.begin`) as it stops."""

        async def shutdown(self, sockets: Any = None) -> None:
            app.state.stopping.begin(grace)  # (then uvicorn waits for the open calls)
            await super().shutdown(sockets)

    server = Server(uvicorn.Config(app, host=host, port=port, timeout_graceful_shutdown=grace + CUT_SECONDS))
    with contextlib.suppress(KeyboardInterrupt):  # (Ctrl-C, raised again once the server stopped)
        server.run()
    if not server.started:  # (as uvicorn.run: the port was taken, the app failed to start)
        raise SystemExit(STARTUP_FAILURE)
