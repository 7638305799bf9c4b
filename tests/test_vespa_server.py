"""The /document/v1 test server, driven by pyvespa itself (and by raw HTTP for the protocol)."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import vespa.application as pyvespa_app
from tenacity import stop_after_attempt, wait_none
from vespa.application import Vespa
from vespa.exceptions import VespaError
from vespa.io import VespaResponse

from tests.vespa_server import VespaServer, load_schemas, vespa_server
from tests.vespa_server.schema import parse_sd
from tests.vespa_server.selection import SelectionDoc, SelectionError, compile_selection, matches

RECORD = "procore_record"
NS = RECORD  # pyvespa uses the schema name as namespace by default


def record(i: int, **extra: Any) -> dict[str, Any]:
    fields = {
        "doc_id": f"rfis:{i}",
        "source_table": "rfis" if i % 2 else "submittals",
        "source_id": str(i),
        "project_id": 1000 + i,
        "metadata": {"status": "open", "n": str(i)},
        "relationships": [json.dumps({"target": i + 1})],
        "updated_at": 1_700_000_000_000 + i,
        "content_text": f"record number {i}",
    }
    fields.update(extra)
    return fields


def feed(app: Vespa, docs: list[dict[str, Any]], **kwargs: Any) -> dict[str, VespaResponse]:
    """feed_iterable, returning id -> response passed to the callback."""
    results: dict[str, VespaResponse] = {}

    def callback(response: VespaResponse, doc_id: str) -> None:
        results[doc_id] = response

    app.feed_iterable(docs, schema=RECORD, callback=callback, **kwargs)
    return results


@pytest.fixture
def app(vespa: VespaServer) -> Vespa:
    return Vespa(url=vespa.url)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyvespa's retry policies without their sleeps (same retry conditions and counts)."""
    for name in ("SYNC_REQUEST_RETRY", "THROTTLE_RETRY", "DOCV1_RETRY"):
        policy = getattr(pyvespa_app, name)
        monkeypatch.setattr(pyvespa_app, name, policy.copy(wait=wait_none()))


def raw(server: VespaServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, server.url + path, timeout=10, **kwargs)


def doc_path(user_id: str, doctype: str = RECORD) -> str:
    return f"/document/v1/{doctype}/{doctype}/docid/{user_id}"


# ----------------------------------------------------------------------------- schema


def test_load_schemas_reads_document_fields_and_types() -> None:
    types = load_schemas("tests/vespa_app/schemas")
    assert set(types) == {"procore_record", "procore_schema_metadata", "pdf_page"}
    rec = types[RECORD].fields
    assert rec["project_id"].kind == "long"
    assert rec["metadata"].name() == "Map<string,string>"
    assert rec["relationships"].name() == "Array<string>"
    page = types["pdf_page"].fields
    assert page["embedding"].name() == "tensor<int8>(patch{},v[16])"
    assert page["blur_image"].kind == "raw" and page["is_region"].kind == "bool"
    assert "similarities" not in page  # rank-profile functions are not fields


def test_parse_sd_structs_and_synthetic_fields() -> None:
    (doc,) = parse_sd(
        """
        schema s {
            document s {
                struct person { field name type string {} }
                field people type array<person> { indexing: summary }
                field tags type weightedset<string> { indexing: summary }
                field m type map<int, double> {}
            }
            field synthetic type tensor<float>(x[2]) { indexing: input people | embed }
        }
        """
    )
    assert set(doc.fields) == {"people", "tags", "m"}
    assert doc.fields["people"].element and doc.fields["people"].element.kind == "struct"
    assert doc.fields["m"].name() == "Map<int,double>"


# ----------------------------------------------------------------------------- feed and read


def test_feed_iterable_then_read_back(vespa: VespaServer, app: Vespa) -> None:
    docs = [{"id": str(i), "fields": record(i)} for i in range(20)]
    results = feed(app, docs)
    assert {r.status_code for r in results.values()} == {200}
    assert results["3"].json["id"] == f"id:{NS}:{RECORD}::3"

    got = app.get_data(RECORD, "3")
    assert got.status_code == 200
    assert got.json["fields"] == record(3)
    assert got.json["pathId"] == doc_path("3")
    stored = vespa.documents(RECORD)
    assert len(stored) == 20 and stored[f"id:{NS}:{RECORD}::7"]["project_id"] == 1007


def test_get_missing_is_404_and_delete_missing_is_200(app: Vespa) -> None:
    missing = app.get_data(RECORD, "nope")
    assert missing.status_code == 404
    assert missing.json == {"pathId": doc_path("nope"), "id": f"id:{NS}:{RECORD}::nope"}
    with pytest.raises(requests.HTTPError):
        app.get_data(RECORD, "nope", raise_on_not_found=True)
    deleted = app.delete_data(RECORD, "nope")
    assert deleted.status_code == 200


@pytest.mark.parametrize(
    "user_id",
    ["a:b", "pipe|id", "slash/inside", "with space", "ünïcødé-日本", "q?x#y", "50%", "plus+sign"],
)
def test_special_character_ids_round_trip(vespa: VespaServer, app: Vespa, user_id: str) -> None:
    assert app.feed_data_point(RECORD, user_id, {"doc_id": user_id}).status_code == 200
    full_id = f"id:{NS}:{RECORD}::{user_id}"
    assert vespa.document(full_id) == {"doc_id": user_id}
    got = app.get_data(RECORD, user_id)
    assert got.status_code == 200 and got.json["id"] == full_id


def test_encoded_slash_and_raw_slash_name_the_same_document(vespa: VespaServer) -> None:
    assert (
        raw(vespa, "POST", doc_path("a%2Fb"), json={"fields": {"doc_id": "x"}}).status_code == 200
    )
    got = raw(vespa, "GET", doc_path("a/b"))
    assert got.status_code == 200 and got.json()["id"] == f"id:{NS}:{RECORD}::a/b"


def test_pyvespa_url_normalisation_changes_dot_segment_ids(vespa: VespaServer, app: Vespa) -> None:
    """A client quirk worth knowing: pyvespa quotes ids with ``/`` left unescaped, so its URL
    library resolves ``.`` and ``..`` segments and another document is written."""
    assert (
        app.feed_data_point(RECORD, "x/../y", {"doc_id": "d"}).json["id"] == f"id:{NS}:{RECORD}::y"
    )
    assert vespa.document(f"id:{NS}:{RECORD}::x/../y") is None


def test_group_and_number_paths(vespa: VespaServer) -> None:
    path = f"/document/v1/ns/{RECORD}/group/g1/doc1"
    assert raw(vespa, "POST", path, json={"fields": {"doc_id": "g"}}).json()["id"] == (
        f"id:ns:{RECORD}:g=g1:doc1"
    )
    assert (
        raw(
            vespa,
            "POST",
            f"/document/v1/ns/{RECORD}/number/7/doc2",
            json={"fields": {"doc_id": "n"}},
        ).status_code
        == 200
    )
    visit = raw(
        vespa, "GET", f"/document/v1/ns/{RECORD}/group/g1/", params={"wantedDocumentCount": 10}
    ).json()
    assert [d["id"] for d in visit["documents"]] == [f"id:ns:{RECORD}:g=g1:doc1"]
    sel = raw(
        vespa, "GET", "/document/v1/", params={"cluster": "content", "selection": "id.user == 7"}
    ).json()
    assert [d["id"] for d in sel["documents"]] == [f"id:ns:{RECORD}:n=7:doc2"]


# ----------------------------------------------------------------------------- strictness


def test_unknown_field_is_400_with_vespas_message(app: Vespa) -> None:
    with pytest.raises(
        VespaError, match="No field 'nope' in the structure of type 'procore_record'"
    ):
        app.feed_data_point(RECORD, "1", {"doc_id": "1", "nope": 1})
    results = feed(app, [{"id": "1", "fields": {"nope": 1}}])
    assert results["1"].status_code == 400
    assert "No field 'nope'" in results["1"].json["message"]
    assert results["1"].json["pathId"] == doc_path("1")


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"project_id": "42"}, "real Vespa would coerce"),  # strict mode only
        ({"project_id": "abc"}, 'For input string: "abc"'),
        ({"project_id": 1.5}, 'For input string: "1.5"'),
        ({"project_id": 2**63}, f'For input string: "{2**63}"'),
        ({"doc_id": 12}, "real Vespa would coerce"),
        ({"doc_id": ["a"]}, "Expected a scalar value"),
        ({"doc_id": "bell\x07"}, "illegal code point 0x7"),
        ({"metadata": {"k": 1}}, "real Vespa would coerce"),
        ({"metadata": ["k", "v"]}, "Missing key or value for map entry"),
        ({"metadata": "k=v"}, "Expected start of object"),
        ({"relationships": ["ok", 3]}, "of type 'Array<string>'"),
        ({"relationships": "not-a-list"}, "Expected start of array"),
    ],
)
def test_wrong_value_types_are_400(app: Vespa, fields: dict[str, Any], fragment: str) -> None:
    results = feed(app, [{"id": "bad", "fields": fields}])
    response = results["bad"]
    assert response.status_code == 400, response.json
    assert fragment in response.json["message"]
    assert "could not parse field" in response.json["message"]


def test_lenient_mode_coerces_scalars_like_vespa() -> None:
    with vespa_server(strict_types=False) as server:
        app = Vespa(url=server.url)
        ok = feed(
            app, [{"id": "1", "fields": {"project_id": "42", "doc_id": 7, "metadata": {"k": 1}}}]
        )
        assert ok["1"].status_code == 200
        assert server.document(f"id:{NS}:{RECORD}::1") == {
            "project_id": 42,
            "doc_id": "7",
            "metadata": {"k": "1"},
        }
        bad = feed(app, [{"id": "2", "fields": {"project_id": 1.5}}])
        assert bad["2"].status_code == 400


def test_empty_values_and_nulls_are_not_stored(vespa: VespaServer, app: Vespa) -> None:
    app.feed_data_point(
        RECORD,
        "e",
        {"doc_id": "", "relationships": [], "metadata": {}, "content_text": None, "project_id": 0},
    )
    assert vespa.document(f"id:{NS}:{RECORD}::e") == {"project_id": 0}


def test_protocol_errors(vespa: VespaServer) -> None:
    bad_json = raw(
        vespa,
        "POST",
        doc_path("1"),
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400 and set(bad_json.json()) == {"pathId", "message"}
    no_fields = raw(vespa, "POST", doc_path("1"), json={"put": "id:x:y::z"})
    assert no_fields.status_code == 400 and "missing a 'fields' map" in no_fields.json()["message"]
    unknown_type = raw(vespa, "POST", doc_path("1", "nosuchtype"), json={"fields": {}})
    assert unknown_type.status_code == 400
    assert unknown_type.json()["message"] == "Document type nosuchtype does not exist"
    update_without_op = raw(vespa, "PUT", doc_path("1"), json={"fields": {"doc_id": "x"}})
    assert update_without_op.status_code == 400 and "assign" in update_without_op.json()["message"]
    assert raw(vespa, "PATCH", doc_path("1")).status_code == 405
    assert raw(vespa, "GET", "/document/v1/x").status_code == 404
    empty_param = raw(vespa, "GET", doc_path("1") + "?fieldSet=")
    assert empty_param.status_code == 400
    assert (
        "Expected non-empty value for request property 'fieldSet'" in empty_param.json()["message"]
    )
    assert raw(vespa, "GET", "/document/v1/").status_code == 400  # visiting the root needs cluster
    wrong_cluster = raw(vespa, "GET", "/document/v1/", params={"cluster": "nope"})
    assert "no content cluster 'nope', only 'content'" in wrong_cluster.json()["message"]
    control_char_id = raw(vespa, "POST", doc_path("a%01b"), json={"fields": {}})
    assert "illegal code point 0x1" in control_char_id.json()["message"]
    assert raw(vespa, "GET", "/state/v1/health").json() == {"status": {"code": "up"}}


def test_body_size_limit_and_gzip() -> None:
    with vespa_server(max_body_bytes=2048) as server:
        big = json.dumps({"fields": {"content_text": "x" * 4096}}).encode()
        assert raw(server, "POST", doc_path("big"), data=big).status_code == 413
        # pyvespa gzips bodies above 1 KiB; the limit applies after decompression too.
        assert (
            raw(
                server,
                "POST",
                doc_path("big"),
                data=gzip.compress(big),
                headers={"Content-Encoding": "gzip"},
            ).status_code
            == 413
        )
        small = json.dumps({"fields": {"content_text": "y" * 1500}}).encode()
        ok = raw(
            server,
            "POST",
            doc_path("gz"),
            data=gzip.compress(small),
            headers={"Content-Encoding": "gzip"},
        )
        assert ok.status_code == 200
        assert server.document(f"id:{NS}:{RECORD}::gz") == {"content_text": "y" * 1500}


def test_tensor_and_raw_fields(vespa: VespaServer) -> None:
    blocks = {"0": list(range(16)), "1": "FF" * 16}
    ok = raw(
        vespa,
        "POST",
        doc_path("p1", "pdf_page"),
        json={
            "fields": {
                "embedding": {"blocks": blocks},
                "embedding_float": [
                    {"address": {"patch": "0", "v": str(i)}, "value": 0.5} for i in range(128)
                ],
                "blur_image": "aGVsbG8=",
                "is_region": False,
            }
        },
    )
    assert ok.status_code == 200, ok.json()
    fields = raw(vespa, "GET", doc_path("p1", "pdf_page")).json()["fields"]
    assert fields["embedding"]["type"] == "tensor<int8>(patch{},v[16])"
    assert fields["embedding"]["blocks"]["1"] == [-1.0] * 16
    assert fields["blur_image"] == "aGVsbG8="
    assert fields["is_region"] is False
    wrong_size = raw(
        vespa,
        "POST",
        doc_path("p2", "pdf_page"),
        json={"fields": {"embedding": {"blocks": {"0": [1, 2, 3]}}}},
    )
    assert (
        wrong_size.status_code == 400
        and "Expected 16 values, but got 3" in wrong_size.json()["message"]
    )
    dense_values = raw(
        vespa,
        "POST",
        doc_path("p3", "pdf_page"),
        json={"fields": {"embedding": {"values": [1] * 16}}},
    )
    assert (
        dense_values.status_code == 400
        and "only be used with dense tensors" in dense_values.json()["message"]
    )


# ----------------------------------------------------------------------------- updates


def test_partial_updates(vespa: VespaServer, app: Vespa) -> None:
    app.feed_data_point(RECORD, "u", record(1))
    full_id = f"id:{NS}:{RECORD}::u"
    assert app.update_data(RECORD, "u", {"project_id": 5, "content_text": "new"}).status_code == 200
    ops = {
        "relationships": {"add": ["r2", "r3"]},
        "metadata{status}": {"assign": "closed"},
        "metadata{n}": {"remove": 0},
        "updated_at": {"increment": 10},
    }
    assert app.update_data(RECORD, "u", ops, auto_assign=False).status_code == 200
    doc = vespa.document(full_id)
    assert doc is not None
    assert doc["project_id"] == 5 and doc["content_text"] == "new"
    assert doc["relationships"][-2:] == ["r2", "r3"]
    assert doc["metadata"] == {"status": "closed"}
    assert doc["updated_at"] == 1_700_000_000_011
    app.update_data(RECORD, "u", {"relationships": {"remove": ["r2"]}}, auto_assign=False)
    assert "r2" not in vespa.document(full_id)["relationships"]  # type: ignore[index]
    with pytest.raises(VespaError, match="does not know how to handle"):
        app.update_data(RECORD, "u", {"metadata": {"add": {"k": "v"}}}, auto_assign=False)
    with pytest.raises(VespaError, match="Error in 'nope'"):
        app.update_data(RECORD, "u", {"nope": 1})


def test_update_missing_document_with_and_without_create(vespa: VespaServer, app: Vespa) -> None:
    response = app.update_data(RECORD, "ghost", {"project_id": 1})
    assert response.status_code == 200  # documented: updating a missing document is a 200
    assert vespa.count(RECORD) == 0
    assert app.update_data(RECORD, "ghost", {"project_id": 1}, create=True).status_code == 200
    assert vespa.document(f"id:{NS}:{RECORD}::ghost") == {"project_id": 1}


def test_conditions_give_412(vespa: VespaServer, app: Vespa) -> None:
    app.feed_data_point(RECORD, "c", record(1))
    ok = raw(
        vespa,
        "PUT",
        doc_path("c"),
        params={"condition": f"{RECORD}.project_id == 1001"},
        json={"fields": {"content_text": {"assign": "guarded"}}},
    )
    assert ok.status_code == 200
    failed = raw(
        vespa,
        "PUT",
        doc_path("c"),
        params={"condition": f"{RECORD}.project_id == 1"},
        json={"fields": {"content_text": {"assign": "nope"}}},
    )
    assert failed.status_code == 412 and "TEST_AND_SET_CONDITION_FAILED" in failed.json()["message"]
    assert failed.json()["id"] == f"id:{NS}:{RECORD}::c"
    missing = raw(vespa, "DELETE", doc_path("gone"), params={"condition": f"{RECORD}"})
    assert missing.status_code == 412
    upsert = raw(
        vespa,
        "POST",
        doc_path("gone"),
        params={"condition": f"{RECORD}.project_id == 1", "create": "true"},
        json={"fields": {"doc_id": "created"}},
    )
    assert upsert.status_code == 200
    bad = raw(vespa, "DELETE", doc_path("c"), params={"condition": "project_id == 1"})
    assert bad.status_code == 400  # bare field names are not valid: use <doctype>.<field>


# ----------------------------------------------------------------------------- visiting


def test_visit_with_continuation_returns_every_document_once(
    vespa: VespaServer, app: Vespa
) -> None:
    feed(app, [{"id": str(i), "fields": record(i)} for i in range(23)])
    pages = [
        page
        for slice_ in app.visit("content", schema=RECORD, wanted_document_count=5)
        for page in slice_
    ]
    ids = [d["id"] for page in pages for d in page.documents]
    assert len(pages) == 5 and sorted(ids) == sorted(vespa.documents(RECORD))
    assert len(ids) == len(set(ids)) == 23
    assert all(p.continuation for p in pages[:-1]) and pages[-1].continuation is None
    assert [p.number_documents_retrieved for p in pages] == [5, 5, 5, 5, 3]


def test_slices_partition_the_corpus(vespa: VespaServer, app: Vespa) -> None:
    feed(app, [{"id": str(i), "fields": record(i)} for i in range(40)])
    per_slice = []
    for slice_id in range(3):
        (gen,) = list(
            app.visit(
                "content", schema=RECORD, slices=3, slice_id=slice_id, wanted_document_count=7
            )
        )
        per_slice.append({d["id"] for page in gen for d in page.documents})
    assert all(per_slice)
    assert set.union(*per_slice) == set(vespa.documents(RECORD))
    assert sum(len(s) for s in per_slice) == 40
    together = {
        d["id"]
        for slice_ in app.visit("content", schema=RECORD, slices=3)
        for page in slice_
        for d in page.documents
    }
    assert len(together) == 40


def test_visit_selection_fieldset_and_errors(vespa: VespaServer, app: Vespa) -> None:
    feed(app, [{"id": str(i), "fields": record(i)} for i in range(10)])
    app.feed_data_point("procore_schema_metadata", "m", {"doc_id": "m", "row_count": 3})
    selection = f'{RECORD}.source_table == "rfis" and {RECORD}.project_id > 1004'
    got = raw(
        vespa,
        "GET",
        f"/document/v1/{NS}/{RECORD}/docid",
        params={
            "selection": selection,
            "wantedDocumentCount": 100,
            "fieldSet": f"{RECORD}:project_id",
        },
    ).json()
    assert sorted(d["fields"]["project_id"] for d in got["documents"]) == [1005, 1007, 1009]
    assert all(set(d["fields"]) == {"project_id"} for d in got["documents"])
    assert "continuation" not in got and got["documentCount"] == 3
    everything = raw(
        vespa,
        "GET",
        "/document/v1/",
        params={"cluster": "content", "wantedDocumentCount": 100, "fieldSet": "[id]"},
    ).json()
    assert everything["documentCount"] == 11
    assert all(d["fields"] == {} for d in everything["documents"])
    unsupported = raw(
        vespa,
        "GET",
        "/document/v1/",
        params={"cluster": "content", "selection": f"{RECORD}.nope == 1"},
    )
    assert unsupported.status_code == 400
    streamed = raw(vespa, "GET", f"/document/v1/{NS}/{RECORD}/docid", params={"stream": "true"})
    assert streamed.json()["documentCount"] == 10


def test_delete_all_docs_uses_delete_where(app: Vespa) -> None:
    with vespa_server(where_chunk_size=4) as server:
        app = Vespa(url=server.url)
        feed(app, [{"id": str(i), "fields": record(i)} for i in range(10)])
        app.feed_data_point("procore_schema_metadata", "keep", {"doc_id": "keep"})
        app.delete_all_docs("content", RECORD, slices=2)
        assert server.count(RECORD) == 0 and server.count() == 1
        deletes = [r for r in server.requests if r.method == "DELETE"]
        assert any("continuation" in r.query for r in deletes)  # chunked, like Vespa's timeChunk
        no_selection = raw(
            server, "DELETE", f"/document/v1/{NS}/{RECORD}/docid", params={"cluster": "content"}
        )
        assert "Must specify 'selection'" in no_selection.json()["message"]


def test_update_where(vespa: VespaServer, app: Vespa) -> None:
    feed(app, [{"id": str(i), "fields": record(i)} for i in range(6)])
    response = raw(
        vespa,
        "PUT",
        f"/document/v1/{NS}/{RECORD}/docid",
        params={"cluster": "content", "selection": f'{RECORD}.source_table == "rfis"'},
        json={"fields": {"content_text": {"assign": "bulk"}}},
    )
    assert response.status_code == 200 and response.json()["documentCount"] == 3
    texts = {d["content_text"] for d in vespa.documents(RECORD).values()}
    assert "bulk" in texts and len(texts) == 4


def test_selection_language_subset() -> None:
    types = load_schemas("tests/vespa_app/schemas")
    doc = SelectionDoc(
        RECORD,
        "ns",
        "a-1",
        f"id:ns:{RECORD}::a-1",
        {"project_id": 5, "relationships": ["x", "y"], "metadata": {"k": "v"}},
    )

    def sel(text: str) -> bool:
        return matches(compile_selection(text, types), doc)

    assert sel("true") and sel(RECORD) and not sel("pdf_page")
    assert sel(f"{RECORD}.project_id >= 5 AND NOT {RECORD}.project_id != 5")
    assert sel(f'{RECORD}.relationships == "y"')  # any element of an array
    assert sel(f'{RECORD}.metadata{{k}} == "v"')
    assert sel('id.namespace == "ns" and id.specific = "a-*"') and sel('id =~ "::a-[0-9]$"')
    # Another type's field is invalid for this document, and "not invalid" stays invalid.
    assert not sel("pdf_page.year > 1")
    assert not sel("not pdf_page.year > 1")
    assert sel(f"{RECORD}.content_text == null")
    for bad in ("project_id == 1", f"{RECORD}.nope == 1", "id.bucket == 1", "((true"):
        with pytest.raises(SelectionError):
            compile_selection(bad, types)


# ----------------------------------------------------------------------------- faults


def test_429_then_success_with_pyvespa_retry(
    vespa: VespaServer, app: Vespa, fast_retries: None
) -> None:
    vespa.fail_next(3, status=429, methods=["POST"])
    results = feed(app, [{"id": "1", "fields": record(1)}])
    assert results["1"].status_code == 200
    assert vespa.statuses("POST") == [429, 429, 429, 200]
    throttled = [r for r in vespa.requests if r.status == 429]
    assert all(r.injected for r in throttled)


def test_429_exhausting_retries_reaches_the_callback(
    vespa: VespaServer, app: Vespa, fast_retries: None
) -> None:
    vespa.set_outage(429, methods=["POST"])
    results = feed(app, [{"id": "1", "fields": record(1)}], num_retries_429=2)
    assert results["1"].status_code == 429
    assert "overload" in results["1"].json["message"]
    assert vespa.statuses("POST") == [429, 429, 429]


def test_503_outage_is_not_retried_by_the_sync_client(vespa: VespaServer, app: Vespa) -> None:
    vespa.set_outage(503)
    results = feed(app, [{"id": str(i), "fields": record(i)} for i in range(3)])
    assert {r.status_code for r in results.values()} == {503}
    assert set(results["0"].json) == {"pathId", "message"}
    vespa.clear_outage()
    assert feed(app, [{"id": "0", "fields": record(0)}])["0"].status_code == 200


def test_reject_ids_and_dropped_connections(
    vespa: VespaServer, app: Vespa, fast_retries: None
) -> None:
    vespa.reject_ids(lambda user_id: user_id.startswith("poison"), 400, "poisoned")
    results = feed(app, [{"id": "poison-1", "fields": {}}, {"id": "fine", "fields": {}}])
    assert (
        results["poison-1"].status_code == 400 and results["poison-1"].json["message"] == "poisoned"
    )
    assert results["fine"].status_code == 200
    vespa.clear_faults()
    vespa.fail_next(1, drop_connection=True, methods=["GET"])
    assert app.get_data(RECORD, "fine").status_code == 200  # pyvespa retries connection errors
    assert vespa.statuses("GET") == [None, 200]


def test_delay_beyond_timeout_gives_504(vespa: VespaServer) -> None:
    vespa.set_delay(2.0)
    response = raw(vespa, "GET", doc_path("x"), params={"timeout": "100ms"})
    assert response.status_code == 504 and response.json()["message"] == "Timeout after 100ms"


def test_stopped_server_gives_connection_errors_then_recovers(
    vespa: VespaServer, app: Vespa, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = pyvespa_app.SYNC_REQUEST_RETRY.copy(wait=wait_none(), stop=stop_after_attempt(2))
    monkeypatch.setattr(pyvespa_app, "SYNC_REQUEST_RETRY", policy)
    app.feed_data_point(RECORD, "kept", {"doc_id": "kept"})
    port = vespa.port
    vespa.stop()
    with pytest.raises(Exception) as excinfo:
        app.get_data(RECORD, "kept")
    assert pyvespa_app._is_connection_error(excinfo.value)
    results = feed(app, [{"id": "x", "fields": {}}], num_retries_429=0)
    assert results["x"].status_code == 599  # pyvespa's code for an exception in the feed
    vespa.start()
    assert vespa.port == port
    assert app.get_data(RECORD, "kept").json["fields"] == {"doc_id": "kept"}


# ----------------------------------------------------------------------------- async (HTTP/2)


@pytest.fixture
def h2_server(vespa: VespaServer) -> Iterator[VespaServer]:
    if not vespa.http2:
        pytest.skip("the h2 package is needed for pyvespa's HTTP/2 async client")
    yield vespa


def test_async_feed_over_http2_with_throttling(h2_server: VespaServer, fast_retries: None) -> None:
    app = Vespa(url=h2_server.url)
    h2_server.fail_next(5, status=429)
    statuses: dict[str, int] = {}
    docs = [{"id": str(i), "fields": record(i, content_text="z" * 3000)} for i in range(30)]
    app.feed_async_iterable(
        docs, schema=RECORD, callback=lambda r, i: statuses.update({i: r.status_code})
    )
    assert set(statuses.values()) == {200} and len(statuses) == 30
    assert h2_server.count(RECORD) == 30
    assert {r.protocol for r in h2_server.requests} == {"HTTP/2"}
    assert h2_server.statuses().count(429) == 5

    async def read() -> tuple[int, int]:
        async with app.asyncio() as session:
            found = await session.get_data(RECORD, "3")
            missing = await session.get_data(RECORD, "nope")
            return found.status_code, missing.status_code

    assert asyncio.run(read()) == (200, 404)

    # The async client (unlike the sync one) retries 503s: up to 3 attempts.
    h2_server.clear_requests()
    h2_server.set_outage(503, for_requests=2)
    app.feed_async_iterable(
        [{"id": "late", "fields": {}}],
        schema=RECORD,
        callback=lambda r, i: statuses.update({i: r.status_code}),
    )
    assert statuses["late"] == 200 and h2_server.statuses() == [503, 503, 200]
