"""Vespa JSONL feed files (`file://DIR`): what `vespa feed` reads, for offline transfer and the demo."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from ..documents.record import RECORD_TYPE, FeedDocument
from ..errors import VespaConnectionError
from ..logs import logger
from .sink import FeedResult, PendingFeed, RemoveOp

_IOV_MAX = 1024  # buffers per writev call (POSIX guarantees at least 16; Linux and macOS: 1024)


def _write_all(fd: int, buffers: list[bytes]) -> None:
    """Write `buffers` in order, gathered by the kernel (os.writev) rather than joined first."""
    writev = getattr(os, "writev", None)
    if writev is None:  # Windows
        buffers, writev = [b"".join(buffers)], lambda fd, chunk: os.write(fd, chunk[0])
    for start in range(0, len(buffers), _IOV_MAX):
        chunk = buffers[start:start + _IOV_MAX]
        written = writev(fd, chunk)
        rest = memoryview(b"".join(chunk))[written:] if written < sum(map(len, chunk)) else b""
        while rest:  # a short write: rare for regular files, finished plainly
            rest = rest[os.write(fd, rest):]


def _drop_torn_tail(fd: int, path: Path) -> None:
    """Cut a last line without its newline (a write cut short: full disk, a killed process),
    so the next append starts on a fresh line instead of being glued onto the fragment. What
    the torn line held was never acknowledged, so a replay or a retry feeds it again."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    keep, end = 0, size
    while end > 0:  # the last newline, read backwards a block at a time
        start = max(0, end - 65536)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    os.ftruncate(fd, keep)
    logger.warning("%s: dropped a torn last line (%d bytes) left by an interrupted write",
                   path, size - keep)


def feed_file_name(table: str) -> str:
    """The feed file of a table: its name with `%` and `/` percent-encoded, so tables `a/b` and
    `a_b` write different files (ordinary names are unchanged)."""
    return table.replace("%", "%25").replace("/", "%2F") + ".jsonl"


class FileSink:
    """Writes Vespa JSONL feed files, one per table (`DIR/<table>.jsonl`; other document types
    in `DIR/_<doctype>.jsonl`), the format `vespa feed` reads:
    `{"put": "id:ns:type::id", "fields": {...}}` and `{"remove": "id:ns:type::id"}`."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.description = f"file://{self.directory}"

    def check(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise VespaConnectionError(f"cannot write feed files to {self.directory}: {exc.strerror}") from None
        if not os.access(self.directory, os.W_OK):
            raise VespaConnectionError(f"cannot write feed files to {self.directory}: permission denied")

    def _append(self, ops: Iterable[tuple[str, str, bytes]]) -> None:
        by_file: dict[str, list[bytes]] = {}
        for doctype, table, line in ops:
            stem = table if doctype == RECORD_TYPE else f"_{doctype}"
            name = feed_file_name(stem)
            by_file.setdefault(name, []).append(line)
        for name, pieces in by_file.items():
            path = self.directory / name
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                _drop_torn_tail(fd, path)
                _write_all(fd, pieces)
                os.fsync(fd)
            finally:
                os.close(fd)

    def feed(self, docs: Sequence[FeedDocument]) -> FeedResult:
        # lines in Vespa's JSON feed format, as orjson writes them (the same JSON as json.dumps,
        # about ten times faster: feed files are the hot path of `--vespa-url file://`)
        self._append((d.doctype, d.table, d.feed_line()) for d in docs)
        return FeedResult(ok=len(docs))

    def submit(self, docs: Sequence[FeedDocument]) -> PendingFeed:
        """Written at once: the batch comes back settled."""
        return PendingFeed.settled(self.feed(docs))

    def remove(self, ops: list[RemoveOp]) -> FeedResult:
        self._append((o.doctype, o.table, orjson.dumps({"remove": o.vespa_id}) + b"\n") for o in ops)
        return FeedResult(ok=len(ops))

    def list_ids(self, doctype: str, namespace: str, source_table: str) -> set[str]:
        """The ids the feed files leave alive: puts minus later removes, replayed in order."""
        alive: set[str] = set()
        for doc_id, fields in self.visit(doctype, namespace, source_table):
            if fields is None:
                alive.discard(doc_id)
            else:
                alive.add(doc_id)
        return alive

    def visit(self, doctype: str, namespace: str, source_table: str | None,
              with_fields: bool = True) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """The table's feed file (None: the file of `doctype`'s documents, for types other than
        procore_record) replayed a line at a time: (id, fields) for each put and (id, None) for
        each remove, in file order, so an id can come more than once and the last word on it
        is what the feed files leave (the caller keeps what it needs). With `with_fields=False`
        a put's fields are an empty dict."""
        if source_table is None and doctype == RECORD_TYPE:
            raise ValueError("procore_record documents are visited one source table at a time")
        path = self.directory / feed_file_name(source_table if source_table is not None else f"_{doctype}")
        prefix = f"id:{namespace}:{doctype}::"
        if not path.exists():
            return
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    op = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    if not line.endswith(b"\n"):  # a torn last line: the next append cuts it
                        logger.warning("%s: skipped a torn last line (line %d, %d bytes)",
                                       path, number, len(line))
                        return
                    raise VespaConnectionError(
                        f"{path}: line {number} is not a Vespa feed operation ({exc.msg}); "
                        "remove or repair that line") from None
                if not isinstance(op, dict):
                    raise VespaConnectionError(
                        f"{path}: line {number} is not a Vespa feed operation; remove or repair that line")
                if "put" in op and op["put"].startswith(prefix):
                    yield op["put"][len(prefix):], (op.get("fields", {}) if with_fields else {})
                elif "remove" in op and op["remove"].startswith(prefix):
                    yield op["remove"][len(prefix):], None

    def close(self) -> None:
        pass
