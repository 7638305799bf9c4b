"""Vespa over HTTP: puts and removes through the streaming feeder, probes and visits through pyvespa."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import redact_url, scrub
from ..documents.record import FeedDocument
from ..errors import ConfigError, VespaConnectionError
from .feed import Feeder, FeederOptions, FeedOp, document_path
from .sink import FeedFailure, FeedResult, PendingFeed, RemoveOp


def _selection_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


DOT_SEGMENT_MESSAGE = ("not sent: the id has a '.' or '..' path segment, which HTTP servers and "
                       "clients resolve into another document's id")


def _dot_segment(doc_id: str) -> bool:
    # Ids go into the URL path one '/'-separated part at a time (as vespa-feed-client does);
    # a '.' or '..' part is normalised away by HTTP stacks: 'a/../b' would silently write
    # document 'b'. Such ids are refused, not mangled.
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

    def check_paths(self) -> None:
        """ConfigError unless the certificate and key settings name readable files. A value
        holding the PEM text itself (how a secret often travels in CI) is refused without
        being echoed: it may be the private key."""
        for name, value in (("VESPA_CERT_PATH", self.cert_path), ("VESPA_KEY_PATH", self.key_path)):
            if not value:
                continue
            if "-----BEGIN" in value or "\n" in value or "\\n" in value:
                raise ConfigError(f"{name} must be the path of a PEM file, not its contents")
            if not os.path.isfile(value) or not os.access(value, os.R_OK):
                raise ConfigError(f"{name} is not a readable file: {value}")


class VespaSink:
    """Feeds through the streaming HTTP/2 feeder (vespa/feed/: `workers` connections, an
    adaptive in-flight limit, retries within the budget); checks and visits through pyvespa."""

    def __init__(self, url: str, *, workers: int = 4, auth: VespaAuth | None = None,
                 retry_budget_s: float = 120.0, probe_timeout_s: float = 5.0,
                 content_cluster: str = "content") -> None:
        from vespa.application import Vespa

        auth = auth or VespaAuth()
        auth.check_paths()
        self.url = url.rstrip("/")
        self.description = redact_url(self.url)
        self.workers = max(1, workers)
        self.retry_budget_s = retry_budget_s
        self.probe_timeout_s = probe_timeout_s
        self._secret = auth.token
        self.content_cluster = content_cluster
        # the feeder first: it refuses a URL with a password in it before pyvespa sees it
        self.feeder = Feeder(self.url, FeederOptions(
            connections=self.workers, cert_path=auth.cert_path, key_path=auth.key_path,
            token=auth.token, retry_budget_s=retry_budget_s, description=self.description))
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
            if "error" in outcome and self.url.startswith("https://"):
                # pyvespa's transport errors do not say why TLS failed: the feeder's handshake does
                problem = self.feeder.tls_handshake(self.probe_timeout_s)
                reason = problem or (f"{reason} (the feeder's own TLS connection opens: for a private "
                                     "CA, pyvespa's client reads HTTPR_CA_BUNDLE, not SSL_CERT_FILE)")
            raise VespaConnectionError(f"cannot reach Vespa at {self.description}: {reason}")
        if status in (401, 403):
            raise VespaConnectionError(f"Vespa at {self.description} refused the credentials (HTTP {status})")

    def _submit(self, items: Sequence[Any], to_op: Callable[[Any], FeedOp]) -> PendingFeed:
        """Every item into the feeder; the result is there when each has a final outcome."""
        refused = []
        sendable = []
        for item in items:
            if _dot_segment(item.id):
                refused.append(FeedFailure(item.id, item.table, 0, DOT_SEGMENT_MESSAGE))
            else:
                sendable.append(item)
        ops = [to_op(item) for item in sendable]
        ticket = self.feeder.submit(ops)

        def wait() -> FeedResult:
            result = FeedResult(failures=list(refused))
            for item, outcome in zip(sendable, ticket.wait(), strict=True):
                result.retried += max(0, outcome.attempts - 1)  # 0: never sent (the feeder closed)
                if outcome.ok:
                    result.ok += 1
                else:
                    result.failures.append(FeedFailure(item.id, item.table, outcome.status, outcome.message))
            return result

        return PendingFeed(wait, sum(item.feed_size() for item in sendable), ticket.done)

    def submit(self, docs: Sequence[FeedDocument]) -> PendingFeed:
        """Put `docs` without waiting: batches submitted one after another stream together,
        and operations on one document keep their order across them."""
        return self._submit(docs, lambda d: FeedOp(d.vespa_id, "POST", document_path(d.namespace, d.doctype, d.id),
                                                    body_of=d.feed_body))

    def feed(self, docs: Sequence[FeedDocument]) -> FeedResult:
        return self.submit(docs).result()

    def remove(self, ops: list[RemoveOp]) -> FeedResult:
        return self._submit(ops, lambda o: FeedOp(o.vespa_id, "DELETE",
                                                   document_path(o.namespace, o.doctype, o.id))).result()

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
        self.feeder.close()
