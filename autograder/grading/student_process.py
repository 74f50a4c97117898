"""The student process: runs one submission's cells, then answers calls to its functions.

This file runs as a script inside the sandbox (``python -I student_process.py FD LIBRARY``), where
nothing of the grader is importable, so it depends on the standard library, NumPy and IPython
only. It talks to the grader over the socket ``FD`` with pickled tuples, each framed by its length (8 bytes, big-endian):

    grader -> student                       student -> grader
    ("run", source, output_limit, number)   ("ran", ok, output, error)
    ("lookup", name)                        ("value", encoded, warned)  or  ("error", type, message)
    ("call", handle, args, kwargs)          ("value", encoded, warned)  or  ("error", type, message)
    ("getattr", handle, name)               ... same
    ("setattr", handle, name, value)        ... same
    ("operator", name, args)                ... same (args hold handles: ``a + 2``, ``2 * a``)
    ("release", handles)                    (no answer)
                                            ("callback", id, args, kwargs) while a call runs,
    ("returned", ok, encoded)               answered by the grader before the call goes on

``warned`` lists the warnings the request raised, as ``(category name, message)`` pairs: the
grader raises them again on its side, so that a check sees a student function's warnings (an
overflow in ``exp``) exactly as it does when the function runs in the notebook's own kernel.

A cell's code is named ``<cell NUMBER>``, NUMBER being its place in the student's notebook as the
grader counts it, so that a traceback points at the cell the feedback page shows; tracebacks keep
no frame of this server and no path of the machine (see :func:`_describe`).

Values cross as a tagged tree that the grader decodes without trusting it (see ``wire``): plain
numbers, strings, NumPy arrays of numbers as ``("a", dtype, shape, bytes)`` and NumPy scalars as
``("n", dtype, bytes)``, and tuples, lists and dicts of those; an array the grader sends
read-only comes as ``("r", array)`` and stays read-only here. Anything else (a
layer's cache holding objects, a ``Value`` node, a function) stays here and crosses as a handle.
"""

from __future__ import annotations

import builtins
import io
import linecache
import os
import pickle
import re
import socket
import struct
import sys
import traceback
import warnings

PLAIN_TYPES = (type(None), bool, int, float, complex, str, bytes)
MAX_WARNINGS = 5  # distinct warnings reported per request; a check names the first two
WARNING_CHARS = 300


ERROR_TAIL_CHARS = 300  # of a traceback, kept even when the notebook's output allowance is spent


class CappedText(io.TextIOBase):
    """A stdout/stderr that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int, why: str = "") -> None:
        self.limit, self.parts, self.kept, self.dropped = max(0, limit), [], 0, 0
        self.why = why  # said after the count of what was dropped

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def getvalue(self) -> str:
        tail = f"\n[... {self.dropped} more characters of output dropped{self.why}]\n" if self.dropped else ""
        return "".join(self.parts) + tail


class StudentServer:
    def __init__(self, connection: socket.socket, output_limit: int) -> None:
        self.connection = connection
        self.output_limit = output_limit
        self.handles: dict[int, object] = {}
        self.next_handle = 1
        self.user_ns: dict = {"__name__": "__main__", "__builtins__": builtins, "display": _display}
        self.shell = None  # IPython, started only for cells that need it (it costs a second to import)

    # -------------------------------------------------------------- running cells
    def _ipython(self):
        if self.shell is None:
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config

            config = Config()
            config.HistoryManager.enabled = False
            shell = InteractiveShell.instance(config=config, user_ns=self.user_ns)
            shell.showtraceback = lambda *a, **k: None  # the traceback is reported by run() itself
            shell.enable_gui = lambda gui=None: None  # `%matplotlib inline` works without a front end
            self.shell = shell
        return self.shell

    def namespace(self) -> dict:
        return self.user_ns

    def run(self, source: str, output_limit: int, number: int) -> tuple:
        """Run cell ``number`` of the notebook; its output and error together keep at most
        ``output_limit`` characters (an error always keeps the last ``ERROR_TAIL_CHARS`` of its traceback)."""
        notebook_bound = output_limit < self.output_limit  # what is left of the notebook's allowance binds
        captured = CappedText(output_limit, "; the notebook's output allowance is spent" if notebook_bound else "")
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = captured
        error = None
        # MPLBACKEND=Agg already draws off screen; the magic that asks for it needs no IPython
        source = "\n".join(line for line in source.splitlines() if not line.strip().startswith("%matplotlib"))
        try:
            if _needs_ipython(source):
                shell = self._ipython()
                shell.execution_count = number  # IPython names the cell's code after it
                result = shell.run_cell(source, store_history=False, silent=False)
                failure = result.error_before_exec or result.error_in_exec
                if failure is not None:
                    error = _describe(failure)
            else:
                name = f"<cell {number}>"
                linecache.cache[name] = (len(source), None, source.splitlines(True), name)  # code in tracebacks
                exec(compile(source, name, "exec"), self.user_ns)
        except BaseException as failure:  # SystemExit, KeyboardInterrupt raised by the student
            error = _describe(failure)
        finally:
            sys.stdout, sys.stderr = saved
        if error is not None:
            error = error[-max(output_limit - captured.kept, ERROR_TAIL_CHARS):]
        return ("ran", error is None, captured.getvalue(), error)

    # -------------------------------------------------------------- values across the wire
    def encode(self, value: object, depth: int = 0) -> tuple:
        import numpy as np

        if type(value) in PLAIN_TYPES:
            return ("v", value)
        if type(value) is np.ndarray and value.dtype.kind in "biufc" and value.dtype.fields is None:
            return ("a", value.dtype.str, value.shape, value.tobytes())  # the grader rebuilds it (see wire)
        if isinstance(value, np.generic) and value.dtype.kind in "biufc":
            if value.dtype.kind in "biu":
                return ("v", value.item())
            return ("n", value.dtype.str, value.tobytes())
        if depth < 8 and type(value) in (tuple, list):
            return ("t" if type(value) is tuple else "l", [self.encode(v, depth + 1) for v in value])
        if depth < 8 and type(value) is dict and all(type(k) is str for k in value):
            return ("d", [(k, self.encode(v, depth + 1)) for k, v in value.items()])
        handle = self.next_handle
        self.next_handle += 1
        self.handles[handle] = value
        return ("h", handle, type(value).__name__, callable(value))

    def decode(self, tagged: tuple) -> object:
        tag = tagged[0]
        if tag == "v":
            return tagged[1]
        if tag in ("t", "l"):
            items = [self.decode(v) for v in tagged[1]]
            return tuple(items) if tag == "t" else items
        if tag == "d":
            return {k: self.decode(v) for k, v in tagged[1]}
        if tag == "h":
            return self.handles[tagged[1]]
        if tag == "r":  # an array the grader handed over read-only (an update rule's inputs)
            tagged[1].setflags(write=False)
            return tagged[1]
        if tag == "c":
            return self._callback(tagged[1])
        raise ValueError(f"unknown tag {tag!r}")

    def _callback(self, callback_id: int):
        def call_grader(*args, **kwargs):
            self.send(("callback", callback_id, self.encode(args), self.encode(kwargs)))
            while True:
                message = self.receive()
                if message[0] == "returned":
                    ok, value = message[1], message[2]
                    if not ok:
                        raise RuntimeError(value)
                    return self.decode(value)
                self.answer(message)  # the grader may call us back while we wait

        return call_grader

    # -------------------------------------------------------------- requests
    def answer(self, message: tuple) -> None:
        kind = message[0]
        if kind == "release":
            for handle in message[1]:
                self.handles.pop(handle, None)
            return
        if kind == "run":
            self.send(self.run(message[1], min(self.output_limit, int(message[2])), int(message[3])))
            return
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")  # every warning, as the checks see them in a notebook
                result = self._serve(message)
            reply = ("value", self.encode(result), _warned(caught))
        except BaseException as failure:
            reply = ("error", type(failure).__name__, _describe(failure))
        self.send(reply)

    def _serve(self, message: tuple) -> object:
        """The value a lookup, call, attribute or operator request asks for."""
        kind = message[0]
        if kind == "lookup":
            namespace = self.namespace()
            if message[1] not in namespace:
                raise NameError(f"name '{message[1]}' is not defined")
            return namespace[message[1]]
        if kind == "call":
            return self.handles[message[1]](*self.decode(message[2]), **self.decode(message[3]))
        if kind == "getattr":
            return getattr(self.handles[message[1]], message[2])
        if kind == "setattr":
            setattr(self.handles[message[1]], message[2], self.decode(message[3]))
            return None
        if kind == "operator":
            import operator

            return getattr(operator, message[1])(*self.decode(message[2]))
        raise ValueError(f"unknown request {kind!r}")

    def send(self, message: tuple) -> None:
        try:
            payload = pickle.dumps(message, protocol=4)
        except Exception as failure:  # an exception or value that will not pickle
            payload = pickle.dumps(("error", type(failure).__name__, f"could not send the result: {failure}"))
        self.connection.sendall(struct.pack("!Q", len(payload)) + payload)

    def receive(self) -> tuple:
        header = self._read(8)
        return pickle.loads(self._read(struct.unpack("!Q", header)[0]))

    def _read(self, size: int) -> bytes:
        chunks, remaining = [], size
        while remaining:
            chunk = self.connection.recv(min(remaining, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def serve(self) -> None:
        self.send(("ready", os.getpid()))
        while True:
            try:
                message = self.receive()
            except EOFError:
                return
            self.answer(message)


def _warned(caught: list) -> list[tuple[str, str]]:
    """The distinct warnings of one request, as (category name, message) pairs, the first few."""
    warned: list[tuple[str, str]] = []
    for warning in caught:
        pair = (warning.category.__name__, str(warning.message)[:WARNING_CHARS])
        if pair not in warned and len(warned) < MAX_WARNINGS:
            warned.append(pair)
    return warned


def _needs_ipython(source: str) -> bool:
    """Magics, shell escapes and ``get_ipython()`` need IPython; plain Python does not."""
    return "get_ipython" in source or any(line.lstrip().startswith(("%", "!")) for line in source.splitlines())


def _display(*values: object) -> None:
    """``display()`` outside IPython: print the values (outputs are only kept as text)."""
    for value in values:
        print(repr(value))


SERVER_FILES = (os.path.basename(__file__), "interactiveshell.py")  # frames of ours, not the student's


def _describe(failure: BaseException) -> str:
    """The student's own traceback: no frame of this server, cells named ``<cell NUMBER>``, and
    other files named from their package (``numpy/core/fromnumeric.py``), never by a path of this
    machine (the grader's, the TA's installation)."""
    report = traceback.TracebackException(type(failure), failure, failure.__traceback__)
    _clean_frames(report, set())
    return "".join(report.format())[-4000:]


def _clean_frames(report: traceback.TracebackException, seen: set) -> None:
    if id(report) in seen:
        return
    seen.add(id(report))
    frames = [frame for frame in report.stack if os.path.basename(frame.filename) not in SERVER_FILES]
    for frame in frames:
        frame.line  # read the source line while the frame still names its file
        frame.filename = _shown_name(frame.filename)
    report.stack = traceback.StackSummary.from_list(frames)
    for linked in (report.__cause__, report.__context__):  # chained errors have frames of their own
        if linked is not None:
            _clean_frames(linked, seen)


def _shown_name(filename: str) -> str:
    """``<cell 3>`` for a cell (IPython's ``<ipython-input-3-...>`` too); a file's path relative to
    the entry of ``sys.path`` it was imported from, else its bare name."""
    ipython_cell = re.fullmatch(r"<ipython-input-(\d+)-\w+>", filename)
    if ipython_cell:
        return f"<cell {ipython_cell.group(1)}>"
    if not os.path.isabs(filename):
        return filename
    roots = sorted((entry.rstrip("/") for entry in sys.path if os.path.isabs(entry)), key=len, reverse=True)
    for root in roots:
        if filename.startswith(root + "/"):
            return filename[len(root) + 1:]
    return os.path.basename(filename)


def main() -> None:
    fd, library, output_limit = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sys.path[:0] = [entry for entry in library.split(os.pathsep) if entry]
    sys.path.insert(0, os.getcwd())  # files handed out with the assignment, next to the notebook
    StudentServer(socket.socket(fileno=fd), output_limit).serve()


if __name__ == "__main__":
    main()
