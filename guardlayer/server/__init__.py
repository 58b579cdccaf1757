"""The guard proxy (``guardlayer serve``): an OpenAI-compatible HTTP server that runs a chain
around every chat completion (and Responses call) it forwards to an upstream OpenAI-compatible
API.

    POST /v1/chat/completions   guarded; ``"stream": true`` answers with Server-Sent Events
    POST /v1/responses          guarded, streamed too (`responses`: what it refuses, and why)
    GET  /healthz               {"status": "ok", "chain": NAME}

The upstream call is the callable the chain guards (`relay.Relay`), so the chain works
unchanged: input guards judge the messages before the upstream sees them, output guards the
answer (streamed answers as they grow), with its retries, re-asks, fallbacks and budgets; a
budget's ``user`` is the ``X-Guardlayer-User`` header, else the body's ``user`` (``session``:
``X-Guardlayer-Session``; ``api_key``: a digest of the client's bearer token, never the token).
An answer carries only what the chain judged: its text and tool calls (fields such as logprobs,
``reasoning_content``, ``refusal`` and ``audio`` are dropped); an upstream stream that ends
without ``[DONE]``, or streams an event over `relay.EVENT_BYTES`, is an upstream failure, as is
an answer not streamed (or an error body) over `relay.ANSWER_BYTES`, read no further, and a
compressed body (the proxy asks for plain ones: ``Accept-Encoding: identity``); no error quotes
the upstream's answer text. A fallback model's chat completion is read as the upstream's is; its
answer of another shape (Anthropic, Ollama, Cohere...) goes back as its judged text and checked
tool calls only; a streamed request whose fallback answered with tool calls fails (`chain`: a
stream of its text cannot carry them).
A block is HTTP 400 ``{"error": {"message", "type": "guardlayer_blocked", "code": GUARD}}``,
a budget 429, an upstream that keeps failing 502 (504 when it timed out, 429 with its
Retry-After while it rate limits), a request the upstream refuses (a 4xx not worth a retry) its
own status and error (`answers.problem`; the error object's OpenAI fields only), a body over the
size limit 413. A client that leaves
before its answer cancels the call (and the upstream request). A call still waiting for the
model when a stopping proxy's grace period ends is cut (only the waits for the upstream are:
an answer the model gave is judged and sent; a cut call is not retried) with an error of type
``server_error``, code ``guardlayer_stopped`` (HTTP 503, or in a stream an error event and no ``[DONE]``: the
OpenAI SDK raises it as an APIError). Every response carries ``X-Guardlayer-Outcome``: the
Report's outcome, ``streaming`` for a stream (its final outcome is an SSE comment before
``[DONE]``), ``invalid`` for a body refused before any guard ran, ``cancelled`` for a client
that left or a call the stop cut, ``none`` for what is not a guarded call. A response's
``usage`` is what the call was charged: the upstream's, summed over its answers when the chain
asked more than once (re-asks), and over the answers of fallback models (as the Report counts
their tokens). Parts: `relay` (the upstream), `answers` (what goes back),
`responses` (the Responses API's own parts), `responses_stream` (a streamed Responses answer),
`app` (the routes, and `serve`), `stopping` (the grace period).
"""
from ..extras import need

for _module in ("starlette", "uvicorn", "httpx"):
    need(_module, "server", "the guard proxy (guardlayer serve)")

from .app import OUTCOME, create_app, serve  # noqa: E402  (after the check that names the extra)
from .relay import UpstreamError  # noqa: E402

__all__ = ["OUTCOME", "UpstreamError", "create_app", "serve"]
