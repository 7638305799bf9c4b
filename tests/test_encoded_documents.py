"""A document built in a worker process arrives as its feed line (EncodedDocument). What the
sinks take from it (the feed file's line, byte for byte; the /document/v1 body and the fields,
as JSON) must be what the same document built in the main process gives: the index cannot
tell them apart."""

from __future__ import annotations

import orjson

from procore_ingest.discovery.filerefs import FileRef
from procore_ingest.documents.record import (
    Document,
    EncodedDocument,
    pack_documents,
    unpack_documents,
)
from procore_ingest.vespa.feedfile import FileSink


def _documents() -> list[Document]:
    tricky = {
        "doc_id": "projects:1",
        "source_table": "projects",
        # the marker the /document/v1 body is cut at (`,"put":`) inside the fields: a metadata
        # column named put, escaped in a value; and non-ASCII text
        "content_text": 'say ,"put":"id:x" and "fields" — été ␛ \u2028',
        "metadata": {"b": "2", "a": "1", "put": "a column named put", "nested": '{"put":1}'},
        "relationships": ['{"target_table": "companies"}'],
        "ingested_at": 1765000000000,
        "project_id": 562949953421312,
    }
    refs = [FileRef("attachment", "s3_key", "a/b.pdf", None, None, "b.pdf")]
    return [Document("procore_record", "procore_record", "projects:1", tricky, table="projects", file_refs=refs),
            Document("procore_record", "procore_record", "projects:2", {"doc_id": "projects:2"}, table="projects")]


def test_an_encoded_document_gives_the_sinks_the_same_bytes_as_the_document() -> None:
    built = _documents()
    encoded = unpack_documents(pack_documents(built))
    assert [type(d) for d in encoded] == [EncodedDocument, EncodedDocument]
    for doc, enc in zip(built, encoded, strict=True):
        assert (enc.doctype, enc.namespace, enc.id, enc.table, enc.file_refs) == (
            doc.doctype, doc.namespace, doc.id, doc.table, doc.file_refs)
        assert enc.vespa_id == doc.vespa_id
        assert enc.feed_line() == doc.feed_line()
        # the same JSON (an encoded body keeps the line's sorted keys; a fresh one the dict's order)
        assert orjson.loads(enc.feed_body()) == orjson.loads(doc.feed_body()) == {"fields": doc.fields}
        assert enc.fields == doc.fields == enc.feed_fields()
        assert enc.feed_json() == doc.feed_json()
        assert enc.feed_size() == len(doc.feed_line())


def test_a_feed_file_holds_the_same_lines_from_either_form(tmp_path) -> None:
    built = _documents()
    for name, docs in (("plain", built), ("encoded", unpack_documents(pack_documents(built)))):
        sink = FileSink(tmp_path / name)
        sink.check()  # makes the folder, as the CLI does before feeding
        sink.feed(docs)
    plain = (tmp_path / "plain" / "projects.jsonl").read_bytes()
    assert plain == (tmp_path / "encoded" / "projects.jsonl").read_bytes()
    assert plain.count(b"\n") == 2
