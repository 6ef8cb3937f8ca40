"""The sandbox runs code in a subprocess: results, timeouts, limits, the guard, and nothing left behind."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ttc_modules.sandbox import run_python
from ttc_modules.sandbox_child import refusal

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox is tested on Linux")

SHORT = 1.0  # seconds: the timeout of the runs that end at it


def _gone(pid: int, within: float = 3.0) -> bool:
    """Whether the process ``pid`` has ended (a zombie that nobody reaped counts as ended) within a while."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (ProcessLookupError, FileNotFoundError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_a_run_that_passes():
    result = run_python("print('hello')")
    assert (result.status, result.output, result.passed) == ("passed", "hello\n", True)
    assert 0 < result.seconds < 5 and "\n" not in result.message
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "failed"


def test_a_run_that_fails_says_the_exception_in_one_line():
    result = run_python("def find(name):\n    raise KeyError(name)\n\nfind('needle')\n")
    assert (result.status, result.message, result.passed) == ("failed", "KeyError: 'needle'", False)
    assert 'line 2, in find' in result.output and "sandbox_child" not in result.output


@pytest.mark.parametrize(("code", "message"), [
    ("def f(:\n    pass\n", "SyntaxError: invalid syntax (line 1)"),
    ("import sys\nsys.exit(3)\n", "the code exited with status 3"),
    ("input()\n", "EOFError: EOF when reading a line"),
])
def test_other_failures_are_named(code, message):
    result = run_python(code)
    assert (result.status, result.message) == ("failed", message)


def test_an_endless_loop_is_killed_at_the_timeout():
    result = run_python("import os\nprint(os.getpid(), flush=True)\nwhile True:\n    pass\n", timeout=SHORT)
    assert result.status == "timeout" and SHORT <= result.seconds < SHORT + 2
    assert result.message.startswith(f"timed out after {SHORT} s;") and "raise timeout=" in result.message
    assert _gone(int(result.output.split()[0]))


@pytest.mark.parametrize("then", ["", "while True:\n    pass\n"], ids=["the child ends", "the child times out"])
def test_a_grandchild_goes_with_the_child(then):
    # The guard refuses os.fork; a fork through the C library slips past it (the guard is no security
    # boundary), and the grandchild is still killed with the child's process group.
    code = ("import ctypes\nlibc = ctypes.CDLL(None)\npid = libc.fork()\n"
            "if pid == 0:\n    libc.sleep(30)\n    libc._exit(0)\n"
            f"print(pid, flush=True)\n{then}")
    result = run_python(code, timeout=SHORT)
    assert result.status == ("timeout" if then else "passed"), result.message
    assert _gone(int(result.output.split()[0]))


@pytest.mark.parametrize("action", [
    "open(TARGET, 'w').write('x')",
    "open(TARGET, 'a')",
    "import pathlib; pathlib.Path(TARGET).write_text('x')",
    "import os; os.open(TARGET, os.O_WRONLY | os.O_CREAT)",
])
def test_writing_outside_the_directory_is_refused(tmp_path, action):
    target = tmp_path / "outside.txt"
    result = run_python(action.replace("TARGET", repr(str(target))))
    assert result.status == "refused"
    assert result.message == f"refused: the code tried to write {target} outside its sandbox directory"
    assert not target.exists()


@pytest.mark.parametrize(("action", "verb"), [
    ("import os; os.remove(KEPT)", "remove"),
    ("import os; os.rename(KEPT, KEPT + '.moved')", "rename"),
    ("import os; os.chmod(KEPT, 0o777)", "change the mode of"),
    ("import shutil; shutil.rmtree(KEPT_DIR)", "remove"),
])
def test_changing_files_outside_the_directory_is_refused(tmp_path, action, verb):
    kept = tmp_path / "kept" / "file.txt"
    kept.parent.mkdir()
    kept.write_text("keep me")
    code = action.replace("KEPT_DIR", repr(str(kept.parent))).replace("KEPT", repr(str(kept)))
    result = run_python(code)
    assert result.status == "refused" and result.message.startswith(f"refused: the code tried to {verb} ")
    assert kept.read_text() == "keep me" and oct(kept.stat().st_mode)[-3:] != "777"


def test_a_refusal_the_code_catches_is_still_reported(tmp_path):
    code = f"try:\n    open({str(tmp_path / 'x')!r}, 'w')\nexcept PermissionError as error:\n    print('caught')\n"
    result = run_python(code)
    assert (result.status, result.output) == ("refused", "caught\n")


def test_writing_inside_the_directory_works():
    code = ("import os, tempfile\nopen('notes.txt', 'w').write('kept')\nos.mkdir('sub')\n"
            "os.rename('notes.txt', 'sub/notes.txt')\nprint(open('sub/notes.txt').read())\n"
            "with tempfile.NamedTemporaryFile() as handle:\n    print(handle.name.startswith(os.getcwd()))\n"
            "os.remove('sub/notes.txt')\nopen(os.devnull, 'w').write('nothing')\n")
    result = run_python(code)
    assert (result.status, result.output) == ("passed", "kept\nTrue\n"), result.message


@pytest.mark.parametrize(("action", "seen"), [
    ("import socket; socket.socket().connect(('127.0.0.1', 9))", "socket.connect ('127.0.0.1', 9)"),
    ("import socket; socket.getaddrinfo('localhost', 80)", "socket.getaddrinfo"),
    ("import socket; socket.socket().bind(('127.0.0.1', 0))", "socket.bind"),
])
def test_the_network_is_refused(action, seen):
    result = run_python(action)
    assert result.status == "refused" and seen in result.message and "no network" in result.message


@pytest.mark.parametrize("action", [
    "import subprocess; subprocess.run(['true'])",
    "import os; os.system('true')",
    "import os; os.fork()",
    "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
    "import ctypes; ctypes.CDLL('libm.so.6')",
])
def test_processes_signals_and_native_libraries_are_refused(action):
    result = run_python(action)
    assert result.status == "refused" and result.message.startswith("refused: the code tried to ")


def test_a_memory_bomb_fails_in_the_child():
    result = run_python("blocks = []\nwhile True:\n    blocks.append(bytearray(2**20))\n", memory_mb=128)
    assert result.status == "failed" and result.message.startswith("MemoryError")
    assert "128 MB" in result.message and "memory_mb=" in result.message


def test_a_file_too_large_fails():
    result = run_python("open('big.bin', 'wb').write(bytes(11 * 2**20))\n")
    assert result.status == "failed" and "File too large" in result.message and "10 MB" in result.message


def test_the_directory_is_removed_afterwards():
    result = run_python("import os\nopen('left.txt', 'w').write('x')\nprint(os.getcwd())\n")
    workdir = Path(result.output.strip())
    assert result.passed and workdir.name == "work"
    assert not workdir.exists() and not workdir.parent.exists()


def test_the_child_runs_isolated_with_a_minimal_environment(monkeypatch):
    monkeypatch.setenv("TTC_SANDBOX_SECRET", "not for the child")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    result = run_python("import json, os, sys\nprint(json.dumps([sorted(os.environ), sys.flags.isolated]))\n")
    names, isolated = json.loads(result.output)
    assert isolated == 1 and set(names) <= {"PATH", "HOME", "TMPDIR", "LC_ALL", "LC_CTYPE"}


def test_long_output_is_cut_to_its_head_and_tail():
    result = run_python("print('start')\nprint('x' * 50_000)\nprint('end')\n", max_output=1000)
    assert result.passed and len(result.output) < 1100
    assert result.output.startswith("start\n") and result.output.endswith("end\n") and "output cut" in result.output


def test_runs_from_several_threads_at_once_stay_apart():
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: run_python(f"print({n} * {n})"), range(8)))
    assert [result.output for result in results] == [f"{n * n}\n" for n in range(8)]


@pytest.mark.parametrize(("arguments", "named"), [
    ({"timeout": 0}, "timeout=0"), ({"memory_mb": 8}, "memory_mb=8"), ({"max_output": -1}, "max_output=-1"),
])
def test_bad_arguments_are_named(arguments, named):
    with pytest.raises(ValueError, match=named):
        run_python("pass", **arguments)


@pytest.mark.parametrize(("event", "args"), [
    ("open", ("/etc/passwd", "r", os.O_RDONLY)),  # reading is allowed
    ("open", (3, "w", os.O_WRONLY)),  # a file descriptor already open
    ("open", (os.devnull, "w", os.O_WRONLY)),
    ("open", ("/tmp/box/work/sub/new.txt", None, os.O_WRONLY | os.O_CREAT)),
    ("os.remove", ("/tmp/box/work/old.txt", -1)),
    ("ctypes.dlopen", (None,)),  # the C library Python already runs on: ``import ctypes`` needs it
    ("os.listdir", ("/",)),
])
def test_the_guard_allows(event, args):
    assert refusal(event, args, "/tmp/box/work") is None


@pytest.mark.parametrize(("event", "args"), [
    ("open", ("/tmp/box/work/../outside.txt", "w", os.O_WRONLY)),
    ("open", ("/tmp/box/workshop.txt", "a", os.O_WRONLY)),  # a sibling whose name starts the same
    ("os.rename", ("/tmp/box/work/a", "/tmp/elsewhere", -1, -1)),
    ("os.symlink", ("/tmp/box/work/a", "/tmp/link", -1)),
])
def test_the_guard_refuses(event, args):
    assert refusal(event, args, "/tmp/box/work").startswith("refused: the code tried to ")
