"""Where documents go: Vespa through pyvespa, or Vespa JSONL feed files (`file://DIR`).

Both sinks take a batch of documents and return, per document, whether it was stored. A batch
is handed back only when every document in it has an outcome, which is what lets the caller
advance its checkpoint safely (at least once, idempotent).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from ..config import redact_url, scrub
from ..documents.record import RECORD_TYPE, Document
from ..errors import ConfigError, VespaConnectionError
from ..logs import logger

# Transient: throttled (429), overloaded or restarting (503), gateway timeout (504), and
# transport failures, which pyvespa reports as 599.
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


class Sink(Protocol):
    description: str

    def check(self) -> None: ...
    def feed(self, docs: list[Document]) -> FeedResult: ...
    def remove(self, ops: list[RemoveOp]) -> FeedResult: ...
    def list_ids(self, doctype: str, namespace: str, source_table: str) -> set[str]: ...
    def close(self) -> None: ...


def _selection_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


DOT_SEGMENT_MESSAGE = ("not sent: the id has a '.' or '..' path segment, which pyvespa's HTTP client "
                       "would resolve into another document's id")


def _dot_segment(doc_id: str) -> bool:
    # pyvespa puts ids into the URL path without encoding '/', and its client normalises the
    # path: 'a/../b' would silently write document 'b'. Such ids are refused, not mangled.
    return any(part in (".", "..") for part in doc_id.split("/"))


@dataclass
class VespaAuth:
    """Vespa Cloud data-plane credentials: mTLS certificate + key, or a token."""

    cert_path: str | None = None
    key_path: str | None = None
    token: str | None = None

    @classmethod
    def from_env(cls) -> VespaAuth:
        from ..config import setting

        return cls(setting(None, "VESPA_CERT_PATH"), setting(None, "VESPA_KEY_PATH"),
                   setting(None, "VESPA_TOKEN"))


class VespaSink:
    """Feeds through pyvespa's `feed_iterable` with bounded concurrency, and retries what
    Vespa throttled or could not take with exponential backoff and jitter, within a budget."""

    def __init__(self, url: str, *, workers: int = 4, auth: VespaAuth | None = None,
                 retry_budget_s: float = 120.0, probe_timeout_s: float = 5.0,
                 content_cluster: str = "content") -> None:
        from vespa.application import Vespa

        auth = auth or VespaAuth()
        self.url = url.rstrip("/")
        self.description = redact_url(self.url)
        self.workers = max(1, workers)
        self.retry_budget_s = retry_budget_s
        self.probe_timeout_s = probe_timeout_s
        self._secret = auth.token
        self.content_cluster = content_cluster
        self.app = Vespa(url=self.url, cert=auth.cert_path, key=auth.key_path,
                         vespa_cloud_secret_token=auth.token)

    def check(self) -> None:
        """VespaConnectionError within `probe_timeout_s` unless the document API answers."""
        from vespa.application import VespaSync

        outcome: dict[str, object] = {}

        def probe() -> None:
            try:
                with VespaSync(self.app, pool_maxsize=1, pool_connections=1, num_retries_429=0) as s:
                    resp = s.get_data(schema="procore_record", data_id="__procore_ingest_probe__",
                                      namespace="procore_record")
                    outcome["status"] = resp.status_code
            except Exception as exc:  # an HTTP error status raised by pyvespa, or a transport failure
                response = getattr(exc, "response", None) or getattr(exc.__cause__, "response", None)
                code = getattr(response, "status_code", None)
                if isinstance(code, int):
                    outcome["status"] = code
                else:
                    outcome["error"] = exc

        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        thread.join(self.probe_timeout_s)
        status = outcome.get("status")
        # Any answer but a server error means Vespa is there (429: there, but busy).
        if thread.is_alive() or "error" in outcome or not isinstance(status, int) or status >= 500:
            reason = (f"no answer within {self.probe_timeout_s:g}s" if thread.is_alive()
                      else scrub(str(outcome.get("error") or f"HTTP {status}"), self._secret).splitlines()[0])
            raise VespaConnectionError(f"cannot reach Vespa at {self.description}: {reason}")
        if status in (401, 403):
            raise VespaConnectionError(f"Vespa at {self.description} refused the credentials (HTTP {status})")

    def _feed_once(self, operation: str, items: list[Any], to_payload: Callable[[Any], dict],
                   group_key: Callable[[Any], tuple[str, str]]) -> dict[str, tuple[int, str]]:
        """One pass through pyvespa; returns id -> (HTTP status, Vespa's message)."""
        outcomes: dict[str, tuple[int, str]] = {}
        lock = threading.Lock()

        def callback(response, doc_id) -> None:
            body = response.json if isinstance(response.json, dict) else {}
            message = str(body.get("message") or body.get("Exception") or "")
            with lock:
                outcomes[doc_id] = (int(response.status_code), scrub(message, self._secret))

        groups: dict[tuple[str, str], list] = {}
        for item in items:
            groups.setdefault(group_key(item), []).append(item)
        for (doctype, namespace), members in groups.items():
            self.app.feed_iterable(
                (to_payload(m) for m in members), schema=doctype, namespace=namespace,
                callback=callback, operation_type=operation, max_workers=self.workers,
                max_connections=self.workers, max_queue_size=max(self.workers * 4, 16),
                num_retries_429=3,
            )
        return outcomes

    def _run(self, operation: str, items: list[Any], to_payload: Callable[[Any], dict],
             group_key: Callable[[Any], tuple[str, str]]) -> FeedResult:
        result = FeedResult()
        pending = []
        for item in items:
            if _dot_segment(item.id):
                result.failures.append(FeedFailure(item.id, item.table, 0, DOT_SEGMENT_MESSAGE))
            else:
                pending.append(item)
        deadline = time.monotonic() + self.retry_budget_s
        attempt = 0
        while pending:
            outcomes = self._feed_once(operation, pending, to_payload, group_key)
            retry = []
            for item in pending:
                status, message = outcomes.get(item.id, (599, "no response"))
                if status == 200:
                    result.ok += 1
                elif status in RETRIABLE and time.monotonic() < deadline:
                    retry.append(item)
                else:
                    result.failures.append(FeedFailure(item.id, item.table, status, message or f"HTTP {status}"))
            if retry:
                attempt += 1
                result.retried += len(retry)
                pause = min(30.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
                pause = max(0.0, min(pause, deadline - time.monotonic()))
                logger.warning("Vespa could not take %d documents (e.g. HTTP %s); retrying in %.1fs",
                               len(retry), outcomes.get(retry[0].id, (599, ""))[0], pause)
                time.sleep(pause)
            pending = retry
        return result

    def feed(self, docs: list[Document]) -> FeedResult:
        return self._run("feed", docs, lambda d: {"id": d.id, "fields": d.feed_fields()},
                         lambda d: (d.doctype, d.namespace))

    def remove(self, ops: list[RemoveOp]) -> FeedResult:
        return self._run("delete", ops, lambda o: {"id": o.id}, lambda o: (o.doctype, o.namespace))

    def list_ids(self, doctype: str, namespace: str, source_table: str) -> set[str]:
        """User-specified ids of the `doctype` documents of one source table (a visit)."""
        selection = f"{doctype}.source_table == {_selection_literal(source_table)}"
        prefix = f"id:{namespace}:{doctype}::"
        ids: set[str] = set()
        try:
            for slice_ in self.app.visit(content_cluster_name=self.content_cluster, schema=doctype,
                                         namespace=namespace, selection=selection,
                                         wanted_document_count=1000, fieldSet="[id]"):
                for response in slice_:
                    if not response.is_successful():
                        raise VespaConnectionError(f"visiting {source_table} in Vespa failed: HTTP {response.status_code}")
                    ids.update(d["id"][len(prefix):] for d in response.documents if d["id"].startswith(prefix))
        except VespaConnectionError:
            raise
        except Exception as exc:
            raise VespaConnectionError(f"visiting {source_table} in Vespa failed: "
                                       f"{scrub(str(exc), self._secret).splitlines()[0] if str(exc) else exc}") from None
        return ids

    def close(self) -> None:
        pass


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
            name = stem.replace("/", "_") + ".jsonl"
            by_file.setdefault(name, []).append(line)
        for name, pieces in by_file.items():
            fd = os.open(self.directory / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                _write_all(fd, pieces)
                os.fsync(fd)
            finally:
                os.close(fd)

    def feed(self, docs: list[Document]) -> FeedResult:
        # lines in Vespa's JSON feed format, as orjson writes them (the same JSON as json.dumps,
        # about ten times faster: feed files are the hot path of `--vespa-url file://`)
        self._append((d.doctype, d.table, d.feed_line()) for d in docs)
        return FeedResult(ok=len(docs))

    def remove(self, ops: list[RemoveOp]) -> FeedResult:
        self._append((o.doctype, o.table, orjson.dumps({"remove": o.vespa_id}) + b"\n") for o in ops)
        return FeedResult(ok=len(ops))

    def list_ids(self, doctype: str, namespace: str, source_table: str) -> set[str]:
        """The ids the feed files leave alive: puts minus later removes, replayed in order."""
        path = self.directory / (source_table.replace("/", "_") + ".jsonl")
        prefix = f"id:{namespace}:{doctype}::"
        alive: set[str] = set()
        if not path.exists():
            return alive
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                op = json.loads(line)
                if "put" in op and op["put"].startswith(prefix):
                    alive.add(op["put"][len(prefix):])
                elif "remove" in op and op["remove"].startswith(prefix):
                    alive.discard(op["remove"][len(prefix):])
        return alive

    def close(self) -> None:
        pass


def open_sink(url: str, *, workers: int = 4, retry_budget_s: float = 120.0,
              auth: VespaAuth | None = None, content_cluster: str | None = None) -> Sink:
    """`file://DIR` gives a FileSink; http(s):// a VespaSink."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileSink(parts.path or parts.netloc)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"invalid Vespa URL {redact_url(url)!r}: expected http(s)://host:port or file://DIR")
    from ..config import setting

    cluster = content_cluster or setting(None, "VESPA_CONTENT_CLUSTER", "content") or "content"
    return VespaSink(url, workers=workers, auth=auth or VespaAuth.from_env(), retry_budget_s=retry_budget_s,
                     content_cluster=cluster)
