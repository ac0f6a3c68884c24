"""Reading the STIX objects of a JSON document of any size (a bundle, a TAXII envelope, a
list or one object) as it is streamed: a batch of objects at a time, in constant memory,
saying where the document stops being valid JSON, nests too deep, or holds a value too large
to read as one object (`accord import`)."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from accord.stix.bundle import NOT_STIX, MalformedJsonError, NotStixError
from accord.stix.limits import MAX_DOCUMENT_DEPTH, MAX_OBJECT_BYTES


class ValueTooLarge(MalformedJsonError):
    """From byte `offset` on, one value (an object, or a property of the bundle around them)
    is larger than may be read as one."""

    def __init__(self, offset: int, limit: int) -> None:
        size = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit} bytes"
        reason = f"a value larger than {size} (the most one object may be, as in a TAXII request)"
        ValueError.__init__(self, f"at byte {offset}: {reason}")
        self.offset, self.reason = offset, reason


# How deep a document `accord import` reads may nest: the objects' own limit (an object
# deeper than it is refused alone, by intake) and room for the bundle around them.
MAX_DEPTH = MAX_DOCUMENT_DEPTH
CHUNK = 1 << 20

_SPACE = re.compile(rb"[ \t\n\r]*")
# Everything up to the next bracket outside a string; stops at a string cut by the buffer's end.
_TO_BRACKET = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
_CONTINUED = re.compile(rb"[ \t\n\r]*,")
_GAP = re.compile(rb"[ \t\n\r]*(,[ \t\n\r]*)?")
_BETWEEN = re.compile(rb"[ \t\n\r,]*")
_SEPARATOR = re.compile(rb'\}[ \t\n\r]*,[ \t\n\r]*\{[ \t\n\r]*"(?:[^"\\]++|\\.)*+"', re.DOTALL)
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
    first: int = 0  # the index of objects[0] among the document's objects


def batches_in(stream: BinaryIO, *, first: int, size: int, max_bytes: int,
               chunk: int = CHUNK, max_object: int = MAX_OBJECT_BYTES) -> Iterator[Batch]:
    """The document's objects in batches of `first`, then `size` objects (fewer when a batch
    would pass `max_bytes`), holding no more than a batch in memory.

    Raises MalformedJsonError after yielding every object before the point where the document
    stops being JSON (or nests deeper than MAX_DEPTH; ValueTooLarge past a value of more than
    `max_object` bytes, before it is all read), NotStixError when it holds no objects.
    A top-level object with a list `objects` before any `type` is read as a bundle. The
    stream is read `chunk` bytes at a time (more while a long value is being read).
    """
    yield from _Scanner(stream, chunk, first, size, max_bytes, max_object).batches()


class _Scanner:
    """Cuts the document's list of objects into batches for orjson to parse, reading the
    stream a chunk at a time and keeping only what is from `keep` (or else the read position)
    on. Offsets count bytes of the document.

    Where to cut is found by counting brackets outside strings, one regular expression match
    per bracket; once a batch has shown how its objects are separated (`},{"type"`, or with
    the file's indentation), later cuts are guessed at that separator and confirmed by orjson
    parsing the batch (a wrong cut cannot parse), which is much faster."""

    def __init__(self, stream: BinaryIO, chunk: int, first: int, size: int,
                 max_bytes: int, max_object: int = MAX_OBJECT_BYTES) -> None:
        self.stream = stream
        self.chunk = chunk
        self.first, self.size, self.max_bytes = first, size, max_bytes
        self.max_object = max_object  # checked before each read past a value's start
        self.max_held = max_bytes + 2 * max_object + (1 << 18)
        self.buffer = bytearray()
        self.base = 0  # the offset of buffer[0]
        self.pos = 0
        self.keep: int | None = None
        self.at_end = False
        self.start = 0  # where the text of the batch being gathered begins
        self.is_continued = False  # that text follows an earlier batch of the same list
        self.comma_at: int | None = None  # where the comma before that text was, if dropped
        self.counted = 0  # objects in the batches made so far

    def text(self, start: int, end: int) -> bytes:
        return bytes(self.buffer[start - self.base:end - self.base])

    def _within_limit(self, start: int, end: int) -> None:
        """The value read from `start` to `end` is not larger than one object may be."""
        if end - start > self.max_object:
            raise ValueTooLarge(self._value_at(start), self.max_object)

    def _value_at(self, offset: int) -> int:
        """Where the value after `offset` begins (past white space and a comma)."""
        found = _BETWEEN.match(self.buffer, offset - self.base)
        return offset if found is None else self.base + found.end()

    def _hold(self, start: int) -> None:
        """Keep what is read from `start` on until `keep` is released."""
        self.keep = start if self.keep is None else min(self.keep, start)

    def _fill(self) -> bool:
        if self.at_end:
            return False
        drop = min(self.pos, self.pos if self.keep is None else self.keep) - self.base
        del self.buffer[:drop]  # a bytearray drops its front without copying the rest
        self.base += drop
        if len(self.buffer) > self.max_held:  # a net under the checks where values are read
            raise ValueTooLarge(self._value_at(self.pos), self.max_object)
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
            self._within_limit(self.pos, self.base + len(self.buffer))
            if not self._fill():
                raise MalformedJsonError(self.pos, "a string that does not end")
        self.pos = self.base + found.end()

    def _skip_scalar(self) -> None:
        start = self.pos
        while True:
            found = _SCALAR.match(self.buffer, self.pos - self.base)
            assert found is not None
            self.pos = self.base + found.end()
            if found.end() < len(self.buffer):
                break
            self._within_limit(start, self.pos)
            if not self._fill():
                break
        if self.pos == start:
            raise MalformedJsonError(start, "expected a JSON value")

    def _skip_nested(self, depth: int) -> None:
        level = 0
        start = self.pos
        while True:
            found = _TO_BRACKET.match(self.buffer, self.pos - self.base)
            assert found is not None
            end = found.end()
            self.pos = self.base + end
            if end == len(self.buffer) or self.buffer[end] == _QUOTE:  # cut by the buffer's end
                self._within_limit(start, self.base + len(self.buffer))
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

    def batches(self) -> Iterator[Batch]:
        """The STIX objects of the document, in order, a batch at a time."""
        opening = self._peek()
        if opening == ord("["):
            self.pos += 1
            yield from self._list(1)
        elif opening == ord("{"):
            yield from self._members()
        else:
            start = self.pos
            self._hold(start)
            self._skip(0)
            self._parsed(start)
            raise NotStixError(NOT_STIX)
        self.keep = None  # nothing after the document is kept: white space may follow
        if self._peek() is not None:
            raise MalformedJsonError(self.pos, "unexpected content after the document")

    def _parsed(self, start: int) -> Any:
        """The JSON value from `start` to the read position (a property name, the document's
        `type`, a lone scalar), or the fault in it with its byte offset."""
        raw = self.text(start, self.pos)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            at, reason = _fault_in(raw, error)
            raise MalformedJsonError(start + at, reason) from None

    def _batch(self, end: int, ends: list[int]) -> Iterator[Batch]:
        """The batch of the document's text from `start` to `end`; if that is not JSON, the
        batch of the objects before the fault, then the fault with its byte offset."""
        start, comma = self.start, self.comma_at
        text = self.text(start, end)
        if self.is_continued and not _SPACE.fullmatch(text):
            # The separator after the previous batch's last object.
            found = _CONTINUED.match(text)
            if found is None:
                raise MalformedJsonError(start + len(text) - len(text.lstrip()),
                                         "expected ',' or ']' after an object")
            comma, start, text = start + found.end() - 1, start + found.end(), text[found.end():]
        if _SPACE.fullmatch(text):
            if comma is not None:  # `[{…},]`: orjson would see only `[]`
                raise MalformedJsonError(comma, "a ',' with no value after it")
            return
        raw = b"[" + text + b"]"
        try:
            objects = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            if "memory" in error.msg.lower():
                raise MemoryError(error.msg) from None
            at, reason = _fault_in(raw, error)
            offset = start - 1 + at
            good = [e for e in ends if e <= offset]
            if good and good[-1] < end:
                yield from self._batch(good[-1], good)
            raise MalformedJsonError(offset, reason) from None
        if objects:
            yield self._made(objects, raw, end)

    def _made(self, objects: list[Any], raw: bytes, end: int) -> Batch:
        self.counted += len(objects)
        self.start = self.keep = end
        self.is_continued, self.comma_at = True, None
        return Batch(objects, raw, end, self.counted - len(objects))

    def _drop_gap(self) -> None:
        """Lets go of the white space (and the comma) read since the last object: a document
        may hold any amount of it between two objects, and it is no part of either."""
        found = (_GAP if self.is_continued else _SPACE).match(self.buffer, self.start - self.base)
        assert found is not None
        if found.end() < len(self.buffer):
            return  # something else is there: orjson says what is wrong with it
        if self.is_continued and found.lastindex:
            self.is_continued, self.comma_at = False, self.base + found.start(1)
        self.start = self.keep = self.base + found.end()

    def _list(self, depth: int) -> Iterator[Batch]:
        """The batches of the list just opened."""
        self.start = self.pos
        self.is_continued, self.comma_at = False, None
        self._hold(self.pos)
        limit, target, misses = self.first, 0, 0
        separator: bytes | None = None
        while True:
            if separator is not None and misses < 3:
                batch = self._guessed(separator, target)
                misses = 0 if batch else misses + 1
                if batch:
                    yield batch
                    continue
            begin = self.start
            count = yield from self._scan(depth, limit)
            if count is None:
                return
            if separator is None:
                separator = self._separator()
                target = min(self.max_bytes, (self.start - begin) * self.size // count)
            limit = self.size

    def _scan(self, depth: int, limit: int) -> Generator[Batch, None, int | None]:
        """Counts brackets to the end of `limit` objects (or `max_bytes`) and yields them as a
        batch; returns how many, or None when the list has ended. Scalars between objects are
        left to orjson."""
        ends: list[int] = []
        level = 0
        i = self.pos - self.base
        closing: int | None = None  # the list's closing bracket, once found
        opened = self.start  # where the object being read opened
        try:
            while True:
                found = _TO_BRACKET.match(self.buffer, i)
                assert found is not None
                j = found.end()
                if j == len(self.buffer) or self.buffer[j] == _QUOTE:  # cut by the buffer's end
                    self.pos = self.base + j
                    if not level and j == len(self.buffer):  # between two objects
                        if ends and len(self.buffer) - (ends[-1] - self.base) > self.chunk:
                            break  # the objects before a long gap are a batch of their own
                        if not ends:
                            self._drop_gap()
                    # What is being read (an object, or what lies between two) is not larger
                    # than one object may be.
                    self._within_limit(opened if level else self._value_at(
                        ends[-1] if ends else self.start), self.base + len(self.buffer))
                    if not self._fill():
                        raise MalformedJsonError(self.pos, "unexpected end of data")
                    i = self.pos - self.base
                    continue
                i = j + 1
                if self.buffer[j] in _OPEN:
                    if not level:
                        opened = self.base + j
                    level += 1
                    if depth + level > MAX_DEPTH:
                        raise MalformedJsonError(self.base + j,
                                                 f"nested more than {MAX_DEPTH} levels deep")
                elif level > 1:
                    level -= 1
                elif level == 1:
                    level = 0
                    self._within_limit(opened, self.base + i)
                    ends.append(self.base + i)
                    if len(ends) >= limit or ends[-1] - self.start >= self.max_bytes:
                        break
                elif self.buffer[j] == ord("]"):
                    closing = self.base + j
                    break
                else:
                    raise MalformedJsonError(self.base + j,
                                             "expected ',' or ']' after an object")
        except MalformedJsonError:
            if ends:
                yield from self._batch(ends[-1], ends)
            raise
        self.pos = self.base + i
        if closing is not None:
            # Up to the closing bracket: orjson sees what follows the last object too.
            yield from self._batch(closing, ends)
            return None
        yield from self._batch(ends[-1], ends)  # from which the next batch starts
        return len(ends)

    def _separator(self) -> bytes | None:
        """What separates the last object of the batch just cut from the next, up to the
        next's first property name; None if that is not an object."""
        while self.base + len(self.buffer) < self.start + 4096 and self._fill():
            pass
        found = _SEPARATOR.match(self.buffer, self.start - 1 - self.base)
        return found.group() if found else None

    def _guessed(self, separator: bytes, target: int) -> Batch | None:
        """The batch of about `target` bytes up to where `separator` next occurs, if orjson
        parses it; None to count brackets instead."""
        try:
            while self.base + len(self.buffer) < self.start + target + (1 << 16) \
                    and self._fill():
                pass
        except ValueTooLarge:
            return None  # counting finds which object it is, and yields those before it
        begin = self.start
        if self.is_continued:
            found = _CONTINUED.match(self.buffer, begin - self.base)
            if found is None:
                return None
            begin = self.base + found.end()
        at = self.buffer.find(separator, begin + target - self.base)
        if at < 0:
            return None
        end = self.base + at + 1
        if end - begin > self.max_object:
            return None  # it may hold an object too large: counted, each is measured
        raw = b"[" + self.text(begin, end) + b"]"
        try:
            objects = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        self.pos = end
        return self._made(objects, raw, end)

    def _members(self) -> Iterator[Batch]:
        """A top-level object: the elements of its `objects` when it is a bundle or a TAXII
        envelope, else the object itself."""
        start = self.keep = self.pos
        self.pos += 1
        kind: Any = None
        typed = False
        streamed = False
        objects_listed = True  # or absent
        objects_given = False
        if self._peek() == ord("}"):
            self.pos += 1
        else:
            while True:
                if self._peek() != _QUOTE:
                    raise MalformedJsonError(self.pos, "expected a property name")
                key_at = self.pos
                self._hold(key_at)
                self._skip_string()
                key = self._parsed(key_at)
                if key == "objects":  # which one? Parsers differ, and the first may be stored
                    if objects_given:
                        raise MalformedJsonError(key_at, "'objects' is given twice")
                    objects_given = True
                self._expect(b":", "':' after a property name")
                value = self._peek()
                if key == "objects" and value == ord("[") and kind in (None, "bundle"):
                    self.pos += 1
                    self.keep = None
                    streamed = True
                    yield from self._list(2)
                    self.keep = None  # what follows the list is read one property at a time
                else:
                    value_at = self.pos
                    self._hold(value_at)
                    try:
                        # 2: an object alone is read inside a list (_batch), one level more.
                        self._skip(2)
                        self._within_limit(value_at, self.pos)
                    except ValueTooLarge:
                        if kind == "bundle":
                            raise
                        # Perhaps one object alone: it is what is too large.
                        raise ValueTooLarge(start, self.max_object) from None
                    if key == "type":
                        if typed:  # which one? Parsers differ, and a bundle's text is gone
                            raise MalformedJsonError(key_at, "'type' is given twice")
                        kind, typed = self._parsed(value_at), True
                        if streamed and kind != "bundle":
                            raise MalformedJsonError(value_at, (
                                f"a type of {orjson.dumps(kind).decode()[:80]} after the "
                                "'objects' read as a bundle's; a bundle's type is \"bundle\""))
                    elif key == "objects":
                        objects_listed = value == ord("[")
                if kind == "bundle" or streamed:
                    self.keep = None  # a bundle's properties are not kept once read
                else:  # perhaps one object alone, kept whole: not larger than one may be
                    self._within_limit(start, self.pos)
                if self._expect(b",}", "',' or '}' after a property") == ord("}"):
                    break
        if streamed:
            return
        if kind in (None, "bundle") and not objects_listed:
            raise NotStixError("'objects' is not a list")
        if kind is None:
            raise NotStixError(NOT_STIX)
        if kind != "bundle":
            self._within_limit(start, self.pos)  # its closing brace counts too
            self.start = start
            yield from self._batch(self.pos, [self.pos])


def _fault_in(raw: bytes, error: orjson.JSONDecodeError) -> tuple[int, str]:
    """Where in `raw` orjson's error is, in bytes, and why, in words. Bytes that are not
    UTF-8 are found here: orjson says only that there are some, at the start of its input."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return bad.start, (f"bytes that are not UTF-8 "
                           f"({bad.object[bad.start:bad.end].hex(' ')}); a STIX document is UTF-8")
    # orjson counts characters; the message counts bytes of the document.
    return len(decoded[:error.pos].encode("utf-8")), error.msg
