"""Request handling for /document/v1 and the few other paths pyvespa touches.

Transport independent: ``DocumentApi.handle(Request) -> Response``. Every rule cites the
documented behaviour it mirrors (the /document/v1 API reference and guide, "Document JSON
format", "Documents"); where the docs are silent, Vespa's own handler was read for the status
and message, and the code says so.

Response bodies (reference: /document/v1, "Response formats"):

* ``pathId`` (the raw request path) is always present; ``id`` is present for single document
  operations that reached the document store (get/put/update/remove results, 404, 412);
* ``message`` is present for every failed request. Request parsing errors are 400 with
  ``{"pathId", "message"}`` only - Vespa's handler writes no ``id`` for them.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .docid import DocId, PathError, decode_segment, parse_number, validate_id
from .schema import DocumentType
from .selection import SelectionError, compile_selection, matches
from .store import (
    ContinuationError,
    DocumentStore,
    StoredDoc,
    decode_continuation,
    encode_continuation,
)
from .updates import UpdateError, parse_update
from .values import FieldValueError, is_empty, parse_value, render_value

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
TEST_AND_SET_FAILED = (
    "[UNKNOWN(251013) @ tcp/localhost:19112/default]: "
    "ReturnCode(TEST_AND_SET_CONDITION_FAILED, {reason}) "
)


@dataclass
class Request:
    method: str
    target: str  # raw path plus query, as sent on the wire
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    protocol: str = "HTTP/1.1"
    oversized: bool = False  # the transport discarded a body above the size limit

    @property
    def raw_path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in parse_qsl(urlsplit(self.target).query, keep_blank_values=True):
            out.setdefault(k, []).append(v)
        return out


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    doc_id: str | None = None  # for the request log

    @classmethod
    def json(cls, status: int, obj: Any, doc_id: str | None = None) -> Response:
        data = json.dumps(obj, ensure_ascii=False, allow_nan=True).encode("utf-8")
        return cls(status, data, [("Content-Type", JSON_CONTENT_TYPE)], doc_id)

    def json_body(self) -> Any:
        return json.loads(self.body) if self.body else None


class ApiError(Exception):
    """Stop handling with this status and body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


# ----------------------------------------------------------------------------- parameters


class Params:
    """Request parameters with Vespa's rules: the last value wins, and an empty value is a 400."""

    def __init__(self, req: Request) -> None:
        self.req = req
        self.values = req.query

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str) -> str | None:
        if name not in self.values:
            return None
        value = self.values[name][-1]
        if value == "":
            raise _bad(self.req, f"Expected non-empty value for request property '{name}'")
        return value

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise _bad(self.req, f"Must specify '{name}' at '{self.req.raw_path}'")
        return value

    def disallow(self, *names: str) -> None:
        for name in names:
            if name in self.values:
                raise _bad(self.req, f"May not specify '{name}' at '{self.req.raw_path}'")

    def integer(self, name: str, bits: int = 32) -> int | None:
        """Integer.parseInt (or Long.parseLong with ``bits=64``) of the parameter."""
        value = self.get(name)
        if value is None:
            return None
        limit = 2 ** (bits - 1)
        if not re.fullmatch(r"[+-]?\d+", value) or not -limit <= int(value) < limit:
            raise _bad(self.req, f"Failed parsing '{value}': For input string: \"{value}\"")
        return int(value)

    def boolean(self, name: str) -> bool | None:
        value = self.get(name)
        return None if value is None else value.lower() == "true"  # Boolean.parseBoolean

    def timeout_ms(self, name: str = "timeout") -> float | None:
        """Seconds, or a number with a ks, s, ms or µs unit (reference: "timeout")."""
        value = self.get(name)
        if value is None:
            return None
        m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ks|s|ms|µs|us)?\s*", value)
        if not m:
            raise _bad(self.req, f"Failed parsing '{value}': Invalid number '{value}'")
        scale = {"ks": 1e6, "s": 1e3, "ms": 1.0, "µs": 1e-3, "us": 1e-3, None: 1e3}[m.group(2)]
        return float(m.group(1)) * scale


def _bad(req: Request, message: str) -> ApiError:
    return ApiError(400, {"pathId": req.raw_path, "message": message})


# ----------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Route:
    kind: str  # "root", "collection", "document"
    namespace: str | None = None
    doctype: str | None = None
    number: int | None = None
    group: str | None = None
    user_id: str | None = None


_API_PATHS = [
    "/document/v1/",
    "/document/v1/{namespace}/{documentType}/docid/",
    "/document/v1/{namespace}/{documentType}/group/{group}/",
    "/document/v1/{namespace}/{documentType}/number/{number}/",
    "/document/v1/{namespace}/{documentType}/docid/{*}",
    "/document/v1/{namespace}/{documentType}/group/{group}/{*}",
    "/document/v1/{namespace}/{documentType}/number/{number}/{*}",
]
_ALLOWED = {
    "root": ("DELETE", "GET", "POST"),
    "collection": ("DELETE", "GET", "POST", "PUT"),
    "document": ("DELETE", "GET", "POST", "PUT"),
}


def route(raw_path: str) -> Route | None:
    """Match a raw path against the documented /document/v1 path forms."""
    if raw_path in ("/document/v1", "/document/v1/"):
        return Route("root")
    if not raw_path.startswith("/document/v1/"):
        return None
    segs = raw_path[len("/document/v1/") :].split("/")
    if len(segs) < 3 or not segs[0] or not segs[1]:
        return None
    ns, dt = decode_segment(segs[0]), decode_segment(segs[1])
    mode, rest = segs[2], segs[3:]
    number: int | None = None
    group: str | None = None
    if mode in ("group", "number"):
        if not rest or not rest[0]:
            return None
        if mode == "number":
            number = parse_number(decode_segment(rest[0]))
        else:
            group = decode_segment(rest[0])
        rest = rest[1:]
    elif mode != "docid":
        return None
    if not rest or rest == [""]:
        return Route("collection", ns, dt, number, group)
    user_id = "/".join(decode_segment(s) for s in rest)
    return Route("document", ns, dt, number, group, user_id)


# ----------------------------------------------------------------------------- field sets


def _field_set(spec: str | None, dt: DocumentType | None, req: Request) -> set[str] | None:
    """Fields to return for a fieldSet (reference: "Documents", Fieldsets); None means all."""
    if spec is None or spec in ("[all]", "[document]"):
        return None
    if spec in ("[id]", "[none]"):
        return set()
    if ":" not in spec:
        raise _bad(req, f"Unknown field set '{spec}'")
    type_name, names = spec.split(":", 1)
    if dt is not None and type_name != dt.name:
        raise _bad(req, f"Field set '{spec}' is for document type '{type_name}', not '{dt.name}'")
    if names == "[document]":
        return None
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    if dt is not None:
        unknown = sorted(wanted - set(dt.fields))
        if unknown:
            raise _bad(req, f"Unknown field '{unknown[0]}' in field set '{spec}'")
    return wanted


def _visit_field_set(
    spec: str | None, types: dict[str, DocumentType], req: Request
) -> Callable[[DocumentType], set[str] | None]:
    """Per document type field selection for a visit; ``type:f1,f2`` is checked up front."""
    if spec is None or spec.startswith("["):
        fixed = _field_set(spec, None, req)
        return lambda dt: fixed
    type_name = spec.split(":", 1)[0]
    if type_name not in types:
        raise _bad(req, f"Unknown document type '{type_name}' in field set '{spec}'")
    chosen = _field_set(spec, types[type_name], req)
    return lambda dt: chosen if dt.name == type_name else set()


# ----------------------------------------------------------------------------- the API


class DocumentApi:
    def __init__(
        self,
        types: dict[str, DocumentType],
        clusters: dict[str, list[str]],
        store: DocumentStore,
        *,
        strict_types: bool = True,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_wanted_document_count: int = 1024,
        where_chunk_size: int | None = None,
    ) -> None:
        self.types = types
        self.clusters = clusters
        self.store = store
        self.strict_types = strict_types
        self.max_body_bytes = max_body_bytes
        self.max_wanted_document_count = max_wanted_document_count
        self.where_chunk_size = where_chunk_size

    # --------------------------------------------------------------- entry

    def handle(self, req: Request) -> Response:
        try:
            return self._handle(req)
        except ApiError as e:
            return Response.json(e.status, e.body, e.body.get("id"))

    def _handle(self, req: Request) -> Response:
        path = req.raw_path
        if path in ("/state/v1/health", "/state/v1/health/"):
            return Response.json(200, {"status": {"code": "up"}})
        if path in ("/ApplicationStatus", "/ApplicationStatus/"):
            return Response.json(200, _application_status(self.types))
        if path.startswith("/search"):
            return Response.json(
                400,
                {
                    "root": {
                        "id": "toplevel",
                        "relevance": 1.0,
                        "fields": {"totalCount": 0},
                        "errors": [
                            {
                                "code": 4,
                                "summary": "Invalid query parameter",
                                "message": "The query API (/search/) is not implemented "
                                "by the /document/v1 test server",
                            }
                        ],
                    }
                },
            )
        try:
            r = route(path)
        except PathError as e:
            raise _bad(req, str(e)) from None
        if r is None:
            return Response.json(
                404,
                {
                    "pathId": path,
                    "message": f"Nothing at '{path}'. Available paths are:\n"
                    + "\n".join(_API_PATHS),
                },
            )
        allowed = _ALLOWED[r.kind]
        if req.method == "OPTIONS":
            return Response(204, b"", [("Allow", ",".join(allowed))])
        if req.method not in allowed:
            return Response.json(
                405,
                {
                    "pathId": path,
                    "message": f"'{req.method}' not allowed at '{path}'. "
                    f"Allowed methods are: {', '.join(allowed)}",
                },
            )
        params = Params(req)
        params.integer("tracelevel")
        params.timeout_ms()
        if r.kind == "document":
            return self._document(req, params, r)
        return self._collection(req, params, r)

    # --------------------------------------------------------------- helpers

    def _doctype(self, req: Request, name: str) -> DocumentType:
        dt = self.types.get(name)
        if dt is None:
            # Reference: "400 Bad request. Returned for undefined document types".
            raise _bad(req, f"Document type {name} does not exist")
        return dt

    def _cluster(self, req: Request, wanted: str | None) -> tuple[str, list[str]]:
        if not self.clusters:
            raise _bad(
                req,
                "Your Vespa deployment has no content clusters, so the document API is not enabled",
            )
        if wanted is None:
            if len(self.clusters) > 1:
                raise _bad(
                    req,
                    "Please specify one of the content clusters in your Vespa deployment: '"
                    + "', '".join(self.clusters)
                    + "'",
                )
            return next(iter(self.clusters.items()))
        if wanted not in self.clusters:
            raise _bad(
                req,
                f"Your Vespa deployment has no content cluster '{wanted}', only '"
                + "', '".join(self.clusters)
                + "'",
            )
        return wanted, self.clusters[wanted]

    def _body_json(self, req: Request, doc_id: str | None) -> Any:
        body = _decode_body(req, self.max_body_bytes)
        if not body.strip():
            raise _bad(req, "Could not read document, no document?")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _bad(req, f"Invalid UTF-8 in request body: {e}") from None
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except (json.JSONDecodeError, ValueError) as e:
            raise _bad(req, f"com.fasterxml.jackson.core.JsonParseException: {e}") from None
        if not isinstance(data, dict):
            raise _bad(
                req, f"Expected a JSON object as the document operation, got {type(data).__name__}"
            )
        return data

    def render_fields(
        self, dt: DocumentType, doc: StoredDoc, wanted: set[str] | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in doc.fields.items():
            if wanted is not None and name not in wanted:
                continue
            out[name] = render_value(dt.fields[name], value)
        return out

    def _condition(self, req: Request, text: str | None) -> Callable[[StoredDoc], bool] | None:
        if text is None:
            return None
        try:
            evaluator = compile_selection(text, self.types)
        except SelectionError as e:
            raise _bad(req, f"Failed to parse test and set condition '{text}': {e}") from None
        return lambda d: matches(evaluator, d.selection_view())

    # --------------------------------------------------------------- single documents

    def _document(self, req: Request, params: Params, r: Route) -> Response:
        assert r.namespace is not None and r.doctype is not None and r.user_id is not None
        doc_id = DocId(r.namespace, r.doctype, r.user_id, r.number, r.group)
        try:
            validate_id(doc_id)
        except PathError as e:
            raise _bad(req, str(e)) from None
        dt = self._doctype(req, r.doctype)
        base = {"pathId": req.raw_path, "id": str(doc_id)}
        if req.method == "GET":
            return self._get(req, params, dt, doc_id, base)
        params.get("route")
        if params.boolean("dryRun"):
            # Reference: dryRun, used by vespa-feed-client --speed-test: succeed without writing.
            return Response.json(200, base, str(doc_id))
        if req.method == "POST":
            return self._put(req, params, dt, doc_id, base)
        if req.method == "PUT":
            return self._update(req, params, dt, doc_id, base)
        return self._remove(req, params, doc_id, base)

    def _get(
        self, req: Request, params: Params, dt: DocumentType, doc_id: DocId, base: dict[str, Any]
    ) -> Response:
        if "cluster" in params:
            self._cluster(req, params.get("cluster"))
        wanted = _field_set(params.get("fieldSet"), dt, req)
        doc = self.store.get(str(doc_id))
        if doc is None:
            # Reference: 404 "Not found; the document was not found. This is only used when
            # getting documents." The guide shows the body: just pathId and id.
            return Response.json(404, base, str(doc_id))
        return Response.json(
            200, {**base, "fields": self.render_fields(dt, doc, wanted)}, str(doc_id)
        )

    def parse_put_fields(
        self, req: Request, dt: DocumentType, doc_id: DocId, fields_json: Any
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for name, value in fields_json.items():
            ft = dt.fields.get(name)
            if ft is None:
                raise _bad(
                    req,
                    f"No field '{name}' in the structure of type '{dt.name}', "
                    f"which has the fields: [{', '.join(dt.fields)}]",
                )
            if value is None:
                continue  # a null field value leaves the field unset
            try:
                parsed = parse_value(ft, value, self.strict_types)
            except FieldValueError as e:
                raise _bad(
                    req,
                    f"Error in document '{doc_id}' - could not parse field '{name}' "
                    f"of type '{ft.name()}': {e}",
                ) from None
            if not is_empty(ft, parsed):
                fields[name] = parsed
        return fields

    def _put(
        self, req: Request, params: Params, dt: DocumentType, doc_id: DocId, base: dict[str, Any]
    ) -> Response:
        body = self._body_json(req, str(doc_id))
        # Reference: "Values for id / put / update in the request body are silently dropped. The
        # ID is generated from the request path".
        if not isinstance(body.get("fields"), dict):
            raise _bad(req, f"put of document {doc_id} is missing a 'fields' map")
        fields = self.parse_put_fields(req, dt, doc_id, body["fields"])
        condition, create = self._condition_and_create(req, params, body)
        with self.store.lock:
            existing = self.store.get(str(doc_id))
            if refused := self._refused(existing, condition, create, base, doc_id):
                return refused
            self.store.put(doc_id, fields)
        return Response.json(200, base, str(doc_id))

    def _condition_and_create(
        self, req: Request, params: Params, body: dict[str, Any]
    ) -> tuple[Callable[[StoredDoc], bool] | None, bool]:
        """The test-and-set condition and `create` flag, from the query or the body (the query
        wins, as in Vespa's handler)."""
        condition_text = params.get("condition") or _str_or_none(body.get("condition"))
        create = params.boolean("create")
        if create is None:
            create = body.get("create") is True
        return self._condition(req, condition_text), create

    def _refused(self, existing: StoredDoc | None, condition: Callable[[StoredDoc], bool] | None,
                 create: bool, base: dict, doc_id: Any) -> Response | None:
        """The 412 response when a test-and-set condition fails (the store locked), else None."""
        failed = self._check_condition(existing, condition, create) if condition is not None else None
        return Response.json(412, {**base, "message": failed}, str(doc_id)) if failed else None

    @staticmethod
    def _check_condition(
        existing: StoredDoc | None, condition: Callable[[StoredDoc], bool], create: bool
    ) -> str | None:
        """The 412 message, or None when the operation may go ahead.

        Reference: 412 "is also the result when a condition is specified, but the document
        does not exist"; with create=true a missing document ignores the condition (guide:
        "Conditional updates and puts with create").
        """
        if existing is None:
            if create:
                return None
            return TEST_AND_SET_FAILED.format(reason="Document does not exist")
        if condition(existing):
            return None
        return TEST_AND_SET_FAILED.format(
            reason=f"Condition did not match document nodeIndex=0 bucket={existing.location:016x}"
        )

    def _update(
        self, req: Request, params: Params, dt: DocumentType, doc_id: DocId, base: dict[str, Any]
    ) -> Response:
        body = self._body_json(req, str(doc_id))
        if "fields" not in body:
            raise _bad(req, f"update of document {doc_id} is missing a 'fields' map")
        try:
            ops = parse_update(dt, body["fields"], self.strict_types)
        except UpdateError as e:
            raise _bad(req, str(e)) from None
        condition, create = self._condition_and_create(req, params, body)
        with self.store.lock:
            existing = self.store.get(str(doc_id))
            if refused := self._refused(existing, condition, create, base, doc_id):
                return refused
            if existing is None and not create:
                # Reference: 200 "Attempts to remove or update a non-existent document also
                # yield this status code"; nothing is written.
                return Response.json(200, base, str(doc_id))
            fields = dict(existing.fields) if existing else {}
            for op in ops:
                op(fields)
            self.store.put(doc_id, fields)
        return Response.json(200, base, str(doc_id))

    def _remove(
        self, req: Request, params: Params, doc_id: DocId, base: dict[str, Any]
    ) -> Response:
        condition = self._condition(req, params.get("condition"))
        with self.store.lock:
            existing = self.store.get(str(doc_id))
            if refused := self._refused(existing, condition, False, base, doc_id):
                return refused
            self.store.remove(str(doc_id))
        # Reference: removing a non-existent document is a 200 too.
        return Response.json(200, base, str(doc_id))

    # --------------------------------------------------------------- visits

    def _collection(self, req: Request, params: Params, r: Route) -> Response:
        if r.doctype is not None:
            self._doctype(req, r.doctype)
        if req.method == "GET":
            return self._visit(req, params, r)
        if req.method == "POST":
            # Copy needs a second content cluster; the test app has one.
            self._cluster(req, params.require("destinationCluster"))
            raise _bad(
                req, "Copy visits (POST with a selection) are not supported by the test server"
            )
        return self._process_where(req, params, r)

    def _scope(
        self, req: Request, params: Params, r: Route, cluster_param: str | None
    ) -> tuple[set[str], Callable[[StoredDoc], bool]]:
        """Document types to scan and the combined selection of a visit.

        Mirrors Vespa, which ANDs the selection with the path's document type, ``id.namespace``
        and group (handler: parseCommonParameters).
        """
        cluster, cluster_types = self._cluster(req, cluster_param)
        if r.doctype is not None:
            if r.doctype not in cluster_types:
                raise _bad(
                    req,
                    f"Document type '{r.doctype}' in cluster '{cluster}' is not "
                    "mapped to a known bucket space",
                )
            doctypes = {r.doctype}
        else:
            doctypes = {t for t in cluster_types if t in self.types}
        space = params.get("bucketSpace")
        if space is not None and r.doctype is None:
            if space not in ("default", "global"):
                raise _bad(
                    req,
                    f"Bucket space '{space}' is not a known bucket space; "
                    "expected one of default, global",
                )
            if space == "global":
                doctypes = set()  # the test app has no global document types
        selection_text = params.get("selection")
        evaluator = None
        if selection_text is not None:
            try:
                evaluator = compile_selection(selection_text, self.types)
            except SelectionError as e:
                raise _bad(req, f"Failed to parse selection '{selection_text}': {e}") from None

        def selected(d: StoredDoc) -> bool:
            if r.namespace is not None and d.id.namespace != r.namespace:
                return False
            if r.number is not None and d.id.number != r.number:
                return False
            if r.group is not None and d.id.group != r.group:
                return False
            return evaluator is None or matches(evaluator, d.selection_view())

        return doctypes, selected

    def _slicing(self, req: Request, params: Params) -> tuple[int, int]:
        slices = params.integer("slices")
        slice_id = params.integer("sliceId")
        if (slices is None) != (slice_id is None):
            raise _bad(req, "None or both of 'slices' and 'sliceId' must be set")
        if slices is None or slice_id is None:
            return 1, 0
        if slices <= 0:
            raise _bad(req, "slices must be positive")
        if not 0 <= slice_id < slices:
            raise _bad(req, f"sliceId must be in [0, {slices})")
        return slices, slice_id

    def _after(self, req: Request, params: Params) -> tuple[int, int] | None:
        token = params.get("continuation")
        if token is None:
            return None
        try:
            return decode_continuation(token)
        except ContinuationError as e:
            raise _bad(req, str(e)) from None

    def _visit(self, req: Request, params: Params, r: Route) -> Response:
        cluster_param = params.get("cluster")
        if cluster_param is None and r.doctype is None:
            raise _bad(
                req,
                "Must set 'cluster' parameter to a valid content cluster id when "
                "visiting at a root /document/v1/ level",
            )
        streamed = bool(params.boolean("stream"))
        wanted = params.integer("wantedDocumentCount")
        if wanted is not None and wanted <= 0:
            raise _bad(req, "wantedDocumentCount must be positive")
        concurrency = params.integer("concurrency")
        if concurrency is not None and concurrency <= 0:
            raise _bad(req, "concurrency must be positive")
        if wanted is None:
            wanted = 2**31 - 1 if streamed else 1  # reference defaults: 1, or all when streamed
        elif not streamed:
            wanted = min(
                wanted, self.max_wanted_document_count
            )  # "bounded by an implementation-specific limit"
        doctypes, selected = self._scope(req, params, r, cluster_param)
        slices, slice_id = self._slicing(req, params)
        after = self._after(req, params)
        from_ts = params.integer("fromTimestamp", 64) or 0
        to_ts = params.integer("toTimestamp", 64) or 0
        if to_ts and to_ts < from_ts:
            raise _bad(req, "toTimestamp must be greater than, or equal to, fromTimestamp")
        field_set = _visit_field_set(params.get("fieldSet"), self.types, req)
        page: list[StoredDoc] = []
        more = False
        for d in self.store.scan(doctypes, after, slices, slice_id):
            if d.timestamp_us < from_ts or (to_ts and d.timestamp_us >= to_ts):
                continue
            if not selected(d):
                continue
            if len(page) >= wanted:
                more = True
                break
            page.append(d)
        documents = []
        for d in page:
            dt = self.types[d.id.doctype]
            documents.append({"id": d.full_id, "fields": self.render_fields(dt, d, field_set(dt))})
        body: dict[str, Any] = {"pathId": req.raw_path, "documents": documents}
        if more and page:
            body["continuation"] = encode_continuation(page[-1].scan_key)
        body["documentCount"] = len(documents)
        return Response.json(200, body)

    def _process_where(self, req: Request, params: Params, r: Route) -> Response:
        """DELETE (delete where) and PUT (update where) with a selection."""
        params.disallow("concurrency", "fieldSet", "route", "wantedDocumentCount")
        params.require("selection")
        cluster = params.require("cluster")
        ops = None
        if req.method == "PUT":
            if r.doctype is None:
                raise ApiError(
                    405,
                    {
                        "pathId": req.raw_path,
                        "message": f"'PUT' not allowed at '{req.raw_path}'. "
                        "Allowed methods are: DELETE, GET, POST",
                    },
                )
            update_body = self._body_json(req, None)
            if "fields" not in update_body:
                raise _bad(
                    req, f"update of document id:dummy:{r.doctype}:: is missing a 'fields' map"
                )
            try:
                ops = parse_update(self.types[r.doctype], update_body["fields"], self.strict_types)
            except UpdateError as e:
                raise _bad(req, str(e)) from None
        params.timeout_ms("timeChunk")
        doctypes, selected = self._scope(req, params, r, cluster)
        slices, slice_id = self._slicing(req, params)
        after = self._after(req, params)
        chunk = self.where_chunk_size or 2**31 - 1
        count = 0
        last: tuple[int, int] | None = None
        more = False
        with self.store.lock:
            for d in self.store.scan(doctypes, after, slices, slice_id):
                if not selected(d):
                    continue
                if count >= chunk:
                    more = True
                    break
                if ops is None:
                    self.store.remove(d.full_id)
                else:
                    fields = dict(d.fields)
                    for op in ops:
                        op(fields)
                    self.store.put(d.id, fields)
                count += 1
                last = d.scan_key
        body: dict[str, Any] = {"pathId": req.raw_path}
        if more and last is not None:
            body["continuation"] = encode_continuation(last)
        body["documentCount"] = count
        return Response.json(200, body)


# ----------------------------------------------------------------------------- misc


def _str_or_none(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _reject_constant(name: str) -> Any:
    raise ValueError(
        f"Non-standard token '{name}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow"
    )


def _decode_body(req: Request, limit: int) -> bytes:
    """The request body, gunzipped if sent with Content-Encoding: gzip (pyvespa does so above
    1 KiB). Bodies above the limit are a 413 (guide: "Request size limit")."""
    body = req.body
    if req.oversized or len(body) > limit:
        raise ApiError(
            413,
            {
                "pathId": req.raw_path,
                "message": f"Request content exceeds the limit of {limit} bytes",
            },
        )
    encoding = req.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise ApiError(
            415, {"pathId": req.raw_path, "message": f"Unsupported Content-Encoding '{encoding}'"}
        )
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(body, limit + 1)
    except zlib.error as e:
        raise _bad(req, f"Could not gunzip request body: {e}") from None
    if len(out) > limit:
        raise ApiError(
            413,
            {
                "pathId": req.raw_path,
                "message": f"Request content exceeds the limit of {limit} bytes after decompression",
            },
        )
    return out


def _application_status(types: dict[str, DocumentType]) -> dict[str, Any]:
    return {
        "application": {
            "vespa": {"version": "8.0.0-test"},
            "meta": {
                "name": "default",
                "user": "test",
                "path": "tests/vespa_app",
                "generation": 1,
                "timestamp": 0,
                "date": "",
                "checksum": "",
            },
            "user": {"version": ""},
        },
        "abstractComponents": [],
        "handlers": [
            {
                "id": "com.yahoo.document.restapi.resource.DocumentV1ApiHandler",
                "class": "com.yahoo.document.restapi.resource.DocumentV1ApiHandler",
                "bundle": "test",
                "serverBindings": ["http://*/document/v1/*"],
            }
        ],
        "searchChains": {},
        "documentTypes": sorted(types),
    }
