"""Raw UTF-8 in the request line, as curl sends `q=习近平`, reaches the app over a real socket."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import orjson
from uvicorn.config import Config
from uvicorn.server import ServerState

from app.core.http_protocol import PROTOCOL, Utf8RequestLineProtocol, percent_encode_non_ascii

XI = "习近平".encode()


def exchange(base_url: str, *chunks: bytes) -> list[tuple[int, bytes]]:
    """Send raw bytes (chunk by chunk) on one connection; every response's status and body, until it closes."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        for chunk in chunks:
            connection.sendall(chunk)
        received = b""
        while data := connection.recv(65536):
            received += data
    responses = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        length = int(headers[b"content-length"])
        responses.append((status, rest[:length]))
        received = rest[length:]
    return responses


def request(target: bytes, *, close: bool = True) -> bytes:
    return (
        b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n" + (b"Connection: close\r\n" if close else b"") + b"\r\n"
    )


def test_non_ascii_bytes_are_percent_encoded_as_a_browser_does() -> None:
    assert percent_encode_non_ascii(b"GET /v1/search?q=" + XI + b" HTTP/1.1") == (
        b"GET /v1/search?q=%E4%B9%A0%E8%BF%91%E5%B9%B3 HTTP/1.1"
    )
    assert percent_encode_non_ascii(b"GET /v1?a=%20 HTTP/1.1") == b"GET /v1?a=%20 HTTP/1.1"


def test_a_raw_utf8_query_is_answered(live_server: str) -> None:
    [(status, body)] = exchange(live_server, request(b"/v1/search?q=" + XI))
    assert status == 200
    assert "xi-jinping" in [hit["id"] for hit in orjson.loads(body)["items"]]


def test_a_raw_utf8_path_is_decoded_as_utf8(live_server: str) -> None:
    [(status, body)] = exchange(live_server, request("/v1/actors/华为".encode()))
    assert status == 404
    assert "华为" in orjson.loads(body)["detail"]


def test_a_request_line_split_inside_a_character_then_a_second_request_on_the_same_connection(
    live_server: str,
) -> None:
    host, port = live_server.removeprefix("http://").split(":")
    first = request(b"/v1/search?q=" + XI, close=False)
    cut = first.index(XI) + 1  # inside the first character's three bytes
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        replies = connection.makefile("rb")
        connection.sendall(first[:cut])
        time.sleep(0.2)
        connection.sendall(first[cut:])
        assert read_response(replies)[0] == 200
        connection.sendall(request(b"/v1/search?q=" + XI + b"&limit=1"))
        status, body = read_response(replies)
    assert status == 200
    assert len(orjson.loads(body)["items"]) == 1


def read_response(replies: Any) -> tuple[int, bytes]:
    """One response's status and body (by its Content-Length) from a connection's file."""
    status = int(replies.readline().split(b" ")[1])
    length = 0
    while (line := replies.readline()) != b"\r\n":
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return status, replies.read(length)


class FakeTransport(asyncio.Transport):
    """What the protocol writes to, in memory."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def scopes_seen(*chunks: bytes) -> list[dict[str, Any]]:
    """Feed raw chunks to the protocol on one connection; the ASGI scopes the app was called with."""
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        seen.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def run() -> None:
        config = Config(app, http=PROTOCOL, log_level="warning", lifespan="off")
        protocol = Utf8RequestLineProtocol(config, ServerState(), {}, asyncio.get_running_loop())
        protocol.connection_made(FakeTransport())
        for chunk in chunks:
            protocol.data_received(chunk)
            for _ in range(20):
                await asyncio.sleep(0)
        protocol.connection_lost(None)

    asyncio.run(run())
    return seen


def test_only_request_lines_are_encoded_never_headers_or_bodies() -> None:
    body = b"caf\xc3\xa9 " + XI
    post = (
        b"POST /v1/x?q=" + XI + b" HTTP/1.1\r\nHost: a\r\nX-Note: caf\xc3\xa9\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    get = b"GET /v1/search?q=" + XI + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    first, second = scopes_seen(post, get[:20], get[20:])
    assert first["method"] == "POST"
    assert first["query_string"] == b"q=%E4%B9%A0%E8%BF%91%E5%B9%B3"
    assert (b"x-note", b"caf\xc3\xa9") in first["headers"]
    assert second["path"] == "/v1/search"
    assert second["query_string"] == b"q=%E4%B9%A0%E8%BF%91%E5%B9%B3"


def test_a_utf8_path_is_decoded() -> None:
    [scope] = scopes_seen("GET /v1/actors/华为 HTTP/1.1\r\nHost: a\r\n\r\n".encode())
    assert scope["path"] == "/v1/actors/华为"
    assert scope["raw_path"] == b"/v1/actors/%E5%8D%8E%E4%B8%BA"


def test_what_the_parser_refuses_is_a_problem_too(live_server: str) -> None:
    [(status, body)] = exchange(live_server, request(b"/v1/actors?q=" + b"a" * 70_000))
    assert status == 400
    assert orjson.loads(body)["type"] == "urn:techsov:problem:bad-request"
