"""The walls of the student sandbox, each tried from inside a student process.

A student who can write links where the grader later writes, read the grader's command line, open
a socket to the host, leave files in ``/dev/shm`` or keep root's powers can raise a grade or stop
the class; each test plays that student and checks the grader's side afterwards.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

import pytest

from autograder.grading import sandbox
from autograder.grading.grader import grade_submission
from autograder.grading.records import Limits, NotebookJob, SubmissionJob
from autograder.grading.student_link import StudentSession

pytestmark = pytest.mark.timeout(300)

needs_landlock = pytest.mark.skipif(not sandbox.filesystem_isolation_available(),
                                    reason="this kernel has no Landlock")
needs_socket_filter = pytest.mark.skipif(not sandbox.socket_filter_available(),
                                         reason="no seccomp socket filter for this machine")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the grader runs as root only in CI")

PLANT_LINKS = """\
import glob, os
victim = {victim!r}
names = [os.path.basename(p) for p in glob.glob(os.path.join(os.environ['MPLCONFIGDIR'], 'fontlist-*.json'))]
names = names or ['fontlist-v390.json']
for folder in (os.environ['MPLCONFIGDIR'], os.path.join(os.getcwd(), '.home', 'matplotlib')):
    os.makedirs(folder, exist_ok=True)
    for name in names:
        path = os.path.join(folder, name)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(victim, path)
os.symlink({outside!r}, os.path.join(os.environ['HOME'], 'outside'))
print(names)
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def session(workdir: Path):
    with StudentSession(workdir, Limits(cell_timeout=20, memory_bytes=2**31, max_processes=16)) as student:
        student.set_time_limit(120)
        yield student


# ---------------------------------------------------------------- links the grader might follow
def test_links_planted_in_the_home_are_never_followed_across_restarts(session: StudentSession, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "gradebook.db"
    victim.write_text("the class's grades")
    ran = session.run_cell(PLANT_LINKS.format(victim=str(victim), outside=str(outside)))
    assert ran.ok, ran.error
    for _ in range(2):  # each restart seeds a home; each close removes one
        session.close()
        session.start()
        session.set_time_limit(60)
        assert session.run_cell("print('alive')").output == "alive\n"
    session.close()
    assert victim.read_text() == "the class's grades"
    assert sorted(p.name for p in outside.iterdir()) == ["gradebook.db"]


def test_each_process_gets_a_new_home_with_the_font_list_and_leaves_nothing(session: StudentSession) -> None:
    first = session.run_cell("import os\nprint(os.environ['HOME'])\n"
                             "print(sorted(n for n in os.listdir(os.environ['MPLCONFIGDIR']) if n.startswith('fontlist')))")
    home, fonts = first.output.splitlines()
    assert fonts != "[]", "matplotlib would rebuild its font list (seconds) in every student process"
    assert session.run_cell("open(os.path.join(os.environ['HOME'], 'left.txt'), 'w').write('x')").ok
    session.close()
    assert not os.path.lexists(home)
    session.start()
    session.set_time_limit(60)
    second = session.run_cell("import os\nprint(os.environ['HOME'], os.listdir(os.environ['HOME']))")
    assert second.output.split()[0] != home and "left.txt" not in second.output


def test_removing_a_students_folder_follows_no_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    mode = outside.stat().st_mode
    folder = tmp_path / "student"
    (folder / "locked" / "deeper").mkdir(parents=True)
    (folder / "to_outside").symlink_to(outside)
    (folder / "locked" / "to_file").symlink_to(outside / "keep.txt")
    (folder / "locked").chmod(0)  # what a student can do to its own folder
    sandbox.remove_tree(folder)
    assert not os.path.lexists(folder)
    assert (outside / "keep.txt").read_text() == "keep" and outside.stat().st_mode == mode


# ---------------------------------------------------------------- what the process learns of the grader
@needs_landlock
def test_the_graders_command_line_and_environment_are_unreadable(session: StudentSession) -> None:
    for name in ("cmdline", "environ"):
        ran = session.run_cell(f"import os\nopen('/proc/%d/{name}' % os.getppid()).read()")
        assert not ran.ok and "PermissionError" in ran.error, name
    assert not session.run_cell("import os\nos.listdir('/proc/%d/fd' % os.getppid())").ok
    assert session.run_cell("print(open('/proc/self/status').read().splitlines()[0])").output.startswith("Name:")


def test_only_the_graders_channel_is_inherited(session: StudentSession) -> None:
    ran = session.run_cell("import os\ndef is_open(fd):\n    try:\n        return os.fstat(fd) is not None\n"
                           "    except OSError:\n        return False\n"
                           "print([os.readlink('/proc/self/fd/%d' % fd) for fd in range(1024) if is_open(fd)])")
    assert ran.ok, ran.error
    links = eval(ran.output)
    assert links[:3] == ["/dev/null"] * 3
    assert len(links) == 4 and links[3].startswith("socket:")


def test_the_environment_names_no_folder_of_the_grader(session: StudentSession) -> None:
    ran = session.run_cell("import os\nprint(dict(os.environ))")
    environment = eval(ran.output)
    assert set(environment) - {"LC_CTYPE"} <= {
        "PATH", "HOME", "TMPDIR", "IPYTHONDIR", "MPLCONFIGDIR", "MPLBACKEND", "PYTHONHASHSEED",
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "LANG"} | {
        name for name in environment if name.startswith("BACKPROPKIT_")}
    assert not any(os.getcwd() in value for value in environment.values())


def test_a_graded_student_sees_no_path_of_the_graders_workspace(tmp_path: Path) -> None:
    workspace = tmp_path / "grading"
    library = workspace / ".student-library"
    (library / "lib").mkdir(parents=True)
    (library / "lib" / "shipped.py").write_text("ANSWER = 42\n")
    (tmp_path / "source").mkdir()
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": "import sys, shipped\nprint(shipped.ANSWER, sys.argv, sys.path, shipped.__file__)"}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    job = SubmissionJob("ana", "toy", [NotebookJob("toy.ipynb", notebook, notebook)], {}, str(tmp_path / "source"),
                        os.pathsep.join([str(library / "lib"), str(library)]), Limits(cell_timeout=20))
    (output,) = grade_submission(job).notebooks[0].cell_outputs
    assert output.error is None and output.output.startswith("42 ")
    assert str(workspace) not in output.output


# ---------------------------------------------------------------- channels out
@needs_socket_filter
def test_udp_to_a_listener_on_the_host_fails(session: StudentSession) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.setblocking(False)
        port = listener.getsockname()[1]
        ran = session.run_cell(f"import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                            f"s.sendto(b'grade me 100', ('127.0.0.1', {port}))")
        assert not ran.ok and "PermissionError" in ran.error
        with pytest.raises(BlockingIOError):  # loopback delivers before sendto returns: nothing came
            listener.recv(100)


@needs_socket_filter
@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_unix_sockets_to_a_listener_outside_fail(session: StudentSession, tmp_path: Path, kind: str) -> None:
    address = str(tmp_path / "listener.sock") if kind == "path" else f"\0bpk-walls-{secrets.token_hex(8)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(address)
        listener.listen(4)
        listener.setblocking(False)
        ran = session.run_cell(f"import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\ns.connect({address!r})")
        assert not ran.ok and "PermissionError" in ran.error
        with pytest.raises(BlockingIOError):  # a connection would wait in the backlog by now
            listener.accept()
    datagram = session.run_cell("import socket\nsocket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)")
    pair = session.run_cell("import socket\nsocket.socketpair()")
    assert not datagram.ok and not pair.ok


@needs_socket_filter
def test_kernel_held_channels_between_students_are_refused(session: StudentSession) -> None:
    ran = session.run_cell(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nIPC_CREAT = 0o1000\n"
        "print(libc.shmget(0x6270, 4096, IPC_CREAT | 0o666), libc.msgget(0x6270, IPC_CREAT | 0o666),"
        " libc.semget(0x6270, 1, IPC_CREAT | 0o666), libc.mq_open(b'/bpk-walls', 0o100 | 0o2, 0o666, None),"
        " ctypes.get_errno())")
    assert ran.ok, ran.error
    assert ran.output.split() == ["-1", "-1", "-1", "-1", "1"]  # each refused with EPERM


@needs_landlock
def test_dev_shm_is_closed_and_nothing_is_left_there(session: StudentSession) -> None:
    name = f"bpk-walls-{secrets.token_hex(8)}"
    plain = session.run_cell(f"open('/dev/shm/{name}', 'w').write('a note for the next student')")
    shared = session.run_cell(f"from multiprocessing import shared_memory\nshared_memory.SharedMemory('{name}-2', create=True, size=4096)")
    assert not plain.ok and not shared.ok
    session.close()
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(name)]


@needs_landlock
def test_nothing_outside_its_folders_is_writable(session: StudentSession, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("mine")
    for target in (str(outside), "/tmp/bpk-walls-note", "/var/tmp/bpk-walls-note"):
        ran = session.run_cell(f"open({target!r}, 'a').write('x')")
        assert not ran.ok, target
    assert outside.read_text() == "mine" and not os.path.exists("/tmp/bpk-walls-note")
    assert session.run_cell("open('/dev/null', 'w').write('x')\nopen('here.txt', 'w').write('x')").ok



@needs_landlock
def test_the_students_other_assignments_are_readable_and_never_writable(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "03_backprop").mkdir(parents=True)
    earlier = course / "02_linear_classifiers"
    earlier.mkdir()
    (earlier / "1_linear_classifiers.ipynb").write_text("{}")
    with StudentSession(course / "03_backprop", Limits(cell_timeout=20, memory_bytes=2**31), read_only=[earlier]) as student:
        student.set_time_limit(60)
        assert student.run_cell("print(open('../02_linear_classifiers/1_linear_classifiers.ipynb').read())").output == "{}\n"
        assert not student.run_cell("open('../02_linear_classifiers/1_linear_classifiers.ipynb', 'w').write('x')").ok
        assert not student.run_cell("open('../02_linear_classifiers/planted.py', 'w').write('x')").ok
    assert (earlier / "1_linear_classifiers.ipynb").read_text() == "{}" and not (earlier / "planted.py").exists()

# ---------------------------------------------------------------- when the grader runs as root
@needs_root
def test_as_root_the_student_runs_as_a_dedicated_unprivileged_uid(session: StudentSession) -> None:
    ran = session.run_cell("import os\nprint(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())")
    uid, euid, gid, groups = ran.output.split(maxsplit=3)
    assert int(uid) == int(euid) == sandbox.student_identity() and int(gid) == int(uid) and groups.strip() == "[]"
    with pytest.raises(KeyError):
        import pwd

        pwd.getpwuid(int(uid))  # no user of the machine has it


@needs_root
@needs_landlock
def test_as_root_shadow_is_unreadable_and_dev_files_stay(session: StudentSession) -> None:
    assert not session.run_cell("open('/etc/shadow').read()").ok
    planted = Path("/dev") / f"bpk-walls-{secrets.token_hex(8)}"
    try:
        planted.write_text("root's")
    except OSError as error:
        pytest.skip(f"cannot plant a root-owned file under /dev here: {error}")
    try:
        ran = session.run_cell(f"import os\nos.unlink({str(planted)!r})")
        assert not ran.ok
        assert planted.read_text() == "root's"
    finally:
        planted.unlink(missing_ok=True)


@needs_root
@needs_landlock
def test_as_root_without_a_mapped_uid_the_student_keeps_no_capability(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_mapped", lambda identifier, map_file: False)  # a container's short uid range
    assert any("not mapped" in warning for warning in sandbox.missing_walls())
    with StudentSession(workdir, Limits(cell_timeout=20, memory_bytes=2**31)) as student:
        student.set_time_limit(60)
        ran = student.run_cell("print(open('/proc/self/status').read())")
        assert not student.run_cell("open('/etc/shadow').read()").ok
    status = dict(line.split(":", 1) for line in ran.output.splitlines() if ":" in line)
    assert status["Uid"].split()[0] == "0"
    assert int(status["CapEff"], 16) == int(status["CapPrm"], 16) == int(status["CapBnd"], 16) == 0


@needs_root
def test_as_root_a_fork_loop_stops_at_the_process_limit(session: StudentSession) -> None:
    ran = session.run_cell("import os, time\nforked = 0\nfor _ in range(200):\n"
                           "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
                           "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    forked += 1\n"
                           "print(forked)")
    assert ran.ok, ran.error
    assert 0 < int(ran.output) < 16  # max_processes counts the student process itself


# ---------------------------------------------------------------- honest use still works
def test_notebooks_normal_use_works_inside_the_walls(session: StudentSession) -> None:
    ran = session.run_cell("%matplotlib inline\nimport numpy as np, scipy.signal, scipy.optimize\n"
                           "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot(np.arange(5), np.arange(5) ** 2)\n"
                           "ax.set_title('loss')\nfig.savefig('curve.png')\nimport IPython\nprint('drawn')")
    assert ran.ok, ran.error
    assert "drawn" in ran.output
    magic = session.run_cell("%time x = sum(range(10))\nprint(x)")
    assert magic.ok and "45" in magic.output


def test_without_landlock_or_seccomp_grading_still_works_and_says_what_is_missing(
        workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    monkeypatch.setattr(sandbox, "socket_filter_available", lambda: False)
    warnings = sandbox.missing_walls()
    assert any("Landlock" in w for w in warnings) and any("socket" in w for w in warnings)
    with StudentSession(workdir, Limits(cell_timeout=20, memory_bytes=2**31)) as student:
        student.set_time_limit(60)
        assert student.run_cell("import numpy as np\nprint(np.ones(3).sum())").output == "3.0\n"
