"""Delivered files as binary streams: physical lines with pushback, and zero-copy random access.

Readers never hold a whole delivered file: JSONL and CSV walk its lines, XML its elements.
Only a broken XML document needs the file as one buffer (to cut it into record pieces),
and gets it as an ``mmap`` of the file or a view of the caller's bytes, never a copy.
"""

from __future__ import annotations

import io
import mmap
import os
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

Delivered = bytes | BinaryIO


def binary_stream(data: Delivered) -> BinaryIO:
    """A binary stream over ``data``; bytes (tests, small callers) are wrapped, streams pass."""
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(data)
    return data


class PhysicalLines:
    """The lines of a stream exactly as ``data.split(b"\\n")`` would give them, numbered from 1.

    A stream that ends in b"\\n" (or is empty) ends with one empty line, as split does, so
    line numbers and joined record bytes match the whole-file readers. Lines handed out can
    be pushed back (most recent last) to be read again; ``held`` is how many are waiting.
    """

    def __init__(self, stream: BinaryIO, strip: tuple[bytes, ...] = ()) -> None:
        self._lines = iter(stream)
        self._back: deque[bytes] = deque()
        self._tail = True  # the last line read ended in b"\n": split yields one more, empty
        self._strip = strip
        self.number = 0  # of the last line handed out

    @property
    def held(self) -> int:
        return len(self._back)

    def next(self) -> bytes | None:
        """The next line without its b"\\n", or None at the end of the stream."""
        if self._back:
            self.number += 1
            return self._back.popleft()
        line = next(self._lines, None)
        if line is None:
            if not self._tail:
                return None
            self._tail = False
            line = b""
        elif line.endswith(b"\n"):
            line = line[:-1]
        else:
            self._tail = False
        if self.number == 0:
            line = self._without_prefix(line)
        self.number += 1
        return line

    def _without_prefix(self, line: bytes) -> bytes:
        for prefix in self._strip:  # a byte-order mark belongs to the first line only
            if line.startswith(prefix):
                return line[len(prefix):]
        return line

    def push_back(self, lines: list[bytes]) -> None:
        """Hand ``lines`` (the last ones read, in order) out again, starting with the first."""
        self._back.extendleft(reversed(lines))
        self.number -= len(lines)


@contextmanager
def random_access(stream: BinaryIO) -> Iterator[bytes | memoryview | mmap.mmap]:
    """The whole stream as a buffer for regex scans and slicing, without copying a file."""
    if isinstance(stream, io.BytesIO):
        with stream.getbuffer() as view:
            yield view
        return
    try:
        fileno = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        fileno = None
    if fileno is not None and os.fstat(fileno).st_size > 0:
        with mmap.mmap(fileno, 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped
        return
    # A stream that is no file (a test double, a pipe): read it, the one case that copies.
    stream.seek(0)
    yield stream.read()

