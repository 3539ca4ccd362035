"""Removing transfer and content codings from a recorded HTTP body, in bounded memory.

This is for reading what was fetched (capture's links, feeds, the browser's view of a
redirect) and what was archived (extraction); the archive always keeps the bytes as they
crossed the wire.  :func:`decode` says what went wrong (a coding that does not decode, one it
does not know, output beyond the limit); :func:`decode_body` keeps the readable start, for
finding links.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import brotli

__all__ = ["Body", "decode", "decode_body"]

log = logging.getLogger(__name__)

_BROTLIPY_SLICE = 32  # input bytes per call where brotli has no output limit
_DECODE_STEP = 1024 * 1024


def _dechunk(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Remove chunked framing (index-based, so tiny chunks stay linear)."""
    source = iter(chunks)
    buf = b""
    pos = 0

    def more() -> bool:
        nonlocal buf, pos
        piece = next(source, b"")
        buf = buf[pos:] + piece
        pos = 0
        return bool(piece)

    while True:
        while (idx := buf.find(b"\n", pos)) < 0:
            if not more():
                return
        try:
            size = int(buf[pos:idx].split(b";", 1)[0].strip() or b"0", 16)
        except ValueError:
            return
        pos = idx + 1
        if size <= 0:
            return
        while len(buf) - pos < size:
            if len(buf) - pos > 0:
                yield buf[pos:]
                size -= len(buf) - pos
                pos = len(buf)
            if not more():
                return
        yield buf[pos : pos + size]
        pos += size
        while len(buf) - pos < 2 and more():
            pass
        if buf.startswith(b"\r\n", pos):
            pos += 2
        elif buf.startswith(b"\n", pos):
            pos += 1


@dataclass(frozen=True)
class Body:
    """A decoded body: at most ``limit`` bytes of it, and what stopped the decoding early."""

    data: bytes
    #: why the content coding could not be removed (damaged, or a coding not known here)
    error: str | None = None
    #: the decoded body is longer than the limit (``data`` holds its first ``limit`` bytes)
    over_limit: bool = False


def decode(raw: Iterator[bytes], *, chunked: bool, content_encoding: str, limit: int) -> Body:
    """Remove chunking and gzip/deflate/br content coding; stop after ``limit`` output bytes.

    Memory stays near ``limit`` whatever the compression ratio (a brotli bomb included):
    decoders hand out at most 1 MiB at a time.
    """
    pieces = _dechunk(raw) if chunked else raw
    coding = content_encoding.strip().lower()
    decoder: _Decoder | None
    if coding in ("gzip", "x-gzip"):
        decoder = _ZlibDecoder(47)
    elif coding == "deflate":
        decoder = _ZlibDecoder(15)
    elif coding == "br":
        decoder = _BrotliDecoder()
    elif coding in ("", "identity"):
        decoder = None
    else:
        return Body(b"", error=f"content coding {coding!r} is not supported")
    out = io.BytesIO()  # getvalue() hands its buffer over: the limit is held once, not twice
    size = 0
    error = None
    try:
        for piece in pieces:
            if decoder is None:
                out.write(piece)
                size += len(piece)
            else:
                decoder.feed(piece)
                while size <= limit:
                    data = decoder.read(min(_DECODE_STEP, limit + 1 - size))
                    if not data:
                        break
                    out.write(data)
                    size += len(data)
            if size > limit:
                break
        if decoder is not None and size <= limit and not decoder.finished():
            error = f"{coding} data ends before its end"
    except (zlib.error, brotli.error) as exc:
        error = f"{coding} data does not decode: {str(exc)[:80]}"
    out.truncate(limit)
    return Body(out.getvalue(), error=error, over_limit=size > limit)


def decode_body(raw: Iterator[bytes], *, chunked: bool, content_encoding: str, limit: int) -> bytes:
    """The readable start of the body (see :func:`decode`): decoding errors end the output
    where they happen.  This is for finding links, never for what is archived."""
    body = decode(raw, chunked=chunked, content_encoding=content_encoding, limit=limit)
    if body.error is not None:
        log.debug("body decoding stopped: %s", body.error)
    return body.data


class _Decoder:
    """Push compressed bytes in with :meth:`feed`, pull output out with bounded :meth:`read`."""

    def feed(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self, max_length: int) -> bytes:
        """Up to about ``max_length`` decoded bytes; empty once it needs more input."""
        raise NotImplementedError

    def finished(self) -> bool:
        """Whether the compressed stream reached its end (not cut short)."""
        raise NotImplementedError


class _ZlibDecoder(_Decoder):
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._decoder = zlib.decompressobj(wbits=wbits)
        self._input = b""
        self._started = False

    def feed(self, data: bytes) -> None:
        self._input += data
        if not self._started and self._wbits == 15 and len(self._input) >= 2:
            # "deflate" is often sent raw, without its zlib header (browsers read both)
            self._started = True
            cmf, flg = self._input[0], self._input[1]
            if cmf & 0x0F != 8 or (cmf * 256 + flg) % 31:
                self._decoder = zlib.decompressobj(wbits=-15)

    def read(self, max_length: int) -> bytes:
        data = self._decoder.decompress(self._input, max_length)
        self._input = self._decoder.unconsumed_tail
        return data

    def finished(self) -> bool:
        return self._decoder.eof


class _BrotliDecoder(_Decoder):
    """Brotli through whichever binding ``import brotli`` finds, its output bounded.

    Google's bindings (the ``brotli`` dependency) decode up to an output limit.  brotlipy, which
    pywb depends on, installs a package of the same name that shadows them, with another API
    (``decompress``) and no limit: it is fed small slices, so that one call cannot inflate a
    compression bomb far past the limit.
    """

    def __init__(self) -> None:
        self._decoder: Any = brotli.Decompressor()
        self._process: Any = getattr(self._decoder, "process", None)
        self._input = b""

    def feed(self, data: bytes) -> None:
        self._input += data

    def read(self, max_length: int) -> bytes:
        if self._process is not None:
            # new input only once the decoder has handed out what the last input gave
            data = b""
            if self._input and self._decoder.can_accept_more_data():
                data, self._input = self._input, b""
            return bytes(self._process(data, output_buffer_limit=max_length))
        out = bytearray()
        pos = 0
        while pos < len(self._input) and len(out) < max_length:
            out += self._decoder.decompress(self._input[pos : pos + _BROTLIPY_SLICE])
            pos += _BROTLIPY_SLICE
        self._input = self._input[pos:]
        return bytes(out)

    def finished(self) -> bool:
        done = getattr(self._decoder, "is_finished", None)
        if done is not None:
            return bool(done())
        try:  # brotlipy: finish() says whether the stream was complete
            self._decoder.finish()
        except brotli.error:
            return False
        return True
