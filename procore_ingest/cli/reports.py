"""Where discovery reports go: files (written atomically) or stdout."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..discovery.model import SchemaMap
from ..discovery.report import to_json, to_markdown
from ..errors import OutputWriteError
from ..settings import ConfigFile
from ..state import atomic_write_text

_RENDER: dict[str, Callable[..., str]] = {"json": to_json, "markdown": to_markdown}


@dataclass(frozen=True)
class ReportTarget:
    format: str  # "json" or "markdown"
    path: Path | None  # None: stdout


def report_paths(output: str | None, fmt: str) -> list[ReportTarget]:
    """The reports `--output`/`--format` ask for. `both` + OUTPUT gives OUTPUT.json and
    OUTPUT.md (a .json or .md suffix on OUTPUT is dropped first); no OUTPUT means stdout,
    JSON first."""
    formats = ["json", "markdown"] if fmt == "both" else [fmt]
    if output is None:
        return [ReportTarget(f, None) for f in formats]
    if fmt != "both":
        return [ReportTarget(fmt, Path(output))]
    stem = Path(output)
    if stem.suffix.lower() in (".json", ".md", ".markdown"):
        stem = stem.with_suffix("")
    return [ReportTarget("json", stem.with_name(stem.name + ".json")),
            ReportTarget("markdown", stem.with_name(stem.name + ".md"))]


def check_writable(targets: list[ReportTarget]) -> None:
    """OutputWriteError now if a report could not be written later."""
    for target in targets:
        if target.path is None:
            continue
        folder = target.path.parent if str(target.path.parent) else Path(".")
        if target.path.is_dir():
            raise OutputWriteError(f"cannot write {target.path}: it is a directory")
        if not folder.is_dir():
            raise OutputWriteError(f"cannot write {target.path}: folder {folder} does not exist")
        if not os.access(folder, os.W_OK) or (target.path.exists() and not os.access(target.path, os.W_OK)):
            raise OutputWriteError(f"cannot write {target.path}: permission denied")


def write_reports(schema: SchemaMap, targets: list[ReportTarget], stdout: TextIO,
                  settings: ConfigFile | None = None) -> list[Path]:
    """Render and write each report (`settings`: the configuration file, for the tables'
    display names, naming columns and context links); returns the files written."""
    written = []
    for target in targets:
        text = _RENDER[target.format](schema, settings=settings)
        if target.path is None:
            stdout.write(text if text.endswith("\n") else text + "\n")
            stdout.flush()
            continue
        try:
            atomic_write_text(target.path, text)
        except OSError as exc:
            raise OutputWriteError(f"cannot write {target.path}: {exc.strerror or exc}") from None
        written.append(target.path)
    return written
