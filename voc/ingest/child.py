"""Run the parse of an uploaded file in a child process with memory and time limits.

A crafted file can make a reader ask for hundreds of gigabytes (a stray cell at the far corner of
a sheet, repeated rows in an .ods, a zip entry declaring gigabytes) or crash in native code. Read
in the server's own process, such a file takes every viewer's session with it; read here, only the
child dies, and the analyst is told why. Children fork from a forkserver started once, which has
the readers imported: a child costs milliseconds, not an interpreter start, and never inherits the
server's threads.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import pickle
import resource
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from typing import Any, ParamSpec, TypeVar

from voc.core.config import load_settings
from voc.core.errors import FileRefused, VocError

P = ParamSpec("P")
T = TypeVar("T")

_CONTEXT = multiprocessing.get_context("forkserver")
# What the forkserver imports for its children: the sheet readers, and the boundary readers (GeoPandas).
READERS = ("voc.ingest.read", "voc.ingest.boundaries")
SHEET_READERS = ("voc.ingest.read",)
_CONTEXT.set_forkserver_preload(list(READERS))
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_MB = 1024 * 1024


class _ChildPopen(popen_forkserver.Popen):
    """Launches a child as multiprocessing's forkserver does, but without the parent's main module.

    multiprocessing has a new child run the parent's `__main__` script again unless it is the one
    the forkserver started with. Under Streamlit `__main__` is whichever app script ran last in the
    process (AppTest swaps it too), so each parse child ran app.py, signing-in and all, before it
    read a byte: a second or more per upload, and app code in the process meant for hostile files.
    A parse needs nothing from `__main__`: its functions come from voc's modules, by name.
    """

    def _launch(self, process_obj: multiprocessing.process.BaseProcess) -> None:
        preparation = spawn.get_preparation_data(process_obj._name)
        preparation.pop("init_main_from_path", None)
        preparation.pop("init_main_from_name", None)
        buffer = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(preparation, buffer)
            reduction.dump(process_obj, buffer)
        finally:
            set_spawning_popen(None)
        self.sentinel, writer = forkserver.connect_to_new_process(self._fds)
        parent_writer = os.dup(writer)  # the child's sign that its parent lives, as the standard launch keeps
        self.finalizer = util.Finalize(self, util.close_fds, (parent_writer, self.sentinel))
        with open(writer, "wb", closefd=True) as pipe:
            pipe.write(buffer.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _ChildProcess(ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: multiprocessing.process.BaseProcess) -> _ChildPopen:  # noqa: N802 (multiprocessing's name)
        return _ChildPopen(process_obj)


@dataclass(frozen=True)
class ParseLimits:
    """What one parse may use: memory on top of the readers' own, and wall-clock seconds."""

    memory_bytes: int
    seconds: float


def run_limited(file_name: str, parse: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Return parse(*args, **kwargs), computed in a child process within the configured limits.

    `parse` must be a module-level function; its arguments and result travel by pickle. A
    VocError raised by the parse is raised here as it was. Raises FileRefused naming `file_name`
    when the child runs out of memory or time, or dies on the file (a crash in native code).
    """
    settings = load_settings()
    limits = ParseLimits(settings.parse_memory_bytes, settings.parse_seconds)
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    inbox, outbox = _CONTEXT.Pipe(duplex=False)
    child = _ChildProcess(target=_child, args=(sender, inbox, limits, parse), daemon=True)
    child.start()
    sender.close()
    inbox.close()
    try:
        _send_arguments(outbox, args, kwargs)
        if not receiver.poll(limits.seconds):
            raise FileRefused(_too_slow(file_name, limits))
        with _collector_paused():
            outcome, value = _receive(receiver)
    except EOFError:
        child.join()
        raise FileRefused(_died(file_name, limits, child.exitcode)) from None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome == "result":
        return value
    if outcome == "memory":
        raise FileRefused(_too_big(file_name, limits))
    raise value


def start_forkserver(readers: tuple[str, ...] = READERS) -> None:
    """Start the process the children fork from, with the readers imported, ahead of the first upload.

    Started by the first parse otherwise, which then waits for it: 20 s on a busy two-core machine.
    Returns at once; the forkserver imports the readers in the background, and the first parse waits
    for them: a command that reads sheets only passes SHEET_READERS, whose imports take a third of
    GeoPandas' time.
    """
    _CONTEXT.set_forkserver_preload(list(readers))
    forkserver.ensure_running()


def _send_arguments(outbox: Connection, args: tuple, kwargs: dict[str, Any]) -> None:
    """Send a parse's arguments down the pipe, a file's bytes without a copy; then close it.

    Passed as the child's Process arguments, a file's bytes were copied into the parent's pickle
    of the process and held by the child until it ended, beside the table it read.
    """
    try:
        _send(outbox, (tuple(pickle.PickleBuffer(a) if isinstance(a, bytes) else a for a in args), kwargs))
    except BrokenPipeError:
        pass  # the child died before reading them: its end is reported as the parse's
    finally:
        outbox.close()


def _child(sender: Connection, inbox: Connection, limits: ParseLimits, parse: Callable[..., Any]) -> None:
    """Set the limits on this process, receive the arguments, run the parse and send back its outcome."""
    # A Rust reader that runs out of memory would print a stack trace of hundreds of lines to the server log.
    os.environ["RUST_BACKTRACE"] = "0"
    # The forkserver's libraries already reserve address space: the budget comes on top of it.
    with open("/proc/self/statm") as statm:
        reserved = int(statm.read().split()[0]) * _PAGE_BYTES
    ceiling = reserved + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    # The parent kills a slow child; the CPU limit stops one whose parent died first.
    cpu_seconds = int(limits.seconds) + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        outcome: tuple[str, object] = ("result", _parsed(parse, inbox))
    except MemoryError:
        outcome = ("memory", None)
    except VocError as error:
        outcome = ("error", error)
    except Exception as error:  # a bug: surface it in the parent with the child's traceback
        error.add_note("".join(traceback.format_exception(error)))
        outcome = ("error", error)
    try:
        with _collector_paused():
            _send(sender, outcome)
    except MemoryError:
        _send(sender, ("memory", None))


def _parsed(parse: Callable[..., Any], inbox: Connection) -> object:
    """Return the parse of the arguments received; they are let go of on return, before the result is sent."""
    args, kwargs = _receive(inbox)
    inbox.close()
    return parse(*args, **kwargs)


def _send(sender: Connection, outcome: tuple[object, object]) -> None:
    """Send a pair as a count of buffers, its pickle, then each of its large buffers as it is.

    Arrow's text columns pickle out of band: their buffers go down the pipe without being copied
    into one pickle first, and the parent wraps what it receives without another copy. A
    1,000,000-row CSV's table was held four times at once (the child's, its pickle, the parent's
    bytes and the parent's table): the whole import's peak.
    """
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(outcome, protocol=5, buffer_callback=buffers.append)
    sender.send_bytes(len(buffers).to_bytes(8, "little"))
    sender.send_bytes(head)
    del head
    for buffer in buffers:
        sender.send_bytes(buffer.raw())


def _receive(receiver: Connection) -> tuple[Any, Any]:
    """Receive a pair sent by _send."""
    count = int.from_bytes(receiver.recv_bytes(), "little")
    head = receiver.recv_bytes()
    return pickle.loads(head, buffers=[receiver.recv_bytes() for _ in range(count)])


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the garbage collector while a table's millions of cell objects are pickled or made.

    It would otherwise walk them again and again: a 100,000-row workbook's round trip took 1.81 s
    with it and 1.41 s without (the same run); sent column by column as Arrow arrays, 1.42 s.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _too_big(file_name: str, limits: ParseLimits) -> str:
    return (
        f"Reading {file_name!r} needed more than the {limits.memory_bytes // _MB:,} MB of memory one upload may "
        "use, so it was stopped. A real export of that size does not need so much: the file probably has "
        "stray cells far past the data (which make the sheet enormous) or is not a real export. Open it, "
        "delete the empty rows and columns after the data, save it and upload again, or split it by month."
    )


def _too_slow(file_name: str, limits: ParseLimits) -> str:
    return (
        f"Reading {file_name!r} took longer than {limits.seconds:g} seconds, the most one upload may take, "
        "so it was stopped. Split the file by month and upload the parts, or save it again as .xlsx or CSV."
    )


def _died(file_name: str, limits: ParseLimits, exit_code: int | None) -> str:
    if exit_code is not None and -exit_code in (signal.SIGABRT, signal.SIGKILL, signal.SIGXCPU):
        # A native reader aborts when an allocation fails under the memory limit.
        return _too_big(file_name, limits) if -exit_code != signal.SIGXCPU else _too_slow(file_name, limits)
    return (
        f"The reader crashed on {file_name!r}: the file is damaged or was made to break readers. "
        "Open it in the program that made it, save it again and upload that."
    )
