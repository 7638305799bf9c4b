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


def median_table(rows: list[tuple[str, str, str]]) -> list[str]:
    """A Markdown table of (measurement, median, note) rows."""
    return ["| measurement | median | note |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]


def publish(output: str | os.PathLike[str], lines: list[str]) -> Path:
    """Print a section and append it to the results file."""
    text = "\n".join(lines) + "\n"
    print(text)
    return append_results(output, text)


class TreeRss:
    """Peak resident memory of a process and all its descendants together (worker processes
    included), sampled from /proc every `interval` seconds while the block runs. Linux only:
    elsewhere `peak_mb` stays 0 and callers use the process's own ru_maxrss."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        import threading

        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree_bytes(self) -> int:
        parents, rss = {}, {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            pid = int(stat.parent.name)
            parents[pid], rss[pid] = int(fields[1]), int(fields[21]) * self._page
        members = {self.pid}
        changed = True
        while changed:  # the process, its children, their children...
            changed = False
            for pid, parent in parents.items():
                if parent in members and pid not in members:
                    members.add(pid)
                    changed = True
        return sum(rss.get(pid, 0) for pid in members)

    def _run(self) -> None:
        if not Path("/proc/self/stat").exists():
            return
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self._tree_bytes() / 2**20)
