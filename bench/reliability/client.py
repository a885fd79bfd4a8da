"""HTTP as the suite needs it: raw requests (any path, header or byte), keep-alive workers,
and the test of what an OpenAI client can read.

Everything goes to Envoy's listener on loopback. An answer records its status, headers,
body and time; ``status is None`` means the request was not answered (timeout, reset, or a
close before a status line).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    error: str | None = None
    started: float = 0.0
    """``time.monotonic()`` when the request was sent (fault timelines)."""


def openai_shaped(answer: Answer) -> bool:
    """Can the client's SDK read this: a completion, a model list, or an error object in the
    shape of the API it called (OpenAI, Responses, Anthropic), as JSON or as an SSE stream."""
    if answer.status is None:
        return False
    content_type = answer.headers.get("content-type", "").split(";")[0].strip()
    if content_type == "text/event-stream":
        raw = [e for e in answer.body.decode("utf-8", "replace").split("\n\n") if e.strip()]
        if raw and raw[0].startswith("event: "):  # Responses / Anthropic framing: named events
            try:
                data = [json.loads(e.split("data: ", 1)[1]) for e in raw]
            except (IndexError, ValueError):
                return False
            return all(isinstance(d, dict) and isinstance(d.get("type"), str) for d in data)
        events = [e.removeprefix("data: ") for e in raw]
        if not events or events[-1] != "[DONE]":
            return False
        try:
            chunks = [json.loads(e) for e in events[:-1]]
        except ValueError:
            return False
        return all(isinstance(c, dict) and ("choices" in c or _is_error(c)) for c in chunks)
    if content_type != "application/json":
        return False
    try:
        payload = json.loads(answer.body)
    except ValueError:
        return False
    if answer.status >= 400:
        return _is_error(payload)
    return isinstance(payload, dict) and ("choices" in payload or payload.get("object") in ("list", "response")
                                          or payload.get("type") == "message")


def _is_error(payload: object) -> bool:
    """OpenAI's ``{"error": {message, type, code}}`` or Anthropic's ``{"type": "error", "error": {type, message}}``."""
    if not isinstance(payload, dict) or not isinstance(payload.get("error"), dict):
        return False
    error = payload["error"]
    if payload.get("type") == "error":
        return isinstance(error.get("message"), str) and isinstance(error.get("type"), str)
    return isinstance(error.get("message"), str) and isinstance(error.get("type"), str) and "code" in error


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = 15.0, conn: http.client.HTTPConnection | None = None) -> Answer:
    """One request over ``conn`` (kept open) or a new connection (closed after)."""
    own = conn is None
    connection = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        all_headers = {"content-type": "application/json", **(headers or {})}
        connection.request(method, path, body=body, headers=all_headers)
        reply = connection.getresponse()
        data = reply.read()
        return Answer(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data,
                      time.monotonic() - started, started=started)
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        return Answer(None, error=type(exc).__name__, seconds=time.monotonic() - started, started=started)
    finally:
        if own:
            connection.close()


def raw_request(port: int, data: bytes, timeout: float = 5.0) -> Answer:
    """Bytes as written (malformed HTTP, odd request lines); the answer's time is to its status
    line and headers, not to the close (Envoy delays closes by design)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
            seconds = time.monotonic() - started
            head, _, rest = received.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            if not lines[0].startswith("HTTP/1.1 "):
                return Answer(None, error="no status line", seconds=seconds, started=started)
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            length = int(headers.get("content-length", "0") or 0)
            while len(rest) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            return Answer(int(lines[0].split()[1]), headers, rest[:length], seconds, started=started)
        except OSError as exc:
            return Answer(None, error=type(exc).__name__, seconds=time.monotonic() - started, started=started)


class Workers:
    """``n`` threads, each with its own keep-alive connection, draining a shared job list."""

    def __init__(self, port: int, n: int) -> None:
        self.port = port
        self.n = n

    def run(self, jobs: Iterable[tuple[str, str, bytes | None, dict[str, str] | None]],
            on_answer: Callable[[int, Answer], None]) -> None:
        """Send each (method, path, body, headers); ``on_answer(index, answer)`` for each."""
        queue = list(enumerate(jobs))
        queue.reverse()
        lock = threading.Lock()

        def work() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            while True:
                with lock:
                    if not queue:
                        break
                    index, (method, path, body, headers) = queue.pop()
                answer = request(self.port, method, path, body, headers, conn=conn)
                if answer.status is None or answer.headers.get("connection") == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                on_answer(index, answer)
            conn.close()

        threads = [threading.Thread(target=work, name=f"client-{i}") for i in range(self.n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
