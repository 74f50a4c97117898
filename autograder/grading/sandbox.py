"""The walls around a student process: resource limits, a filesystem it cannot see past, no
network, no identity of the grader's, and a kill that reaches every process it started.

A student process is started with :func:`preexec` (run in the child between fork and exec), which

- puts it in a new session, so one ``killpg`` reaches it and whatever it forked;
- sets ``RLIMIT_AS`` (memory), ``RLIMIT_NPROC`` (processes), ``RLIMIT_FSIZE`` (file size),
  ``RLIMIT_CPU`` (a backstop behind the per-cell time limits) and no core dumps;
- when the grader runs as root, switches to an unprivileged uid and gid of its own
  (:func:`student_identity`: a fixed base plus the grading process's pid, so no user of the
  machine has it and ``RLIMIT_NPROC`` counts this student's processes only). Root's files,
  ``/etc/shadow`` among them, are then closed to it by their permissions. The interpreter often
  lives where that uid cannot look (``/root/.pyenv``, mode 0700), so the process keeps one
  capability, ``CAP_DAC_READ_SEARCH`` (read any file), as an ambient capability; Landlock is what
  limits its reading, and every other capability is gone from the bounding set. (Where the user
  namespace maps no such uid, it stays root without any capability, and ``status`` says so);
- applies a Landlock ruleset (Linux 5.13+, no privileges needed): the process may read the Python
  installation, the system libraries, the few files of ``/etc``, ``/sys`` and ``/dev`` that Python,
  NumPy and matplotlib open, its own ``/proc/<pid>`` (the rule is added after fork, for the
  child's pid, so ``/proc/<grader>/cmdline`` and ``environ`` stay closed), and the grader's copies
  of the student's notebooks of other assignments (which stay the grader's); it may write its
  submission's folder, its private home, ``/dev/null`` and ``/dev/zero``, and nothing else
  (``/dev/shm`` and ``/tmp`` included: no channel between students, no memory outside
  ``RLIMIT_AS``). It cannot signal processes outside its own sandbox;
- installs a seccomp filter that fails ``socket`` and ``socketpair`` for every address family with
  ``EPERM`` (UDP, Unix-domain and netlink sockets included; its only channel is the socket the
  grader hands it), and with them ``io_uring`` (which can open sockets without the ``socket`` call),
  ``open_by_handle_at`` (which opens files by inode, around Landlock's paths), and System V IPC,
  POSIX message queues and keyrings: channels the kernel keeps for every process of a uid or of
  the machine, which would outlive the process like ``/dev/shm``.

The grader never opens or follows anything inside a folder a student process could write: the
student's home (``HOME``, ``TMPDIR``, matplotlib's and IPython's folders) is a fresh private
folder per process start, filled by the grader before the process starts (matplotlib's font list,
which takes seconds to rebuild) and removed afterwards by :func:`remove_tree`, which follows no
link; the submission's folder is handed to the student (:func:`hand_over`) before any student code
runs in it. Nothing the process can see names the TA's grading workspace: its environment is a
fixed small dict, it inherits only the grader's socket, and it imports a per-submission copy of
the student library (the original lives in the workspace); only the Python installation and the
server script are seen where they are.

Choices, and why:

- a seccomp filter rather than a network namespace: it needs no privilege (a grader that is not
  root may not have user namespaces) and it also covers Unix-domain sockets bound to a path, which
  a network namespace leaves reachable;
- the grader fills the home rather than the student process copying the font list itself: a new
  0700 folder is out of every student's reach until the process starts, and the server script
  stays free of the grader's concerns;
- one uid per grading process rather than per process start: the files one student process writes
  (a checkpoint, a figure) must stay writable for the next one, after a crash replay or in the
  submission's next notebook.

What remains: with ``CAP_DAC_READ_SEARCH`` a student process can ``stat`` and ``readlink`` any
path (Landlock governs opening, not looking up), so it can learn whether a path exists; processes
it forks cannot read their own ``/proc/<pid>``; and asyncio's event loop (its wake-up channel is a
``socketpair``) and IPython's ``!`` shell escapes (they need a pseudo-terminal) do not work inside
the walls. No notebook of the course uses either.

Where a wall cannot be built (no Landlock, no seccomp filter for this architecture) grading still
works and :func:`missing_walls` says what is missing, so that ``status`` can warn the TA.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import shutil
import signal
import sys
from pathlib import Path
from typing import Callable, Iterable

import psutil

from .records import Limits


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
    """Confine this process (and its future children) to ``readable`` and ``writable`` paths.

    Needs ``PR_SET_NO_NEW_PRIVS`` set first (see :func:`preexec`).
    """
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
    if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(ruleset)


# ---------------------------------------------------------------- seccomp (see seccomp(2))
_PR_SET_SECCOMP, _PR_GET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 21, 2
_SECCOMP_RET_ALLOW, _SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
_BPF_LOAD_WORD, _BPF_JUMP_EQUAL, _BPF_JUMP_AT_LEAST, _BPF_RETURN = 0x20, 0x15, 0x35, 0x06
_X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: the same calls under other numbers
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # the architectures the filter knows
_REFUSED_SYSCALLS = {  # name: (number on x86_64, number on aarch64)
    "socket": (41, 198), "socketpair": (53, 199),
    # io_uring opens sockets without the socket call
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "open_by_handle_at": (304, 265),  # opens a file by inode number, around Landlock's paths
    # channels the kernel keeps between processes: System V IPC, POSIX message queues, keyrings
    "shmget": (29, 194), "shmat": (30, 196), "shmctl": (31, 195), "shmdt": (67, 197),
    "semget": (64, 190), "semop": (65, 193), "semctl": (66, 191), "semtimedop": (220, 192),
    "msgget": (68, 186), "msgsnd": (69, 189), "msgrcv": (70, 188), "msgctl": (71, 187),
    "mq_open": (240, 180), "mq_unlink": (241, 181), "mq_timedsend": (242, 182),
    "mq_timedreceive": (243, 183), "mq_notify": (244, 184), "mq_getsetattr": (245, 185),
    "add_key": (248, 217), "request_key": (249, 218), "keyctl": (250, 219),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def socket_filter_available() -> bool:
    """True when student processes can be kept from opening sockets (a seccomp filter for this CPU)."""
    if platform.system() != "Linux" or platform.machine() not in _AUDIT_ARCH:
        return False
    return _libc().prctl(_PR_GET_SECCOMP, 0, 0, 0, 0) >= 0


def _seccomp_program(audit_arch: int, refused: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """BPF: refuse every call of another architecture, of x32, and the ``refused`` ones, with EPERM."""
    count = len(refused)
    refuse = (_BPF_RETURN, 0, 0, _SECCOMP_RET_ERRNO | errno.EPERM)
    program = [
        (_BPF_LOAD_WORD, 0, 0, 4),  # seccomp_data.arch
        (_BPF_JUMP_EQUAL, 1, 0, audit_arch),
        refuse,
        (_BPF_LOAD_WORD, 0, 0, 0),  # seccomp_data.nr
        (_BPF_JUMP_AT_LEAST, count + 1, 0, _X32_SYSCALL_BIT),
    ]
    program += [(_BPF_JUMP_EQUAL, count - i, 0, number) for i, number in enumerate(refused)]
    return program + [(_BPF_RETURN, 0, 0, _SECCOMP_RET_ALLOW), refuse]


def _refuse_sockets() -> None:
    """Install the seccomp filter; needs ``PR_SET_NO_NEW_PRIVS`` set first."""
    if not socket_filter_available():
        return
    column = list(_AUDIT_ARCH).index(platform.machine())
    program = _seccomp_program(_AUDIT_ARCH[platform.machine()],
                               tuple(numbers[column] for numbers in _REFUSED_SYSCALLS.values()))
    instructions = (_SockFilter * len(program))(*[_SockFilter(*op) for op in program])
    fprog = _SockFprog(len(program), instructions)
    if _libc().prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")


def missing_walls() -> list[str]:
    """The walls this machine cannot build, each as a warning for the TA (empty when all stand)."""
    missing = []
    abi = landlock_abi()
    if abi < 1:
        missing.append("this kernel has no Landlock; student code can read and write files outside its folder")
    elif abi < 6 and os.geteuid() != 0:  # as root the student's own uid already keeps it from signalling
        missing.append(f"this kernel's Landlock (ABI {abi}) cannot keep student code from signalling the grader")
    if os.geteuid() == 0 and student_identity() is None:
        missing.append(f"uid {STUDENT_UID_BASE} and up are not mapped here; student code runs as root without "
                       "capabilities, and its process limit counts all of root's processes")
    if not socket_filter_available():
        missing.append(f"no socket filter for this machine ({platform.machine()}); student code can open "
                       "UDP and Unix-domain sockets")
    return missing


# ---------------------------------------------------------------- identity (see capabilities(7))
STUDENT_UID_BASE = 2_000_000_000  # far above any uid a distribution hands out; plus a pid stays below 2**31
_PR_CAPBSET_DROP, _PR_SET_KEEPCAPS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE = 24, 8, 47, 2
_CAP_DAC_READ_SEARCH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def student_identity() -> int | None:
    """The uid (and gid) this grading process's student processes run as; None unless it runs as root.

    One per grading process (a pool worker grades one submission at a time), so that
    ``RLIMIT_NPROC`` counts the processes of the submission being graded and nothing else. None
    too where this user namespace does not map it (a container with a short uid range).
    """
    if platform.system() != "Linux" or os.geteuid() != 0:
        return None
    uid = STUDENT_UID_BASE + os.getpid()
    return uid if _mapped(uid, "/proc/self/uid_map") and _mapped(uid, "/proc/self/gid_map") else None


def _mapped(identifier: int, map_file: str) -> bool:
    try:
        with open(map_file) as ranges:
            return any(int(first) <= identifier < int(first) + int(count)
                       for first, _, count in (line.split() for line in ranges))
    except (OSError, ValueError):
        return True  # no user namespaces: every id exists


def _drop_root(uid: int | None) -> None:
    """From root: become ``uid`` keeping only CAP_DAC_READ_SEARCH, or (None) stay root with no capability."""
    libc = _libc()
    kept = 0 if uid is None else 1 << _CAP_DAC_READ_SEARCH
    for cap in range(64):  # the bounding set, so that exec of a setuid program regains nothing
        if not kept & (1 << cap):
            libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails only past the kernel's last capability
    if uid is not None:
        if libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_KEEPCAPS) failed")
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    data = (_CapData * 2)(_CapData(kept, kept, kept))
    if libc.capset(ctypes.byref(_CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    if kept and libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE, _CAP_DAC_READ_SEARCH, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAP_AMBIENT_RAISE) failed")


def hand_over(folder: Path, *, with_contents: bool = True) -> None:
    """Make ``folder`` (and what is in it) belong to the student uid, when there is one.

    Call it with ``with_contents`` only before any student code ran in ``folder``: it walks the tree.
    """
    uid = student_identity()
    if uid is None:
        return
    os.lchown(folder, uid, uid)
    if with_contents:
        for parent, folders, files in os.walk(folder):  # does not follow links into folders
            for name in folders + files:
                os.lchown(os.path.join(parent, name), uid, uid)


def remove_tree(folder: Path) -> None:
    """Delete a folder a student process wrote in, following no link inside it.

    Student code may have left folders it made unreadable (``chmod 000``); without root's override
    they are opened again through descriptors (``O_NOFOLLOW``), never by a path that a link could
    redirect. Whatever still cannot be removed is left in place.
    """
    if os.geteuid() != 0 and os.path.isdir(folder) and not os.path.islink(folder):
        os.chmod(folder, 0o700)
        for _, folders, _, parent_fd in os.fwalk(folder):
            for name in folders:
                try:
                    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY, dir_fd=parent_fd)
                except OSError:
                    continue
                try:
                    os.chmod(f"/proc/self/fd/{fd}", 0o700)  # the folder behind the descriptor
                except OSError:
                    pass
                finally:
                    os.close(fd)
    shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------- the process
# Outside the Python installation, what Python, NumPy, SciPy, matplotlib and IPython open (traced).
# /etc, /proc and /sys as wholes would show a read-capable process /etc/shadow, and the grader's
# /proc/<pid>/cmdline and environ.
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/localtime", "/etc/passwd", "/etc/group",
                "/etc/nsswitch.conf", "/etc/mime.types", "/proc/cpuinfo", "/proc/meminfo",
                "/sys/devices/system/cpu", "/dev/urandom", "/dev/random")
WRITABLE_DEVICES = ("/dev/null", "/dev/zero")


def system_read_paths() -> list[str]:
    """What any Python process needs to read: the interpreter, its libraries, the system's."""
    paths = {"/usr", "/lib", "/lib64", "/bin", "/opt/conda", *SYSTEM_FILES,
             sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable))}
    for entry in sys.path:
        if entry.endswith("site-packages") or entry.endswith("dist-packages"):
            paths.add(entry)
    return sorted(p for p in paths if p)


def process_count(uid: int) -> int:
    """How many processes ``uid`` runs now (RLIMIT_NPROC counts them all, not just ours)."""
    return sum(1 for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid)


def preexec(limits: Limits, folders: Iterable[Path], readable: Iterable[str], process_budget: int,
            uid: int | None) -> Callable[[], None]:
    """The function ``subprocess.Popen(preexec_fn=...)`` runs in the child before the student's code.

    ``folders`` are the only places the process may write (its submission's folder and its home).
    ``uid`` is :func:`student_identity` (None: keep the grader's, without capabilities if root). ``process_budget`` is the
    RLIMIT_NPROC value: that uid's current process count plus the submission's allowance, computed
    by the parent (the child must not walk /proc after fork).
    """
    readable = list(readable)
    writable = [str(folder) for folder in folders] + list(WRITABLE_DEVICES)
    cpu_seconds = int(limits.notebook_timeout) + 30

    def in_child() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (process_budget, process_budget))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.max_file_bytes, limits.max_file_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.geteuid() == 0:
            _drop_root(uid)
        if _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        _restrict_filesystem(readable + [f"/proc/{os.getpid()}"], writable)
        _refuse_sockets()

    return in_child


def become_subreaper() -> None:
    """Adopt orphaned descendants, so a student process that double-forks still gets killed."""
    if platform.system() == "Linux":
        _libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_tree(student_pid: int, bystanders: frozenset[int] = frozenset(), uid: int | None = None) -> None:
    """Kill a student process, its session, and every descendant that escaped the session.

    ``bystanders`` are our own children that existed before the student process started (helpers of
    the worker); everything else below us is the student's and is swept until none is left, because
    a fork bomb keeps forking while it is being killed. With the student's own ``uid``
    (:func:`student_identity`), every process of that uid is swept too: one that called
    ``setsid()`` and lost its parent has left our tree where no subreaper caught it.
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
        if uid is not None:
            strays += [p for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real == uid]
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
