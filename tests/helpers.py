"""Small helpers shared by tests: HTTP calls through Envoy and ProcessingRequest builders."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from router_extproc.pb.envoy.config.core.v3 import base_pb2
from router_extproc.pb.envoy.service.ext_proc.v3 import external_processor_pb2 as pb


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(url: str, method: str = "POST", body: bytes | dict | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 30) -> Reply:
    parts = urlsplit(url)
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        all_headers = {"content-type": "application/json", **(headers or {})}
        conn.request(method, parts.path or "/", body=data, headers=all_headers)
        reply = conn.getresponse()
        return Reply(reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
    finally:
        conn.close()


def upload_reading_early(port: int, path: str, body: bytes, chunked: bool = False, timeout: float = 30) -> Reply:
    """POST ``body`` while already reading the answer: a gateway that refuses a large upload
    answers before the body is sent and then closes (resetting a connection with unread
    bytes), so a client that reads only after sending may lose the answer to the reset."""
    framing = b"transfer-encoding: chunked\r\n" if chunked else b"content-length: %d\r\n" % len(body)
    payload = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n" if chunked else body
    head = b"POST " + path.encode() + b" HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n" + framing + b"\r\n"
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send() -> None:
        with contextlib.suppress(OSError):  # the gateway answered and closed: what the reader is there for
            sock.sendall(head + payload)

    sender = threading.Thread(target=send)
    sender.start()
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        while len(rest) < int(headers.get("content-length", 0)):
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return Reply(int(lines[0].split()[1]), headers, rest)
    finally:
        sock.close()
        sender.join(timeout)


def chat(content: str = "hello", model: str = "auto", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def header_map(values: dict[str, str]) -> base_pb2.HeaderMap:
    return base_pb2.HeaderMap(headers=[base_pb2.HeaderValue(key=k, raw_value=v.encode()) for k, v in values.items()])


def request_headers_msg(method: str = "POST", path: str = "/v1/chat/completions", end_of_stream: bool = False,
                        **extra: str) -> pb.ProcessingRequest:
    values = {":method": method, ":path": path, ":authority": "llm", "x-request-id": "test-1", **extra}
    return pb.ProcessingRequest(request_headers=pb.HttpHeaders(headers=header_map(values), end_of_stream=end_of_stream))


def request_body_msg(body: bytes | dict) -> pb.ProcessingRequest:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return pb.ProcessingRequest(request_body=pb.HttpBody(body=data, end_of_stream=True))


def response_headers_msg(status: str = "200") -> pb.ProcessingRequest:
    return pb.ProcessingRequest(response_headers=pb.HttpHeaders(headers=header_map({":status": status})))


def set_headers(mutation: pb.HeaderMutation) -> dict[str, str]:
    return {o.header.key: o.header.raw_value.decode() for o in mutation.set_headers}


async def exchange(stub, *messages: pb.ProcessingRequest) -> list[pb.ProcessingResponse]:
    """Send each message on one ext_proc stream and read its answer, then half-close."""
    call = stub.Process()
    replies = []
    for message in messages:
        await call.write(message)
        replies.append(await call.read())
    await call.done_writing()
    return replies
