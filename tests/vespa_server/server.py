"""``VespaServer``: the in-process /document/v1 server tests start, break and inspect."""

from __future__ import annotations

import copy
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .api import DEFAULT_MAX_BODY_BYTES, ApiError, DocumentApi, Params, Request, Response, route
from .docid import DocId, PathError, validate_id
from .faults import Faults, LoggedRequest
from .schema import DocumentType, content_clusters, load_schemas
from .store import DocumentStore
from .tls import TlsOptions
from .transport import HAVE_H2, TcpServer

APP_DIR = Path(__file__).resolve().parent.parent / "vespa_app"


class VespaServer:
    """A strict stand-in for a Vespa container's /document/v1 API, on 127.0.0.1 (``http://``, or
    ``https://`` with ``tls``).

    Documents live in the server object, so ``stop()`` then ``start()`` (same port) simulates
    Vespa going down and coming back with its data. All public methods are thread-safe.
    """

    def __init__(
        self,
        schema_dir: str | Path = APP_DIR / "schemas",
        *,
        services_xml: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        strict_types: bool = True,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_wanted_document_count: int = 1024,
        where_chunk_size: int | None = None,
        http2: bool = True,
        tls: TlsOptions | None = None,
        token: str | None = None,
    ) -> None:
        """
        Args:
            schema_dir: directory of ``.sd`` files; their document types are what the server
                accepts.
            services_xml: content clusters and their document types; defaults to the
                ``services.xml`` next to ``schema_dir`` if there is one, else a single cluster
                ``content`` holding every type.
            port: 0 picks a free port (kept across ``stop()`` / ``start()``).
            strict_types: reject JSON values of the wrong JSON type even where real Vespa would
                coerce the scalar text (``"42"`` for a long); see ``values.py``.
            max_body_bytes: POST/PUT bodies above this (after gunzip too) get 413.
            max_wanted_document_count: cap on a non-streamed visit page.
            where_chunk_size: documents per delete-where / update-where response (with a
                continuation while more remain); None processes all in one response.
            http2: serve cleartext HTTP/2 (pyvespa's async client) when ``h2`` is installed.
            tls: serve ``https://`` instead (tests/vespa_server/tls.py): h2 or HTTP/1.1 as ALPN
                chose, and a client certificate signed by ``tls.client_ca`` required if set.
            token: answer every request without ``Authorization: Bearer <token>`` with 401
                (no credentials) or 403 (another token), as Vespa Cloud's token endpoints do.
        """
        self.schemas: dict[str, DocumentType] = load_schemas(schema_dir)
        if services_xml is None:
            candidate = Path(schema_dir).parent / "services.xml"
            services_xml = candidate if candidate.exists() else None
        clusters = content_clusters(services_xml) if services_xml else {}
        self.clusters: dict[str, list[str]] = clusters or {"content": sorted(self.schemas)}
        self.host = host
        self._port = port
        self._http2 = http2
        self.tls = tls
        self._ssl_context = tls.context() if tls is not None else None
        self._token = token
        self._handshake_failures: list[str] = []
        self._stream_resets: list[int] = []
        self._max_body_bytes = max_body_bytes
        self._store = DocumentStore()
        self._api = DocumentApi(
            self.schemas,
            self.clusters,
            self._store,
            strict_types=strict_types,
            max_body_bytes=max_body_bytes,
            max_wanted_document_count=max_wanted_document_count,
            where_chunk_size=where_chunk_size,
        )
        self._faults = Faults()
        self._log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._tcp: TcpServer | None = None
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (``https://`` with TLS) - pass as ``Vespa(url=server.url)``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._tcp is not None

    @property
    def http2(self) -> bool:
        """Whether h2c (pyvespa's async client) is served."""
        return self._http2 and HAVE_H2

    @property
    def cluster(self) -> str:
        """The (first) content cluster name, for ``cluster=`` / ``content_cluster_name``."""
        return next(iter(self.clusters))

    def start(self) -> VespaServer:
        with self._state_lock:
            if self._tcp is not None:
                return self
            tcp = TcpServer(
                (self.host, self._port),
                self._process,
                self._max_body_bytes,
                self._http2,
                self._faults.take_goaway,
                self._ssl_context,
            )
            tcp.handshake_failures = self._handshake_failures  # one list across restarts
            tcp.stream_resets = self._stream_resets
            self._port = tcp.server_address[1]
            thread = threading.Thread(
                target=tcp.serve_forever,
                kwargs={"poll_interval": 0.05},
                daemon=True,
                name=f"vespa-test-server-{self._port}",
            )
            thread.start()
            self._tcp, self._thread = tcp, thread
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection (clients then see connection errors)."""
        with self._state_lock:
            tcp, thread = self._tcp, self._thread
            self._tcp = self._thread = None
        if tcp is None:
            return
        tcp.shutdown()
        tcp.server_close()
        tcp.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> VespaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        *,
        message: str | None = None,
        methods: Iterable[str] | None = None,
        path_prefix: str = "/document/v1/",
        drop_connection: bool = False,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` (Vespa's body for it) or,
        with ``drop_connection``, close the connection without answering. Rules queue up."""
        self._faults.fail_next(n, status, message, methods, path_prefix, drop_connection, body)

    def set_outage(
        self,
        status: int = 503,
        for_requests: int | None = None,
        *,
        message: str | None = None,
        methods: Iterable[str] | None = None,
        path_prefix: str = "/",
    ) -> None:
        """Answer every matching request with ``status`` - for ``for_requests`` requests, or
        until ``clear_outage()``. Takes precedence over ``fail_next`` rules."""
        self._faults.set_outage(status, for_requests, message, methods, path_prefix)

    def clear_outage(self) -> None:
        self._faults.clear_outage()

    def set_delay(
        self,
        seconds: float,
        *,
        methods: Iterable[str] | None = None,
        path_prefix: str = "/document/v1/",
    ) -> None:
        """Sleep before handling each matching request. If a request's ``timeout`` parameter is
        shorter, it gets Vespa's 504 ("Timeout after <ms>ms") after that timeout instead."""
        self._faults.set_delay(seconds, methods, path_prefix)

    def reject_ids(
        self,
        predicate: Callable[[str], bool],
        status: int = 400,
        message: str | None = None,
        *,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Fail single-document requests whose user-specified id (the part after ``::``,
        decoded) satisfies ``predicate``."""
        self._faults.reject_ids(predicate, status, message, methods)

    def goaway_after(self, n: int) -> None:
        """After ``n`` more HTTP/2 requests, the connection that receives the next one answers
        the requests before it, then sends GOAWAY (last stream id: the last one processed) and
        closes; that request and any later ones on the connection are never processed."""
        self._faults.goaway_after(n)

    def clear_faults(self) -> None:
        self._faults.clear()

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request handled so far (oldest first), including injected failures."""
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    @property
    def handshake_failures(self) -> list[str]:
        """One line per TLS handshake the server refused (no client certificate, ...)."""
        return list(self._handshake_failures)

    @property
    def stream_resets(self) -> list[int]:
        """The error code of each HTTP/2 RST_STREAM clients sent (8: CANCEL), oldest first."""
        return list(self._stream_resets)

    def statuses(self, method: str | None = None) -> list[int | None]:
        return [r.status for r in self.requests if method is None or r.method == method]

    # ------------------------------------------------------------------ state

    def documents(self, doctype: str, namespace: str | None = None) -> dict[str, dict[str, Any]]:
        """Full document id -> fields (rendered as a /document/v1 GET returns them)."""
        if doctype not in self.schemas:
            raise KeyError(f"Unknown document type {doctype!r}")
        dt = self.schemas[doctype]
        out: dict[str, dict[str, Any]] = {}
        for d in sorted(self._store.all(), key=lambda d: d.full_id):
            if d.id.doctype != doctype or (namespace is not None and d.id.namespace != namespace):
                continue
            out[d.full_id] = self._api.render_fields(dt, d, None)
        return copy.deepcopy(out)

    def document(self, full_id: str) -> dict[str, Any] | None:
        """The fields of one document by full id (``id:ns:type::x``), or None."""
        d = self._store.get(full_id)
        if d is None:
            return None
        return copy.deepcopy(self._api.render_fields(self.schemas[d.id.doctype], d, None))

    def count(self, doctype: str | None = None) -> int:
        return sum(1 for d in self._store.all() if doctype is None or d.id.doctype == doctype)

    def feed(
        self, doctype: str, user_id: str, fields: dict[str, Any], namespace: str | None = None
    ) -> str:
        """Store a document directly (validated like a POST); returns its full id."""
        doc_id = DocId(namespace or doctype, doctype, user_id)
        try:
            validate_id(doc_id)
        except PathError as e:
            raise ValueError(str(e)) from None
        if doctype not in self.schemas:
            raise KeyError(f"Unknown document type {doctype!r}")
        req = Request("POST", "/feed", body=b"")
        try:
            parsed = self._api.parse_put_fields(req, self.schemas[doctype], doc_id, fields)
        except ApiError as e:
            raise ValueError(str(e)) from None
        self._store.put(doc_id, parsed)
        return str(doc_id)

    def clear(self) -> None:
        """Remove every document."""
        self._store.clear()

    # ------------------------------------------------------------------ per request

    def _process(self, req: Request) -> Response | None:
        path = req.raw_path
        user_id = full_id = None
        try:
            r = route(path)
            if r is not None and r.kind == "document":
                assert r.namespace and r.doctype and r.user_id is not None
                doc_id = DocId(r.namespace, r.doctype, r.user_id, r.number, r.group)
                user_id, full_id = r.user_id, str(doc_id)
        except PathError:
            pass
        resp: Response | None
        injected = True
        # before any fault: a refused request takes none
        refusal = self._bad_authority(req) or self._refuse_credentials(req)
        decision = None if refusal is not None else self._faults.decide(req.method, path, user_id, full_id)
        if refusal is not None:
            resp, injected = refusal, False
        elif decision is not None and decision.drop:
            resp = None
        elif decision is not None:
            resp = Response.json(decision.status, decision.body, full_id)
        else:
            resp = self._delayed(req, full_id)
            if resp is None:
                injected = False
                resp = self._handle(req, full_id)
        query = {k: v[-1] for k, v in req.query.items()}
        entry = LoggedRequest(
            req.method,
            path,
            query,
            None if resp is None else resp.status,
            full_id,
            req.protocol,
            injected,
        )
        with self._log_lock:
            self._log.append(entry)
        return resp

    @staticmethod
    def _bad_authority(req: Request) -> Response | None:
        """400 for a Host / :authority that is not host[:port], as Jetty answers: an IPv6
        literal must be in brackets ("[::1]:8080"), or its last part reads as the port."""
        value = req.headers.get("host")
        if value is None:
            return None
        host, port = value, ""
        if value.startswith("["):
            host, _, rest = value.partition("]")
            ok = bool(host[1:]) and (rest == "" or (rest.startswith(":") and rest[1:].isdigit()))
        else:
            host, _, port = value.partition(":")
            ok = bool(host) and ":" not in port and (port == "" or port.isdigit()) and \
                value.count(":") <= 1
        if ok:
            return None
        return Response.json(400, {"message": f"Bad authority: {value!r}"})

    def _refuse_credentials(self, req: Request) -> Response | None:
        """401 without a bearer token, 403 with another one; None when none is required or it
        is the right one."""
        if self._token is None:
            return None
        given = req.headers.get("authorization")
        if given == f"Bearer {self._token}":
            return None
        if given is None:
            return Response.json(401, {"message": "Unauthorized: no token"})
        return Response.json(403, {"message": "Forbidden: the token is not valid for this endpoint"})

    def _handle(self, req: Request, full_id: str | None) -> Response:
        """The API's answer; a bug in this server becomes a 500 (Vespa's serverError shape)
        with the traceback on stderr, rather than a dropped connection pyvespa would retry."""
        try:
            return self._api.handle(req)
        except Exception as e:
            traceback.print_exc()
            return Response.json(
                500, {"pathId": req.raw_path, "message": f"{type(e).__name__}: {e}"}, full_id
            )

    def _delayed(self, req: Request, full_id: str | None) -> Response | None:
        delay = self._faults.delay_for(req.method, req.raw_path)
        if delay <= 0:
            return None
        timeout_ms: float | None = None
        try:
            timeout_ms = Params(req).timeout_ms()
        except ApiError:  # a malformed timeout is reported by the API itself
            timeout_ms = None
        if timeout_ms is not None and timeout_ms / 1000 < delay:
            time.sleep(timeout_ms / 1000)
            body: dict[str, Any] = {"pathId": req.raw_path}
            if full_id:
                body["id"] = full_id
            body["message"] = f"Timeout after {int(timeout_ms)}ms"
            return Response.json(504, body, full_id)
        time.sleep(delay)
        return None
