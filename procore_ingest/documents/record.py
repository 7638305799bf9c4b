"""Rows and the schema as Vespa documents. Pure functions: no I/O.

A row of table T with primary key K becomes `procore_record` document `T:K` (namespace
`procore_record`), the convention the user's existing index was fed with; names that
could be ambiguous are encoded and secret-looking keys hashed (documents/ids.py). Its id is a
pure function of table and key, and a put replaces the whole document, so replaying a batch
is harmless.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from ..discovery.filerefs import FileRef, dedupe, extract_references
from ..discovery.model import Relationship, SchemaMap, Table, qualify
from ..discovery.sensitive import keyed_hash, secret_key, unsigned_url
from ..plan import TablePlan
from ..vespa.text import vespa_safe_text
from .content import content_parts, content_text_with
from .context import ContextNames, cited_number, context_lines, copied_names, kind_line, name_copies
from .ids import record_id, table_id_part
from .values import Renderer, column_renderer, render_row_with

RECORD_TYPE = "procore_record"
SCHEMA_TYPE = "procore_schema_metadata"
NAMESPACE = "procore_record"
SCHEMA_NAMESPACE = "procore_schema_metadata"
CONTENT_MAX_CHARS = 50_000
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_EPOCH = datetime(1970, 1, 1)  # naive: naive timestamps are UTC


@dataclass
class Document:
    """One Vespa put: document type, namespace, user-specified id and fields."""

    doctype: str
    namespace: str
    id: str
    fields: dict[str, Any]
    table: str = ""  # source table, for reports and failure logs
    file_refs: list[FileRef] = field(default_factory=list)

    @property
    def vespa_id(self) -> str:
        return f"id:{self.namespace}:{self.doctype}::{self.id}"

    def feed_json(self) -> dict[str, Any]:
        """The operation in Vespa's document JSON format (what `vespa feed` reads)."""
        return {"put": self.vespa_id, "fields": self.fields}

    def feed_line(self) -> bytes:
        """The operation as one line of a JSONL feed file: keys sorted, compact, UTF-8."""
        return orjson.dumps(self.feed_json(), option=orjson.OPT_SORT_KEYS) + b"\n"

    def feed_body(self) -> bytes:
        """The body of a /document/v1 put: `{"fields": ...}`, compact UTF-8."""
        return orjson.dumps({"fields": self.fields})

    def feed_size(self) -> int:
        """0: measuring a document that is not encoded yet would cost an encoding."""
        return 0

    def feed_fields(self) -> dict[str, Any]:
        """The fields for one feed request."""
        return self.fields


@dataclass(slots=True)  # not frozen: a frozen dataclass costs ~1.5 us more per document made
class EncodedDocument:
    """A put that is already its feed line: what a worker process (pipeline/build.py) sends
    back. The line is kept as it came, so a feed file writes it unchanged and a batch in flight
    stays as small as its lines; the fields are decoded only when something asks for them.
    Never changed once made (to change a document, build a `Document`)."""

    doctype: str
    namespace: str
    id: str
    line: bytes  # Document.feed_line() of the document it was encoded from
    table: str = ""
    file_refs: list[FileRef] = field(default_factory=list)

    @property
    def vespa_id(self) -> str:
        return f"id:{self.namespace}:{self.doctype}::{self.id}"

    @property
    def fields(self) -> dict[str, Any]:
        """Decoded from the line on each use (not kept: see the class)."""
        return orjson.loads(self.line)["fields"]

    def feed_json(self) -> dict[str, Any]:
        return {"put": self.vespa_id, "fields": self.fields}

    def feed_line(self) -> bytes:
        return self.line

    def feed_body(self) -> bytes:
        """Cut from the line: its last key is "put" (keys sorted), whose string value holds no
        raw `,"put":`."""
        return self.line[:self.line.rindex(b',"put":')] + b"}"

    def feed_size(self) -> int:
        return len(self.line)

    def feed_fields(self) -> dict[str, Any]:
        return self.fields


# What the sinks (vespa/) and the pipeline take: either form. Both answer the same questions
# (doctype, namespace, id, table, file_refs, vespa_id, fields, feed_json, feed_line, feed_body,
# feed_size, feed_fields) alike: the same feed line byte for byte, the same body and fields as
# JSON. A sink never needs to know which one it holds.
FeedDocument = Document | EncodedDocument


# Documents built in a worker process (procore_ingest.pipeline.build) travel to the main process as
# columns: their feed lines in one bytes object, with ids and file references beside it.
# orjson writes that several times faster than pickle copies the dicts document by document.

PackedDocuments = tuple[list[tuple[str, str, str, str]], bytes, list[int], list[list[FileRef]]]


def pack_documents(docs: Sequence[FeedDocument]) -> PackedDocuments:
    """(doctype, namespace, id, table) of each, their feed lines joined, where each ends, refs."""
    lines = [d.feed_line() for d in docs]
    return ([(d.doctype, d.namespace, d.id, d.table) for d in docs], b"".join(lines),
            list(itertools.accumulate(map(len, lines))), [d.file_refs for d in docs])


def unpack_documents(packed: PackedDocuments) -> list[EncodedDocument]:
    names, blob, ends, refs = packed
    docs, start = [], 0
    for (doctype, namespace, doc_id, table), end, file_refs in zip(names, ends, refs, strict=True):
        docs.append(EncodedDocument(doctype, namespace, doc_id, blob[start:end], table, file_refs))
        start = end
    return docs


def _escape_key_part(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def epoch_millis(value: Any, naive_zone: tzinfo | None = None) -> int | None:
    """Epoch milliseconds; naive timestamps are UTC (Prisma stores UTC), or wall-clock time in
    `naive_zone` when given (a mirror writing local time: $PROCORE_NAIVE_TIMEZONE)."""
    if isinstance(value, datetime):
        if value.tzinfo:
            return int(value.timestamp() * 1000)
        if naive_zone is not None:  # an ambiguous hour (DST fall-back) is read as its first pass
            return int(value.replace(tzinfo=naive_zone).timestamp() * 1000)
        # what .replace(tzinfo=utc).timestamp() computes, without the copy
        return int((value - _EPOCH).total_seconds() * 1000)
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp() * 1000)
    return None  # infinity and other values Python cannot hold: leave the field out


def _as_long(value: Any) -> int | None:
    if type(value) is int:  # the usual case, decided without the text comparison below
        return value if _LONG_MIN <= value <= _LONG_MAX else None
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if _LONG_MIN <= number <= _LONG_MAX and str(number) == str(value).strip() else None


def table_description(table: Table) -> str:
    if table.comment:
        return table.comment
    words = table.name.replace("_", " ")
    kind = {"view": "view", "materialized_view": "materialized view"}.get(table.kind, "table")
    cols = ", ".join(c.name for c in table.columns[:12])
    return f"Rows of the {words} {kind} ({table.qualified_name}); columns: {cols}" + (
        ", ..." if len(table.columns) > 12 else "")


# --- building the documents of one table -------------------------------------------------------
#
# Everything that depends only on the plan (which columns, how each is rendered, the JSON of
# the relationships but for the key, the description) is worked out once per plan by
# RowBuilder; per row only the values are rendered. Rows of one table are all built alike.

# json.dumps(obj, sort_keys=True, ensure_ascii=False) without a new encoder per call.
_dumps_sorted = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_json_string = json.encoder.encode_basestring  # json.dumps(s, ensure_ascii=False) of a str
_REF_FIELDS = tuple(f.name for f in dataclasses.fields(FileRef))


class _JsonTemplate:
    """`_dumps_sorted(fields)` for dicts that differ only in the string values of `slots`:
    encoded once with markers in those slots, each row's strings encoded into the gaps.
    The encoder writes each value on its own, so the result is byte for byte the same."""

    def __init__(self, fields: dict[str, Any], slots: tuple[str, ...]) -> None:
        markers = {slot: f"\0{slot}\0" for slot in slots}  # NUL: never in a PostgreSQL name
        text = _dumps_sorted({**fields, **markers})
        found = sorted((text.index(_json_string(m)), slot) for slot, m in markers.items())
        self.order = [slots.index(slot) for _, slot in found]
        self.pieces: list[str] = []
        start = 0
        for position, slot in found:
            self.pieces.append(text[start:position])
            start = position + len(_json_string(markers[slot]))
        self.pieces.append(text[start:])

    def fill(self, *values: str) -> str:
        out = [self.pieces[0]]
        for index, piece in zip(self.order, self.pieces[1:], strict=True):
            out.append(_json_string(values[index]))
            out.append(piece)
        return "".join(out)


# '"name": ' of each FileRef field, in the order sort_keys puts them
_REF_KEYS = [(name, _json_string(name) + ": ") for name in sorted(_REF_FIELDS)]


def _ref_json(ref: FileRef) -> str:
    """`json.dumps(ref.to_dict(), sort_keys=True, ensure_ascii=False)`, written directly: the
    fields are strs or None (None fields left out), so no asdict copy and no encoder. The URL
    is kept without its signing parameters (`unsigned_url`): a presigned URL's credential and
    signature never reach the index; the file itself is fetched with the full URL."""
    if ref.url is not None and type(ref.url) is str:
        ref = dataclasses.replace(ref, url=unsigned_url(ref.url))
    parts = []
    for name, key in _REF_KEYS:
        value = getattr(ref, name)
        if value is None:
            continue
        if type(value) is not str:  # not a FileRef as filerefs makes them: the general way
            return _dumps_sorted(ref.to_dict())
        parts.append(key + _json_string(value))
    return "{" + ", ".join(parts) + "}"


class RowBuilder:
    """The documents of one table's rows. Made once by whoever iterates a table (the sync
    cycle, the ingest job, a worker process, verify) from its plan, which is frozen: all that
    depends only on the plan is worked out here, once, and each row only renders its values."""

    def __init__(self, plan: TablePlan) -> None:
        table = plan.table
        self.plan = plan
        self.name = plan.name
        self.id_table = table_id_part(table.schema, table.name)
        self.id_key = plan.id_key
        self.key_columns = list(plan.key_columns)
        self.hash_key = plan.key_is_secret
        visible = [c for c in table.columns if c.name not in plan.withheld_columns]
        self.metadata = [(c.name, column_renderer(c)) for c in visible]
        content = plan.naming.content_columns if plan.naming else None
        numbers = cited_number(plan.display_name, plan.naming.name_columns if plan.naming else ())
        self.content = content_parts(visible if content is None else [c for c in visible if c.name in content],
                                     numbers)
        self.column_types = {c.name: c.data_type for c in visible}
        self.description = vespa_safe_text(table_description(table))
        self.file_columns = [(f.column_name, f.reference_type) for f in plan.file_columns]
        # a key column the table lacks fails every row (KeyError), as table.column() did
        self.key_renderers = [column_renderer(table.column(c)) for c in plan.key_columns]
        self.outgoing = [self._outgoing_part(rel, table) for rel in plan.outgoing]
        self.incoming = [self._incoming_part(rel) for rel in plan.incoming]
        self.projects_by_id = table.name == "projects" and plan.key_columns == ("id",)
        self.naive_zone = None if plan.naive_timezone == "UTC" else ZoneInfo(plan.naive_timezone)
        self.kind = kind_line(plan.display_name, table.name)
        self.kind_line = context_lines(self.kind, ())
        self.name_copies = name_copies([link.label for link in plan.context_links], [n for n, _, _ in self.content])

    @staticmethod
    def _outgoing_part(rel: Relationship, table: Table) -> tuple[list[str], list, str, bool, _JsonTemplate]:
        target_table = qualify(rel.target_schema, rel.target_table)
        template = _JsonTemplate({
            "target_table": target_table,
            "source_column": rel.source_column,
            "relationship_type": rel.kind,
            "direction": "outgoing",
            "cardinality": rel.cardinality,
            **({"confidence": rel.confidence} if rel.confidence is not None else {}),
        }, ("target_doc_id", "target_id"))
        renderers = [_renderer_of(table, c) for c in rel.source_columns]
        target_id = table_id_part(rel.target_schema, rel.target_table)
        return list(rel.source_columns), renderers, target_id, secret_key(rel.target_columns), template

    @staticmethod
    def _incoming_part(rel: Relationship) -> tuple[str, _JsonTemplate]:
        source_table = qualify(rel.source_schema, rel.source_table)
        template = _JsonTemplate({
            "source_table": source_table,
            "source_column": rel.source_column,
            "relationship_type": rel.kind,
            "cardinality": rel.cardinality,
        }, ("query_hint",))
        hint = f'source_table contains "{source_table}" and metadata{{"{rel.source_columns[0]}"}} contains "'
        return hint, template

    def key(self, row: Mapping[str, Any]) -> str:
        """The row's key as text: `42`, or `k1|k2` for composite keys (`\\` and `|` escaped);
        `hmac-sha256:<hex>` of that when a key column looks secret (documents/ids.py).

        A table without a primary key gets `sha256:<hex>` of the row's rendered content but for
        its withheld columns, so the same row always gets the same id (identical duplicate rows
        share one document) and no secret is hashed into it.
        """
        if self.key_columns:
            parts = [_render_or_empty(row[c], render) for c, render in zip(self.key_columns, self.key_renderers, strict=True)]
            text = parts[0] if len(parts) == 1 else "|".join(_escape_key_part(p) for p in parts)
            return keyed_hash(self.id_key, text) if self.hash_key else text
        content = _dumps_sorted(render_row_with(row, self.metadata))  # withheld columns left out
        return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:32]

    def relationships(self, row: Mapping[str, Any]) -> list[str]:
        out = []
        for columns, renderers, target_table, hashed, template in self.outgoing:
            values = [row.get(c) for c in columns]
            if any(v is None for v in values):
                continue
            if len(values) > 1:
                target_key = "|".join(_escape_key_part(_render_or_empty(v, r))
                                      for v, r in zip(values, renderers, strict=True))
            else:
                target_key = _render_or_empty(values[0], renderers[0])
            if hashed:  # the target's key looks secret: its documents' ids hold the hash
                target_key = keyed_hash(self.id_key, target_key)
            out.append(template.fill(record_id(target_table, target_key), target_key))
        return out

    def file_references(self, row: Mapping[str, Any]) -> list[FileRef]:
        refs = [ref for column, kind in self.file_columns
                for ref in extract_references(row.get(column), column, kind)]
        # each column's references are already without repeats; across columns there may be some
        return refs if len(self.file_columns) < 2 else dedupe(refs)

    def document_id(self, row: Mapping[str, Any]) -> str:
        """The user-specified id of the row's procore_record document."""
        return record_id(self.id_table, self.key(row))

    def documents(self, rows: Sequence[Mapping[str, Any]], ingested_at_ms: int,
                  contexts: Sequence[ContextNames] | None = None) -> list[Document]:
        """`document` of each live row (soft-deleted ones left out, as the plan says);
        `contexts`: each row's context names, in the order of `rows` (`source.context`)."""
        build, soft_deleted = self.document, self.plan.is_soft_deleted
        if contexts is None:
            return [build(row, ingested_at_ms) for row in rows if not soft_deleted(row)]
        return [build(row, ingested_at_ms, names) for row, names in zip(rows, contexts, strict=True)
                if not soft_deleted(row)]

    def document(self, row: Mapping[str, Any], ingested_at_ms: int, context: ContextNames = ()) -> Document:
        """The procore_record document of one row (secret columns already left out by the plan);
        `context`: the names its context links show (`source.context.ContextReader`)."""
        key = self.key(row)
        head = _context_lines(self.kind, tuple(context)) if context else self.kind_line
        doc_id = record_id(self.id_table, key)
        refs = self.file_references(row)
        fields: dict[str, Any] = {
            "doc_id": doc_id,
            "source_table": self.name,
            "source_id": key,
            "metadata": render_row_with(row, self.metadata),
            "relationships": self.relationships(row),
            "incoming_relationships": [template.fill(hint + key + '"') for hint, template in self.incoming],
            "file_references": [_ref_json(r) for r in refs],
            "ingested_at": ingested_at_ms,
            "content_text": content_text_with(row, self.content, max_chars=CONTENT_MAX_CHARS, head=head,
                                              skip=copied_names(self.name_copies, row, context)),
            "table_description": self.description,
            "column_types": dict(self.column_types),  # a copy: documents never share mutable parts
        }
        project = row.get("project_id")
        if project is None and self.projects_by_id:
            project = row.get("id")
        project_long = _as_long(project) if project is not None else None
        if project_long is not None:
            fields["project_id"] = project_long
        for name in ("created_at", "updated_at"):
            millis = epoch_millis(row.get(name), self.naive_zone)
            if millis is not None:
                fields[name] = millis
        return Document(RECORD_TYPE, NAMESPACE, doc_id, fields, table=self.name, file_refs=refs)


@functools.lru_cache(maxsize=8192)
def _context_lines(kind: str, context: tuple[tuple[str, str | None], ...]) -> list[str]:
    """`context_lines`, remembered: rows of a batch mostly show the same few linked rows
    (a project's records all show the project). Callers never change the list."""
    return context_lines(kind, context)


def _renderer_of(table: Table, column: str) -> Renderer:
    """The column's renderer; for a column the table does not have, one that raises the
    KeyError `table.column()` would have raised when a value needed rendering."""
    try:
        return column_renderer(table.column(column))
    except KeyError:
        return functools.partial(_missing_column, column)


def _missing_column(column: str, value: Any) -> str:
    raise KeyError(column)


def _render_or_empty(value: Any, render: Renderer) -> str:
    """`render_value(value, column) or ""`."""
    return "" if value is None else render(value)


# --- the schema itself -----------------------------------------------------------------------


def _rel_json(rel: Relationship, direction: str) -> str:
    other = (qualify(rel.target_schema, rel.target_table) if direction == "outgoing"
             else qualify(rel.source_schema, rel.source_table))
    return json.dumps({
        ("target_table" if direction == "outgoing" else "source_table"): other,
        "source_column": rel.source_column,
        "target_column": rel.target_column,
        "relationship_type": rel.kind,
        "cardinality": rel.cardinality,
    }, sort_keys=True)


def naming_description(plan: TablePlan) -> str:
    """`Shown in search as "RFI"; named by number, subject; context: project_id -> projects
    (as 'project')`: what a table's documents say they are and which names they carry."""
    naming = plan.naming
    names = ", ".join(naming.name_columns) if naming and naming.name_columns else "none (named through its links)"
    links = "; ".join(link.describe() for link in plan.context_links) or "none"
    return f'Shown in search as "{plan.display_name}"; named by {names}; context: {links}'


def schema_documents(schema: SchemaMap, plans: list[TablePlan],
                     row_counts: Mapping[str, int] | None = None) -> list[Document]:
    """`table:{name}` for each planned table and `schema:{database}` for the whole. `row_count`
    is `row_counts[table]` when given (sync: the live rows its last cycle counted), else
    discovery's (PostgreSQL's estimate, exact for a table never analysed)."""
    counts = {p.name: p.table.row_count for p in plans} | dict(row_counts or {})
    docs = []
    for plan in plans:
        t = plan.table
        columns = [json.dumps({"name": c.name, "data_type": c.data_type, "is_nullable": c.is_nullable,
                               "default_value": c.default_value, "withheld": c.name in plan.withheld_columns},
                              sort_keys=True) for c in t.columns]
        naming = naming_description(plan)
        content = " ".join([plan.display_name, t.qualified_name, table_description(t), naming]
                           + [c.name for c in t.columns])
        doc_id = f"table:{table_id_part(t.schema, t.name)}"
        fields: dict[str, Any] = {
            "doc_id": doc_id,
            "metadata_type": "table",
            "database_name": schema.database_name,
            "table_name": plan.name,
            # the deployed schema has no field of its own for these: they are said in words here
            "table_description": f"{table_description(t)}. {naming}",
            "columns": columns,
            "timestamp_columns": [ts.name for ts in t.timestamp_columns],
            "file_reference_columns": [json.dumps({"column_name": f.column_name, "reference_type": f.reference_type,
                                                   "pattern": f.pattern}, sort_keys=True) for f in plan.file_columns],
            "outgoing_relationships": [_rel_json(r, "outgoing") for r in plan.outgoing],
            "incoming_relationships": [_rel_json(r, "incoming") for r in plan.incoming],
            "primary_key": list(plan.key_columns),
            "discovery_timestamp": schema.discovery_timestamp,
            "content_text": vespa_safe_text(content),
        }
        if counts[plan.name] is not None:
            fields["row_count"] = counts[plan.name]
        docs.append(Document(SCHEMA_TYPE, SCHEMA_NAMESPACE, doc_id, fields, table=plan.name))
    summary: dict[str, Any] = {
        "naming": {p.name: p.naming.describe() for p in plans if p.naming is not None},
        "tables": [p.name for p in plans],
        "table_count": len(plans),
        "relationship_count": len(schema.relationships),
        "file_references": {"total_columns": schema.file_references_summary.total_columns,
                            "tables_with_files": schema.file_references_summary.tables_with_files,
                            "estimated_file_count": schema.file_references_summary.estimated_file_count},
    }
    doc_id = f"schema:{schema.database_name}"
    docs.append(Document(SCHEMA_TYPE, SCHEMA_NAMESPACE, doc_id, {
        "doc_id": doc_id,
        "metadata_type": "full_schema",
        "database_name": schema.database_name,
        "discovery_timestamp": schema.discovery_timestamp,
        "schema_summary": json.dumps(summary, sort_keys=True),
        "row_count": sum(counts[p.name] or 0 for p in plans),
        "content_text": vespa_safe_text(f"Database {schema.database_name}: tables " + ", ".join(summary["tables"])),
    }, table=""))
    return docs


# Fields that differ between two renderings of the same row or schema: when it was written.
RECORD_VOLATILE = frozenset({"ingested_at"})
SCHEMA_VOLATILE = frozenset({"discovery_timestamp", "row_count", "schema_summary"})


def schema_fingerprint(docs: list[Document]) -> str:
    """A digest of the schema documents without their timestamps: re-feed only when it moves."""
    stable = [{k: v for k, v in d.fields.items() if k not in SCHEMA_VOLATILE} for d in docs]
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()


def content_digest(fields: Mapping[str, Any], volatile: frozenset[str] = RECORD_VOLATILE) -> int:
    """64 bits of a digest of a document's fields as Vespa keeps them: `volatile` fields left
    out, and empty values too ("", [], {}, null: Vespa stores those as no value, so a visit
    does not return them). A rendered document and the same document visited back from Vespa
    (or read back from a feed file) get the same digest; never 0."""
    kept = {k: v for k, v in fields.items() if v or v == 0}  # None, "", [], {} are falsy and != 0
    for name in volatile:
        kept.pop(name, None)
    digest = hashlib.blake2b(orjson.dumps(kept, option=orjson.OPT_SORT_KEYS), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1
