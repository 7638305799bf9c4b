#!/usr/bin/env python3
"""Quick start, with nothing but Python installed.

    python3 scripts/quickstart.py          # install into .venv, then run the demo end to end
    python3 scripts/quickstart.py test     # install test extras into .venv, run the test suite
    python3 scripts/quickstart.py lint     # install dev extras into .venv, run ruff and mypy (CI does)

The demo starts an embedded PostgreSQL (from PyPI) holding a Procore-shaped database and runs
the project's scripts against it. Extra arguments after `test` go to pytest.
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("PROCORE_VENV", ROOT / ".venv"))


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_installed(extra: str) -> Path:
    """Create .venv if needed and install the project with `extra`, once per pyproject change."""
    if sys.version_info < (3, 10):  # noqa: UP036 - runs under whatever python3 the user has
        sys.exit(f"procore-ingest needs Python 3.10 or newer (this is {sys.version.split()[0]})")
    python = venv_python()
    if not python.exists():
        print(f"[quickstart] creating virtualenv {VENV}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            sys.exit(f"[quickstart] cannot create the virtualenv {VENV} ({exc}): it needs a writable folder "
                     "and Python's venv with pip (Debian/Ubuntu: apt install python3-venv)")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".procore-ingest-{extra}-{digest}"
    if not stamp.exists():
        print(f"[quickstart] installing procore-ingest[{extra}] into {VENV}", flush=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
             "-e", f"{ROOT}[{extra}]"],
            check=True,
        )
        stamp.touch()
    return python


def main(argv: list[str]) -> int:
    if argv[:1] == ["test"]:
        python = ensure_installed("test")
        return subprocess.run([str(python), "-m", "pytest", *argv[1:]], cwd=ROOT).returncode
    if argv[:1] == ["lint"]:
        python = ensure_installed("dev")
        for tool in (["ruff", "check", "procore_ingest", "tests", "bench", "scripts"],
                     ["mypy", "procore_ingest"]):
            print(f"[quickstart] {' '.join(tool)}", flush=True)
            code = subprocess.run([str(python), "-m", *tool], cwd=ROOT).returncode
            if code:
                return code
        return 0
    if argv and argv[0] not in ("demo",):
        print(__doc__)
        return 2
    python = ensure_installed("demo")
    return subprocess.run([str(python), "-m", "procore_ingest.demo.quickstart", *argv[1:]],
                          cwd=ROOT).returncode


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as exc:
        print(f"[quickstart] failed: {' '.join(map(str, exc.cmd))} exited {exc.returncode}",
              file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
