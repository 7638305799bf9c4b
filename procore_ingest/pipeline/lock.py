"""One run at a time per Vespa target, wherever it was started.

A run (ingestion, a `--once` cycle, a daemon for its whole life) holds an exclusive `flock` on
a lock file whose path is derived from the target, not from the working directory:

    /tmp/procore-sync-<sha256(target identity)[:16]>.lock

(`target_identity`: the URL without credentials, normalised; `--lock-file` picks another path).
The kernel drops the lock when its holder exits, however it exits, so a lock file is never
stale; what the holder wrote into it (pid, command with secrets redacted, target, since when)
is only there to name it to the run that is refused.

`process_kind(pid)` tells whether a pid (from the daemon's pid file) is a live run of ours.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import stat
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import redact_url, scrub
from ..errors import StateError, TargetBusyError
from ..state import utc_now
from ..vespa.targets import target_identity

LOCK_DIR = "/tmp"  # the contract's pid file lives there too; not $XDG_RUNTIME_DIR (unset under cron)
OUR_COMMANDS = ("sync_database", "procore-sync", "procore_ingest", "ingest_database", "procore-ingest")
_SECRET_FLAG = re.compile(r"^--?[\w-]*(password|secret|token|key)[\w-]*$", re.I)


def default_lock_path(vespa_url: str) -> Path:
    """The lock file of a target: the same path from every working directory."""
    folder = Path(LOCK_DIR) if os.path.isdir(LOCK_DIR) else Path(tempfile.gettempdir())
    digest = hashlib.sha256(target_identity(vespa_url).encode()).hexdigest()[:16]
    return folder / f"procore-sync-{digest}.lock"


def redacted_command(argv: list[str] | None = None) -> str:
    """This process's command line with URL passwords and the values of secret-looking flags
    (`--token X`, `--api-key=X`) replaced by `***`."""
    words, hide_next = [], False
    for word in [os.path.basename(sys.executable), *(sys.argv if argv is None else argv)]:
        if hide_next:
            words.append("***")
            hide_next = False
            continue
        flag, eq, _ = word.partition("=")
        if _SECRET_FLAG.match(flag):
            words.append(f"{flag}=***" if eq else word)
            hide_next = not eq
            continue
        words.append(scrub(word))
    return " ".join(words)


@dataclass
class LockHolder:
    """What the holder of a lock file wrote into it."""

    pid: int
    command: str
    target: str  # redacted
    since: str

    def describe(self) -> str:
        return f"pid {self.pid}: {self.command}, since {self.since}"


def read_holder(path: str | os.PathLike[str]) -> LockHolder | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return LockHolder(int(data["pid"]), str(data["command"]), str(data["target"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def process_kind(pid: int) -> str:
    """"dead" (no such process), "ours" (a procore-ingest run of this user's, by its
    /proc/PID/cmdline), or "foreign" (alive, but another program or another user's).
    Without /proc (not Linux) a live pid counts as ours."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "dead"
    except PermissionError:
        return "foreign"  # alive, but not this user's
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():
        return "ours"
    try:
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        uid = proc.stat().st_uid
    except FileNotFoundError:
        return "dead"
    except OSError:
        return "foreign"
    if uid != os.getuid() or not any(name in cmdline for name in OUR_COMMANDS):
        return "foreign"
    return "ours"


def open_lock_file(path: Path) -> int:
    """Open (or create, mode 0600) the lock file at `path` for this user only.

    The lock lives in a shared, world-writable folder, so the path is not trusted: a symlink
    there is never followed (a run would otherwise truncate whatever it points to when it
    writes its holder, the pattern of filelock's CVE-2025-68146), and a file another user
    created (or hard-linked there) is refused rather than used. Both are TargetBusyError,
    the scripts' "busy" outcome, naming the path and `--lock-file`.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if os.path.islink(path):
            raise TargetBusyError(f"lock file {path} is a symbolic link, refused (it is never "
                                      "followed); remove it or pass --lock-file") from None
        owner = _owner(path)
        if owner is not None and owner != os.getuid():
            raise TargetBusyError(f"lock file {path} belongs to another user (uid {owner}); "
                                      "pass --lock-file to use another path") from None
        raise StateError(f"cannot open lock file {path}: {exc.strerror}; "
                         "pass --lock-file to use another path") from None
    info = os.fstat(fd)
    problem = (f"belongs to another user (uid {info.st_uid})" if info.st_uid != os.getuid()
               else "is not a regular file" if not stat.S_ISREG(info.st_mode)
               else "has other names (hard links)" if info.st_nlink != 1 else "")
    if problem:
        os.close(fd)
        raise TargetBusyError(f"lock file {path} {problem}, refused; pass --lock-file to use another path")
    return fd


def _owner(path: Path) -> int | None:
    try:
        return os.lstat(path).st_uid
    except OSError:
        return None


class TargetLock:
    """The exclusive lock of one target, held from `acquire()` to `release()`."""

    def __init__(self, vespa_url: str, path: str | os.PathLike[str] | None = None) -> None:
        self.vespa_url = vespa_url
        self.path = Path(path) if path else default_lock_path(vespa_url)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise TargetBusyError naming the run that holds it."""
        if self._fd is not None:
            return
        fd = open_lock_file(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = read_holder(self.path)
            who = holder.describe() if holder else "another process"
            raise TargetBusyError(f"a run against {redact_url(self.vespa_url)} is already in progress "
                                  f"({who}; lock file {self.path})") from None
        holder = LockHolder(os.getpid(), redacted_command(), redact_url(self.vespa_url), utc_now())
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(asdict(holder), sort_keys=True) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # the file stays (unlinking it would race a waiting run)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> TargetLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
