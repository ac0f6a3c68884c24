"""Validation ahead of storing, on the second core: `accord import` stores one batch while a
forked process validates the next (validation is pure CPU in Python, and a thread would wait
on the GIL)."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
from collections.abc import Iterable, Iterator
from itertools import chain

import orjson

from accord.intake import Rejection, Screened, identify, screen, violations_of
from accord.stix.bundle_stream import Batch
from accord.stix.violations import Violation


def screen_ahead(batches: Iterable[Batch]) -> Iterator[Screened]:
    """Screen each batch, working ahead on another core while the caller stores earlier ones.

    Validation is pure CPU in Python; a forked process gets the second core for it, where a
    thread would wait on the GIL. It is sent each batch's JSON text in turn and sends back only
    the refusals; it holds one batch at a time, so memory stays flat however many there are.
    """
    batches = iter(batches)
    current, following = next(batches, None), next(batches, None)
    if current is None or following is None or not hasattr(os, "fork"):
        yield from (screen(b.objects, None) for b in chain((current, following), batches) if b)
        return
    helper = _Validator()
    try:
        helper.send(current.raw)
        while current is not None:
            verdict = helper.verdict()
            if verdict is None:
                break
            if following is not None:
                helper.send(following.raw)  # validated while the caller stores this one
            yield Screened([o for i, o in enumerate(current.objects) if i not in verdict],
                           [Rejection(*identify(current.objects[i]), v, i)
                            for i, v in verdict.items()])
            current, following = following, next(batches, None)
    finally:
        helper.stop()
    # The helper process died: screen what is left here, more slowly but just as well.
    if current is not None:
        yield from (screen(b.objects, None) for b in chain((current, following), batches) if b)


class _Validator:
    """A forked process that validates batches sent as JSON text over one pipe and sends the
    refusals of each back over another: (index in the batch, violations) pickled."""

    def __init__(self) -> None:
        batches_read, batches_write = os.pipe()
        verdicts_read, verdicts_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - runs in the forked process
            os.close(batches_write)
            os.close(verdicts_read)
            os._exit(_validate_batches(batches_read, verdicts_write))
        os.close(batches_read)
        os.close(verdicts_write)
        self.batches = os.fdopen(batches_write, "wb")
        self.verdicts = os.fdopen(verdicts_read, "rb")
        self.is_alive = True

    def send(self, raw: bytes) -> None:
        try:
            self.batches.write(len(raw).to_bytes(8, "big"))
            self.batches.write(raw)
            self.batches.flush()
        except OSError:  # BrokenPipeError: it died; verdict() says so
            self.is_alive = False

    def verdict(self) -> dict[int, list[Violation]] | None:
        """The refusals of the batch sent first of those not answered; None if it died."""
        if not self.is_alive:
            return None
        try:
            return dict(pickle.load(self.verdicts))
        except (EOFError, OSError, pickle.UnpicklingError):
            self.is_alive = False
            return None

    def stop(self) -> None:
        for pipe in (self.batches, self.verdicts):
            with contextlib.suppress(OSError):
                pipe.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def _validate_batches(batches_fd: int, verdicts_fd: int) -> int:  # pragma: no cover - child
    """The forked validator's loop: until the parent closes the pipe. Its exit status."""
    # The parent pauses the cyclic collector while it imports, but validating a pattern leaves
    # cycles (its parse tree): collected after each batch, leaving what the fork inherited alone.
    gc.freeze()
    try:
        with os.fdopen(batches_fd, "rb") as batches, os.fdopen(verdicts_fd, "wb") as verdicts:
            while header := batches.read(8):
                objects = orjson.loads(batches.read(int.from_bytes(header, "big")))
                pickle.dump([(i, v) for i, v in enumerate(map(violations_of, objects)) if v],
                            verdicts)
                verdicts.flush()
                gc.collect()
    except BaseException:
        return 1
    return 0
