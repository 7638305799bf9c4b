"""What the embedded PostgreSQL needs, checked before it starts: each missing piece is one
line saying what to do, instead of a traceback from deep inside pgserver.

pgserver runs PostgreSQL as the calling user, except as root (PostgreSQL refuses to run as
root): then it runs it as the system user `pgserver`, which it creates with `useradd` when it
does not exist, and it makes the data folder and the binaries' folders readable to that user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

# The system user pgserver runs PostgreSQL as when it is started by root.
EMBEDDED_SYSTEM_USER = "pgserver"


@dataclass(frozen=True)
class Host:
    """The facts the checks read, so a test can state them instead of being root."""

    as_root: bool
    path: str  # the PATH `useradd` is looked up in

    @classmethod
    def current(cls) -> Host:
        return cls(as_root=hasattr(os, "geteuid") and os.geteuid() == 0, path=os.environ.get("PATH", ""))


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def check_embedded(data_dir: Path, host: Host | None = None, user: str = EMBEDDED_SYSTEM_USER) -> None:
    """ConfigError (one line, with the fix) unless the embedded server can start in data_dir."""
    host = host or Host.current()
    if importlib.util.find_spec("pgserver") is None:
        raise ConfigError("the embedded PostgreSQL needs pgserver: pip install 'procore-ingest[demo]' "
                          "(python3 scripts/quickstart.py installs it)")
    if host.as_root and not _user_exists(user) and shutil.which("useradd", path=host.path) is None:
        raise ConfigError(f"as root, the embedded PostgreSQL runs as a system user {user!r}, which is created "
                          "with useradd, and useradd is not on PATH: run with PATH=$PATH:/usr/sbin:/sbin, "
                          f"create the user first (useradd {user}), or run as a normal user")
    folder = data_dir.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {folder} for the embedded PostgreSQL ({exc.strerror}): "
                          "run from a folder you can write to") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write to {folder} for the embedded PostgreSQL: run from a folder you can write to")
