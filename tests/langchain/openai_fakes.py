"""Real `ChatOpenAI` models, offline: each HTTP request is recorded and answered in the API's recorded shape.

The request goes through langchain-openai and the openai SDK unchanged (payload building, strict tool checks,
error classes); only the transport is `httpx.MockTransport`, as httpx recommends for tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from langchain_openai import ChatOpenAI

Reply = Callable[[dict[str, Any]], httpx.Response]


def chat_openai(reply: Reply, requests: list[dict[str, Any]], *, model: str = "gpt-4o-mini") -> ChatOpenAI:
    """A `ChatOpenAI` whose request bodies are appended to `requests` and answered by `reply(body)`."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        requests.append(body)
        response = reply(body)
        return _as_stream(response) if body.get("stream") and response.status_code == 200 else response

    transport = httpx.MockTransport(handle)
    return ChatOpenAI(
        model=model,
        api_key="sk-test",  # type: ignore[arg-type]
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        max_retries=0,  # the SDK's own retries would sleep; the tests count attempts themselves
    )


def completion(
    content: str | None = None,
    *,
    tool_calls: list[tuple[str, dict[str, Any]]] = (),  # type: ignore[assignment]
    prompt_tokens: int = 50,
    completion_tokens: int = 10,
) -> httpx.Response:
    """A ``chat.completion`` response: text, or tool calls given as ``(name, arguments)``."""
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(tool_calls)
        ]
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return httpx.Response(200, json=body)


def api_error(status: int, code: str, message: str) -> httpx.Response:
    """An OpenAI error response, e.g. ``api_error(429, "rate_limit_exceeded", "slow down")``."""
    return httpx.Response(status, json={"error": {"message": message, "type": code, "param": None, "code": code}})


def _as_stream(response: httpx.Response) -> httpx.Response:
    """A text completion as the server-sent events of a streamed one: content, finish, then usage."""
    full = response.json()
    choice = full["choices"][0]
    base = {key: full[key] for key in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    delta = {"role": "assistant", "content": choice["message"]["content"] or ""}
    events = [
        {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": choice["finish_reason"]}]},
        {**base, "choices": [], "usage": full["usage"]},
    ]
    text = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
    return httpx.Response(200, content=text.encode(), headers={"content-type": "text/event-stream"})
