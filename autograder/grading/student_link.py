"""The grader's end of a student process: start it in its sandbox, run cells, call its functions.

:class:`StudentSession` owns one student process (see ``student_process.py``). The checker never
receives the student's objects, only plain data and :class:`RemoteObject` proxies: calling a proxy
sends the call to the student process, so a check written for ordinary functions works unchanged
while none of the student's code runs in the grader.

Failures of the student process surface as two exceptions derived from ``BaseException``, so that
a check's ``except Exception`` cannot swallow them: :class:`StudentCrashed` (the process died: a
segfault, ``os._exit``, the memory limit) and :class:`StudentTimeout`.

Time limits count the student's own CPU time (the student process and everything it started), so
a neighbour hogging the machine slows a student down without costing them their limit; a
wall-clock ceiling, a few times longer, still stops code that sleeps or waits.
"""

from __future__ import annotations

import builtins
import os
import pickle
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import psutil

from . import sandbox, wire
from .records import Limits

SERVER_SCRIPT = Path(__file__).with_name("student_process.py")
START_TIMEOUT = 60.0
WALL_CLOCK_FACTOR = 3.0  # a request may take this many times its CPU allowance in wall-clock time
POLL_SECONDS = 0.25  # how often the student's CPU time is read while a request runs
ERROR_TAIL_CHARS = 300  # of a traceback, kept even when a notebook's output allowance is spent
NOTE_CHARS = 160  # "[... N more characters of output dropped; why]" after a cut output
MAX_WARNINGS = 5  # per request, as the student process reports them (see student_process.py)
WARNING_CHARS = 300


class StudentCrashed(BaseException):
    """The student process died; ``str()`` says how."""


class StudentTimeout(BaseException):
    """The student process did not answer in time."""


class StudentError(Exception):
    """The student's code raised an exception of a type the grader does not know."""


@dataclass
class CellRun:
    ok: bool
    output: str
    error: str | None


class StudentSession:
    """One sandboxed student process, working in ``workdir`` (which holds only its own files).

    ``library_path`` lists the folders (``os.pathsep``-separated) of the student edition of the
    library; they are the only code outside the Python installation the process can read.
    ``read_only`` folders it may read but not write (the student's other assignments).
    """

    def __init__(self, workdir: Path, limits: Limits, library_path: str | None = None,
                 read_only: Iterable[Path] = ()) -> None:
        self.workdir = Path(workdir)
        self.limits = limits
        self.library_path = library_path  # os.pathsep-separated folders the student may import from
        self.read_only = [Path(folder) for folder in read_only]  # e.g. the student's other assignments
        self.process: subprocess.Popen | None = None
        self.home: Path | None = None  # the process's private HOME, new at each start
        self.socket: socket.socket | None = None
        self.deadline = float("inf")
        self.cpu_allowance = float("inf")
        self._cpu_meter: _CpuMeter | None = None
        self._callbacks: dict[int, Callable] = {}
        self._bystanders: frozenset[int] = frozenset()

    # -------------------------------------------------------------- life cycle
    def start(self) -> None:
        """Start the student process with a fresh home; nothing the last one left is looked at."""
        ours, theirs = socket.socketpair()
        readable = sandbox.system_read_paths() + [str(SERVER_SCRIPT)]
        if self.library_path:
            readable += self.library_path.split(os.pathsep)
        readable += [str(folder) for folder in self.read_only]
        uid = sandbox.student_identity()
        self.home = Path(tempfile.mkdtemp(prefix="bpk-home-"))
        _seed_matplotlib_cache(self.home / "matplotlib")
        sandbox.hand_over(self.home)
        sandbox.hand_over(self.workdir, with_contents=False)  # what is inside may be the student's work
        env = {
            "PATH": "/usr/bin:/bin", "HOME": str(self.home), "TMPDIR": str(self.home),
            "IPYTHONDIR": str(self.home / "ipython"), "MPLCONFIGDIR": str(self.home / "matplotlib"),
            "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0",
            # one thread each: the machine's cores go to grading many students at once
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
        }
        # the kit's own switches (e.g. BACKPROPKIT_QUICK=1 for short training runs) reach the notebook
        env.update({k: v for k, v in os.environ.items() if k.startswith("BACKPROPKIT_")})
        self._bystanders = sandbox.own_children()
        budget = sandbox.process_count(os.getuid() if uid is None else uid) + self.limits.max_processes
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", str(SERVER_SCRIPT), str(theirs.fileno()),
                 self.library_path or "", str(self.limits.max_output_chars)],
                cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
                preexec_fn=sandbox.preexec(self.limits, [self.workdir, self.home], readable, budget, uid),
            )
        except BaseException:
            ours.close()
            self.close()
            raise
        finally:
            theirs.close()
        self.socket = ours
        self.deadline = time.monotonic() + START_TIMEOUT
        self.cpu_allowance, self._cpu_meter = float("inf"), None
        ready = self._receive()
        if not (isinstance(ready, tuple) and ready and ready[0] == "ready"):
            raise StudentCrashed("the student process did not start")

    def close(self) -> None:
        if self.process is not None:
            sandbox.kill_tree(self.process.pid, self._bystanders, sandbox.student_identity())
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.socket is not None:
            self.socket.close()
        if self.home is not None:
            sandbox.remove_tree(self.home)
        self.process, self.socket, self.home = None, None, None

    def __enter__(self) -> "StudentSession":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_time_limit(self, cpu_seconds: float, wall_seconds: float | None = None) -> None:
        """From now on, the student's processes may use ``cpu_seconds`` of CPU time in total, and
        every request must be answered within ``wall_seconds`` of wall-clock time in total
        (``WALL_CLOCK_FACTOR * cpu_seconds`` by default); past either, StudentTimeout is raised.

        CPU time is read every ``POLL_SECONDS`` while a request runs; processes the student started
        are counted from the first reading that sees them.
        """
        if wall_seconds is None:
            wall_seconds = WALL_CLOCK_FACTOR * cpu_seconds
        self.deadline = time.monotonic() + wall_seconds
        self.cpu_allowance = cpu_seconds
        self._cpu_meter = _CpuMeter(self.process.pid, self._bystanders) if self.process is not None else None

    # -------------------------------------------------------------- requests
    def run_cell(self, source: str, output_limit: int | None = None, number: int = 1) -> CellRun:
        """Run one cell, ``number`` in the student's notebook (its tracebacks say ``<cell NUMBER>``);
        its output and error together are cut to ``output_limit`` characters
        (``Limits.max_output_chars`` by default), in the student process and again here."""
        limit = self.limits.max_output_chars if output_limit is None else min(output_limit, self.limits.max_output_chars)
        reply = self._request(("run", source, limit, number))
        if not (isinstance(reply, tuple) and len(reply) == 4 and reply[0] == "ran"):
            raise StudentCrashed("the student process sent a malformed reply")
        _, ok, output, error = reply
        output = _cut_output(str(output), limit)
        if error is not None:
            error = str(error)[-max(limit - len(output), ERROR_TAIL_CHARS):]
        return CellRun(bool(ok), output, error)

    def lookup(self, name: str) -> Any:
        """The student's value for ``name``: plain data, or a proxy for anything else."""
        value = self._answer(self._request(("lookup", name)))
        if isinstance(value, RemoteObject):
            object.__setattr__(value, "_name", name)  # so a failed check names the function
        return value

    def call(self, handle: int, args: tuple, kwargs: dict) -> Any:
        return self._answer(self._request(("call", handle, self._encode(args), self._encode(kwargs))))

    def getattr(self, handle: int, name: str) -> Any:
        return self._answer(self._request(("getattr", handle, name)))

    def setattr(self, handle: int, name: str, value: Any) -> None:
        self._answer(self._request(("setattr", handle, name, self._encode(value))))

    def operator(self, name: str, args: tuple) -> Any:
        return self._answer(self._request(("operator", name, self._encode(args))))

    def _request(self, message: tuple) -> Any:
        self._send(message)
        while True:
            reply = self._receive()
            if isinstance(reply, tuple) and reply and reply[0] == "callback":
                self._run_callback(reply)
                continue
            return reply

    def _run_callback(self, message: tuple) -> None:
        try:
            _, callback_id, args, kwargs = message
            function = self._callbacks[callback_id]
            result = function(*self._decode(args), **self._decode(kwargs))
            self._send(("returned", True, self._encode(result)))
        except (StudentCrashed, StudentTimeout):
            raise
        except Exception as error:
            self._send(("returned", False, f"{type(error).__name__}: {error}"))

    def _answer(self, reply: Any) -> Any:
        if not isinstance(reply, tuple) or not reply:
            raise StudentCrashed("the student process sent a malformed reply")
        if reply[0] == "value" and len(reply) == 3:
            value = self._decode(reply[1])
            _warn_again(reply[2])
            return value
        if reply[0] == "error" and len(reply) == 3:
            raise _student_exception(str(reply[1]), str(reply[2]))
        raise StudentCrashed("the student process sent a malformed reply")

    # -------------------------------------------------------------- values
    def _encode(self, value: Any) -> tuple:
        if isinstance(value, RemoteObject):
            if object.__getattribute__(value, "_session") is not self:
                raise ValueError("a student object cannot be passed to another student's process")
            return ("h", object.__getattribute__(value, "_handle"))
        if type(value) in (tuple, list):
            return ("t" if type(value) is tuple else "l", [self._encode(v) for v in value])
        if type(value) is dict:
            return ("d", [(k, self._encode(v)) for k, v in value.items()])
        if isinstance(value, np.ndarray) and not value.flags.writeable:
            return ("r", value)  # stays read-only in the student process, so an in-place change fails there
        if callable(value) and not isinstance(value, type):
            callback_id = len(self._callbacks) + 1
            self._callbacks[callback_id] = value
            return ("c", callback_id)
        return ("v", value)

    def _decode(self, tagged: Any, depth: int = 0) -> Any:
        if not isinstance(tagged, tuple) or not tagged or depth > 16:
            raise wire.WireError("malformed value from the student process")
        tag = tagged[0]
        if tag == "v" and len(tagged) == 2:
            return wire.check_plain(tagged[1])
        if tag == "a" and len(tagged) == 4:
            return wire.array_from_wire(tagged[1], tagged[2], tagged[3])
        if tag == "n" and len(tagged) == 3:
            return wire.array_from_wire(tagged[1], (), tagged[2])[()]
        if tag in ("t", "l") and len(tagged) == 2 and isinstance(tagged[1], list):
            items = [self._decode(v, depth + 1) for v in tagged[1]]
            return tuple(items) if tag == "t" else items
        if tag == "d" and len(tagged) == 2 and isinstance(tagged[1], list):
            return {str(k): self._decode(v, depth + 1) for k, v in tagged[1]}
        if tag == "h" and len(tagged) == 4 and type(tagged[1]) is int:
            return RemoteObject(self, tagged[1], str(tagged[2]), bool(tagged[3]))
        raise wire.WireError("malformed value from the student process")

    # -------------------------------------------------------------- framing
    def _send(self, message: tuple) -> None:
        payload = pickle.dumps(message, protocol=4)
        try:
            self.socket.settimeout(self._remaining())
            self.socket.sendall(struct.pack("!Q", len(payload)) + payload)
        except socket.timeout:
            raise StudentTimeout(self._timeout_reason()) from None
        except OSError:
            raise StudentCrashed(self.death_reason()) from None

    def _receive(self) -> Any:
        (size,) = struct.unpack("!Q", self._read(8))
        if size > wire.MAX_MESSAGE_BYTES:
            raise StudentCrashed(f"the student process sent a {size}-byte message (limit {wire.MAX_MESSAGE_BYTES})")
        try:
            return wire.loads(self._read(size))
        except wire.WireError as error:
            raise StudentCrashed(str(error)) from None

    def _read(self, size: int) -> bytes:
        chunks, remaining = [], size
        while remaining:
            try:
                self.socket.settimeout(min(POLL_SECONDS, self._remaining()))
                chunk = self.socket.recv(min(remaining, 1 << 20))
            except socket.timeout:
                self._check_cpu_time()
                continue
            except OSError:
                chunk = b""
            if not chunk:
                raise StudentCrashed(self.death_reason())
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise StudentTimeout(self._timeout_reason())
        return remaining

    def _check_cpu_time(self) -> None:
        if self._cpu_meter is not None and self._cpu_meter.used() > self.cpu_allowance:
            raise StudentTimeout(f"time limit exceeded: your code used more than {self.cpu_allowance:.3g} s of CPU time "
                                 "(an infinite loop, or code far slower than needed)")

    def _timeout_reason(self) -> str:
        return ("time limit exceeded: no answer in time (code that waits or sleeps, an infinite loop, "
                "or code far slower than needed)")

    def death_reason(self) -> str:
        """Why the student process ended, in words a student understands."""
        if self.process is None:
            return "the student process is not running"
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the student process closed its connection to the grader"
        if code < 0:
            signal_number = -code
            reasons = {
                signal.SIGSEGV: "the kernel crashed with a segmentation fault",
                signal.SIGBUS: "the kernel crashed (bus error)",
                signal.SIGABRT: "the kernel aborted",
                signal.SIGKILL: "the kernel was killed (it ran out of memory or hit a limit)",
                signal.SIGXCPU: "the CPU time limit was exceeded",
                signal.SIGXFSZ: "a file grew past the size limit",
            }
            return reasons.get(signal_number, f"the kernel died from signal {signal.Signals(signal_number).name}")
        return f"the kernel exited with status {code} (os._exit or sys.exit in the code)"


def private_library(library_path: str | None, destination: Path) -> str | None:
    """Copy the folders of ``library_path`` under ``destination``; return the copy's path entries.

    The student library is built in the TA's grading workspace: a student process given that path
    would learn where the gradebook lives. ``destination`` must be new and out of the student's reach
    for writing; entries nested in another (the edition's ``lib/`` inside the edition) share its copy.
    """
    if not library_path:
        return library_path
    entries = [Path(e) for e in library_path.split(os.pathsep) if e and os.path.isdir(e)]
    roots = [e for e in entries if not any(e != other and e.is_relative_to(other) for other in entries)]
    for index, root in enumerate(roots):
        shutil.copytree(root, destination / str(index))

    def copied(entry: Path) -> str:
        index, root = next((i, r) for i, r in enumerate(roots) if entry.is_relative_to(r))
        return str(destination / str(index) / entry.relative_to(root))

    return os.pathsep.join(copied(entry) for entry in entries)


def _cut_output(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, leaving room for the student process's own note of
    what it dropped, and saying how many more were dropped here."""
    limit += NOTE_CHARS
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit} more characters of output dropped]\n"


def _seed_matplotlib_cache(folder: Path) -> None:
    """Give the student process the grader's matplotlib font list, which takes seconds to rebuild.

    ``folder`` must be new, in a folder no student process has had access to: the copy follows links.
    """
    try:
        import matplotlib

        cache = Path(matplotlib.get_cachedir())
        fonts = sorted(cache.glob("fontlist-*.json"))
        if not fonts:
            from matplotlib import font_manager  # noqa: F401  (builds the font list once)

            fonts = sorted(cache.glob("fontlist-*.json"))
    except Exception:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for font_list in fonts:
        shutil.copyfile(font_list, folder / font_list.name)


class _CpuMeter:
    """CPU time (user and system) used by a student's processes since this meter was made.

    The processes are this process's descendants other than ``bystanders``: the student process
    and whatever it started, including processes that left its session (the worker is their
    subreaper). The student process is measured from the start, others from the first reading
    that sees them; a process that ends keeps the time last read for it.
    """

    def __init__(self, student_pid: int, bystanders: frozenset[int]) -> None:
        self.bystanders = bystanders
        self.first: dict[tuple[int, float], float] = {}
        self.last: dict[tuple[int, float], float] = {}
        try:
            self._read(psutil.Process(student_pid))
        except psutil.Error:
            pass

    def used(self) -> float:
        try:
            processes = psutil.Process().children(recursive=True)
        except psutil.Error:
            processes = []
        for process in processes:
            if process.pid not in self.bystanders:
                try:
                    self._read(process)
                except psutil.Error:
                    continue  # it ended between the listing and the reading
        return sum(self.last[key] - self.first[key] for key in self.last)

    def _read(self, process: psutil.Process) -> None:
        with process.oneshot():
            key = (process.pid, process.create_time())
            times = process.cpu_times()
        self.last[key] = times.user + times.system
        self.first.setdefault(key, self.last[key])


class RemoteObject:
    """A student's function or object, living in the student process; use it like the original."""

    __slots__ = ("_session", "_handle", "_type_name", "_callable", "_name")

    def __init__(self, session: StudentSession, handle: int, type_name: str, is_callable: bool) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type_name", type_name)
        object.__setattr__(self, "_callable", is_callable)
        object.__setattr__(self, "_name", None)  # the student's name for it, when looked up by name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._handle, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name == "__name__" and self._name is not None:
            return self._name
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # NumPy and copy probe dunders; the student object answers none
        return self._session.getattr(self._handle, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._session.setattr(self._handle, name, value)

    def __repr__(self) -> str:
        return f"<student {self._type_name}>"


def _remote_operator(name: str, reflected: bool = False) -> Callable:
    def method(self: RemoteObject, *others: Any) -> Any:
        args = (others[0], self) if reflected else (self, *others)
        return self._session.operator(name, args)

    return method


for _name in ("add", "sub", "mul", "truediv", "pow", "matmul", "lt", "le", "gt", "ge", "eq", "ne",
              "getitem", "neg"):
    setattr(RemoteObject, f"__{_name}__", _remote_operator(_name))
for _name in ("add", "sub", "mul", "truediv", "pow", "matmul"):
    setattr(RemoteObject, f"__r{_name}__", _remote_operator(_name, reflected=True))
RemoteObject.__hash__ = object.__hash__  # type: ignore[method-assign]


def _warn_again(warned: Any) -> None:
    """Raise here the warnings a request raised in the student process, so that the check calling
    the proxy records them (``calling.StudentCall``) as it would in the notebook's own kernel.

    Builtin categories (RuntimeWarning for NumPy's overflow, division by zero, invalid value) keep
    their class; any other is a RuntimeWarning that starts with its name.
    """
    if type(warned) is not list or len(warned) > MAX_WARNINGS:
        raise StudentCrashed("the student process sent a malformed reply")
    for pair in warned:
        if not (type(pair) is tuple and len(pair) == 2 and all(type(part) is str for part in pair)):
            raise StudentCrashed("the student process sent a malformed reply")
        name, message = pair[0][:100], pair[1][:WARNING_CHARS]
        category = getattr(builtins, name, None)
        if not (isinstance(category, type) and issubclass(category, Warning)):
            category, message = RuntimeWarning, f"{name}: {message}"
        warnings.warn(message, category, stacklevel=2)


def _student_exception(type_name: str, description: str) -> Exception:
    """Re-raise the student's exception as the same builtin type where there is one."""
    lines = description.strip().splitlines()
    message = lines[-1] if lines else type_name
    if message.startswith(type_name + ":"):
        message = message[len(type_name) + 1:].strip()
    where = [i for i, line in enumerate(lines) if line.lstrip().startswith("File ")]
    if where and type_name != "NotImplementedError":  # `(in affine_backward, line 7: dx = dout @ w)`
        frame = lines[where[-1]].strip()
        code = lines[where[-1] + 1].strip() if where[-1] + 1 < len(lines) - 1 else ""
        function = frame.rsplit(" in ", 1)[-1]
        line_number = frame.split("line ")[-1].split(",")[0]
        message += f" (in {function}, line {line_number}{': ' + code if code else ''})"
    known = getattr(builtins, type_name, None)
    if isinstance(known, type) and issubclass(known, Exception) and known is not StopIteration:
        try:
            error = known(message)
        except Exception:
            error = StudentError(message)
    else:
        error = StudentError(message)
    error.student_traceback = description  # type: ignore[attr-defined]
    return error
