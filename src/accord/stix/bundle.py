"""The STIX objects in a JSON document: a bundle, a TAXII envelope, a list or one object.

`objects_in` reads a parsed document; `batches_in` reads a stream of any size in constant
memory, a batch of objects at a time, and says where a document stops being valid JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson


class NotStixError(ValueError):
    """The document holds no STIX objects in any form Accord reads."""


class MalformedJsonError(ValueError):
    """The document stops being valid JSON at byte `offset` (counted from 0)."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"not valid JSON at byte {offset}: {reason}")
        self.offset = offset
        self.reason = reason


def objects_in(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if document.get("type") == "bundle" or ("objects" in document and "type" not in document):
            found = document.get("objects", [])
            if not isinstance(found, list):
                raise NotStixError("'objects' is not a list")
            return found
        if "type" in document:
            return [document]
    raise NotStixError(_NOT_STIX)


# Deeper than any STIX object, and well inside what orjson writes back (255 levels).
MAX_DEPTH = 100
CHUNK = 1 << 20

_SPACE = re.compile(rb"[ \t\n\r]*")
# Everything up to the next bracket outside a string; stops at a string cut by the buffer's end.
_TO_BRACKET = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_SCALAR = re.compile(rb"[^,\[\]{}\s\"]*")
_OPEN, _CLOSE, _QUOTE = frozenset(b"[{"), frozenset(b"]}"), ord('"')


@dataclass(frozen=True, slots=True)
class Batch:
    """Consecutive objects of a document, parsed, and as the JSON array text they came from
    (what a validator in another process reads); `end` is the byte after the last one."""

    objects: list[Any]
    raw: bytes
    end: int


def batches_in(stream: BinaryIO, *, first: int, size: int, max_bytes: int,
               chunk: int = CHUNK) -> Iterator[Batch]:
    """The document's objects in batches of `first`, then `size` objects (fewer when a batch
    would pass `max_bytes`), holding no more than a batch in memory.

    Raises MalformedJsonError after yielding every object before the point where the document
    stops being JSON (or nests deeper than MAX_DEPTH), NotStixError when it holds no objects.
    A top-level object with a list `objects` before any `type` is read as a bundle. The
    stream is read `chunk` bytes at a time (more while a long value is being read).
    """
    scanner = _Scanner(stream, chunk)
    elements = scanner.elements()
    spans: list[tuple[int, int]] = []
    limit = first
    while True:
        try:
            span = next(elements, None)
        except MalformedJsonError:
            yield from _parsed(scanner, spans)
            raise
        if span is None:
            break
        spans.append(span)
        if len(spans) >= limit or span[1] - spans[0][0] >= max_bytes:
            yield from _parsed(scanner, spans)
            spans, limit = [], size
            scanner.keep = None
    yield from _parsed(scanner, spans)


def _parsed(scanner: _Scanner, spans: list[tuple[int, int]]) -> Iterator[Batch]:
    """The batch of these elements; if it is not JSON, the batch of those before the fault,
    then the fault with its byte offset in the document."""
    if not spans:
        return
    start, end = spans[0][0], spans[-1][1]
    raw = b"[" + scanner.text(start, end) + b"]"
    try:
        objects = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        text = raw.decode("utf-8", "surrogateescape")
        # orjson counts characters; the message counts bytes of the document.
        offset = start - 1 + len(text[:error.pos].encode("utf-8", "surrogateescape"))
        yield from _parsed(scanner, [span for span in spans if span[1] <= offset])
        raise MalformedJsonError(offset, error.msg) from None
    yield Batch(objects, raw, end)


class _Scanner:
    """Finds the elements of the document's list of objects, reading the stream a chunk at a
    time and keeping only what is from `keep` (or else the read position) on. Offsets count
    bytes of the document. Brackets are counted, not parsed: orjson parses each batch."""

    def __init__(self, stream: BinaryIO, chunk: int) -> None:
        self.stream = stream
        self.chunk = chunk
        self.buffer = bytearray()
        self.base = 0  # the offset of buffer[0]
        self.pos = 0
        self.keep: int | None = None
        self.at_end = False

    def text(self, start: int, end: int) -> bytes:
        return bytes(self.buffer[start - self.base:end - self.base])

    def _hold(self, start: int) -> None:
        """Keep what is read from `start` on until `keep` is released."""
        self.keep = start if self.keep is None else min(self.keep, start)

    def _fill(self) -> bool:
        if self.at_end:
            return False
        drop = min(self.pos, self.pos if self.keep is None else self.keep) - self.base
        del self.buffer[:drop]  # a bytearray drops its front without copying the rest
        self.base += drop
        # At least as much as is kept: a long string is rescanned a logarithmic number of times.
        chunk = self.stream.read(max(self.chunk, len(self.buffer)))
        self.buffer += chunk
        self.at_end = not chunk
        return bool(chunk)

    def _peek(self) -> int | None:
        """The next byte that is not white space; None at the end of the document."""
        while True:
            found = _SPACE.match(self.buffer, self.pos - self.base)
            assert found is not None
            self.pos = self.base + found.end()
            if found.end() < len(self.buffer):
                return self.buffer[found.end()]
            if not self._fill():
                return None

    def _expect(self, allowed: bytes, what: str) -> int:
        byte = self._peek()
        if byte is None or byte not in allowed:
            raise MalformedJsonError(self.pos, f"expected {what}"
                                     + (", found the end" if byte is None else ""))
        self.pos += 1
        return byte

    def _skip(self, depth: int) -> None:
        """Past the value at the read position, inside `depth` open lists and objects."""
        byte = self._peek()
        if byte is None:
            raise MalformedJsonError(self.pos, "unexpected end of data")
        if byte in _OPEN:
            self._skip_nested(depth)
        elif byte == _QUOTE:
            self._skip_string()
        else:
            self._skip_scalar()

    def _skip_string(self) -> None:
        while not (found := _STRING.match(self.buffer, self.pos - self.base)):
            if not self._fill():
                raise MalformedJsonError(self.pos, "a string that does not end")
        self.pos = self.base + found.end()

    def _skip_scalar(self) -> None:
        start = self.pos
        while True:
            found = _SCALAR.match(self.buffer, self.pos - self.base)
            assert found is not None
            self.pos = self.base + found.end()
            if found.end() < len(self.buffer) or not self._fill():
                break
        if self.pos == start:
            raise MalformedJsonError(start, "expected a JSON value")

    def _skip_nested(self, depth: int) -> None:
        level = 0
        while True:
            found = _TO_BRACKET.match(self.buffer, self.pos - self.base)
            assert found is not None
            end = found.end()
            self.pos = self.base + end
            if end == len(self.buffer) or self.buffer[end] == _QUOTE:  # cut by the buffer's end
                if not self._fill():
                    raise MalformedJsonError(self.pos, "unexpected end of data")
                continue
            self.pos += 1
            if self.buffer[end] in _OPEN:
                level += 1
                if depth + level > MAX_DEPTH:
                    raise MalformedJsonError(self.pos - 1,
                                             f"nested more than {MAX_DEPTH} levels deep")
            else:
                level -= 1
                if level == 0:
                    return

    def elements(self) -> Iterator[tuple[int, int]]:
        """The (start, end) of each STIX object of the document, in order."""
        opening = self._peek()
        if opening == ord("["):
            self.pos += 1
            yield from self._elements_of_list(1)
        elif opening == ord("{"):
            yield from self._members()
        else:
            start = self.pos
            self._hold(start)
            self._skip(0)
            try:
                orjson.loads(self.text(start, self.pos))
            except orjson.JSONDecodeError as error:
                raise MalformedJsonError(start, error.msg) from None
            raise NotStixError(_NOT_STIX)
        if self._peek() is not None:
            raise MalformedJsonError(self.pos, "unexpected content after the document")

    def _elements_of_list(self, depth: int) -> Iterator[tuple[int, int]]:
        """The (start, end) of each element of the list just opened."""
        if self._peek() == ord("]"):
            self.pos += 1
            return
        while True:
            self._peek()
            start = self.pos
            self._hold(start)
            self._skip(depth)
            yield start, self.pos
            if self._expect(b",]", "',' or ']' after an object") == ord("]"):
                return

    def _members(self) -> Iterator[tuple[int, int]]:
        """A top-level object: the elements of its `objects` when it is a bundle or a TAXII
        envelope, else the object itself."""
        start = self.keep = self.pos
        self.pos += 1
        kind: Any = None
        streamed = False
        objects_listed = True  # or absent
        if self._peek() == ord("}"):
            self.pos += 1
        else:
            while True:
                if self._peek() != _QUOTE:
                    raise MalformedJsonError(self.pos, "expected a property name")
                key_at = self.pos
                self._hold(key_at)
                self._skip_string()
                key = orjson.loads(self.text(key_at, self.pos))
                self._expect(b":", "':' after a property name")
                value = self._peek()
                if key == "objects" and value == ord("[") and kind in (None, "bundle"):
                    self.pos += 1
                    self.keep = None
                    streamed = True
                    yield from self._elements_of_list(2)
                else:
                    value_at = self.pos
                    self._hold(value_at)
                    self._skip(1)
                    if key == "type":
                        kind = orjson.loads(self.text(value_at, self.pos))
                    elif key == "objects":
                        objects_listed = value == ord("[")
                if self._expect(b",}", "',' or '}' after a property") == ord("}"):
                    break
        if streamed:
            return
        if kind in (None, "bundle") and not objects_listed:
            raise NotStixError("'objects' is not a list")
        if kind is None:
            raise NotStixError(_NOT_STIX)
        if kind != "bundle":
            yield start, self.pos


_NOT_STIX = "expected a STIX bundle, a TAXII envelope, a list of objects or one object"
