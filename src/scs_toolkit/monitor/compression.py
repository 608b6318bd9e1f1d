"""gzip for the monitor's answers: compressed once where the body is cached, per request otherwise.

The JSON of every subject (`/status`, 4 MB at 200 subjects) and the overview shrink 30-50x; pushing
the plain bytes to ten clients at once costs the server more than anything else it does for them.
Bodies cached per snapshot are compressed once (`cached_gzip`); `/status`, whose last field is the
request's moment, is a compressed head plus a short tail compressed per request (`GzipHead`); the
rest (pages with the request's clock filled in, small JSON) goes through `PublicGzip` at a fast level.
Answers to requests that carry credentials are never compressed: a page that reflects what a caller
sent next to what only an account may read is what compression-length attacks (BREACH) need.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request

#: Compress what is cached hard (once per snapshot), what is not fast (per request).
CACHED_LEVEL = 6
PER_REQUEST_LEVEL = 1
#: Below this, compression saves less than its headers and time cost.
MINIMUM_SIZE = 1024
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no time, unknown OS


def accepts_gzip(request: Request) -> bool:
    """Whether the client takes `Content-Encoding: gzip` (RFC 9110 12.5.3: a q of 0 refuses it) and
    sent no credentials."""
    if "authorization" in request.headers:
        return False
    for entry in request.headers.get("accept-encoding", "").split(","):
        coding, _, parameters = entry.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            quality = parameters.strip().lower().removeprefix("q=")
            try:
                return not parameters or float(quality) > 0
            except ValueError:
                return False
    return False


def gzip_bytes(data: bytes, level: int = CACHED_LEVEL) -> bytes:
    """One gzip member (what `Content-Encoding: gzip` carries)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(data) + compressor.flush()
    return _HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


class GzipHead:
    """A constant head compressed once; `with_tail` completes it per request with a few bytes.

    The compressor is kept after the head and copied for each tail (zlib's deflateCopy: the window,
    not the data), so a request compresses only its tail and the stream is the same as compressing
    head and tail in one go; the checksum continues from the head's."""

    def __init__(self, head: bytes, level: int = CACHED_LEVEL) -> None:
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        self._start = _HEADER + self._compressor.compress(head)
        self._crc = zlib.crc32(head)
        self._size = len(head)

    def with_tail(self, tail: bytes) -> bytes:
        compressor = self._compressor.copy()  # zlib objects lock themselves: safe from several threads
        end = compressor.compress(tail) + compressor.flush()
        trailer = struct.pack("<II", zlib.crc32(tail, self._crc), (self._size + len(tail)) & 0xFFFFFFFF)
        return self._start + end + trailer


class PublicGzip:
    """Starlette's GZipMiddleware (it leaves answers alone that already carry a Content-Encoding),
    for requests without credentials only."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=PER_REQUEST_LEVEL)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not any(name == b"authorization" for name, _ in scope.get("headers", ())):
            await self._gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
