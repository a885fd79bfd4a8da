"""A small LLM backend that says who served and what it received: OpenAI- and Anthropic-compatible.

Stands in for the LLM servers (the one thing that cannot run here), and behaves like the real
ones where it matters to the gateway: it routes on the percent-decoded path as uvicorn and
Starlette do (vLLM's server), so ``/v1/chat%2Fcompletions`` reaches its chat handler; with
``served_models`` it answers 404 ``model_not_found`` to any other model id, as vLLM and Ollama
do. Answers ``POST /v1/chat/completions``, ``/v1/completions``, ``/v1/responses`` and
``/v1/messages`` as JSON or, with ``stream: true``, as Server-Sent Events in each API's own
framing (``demo/answers.py``), and ``GET /v1/models``; other paths get a 404. Tests can tell it
how to answer (``Behaviour``: the text, an error status, a delay, token logprobs). Every request
is recorded, answered or not. Nagle is off (else +40 ms per response).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from router_extproc.demo import answers

ROUTES = {("POST", "/v1/chat/completions"): "chat", ("POST", "/v1/completions"): "completions",
          ("POST", "/v1/responses"): "responses", ("POST", "/v1/messages"): "messages", ("GET", "/v1/models"): "models"}


@dataclass
class Behaviour:
    """How the backend answers (tests change it between requests): ``text`` replaces the
    default answer text, ``status`` answers with an error instead, ``delay`` waits first,
    ``logprobs`` adds one token logprob per word of the text (Chat Completions JSON)."""

    text: str | None = None
    status: int | None = None
    delay: float = 0.0
    logprobs: list[float] | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: BackendServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-backend", self.server.name)
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> str | None:
        """The handler a uvicorn/Starlette server would pick: the percent-decoded path."""
        return ROUTES.get((self.command, unquote(urlsplit(self.path).path)))

    def _error(self, status: int, message: str, code: str, route: str | None = None) -> None:
        self._send_json(status, answers.error_json(route or "chat", status, message, code))

    def do_GET(self) -> None:
        route = self._route()
        self.server.record({"backend": self.server.name, "method": "GET", "path": self.path, "route": route,
                            "headers": {k.lower(): v for k, v in self.headers.items()}})
        if route is None:
            self._error(404, "Not Found", "not_found")
            return
        ids = sorted(self.server.served_models or ())
        self._send_json(200, {"object": "list", "backend": self.server.name, "path": self.path,
                              "data": [{"id": i, "object": "model"} for i in ids]})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        route = self._route()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        received = {
            "backend": self.server.name,
            "method": "POST",
            "model": body.get("model") if isinstance(body, dict) else None,
            "bytes": len(raw),
            "selected_model_header": self.headers.get("x-selected-model"),
            "path": self.path,
            "route": route,
        }
        self.server.record(received | {"body": body, "headers": {k.lower(): v for k, v in self.headers.items()}})
        if route is None:
            self._error(404, "Not Found", "not_found")
            return
        if not isinstance(body, dict):
            self._error(400, "backend got invalid JSON", "invalid_json", route)
            return
        served = self.server.served_models
        model = str(body.get("model"))
        if served is not None and body.get("model") not in served:
            self._error(404, f"The model `{model}` does not exist.", "model_not_found", route)
            return
        behaviour = self.server.behaviour
        if behaviour.delay:
            time.sleep(behaviour.delay)
        if behaviour.status is not None:
            self._error(behaviour.status, f"{self.server.name} told to fail", "backend_error", route)
            return
        text = behaviour.text or f"[{self.server.name}] served model={model}"
        usage = {"prompt_tokens": max(1, len(raw) // 4), "completion_tokens": 7, "total_tokens": max(1, len(raw) // 4) + 7}
        if body.get("stream") is True:
            if route == "responses":
                events = answers.responses_events(model, text, usage, received)
            elif route == "messages":
                events = answers.messages_events(model, text, usage, received)
            else:
                events = answers.openai_events(body, text, usage, received)
            self._stream(events)
        elif route == "responses":
            self._send_json(200, answers.responses_json(model, text, usage, received))
        elif route == "messages":
            self._send_json(200, answers.messages_json(model, text, usage, received))
        else:
            self._send_json(200, answers.openai_json(route, model, text, usage, received, behaviour.logprobs))

    def _stream(self, events: list[answers.Event]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-backend", self.server.name)
        self.end_headers()
        for name, data in events:
            payload = data if isinstance(data, str) else json.dumps(data)
            self._write_chunk((f"event: {name}\n" if name else "").encode() + b"data: " + payload.encode() + b"\n\n")
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class BackendServer(ThreadingHTTPServer):
    """One demo model server; ``requests`` keeps what it received (for tests), ``seen`` counts
    everything it was sent. ``served_models``: the model ids it answers (None: any)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name: str, host: str = "127.0.0.1", port: int = 0,
                 served_models: Iterable[str] | None = None, keep: int = 100) -> None:
        super().__init__((host, port), _Handler)
        self.name = name
        self.served_models = frozenset(served_models) if served_models is not None else None
        self.keep = keep
        self.behaviour = Behaviour()
        self.seen = 0
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def record(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.seen += 1
            self.requests.append(item)
            del self.requests[:-self.keep]

    def start(self) -> BackendServer:
        self._thread = threading.Thread(target=self.serve_forever, name=f"backend-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)
