"""The walls around a student process: resource limits, a filesystem it cannot see past, and a kill
that reaches every process it started.

A student process is started with :func:`preexec` (run in the child between fork and exec), which

- puts it in a new session, so one ``killpg`` reaches it and whatever it forked;
- sets ``RLIMIT_AS`` (memory), ``RLIMIT_NPROC`` (processes), ``RLIMIT_FSIZE`` (file size),
  ``RLIMIT_CPU`` (a backstop behind the per-cell time limits) and no core dumps;
- as root, drops every capability, because the kernel ignores ``RLIMIT_NPROC`` for a process that
  holds ``CAP_SYS_RESOURCE`` or ``CAP_SYS_ADMIN``;
- applies a Landlock ruleset (Linux 5.13+, no privileges needed): the process may read the Python
  installation and the system libraries, read and write its own directory, and nothing else. Other
  students' submissions, the solutions and the gradebook are out of reach, TCP is refused, and it
  cannot signal processes outside its own sandbox.

Where Landlock is missing (an old kernel, another OS) the limits still apply and
:func:`filesystem_isolation_available` says so, so that ``status`` can warn the TA.
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import psutil


@dataclass(frozen=True)
class Limits:
    """What one submission may use.

    ``cell_timeout`` is CPU seconds of the student's processes per cell or test (with a
    wall-clock ceiling a few times longer, see ``student_link``); ``notebook_timeout`` is
    wall-clock seconds.
    """

    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory_bytes: int = 4 * 2**30
    max_processes: int = 64
    max_file_bytes: int = 64 * 2**20
    max_output_chars: int = 20_000  # per cell
    max_notebook_output_chars: int = 200_000  # all the cells of one notebook together

    def __post_init__(self) -> None:
        for name in ("cell_timeout", "notebook_timeout", "memory_bytes", "max_processes",
                     "max_file_bytes", "max_output_chars", "max_notebook_output_chars"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive, got {getattr(self, name)}")


# ---------------------------------------------------------------- Landlock (see landlock(7))
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_CHILD_SUBREAPER = 36
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_V1 = (1 << 13) - 1  # execute .. make_sym: every right of the first ABI
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_ONLY_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers, 0 when there is none."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "aarch64"):
        return 0
    version = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def filesystem_isolation_available() -> bool:
    """True when student processes can be confined to their own directory."""
    return landlock_abi() >= 1


def _handled_fs_rights(abi: int) -> int:
    rights = _FS_ALL_V1
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def _restrict_filesystem(readable: Iterable[str], writable: Iterable[str]) -> None:
    """Confine this process (and its future children) to ``readable`` and ``writable`` paths."""
    libc = _libc()
    abi = landlock_abi()
    if abi < 1:
        return
    handled = _handled_fs_rights(abi)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size = 24
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    read_rights = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
    for path, rights in [(p, read_rights) for p in readable] + [(p, handled) for p in writable]:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a path this machine does not have
        if not os.path.isdir(path):
            rights &= _FILE_ONLY_RIGHTS
        rule = _PathBeneathAttr(rights & handled, fd)
        libc.syscall(_SYS_ADD_RULE, ruleset, 1, ctypes.byref(rule), ctypes.c_uint32(0))
        os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(ruleset)


def _drop_capabilities() -> None:
    """Give up root's capabilities so that RLIMIT_NPROC is enforced and nothing can lift the limits."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    libc = _libc()
    for cap in range(64):  # the bounding set, so that exec of a setuid program regains nothing
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP
    data = (Data * 2)()
    libc.capset(ctypes.byref(Header(0x20080522, 0)), data)


def system_read_paths() -> list[str]:
    """What any Python process needs to read: the interpreter, its libraries, the system's."""
    paths = {"/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/sys", "/opt/conda",
             sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    for entry in sys.path:
        if entry.endswith("site-packages") or entry.endswith("dist-packages"):
            paths.add(entry)
    return sorted(p for p in paths if p)


def user_process_count() -> int:
    """How many processes this user runs now (RLIMIT_NPROC counts them all, not just ours)."""
    uid = os.getuid()
    return sum(1 for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid)


def preexec(limits: Limits, workdir: Path, readable: Iterable[str], process_budget: int) -> Callable[[], None]:
    """The function ``subprocess.Popen(preexec_fn=...)`` runs in the child before the student's code.

    ``process_budget`` is the RLIMIT_NPROC value: the user's current process count plus the
    submission's allowance, computed by the parent (the child must not walk /proc after fork).
    """
    readable = list(readable)
    writable = [str(workdir), "/dev"]
    cpu_seconds = int(limits.notebook_timeout) + 30

    def in_child() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (process_budget, process_budget))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.geteuid() == 0:
            _drop_capabilities()
        _restrict_filesystem(readable, writable)

    return in_child


def become_subreaper() -> None:
    """Adopt orphaned descendants, so a student process that double-forks still gets killed."""
    if platform.system() == "Linux":
        _libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_tree(student_pid: int, bystanders: frozenset[int] = frozenset()) -> None:
    """Kill a student process, its session, and every descendant that escaped the session.

    ``bystanders`` are our own children that existed before the student process started (helpers of
    the worker); everything else below us is the student's and is swept until none is left, because
    a fork bomb keeps forking while it is being killed.
    """
    try:
        os.killpg(student_pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    me = psutil.Process()
    for _ in range(50):
        try:
            strays = [c for c in me.children(recursive=True) if c.pid not in bystanders]
        except psutil.Error:
            break
        if not strays:
            break
        for child in strays:
            try:
                child.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(strays, timeout=0.1)


def own_children() -> frozenset[int]:
    """The pids of this process's children now (see ``bystanders`` in :func:`kill_tree`)."""
    try:
        return frozenset(c.pid for c in psutil.Process().children(recursive=True))
    except psutil.Error:
        return frozenset()
