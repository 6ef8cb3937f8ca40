"""What runs inside the sandbox's process (:mod:`ttc_modules.sandbox`): limits, a guard, then the code.

:func:`ttc_modules.sandbox.run_python` starts ``python -I -B -u -X utf8 sandbox_child.py SETTINGS``.
:func:`main` then, before a line of the user's code runs:

1. lowers the process's resource limits (address space, CPU seconds, file size, no core files);
2. installs an audit hook (:func:`sys.addaudithook`; hooks cannot be removed) that refuses writes,
   deletions, renames and mode changes outside the sandbox directory, network use, starting or
   signalling processes, and loading native libraries with :mod:`ctypes`;
3. runs the program in a fresh ``__main__`` module.

It reports to the parent through a small JSON-lines file outside the sandbox directory: the first
refused action (``{"refused": "refused: ..."}``), and the last line of an uncaught exception
(``{"error": "ZeroDivisionError: division by zero"}``). A refused action raises
:class:`SandboxRefusal` (a :class:`PermissionError`) in the code; the parent reports ``refused`` even
if the code catches it.

This is a guard against accidents (a model's code deleting a file or looping forever), not a
security boundary against hostile code: C extensions, :mod:`ctypes` calls into the already loaded
C library and ``_posixsubprocess`` are not audited.

Importing this module does nothing; only running it as a script installs the guard.

Example:
    >>> refusal("open", ("/etc/passwd", "w", 0), "/tmp/sandbox/work")
    'refused: the code tried to write /etc/passwd outside its sandbox directory'
    >>> refusal("open", ("/tmp/sandbox/work/notes.txt", "w", 0), "/tmp/sandbox/work") is None
    True
    >>> refusal("socket.connect", (None, ("10.0.0.1", 80)), "/tmp/sandbox/work")
    "refused: the code tried to use the network (socket.connect ('10.0.0.1', 80)); the sandbox has no network"
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
import types

MAX_FILE_BYTES = 10 * 2**20
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
FORBIDDEN = {  # audit event -> what the code tried to do
    "socket.connect": "use the network", "socket.bind": "use the network",
    "socket.sendto": "use the network", "socket.sendmsg": "use the network",
    "socket.getaddrinfo": "use the network", "socket.gethostbyname": "use the network",
    "socket.gethostbyaddr": "use the network",
    "subprocess.Popen": "start a process", "os.system": "start a process", "os.exec": "start a process",
    "os.posix_spawn": "start a process", "os.spawn": "start a process", "os.fork": "start a process",
    "os.forkpty": "start a process", "os.kill": "signal a process", "os.killpg": "signal a process",
}
SHOWN_ARGUMENT = {  # audit event -> the position of the argument worth showing (else all of them)
    "socket.connect": 1, "socket.bind": 1, "socket.sendto": 1, "socket.sendmsg": 1,  # args[0]: the socket
    "subprocess.Popen": 1, "os.exec": 1, "os.posix_spawn": 1, "os.spawn": 2, "os.system": 0,  # the command
}
WHY = {"use the network": "the sandbox has no network", "start a process": "the sandbox runs one process",
       "signal a process": "the sandbox runs one process"}
PATH_EVENTS = {  # audit event -> (verb, positions of the paths it changes in the event's arguments)
    "os.remove": ("remove", (0,)), "os.rmdir": ("remove", (0,)), "shutil.rmtree": ("remove", (0,)),
    "os.rename": ("rename", (0, 1)), "os.chmod": ("change the mode of", (0,)),
    "os.chown": ("change the owner of", (0,)), "os.truncate": ("truncate", (0,)),
    "os.mkdir": ("create", (0,)), "os.symlink": ("create", (1,)), "os.link": ("create", (1,)),
    "os.utime": ("touch", (0,)), "os.setxattr": ("change", (0,)), "os.removexattr": ("change", (0,)),
}


class SandboxRefusal(PermissionError):
    """An action the sandbox does not allow (a write outside its directory, the network, a process)."""


def _short(value: object, width: int = 80) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _described(event: str, args: tuple) -> str:
    """``event argument``: the event's name and its telling argument (``socket.connect ('10.0.0.1', 80)``)."""
    position = SHOWN_ARGUMENT.get(event)
    shown = args[position] if position is not None and position < len(args) else args
    return f"{event} {_short(shown)}" if shown != () else event


def _resolved(path: object) -> str | None:
    """The absolute, symlink-free form of a path argument; None for a file descriptor or a bad value."""
    if isinstance(path, int) or path is None:
        return None
    try:
        return os.path.realpath(os.path.join(os.getcwd(), os.fsdecode(os.fspath(path))))
    except (OSError, TypeError, ValueError):
        return None


def _inside(path: str, workdir: str) -> bool:
    return path == workdir or path.startswith(workdir.rstrip(os.sep) + os.sep)


def _open_refusal(args: tuple, workdir: str) -> str | None:
    path, mode, flags = (tuple(args) + (None, None, 0))[:3]
    writing = bool((flags or 0) & WRITE_FLAGS) or (isinstance(mode, str) and any(c in mode for c in "wax+"))
    full = _resolved(path) if writing else None
    if full is None or full == os.devnull or _inside(full, workdir):
        return None
    return f"refused: the code tried to write {full} outside its sandbox directory"


def _path_refusal(event: str, args: tuple, workdir: str) -> str | None:
    verb, positions = PATH_EVENTS[event]
    for position in positions:
        full = _resolved(args[position]) if position < len(args) else None
        if full is not None and not _inside(full, workdir):
            return f"refused: the code tried to {verb} {full} outside its sandbox directory"
    return None


def refusal(event: str, args: tuple, workdir: str) -> str | None:
    """The one-line refusal of an audit event, or None when the sandbox allows it.

    Args:
        event: the audit event's name (``open``, ``socket.connect``, ``os.remove`` ...).
        args: its arguments, as the audit hook receives them.
        workdir: the sandbox directory (absolute, symlinks resolved); writes inside it are allowed.
    """
    if event == "open":
        return _open_refusal(args, workdir)
    if event in PATH_EVENTS:
        return _path_refusal(event, args, workdir)
    if event in FORBIDDEN:
        action = FORBIDDEN[event]
        return f"refused: the code tried to {action} ({_described(event, args)}); {WHY[action]}"
    if event == "ctypes.dlopen" and args and args[0] is not None:
        return f"refused: the code tried to load the native library {_short(args[0])}; the sandbox loads none"
    return None


def _report(fd: int, **record: str) -> None:
    os.write(fd, (json.dumps(record) + "\n").encode())


def install_guard(workdir: str, report_fd: int) -> None:
    """Install the audit hook that refuses what :func:`refusal` refuses, reporting the first refusal."""
    reported = False

    def hook(event: str, args: tuple) -> None:
        nonlocal reported
        message = refusal(event, args, workdir)
        if message is None:
            return
        if not reported:
            reported = True
            _report(report_fd, refused=message)
        raise SandboxRefusal(message)

    sys.addaudithook(hook)


def _limit(kind: int, value: int) -> None:
    """Lower a resource limit (soft and hard) to ``value``, never above the current hard limit."""
    _, hard = resource.getrlimit(kind)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(kind, (value, value))


def set_limits(memory_mb: int, cpu_seconds: int) -> None:
    """Address space, CPU time, file size and core files of this process and anything it starts."""
    _limit(resource.RLIMIT_AS, memory_mb * 2**20)
    _limit(resource.RLIMIT_CPU, cpu_seconds)
    _limit(resource.RLIMIT_FSIZE, MAX_FILE_BYTES)
    _limit(resource.RLIMIT_CORE, 0)


def _last_line(error: BaseException) -> str:
    line = traceback.format_exception_only(type(error), error)[-1].strip()
    lineno = getattr(error, "lineno", None) if isinstance(error, SyntaxError) else None
    return f"{line} (line {lineno})" if lineno else line


def run_program(path: str, report_fd: int) -> None:
    """Run the program at ``path`` as ``__main__``; report an uncaught exception's last line and exit 1."""
    main_module = types.ModuleType("__main__")
    main_module.__file__ = path
    sys.modules["__main__"] = main_module
    sys.argv = [path]
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        exec(compile(source, path, "exec"), main_module.__dict__)
    except SystemExit:
        raise
    except BaseException as error:  # the user's code may raise anything
        _report(report_fd, error=_last_line(error))
        traceback.print_exception(type(error), error, error.__traceback__.tb_next)
        sys.exit(1)


def main(settings: dict) -> None:
    """Limit this process, guard it and run the program (``settings``: see ``ttc_modules.sandbox``)."""
    report_fd = os.open(settings["report"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    set_limits(settings["memory_mb"], settings["cpu_seconds"])
    install_guard(os.path.realpath(settings["workdir"]), report_fd)
    run_program(settings["program"], report_fd)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
