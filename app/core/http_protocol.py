"""The HTTP/1.1 protocol `techsov serve` runs: uvicorn's httptools one, taking raw UTF-8 in the request target.

curl sends `GET /v1/search?q=习近平` with the UTF-8 bytes as typed; so do many scripts. RFC 9112 allows only
ASCII there, and uvicorn's parsers (httptools and h11 alike, both tried) answer such a request with a plain-text
`400 Invalid HTTP request received.` before the app sees it. A browser, given the same address, percent-encodes
every non-ASCII byte (WHATWG URL); this protocol does exactly that to the request line before the parser reads
it, so the app gets `q=%E4%B9%A0…`, which decodes to 习近平 like any encoded query. Nothing else is touched:
only the bytes of a request line, never a header or a body, and requests already in ASCII pass as they are.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_NOT_ASCII = re.compile(rb"[\x80-\xff]")
PROTOCOL = f"{__name__}:Utf8RequestLineProtocol"
"""What to pass as uvicorn's `http=`."""


def percent_encode_non_ascii(line: bytes) -> bytes:
    """Every byte outside ASCII as `%XX`, as a browser sends a typed address."""
    return _NOT_ASCII.sub(lambda found: b"%%%02X" % found[0][0], line)


class Utf8RequestLineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol; non-ASCII bytes of a request line are percent-encoded before parsing.

    The parser reads a whole chunk at once, so where a request line starts is tracked from its callbacks: at the
    start of a connection and after each complete message the next bytes up to a line feed are a request line.
    A pipelined request that starts inside a chunk (rare: no browser or curl pipelines) is passed as it is.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._awaiting_request_line = True
        self._completed_in_chunk = False

    def data_received(self, data: bytes) -> None:
        """Encode the request line's non-ASCII bytes, then parse as uvicorn does."""
        self._completed_in_chunk = False
        if self._awaiting_request_line:
            end = data.find(b"\n")
            line = data if end < 0 else data[:end]
            if end >= 0:
                self._awaiting_request_line = False
            if not line.isascii():
                data = percent_encode_non_ascii(line) + (b"" if end < 0 else data[end:])
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """What the parser still refuses (a broken request line, a URL over 64 kB) is a problem+json 400 too."""
        body = orjson.dumps(
            {
                "type": "urn:techsov:problem:bad-request",
                "title": "Bad Request",
                "status": 400,
                "detail": "the request could not be read as HTTP/1.1 (a malformed request line, or a URL over 64 kB)",
            }
        )
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head.extend(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
        head.append(b"content-type: application/problem+json\r\n")
        head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def on_message_begin(self) -> None:
        """A message that begins after another ended in the same chunk: its request line is already read."""
        if self._completed_in_chunk:
            self._awaiting_request_line = False
        super().on_message_begin()

    def on_message_complete(self) -> None:
        """The next bytes start a request line."""
        self._awaiting_request_line = True
        self._completed_in_chunk = True
        super().on_message_complete()
