"""Vespa over HTTP: the /document/v1 API through pyvespa, with retries within a budget, and visits."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..config import redact_url, scrub
from ..documents.record import Document
from ..errors import VespaConnectionError
from ..logs import logger
from .sink import RETRIABLE, FeedFailure, FeedResult, RemoveOp


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
        return {doc_id for doc_id, _ in self.visit(doctype, namespace, source_table, with_fields=False)}

    def visit(self, doctype: str, namespace: str, source_table: str | None,
              with_fields: bool = True) -> Iterator[tuple[str, dict[str, Any] | None]]:
        """(user-specified id, fields) of every `doctype` document of one source table (None:
        every document of the type), a page at a time (visiting with continuation tokens:
        nothing else is held); fields are an empty dict with `with_fields=False` (only ids
        are asked for). Never None: that is how a feed file's remove comes (FileSink.visit)."""
        selection = (f"{doctype}.source_table == {_selection_literal(source_table)}"
                     if source_table is not None else "true")
        prefix = f"id:{namespace}:{doctype}::"
        field_set = f"{doctype}:[document]" if with_fields else "[id]"
        try:
            for slice_ in self.app.visit(content_cluster_name=self.content_cluster, schema=doctype,
                                         namespace=namespace, selection=selection,
                                         wanted_document_count=1000, fieldSet=field_set):
                for response in slice_:
                    if not response.is_successful():
                        raise VespaConnectionError(f"visiting {source_table or doctype} in Vespa failed: "
                                                   f"HTTP {response.status_code}")
                    for d in response.documents:
                        if d["id"].startswith(prefix):
                            yield d["id"][len(prefix):], (d.get("fields", {}) if with_fields else {})
        except VespaConnectionError:
            raise
        except Exception as exc:
            raise VespaConnectionError(f"visiting {source_table or doctype} in Vespa failed: "
                                       f"{scrub(str(exc), self._secret).splitlines()[0] if str(exc) else exc}") from None

    def close(self) -> None:
        pass
