"""What a run tells the person watching it: timestamped report lines, one progress bar per
table, and the closing summary block, in the contract's shape.

The library reports through a `Reporter`; the default one is silent (notebooks), the scripts
pass a `ConsoleReporter`. Report lines go to stdout; log lines (stderr) keep the log format.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

RULE = "═" * 56


class Reporter:
    """Silent: override what you want to see."""

    def line(self, message: str) -> None: ...
    def table_started(self, name: str, total: int | None) -> None: ...
    def table_advanced(self, name: str, rows: int) -> None: ...
    def table_finished(self, name: str) -> None: ...


class ConsoleReporter(Reporter):
    def __init__(self, stream: TextIO | None = None, bars: bool | None = None, width: int = 18) -> None:
        self.stream = stream or sys.stdout
        self.bars = self.stream.isatty() if bars is None else bars
        self.width = width
        self._bar = None
        self._printed_header = False

    def line(self, message: str) -> None:
        from tqdm import tqdm

        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        tqdm.write(f"[{stamp}] {message}", file=self.stream)

    def table_started(self, name: str, total: int | None) -> None:
        if not self.bars:
            return
        from tqdm import tqdm

        if not self._printed_header:
            tqdm.write("\nProcessing tables:", file=self.stream)
            self._printed_header = True
        self._bar = tqdm(
            total=total, desc=f"  {name:<{self.width}}", file=self.stream, leave=True,
            bar_format="{desc}[{bar:40}] {n_fmt}/{total_fmt} ({percentage:3.0f}%)",
            ascii=False, dynamic_ncols=False,
        )

    def table_advanced(self, name: str, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(rows)

    def table_finished(self, name: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"
