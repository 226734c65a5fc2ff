"""A zip archive written as it is sent: the standard library's writer on a stream that cannot seek, so every
member is followed by a data descriptor and nothing but the current chunk is held in memory."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator


class _Sink(io.RawIOBase):
    """Collects what the zip writer writes until it is taken; cannot seek (zipfile then streams)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        """Everything written since the last take."""
        taken = b"".join(self.chunks)
        self.chunks.clear()
        return taken


def zip_stream(members: Iterable[tuple[str, Iterable[bytes]]]) -> Iterator[bytes]:
    """The bytes of a deflated zip holding each (name, chunks) member, yielded as they are made."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, chunks in members:
            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in chunks:
                    member.write(chunk)
                    if (taken := sink.take()) != b"":
                        yield taken
            yield sink.take()
    yield sink.take()
