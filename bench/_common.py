"""What every benchmark section starts with: when, which commit, which machine."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_header() -> tuple[str, str]:
    """(local time, "commit abc1234 (+ uncommitted changes); Python 3.11.7, 2 cores")."""
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip()
    dirty = " (+ uncommitted changes)" if subprocess.run(
        ["git", "status", "--porcelain", "procore_ingest"], capture_output=True, text=True,
        cwd=ROOT).stdout.strip() else ""
    return now, f"commit {commit}{dirty}; Python {platform.python_version()}, {os.cpu_count()} cores"


def append_results(output: str | os.PathLike[str], text: str) -> Path:
    """Append a section to the results file, with its title when the file is new."""
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        if out.stat().st_size == 0:
            fh.write("# Benchmark results\n\nAppended by the scripts in bench/ (see bench/README.md).\n\n")
        fh.write(text)
    return out
