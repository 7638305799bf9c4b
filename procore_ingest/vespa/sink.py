"""Where documents go: the sink protocol, its results, and `open_sink` for a Vespa URL.

Sinks: `vespa.http.VespaSink` (Vespa's /document/v1 API) and `vespa.feedfile.FileSink`
(Vespa JSONL feed files, `file://DIR`); `vespa.targets.open_sink` picks one for a URL.

Both sinks take a batch of documents and return, per document, whether it was stored. A batch
is handed back only when every document in it has an outcome, which is what lets the caller
advance its checkpoint safely (at least once, idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..documents.record import FeedDocument

# Transient: throttled (429), overloaded or restarting (503), gateway timeout (504), and
# transport failures (no HTTP answer at all), which our streaming feeder reports as 599.
RETRIABLE = {429, 503, 504, 599}


@dataclass
class FeedFailure:
    id: str
    table: str
    status: int
    message: str

    def to_dict(self) -> dict:
        return {"id": self.id, "table": self.table, "status": self.status, "message": self.message}


@dataclass
class FeedResult:
    ok: int = 0
    failures: list[FeedFailure] = field(default_factory=list)
    retried: int = 0


@dataclass
class RemoveOp:
    doctype: str
    namespace: str
    id: str
    table: str = ""

    @property
    def vespa_id(self) -> str:
        return f"id:{self.namespace}:{self.doctype}::{self.id}"

    def feed_size(self) -> int:
        return 0  # a remove has no body


class PendingFeed:
    """A batch handed to a sink whose outcomes may still be coming: `result()` waits for all
    of them. `size_bytes`: what its documents hold in memory while in flight, where known
    (documents built in worker processes travel as their feed lines; others count 0)."""

    def __init__(self, wait: Callable[[], FeedResult], size_bytes: int = 0,
                 ready: Callable[[], bool] | None = None) -> None:
        self._wait = wait
        self._ready = ready  # whether every outcome is in (None: only result() tells)
        self._result: FeedResult | None = None
        self.size_bytes = size_bytes

    @classmethod
    def settled(cls, result: FeedResult) -> PendingFeed:
        pending = cls(lambda: result)
        pending._result = result
        return pending

    def done(self) -> bool:
        """Whether `result()` would return at once."""
        if self._result is None and self._ready is not None and self._ready():
            self.result()
        return self._result is not None

    def result(self) -> FeedResult:
        if self._result is None:
            self._result = self._wait()
        return self._result


class Sink(Protocol):
    description: str

    def check(self) -> None: ...
    def feed(self, docs: Sequence[FeedDocument]) -> FeedResult: ...
    # Hand `docs` over without waiting for their outcomes where the sink streams (VespaSink);
    # a sink that answers at once (FileSink) returns a settled PendingFeed.
    def submit(self, docs: Sequence[FeedDocument]) -> PendingFeed: ...
    def remove(self, ops: list[RemoveOp]) -> FeedResult: ...
    def list_ids(self, doctype: str, namespace: str, source_table: str) -> set[str]: ...
    def visit(self, doctype: str, namespace: str, source_table: str | None,
              with_fields: bool = True) -> Iterator[tuple[str, dict[str, Any] | None]]: ...
    def close(self) -> None: ...
