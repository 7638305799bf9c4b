"""--download-files: S3 (moto's server on loopback) and signed URLs (a local HTTP server) ->
pdf_page documents in the Vespa protocol server; the cache, failures, credentials, the CLI."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from procore_ingest.cli.output import summary_lines
from procore_ingest.discovery.filerefs import FileRef
from procore_ingest.documents.record import Document
from procore_ingest.files import FileIndexer, FileOptions, canonical_url, page_id, safe_url
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from tests.helpers import execute, run_script
from tests.s3_fixtures import (
    BUCKET,
    FAKE_ENV,
    HttpFile,
    encrypted_pdf,
    http_files,
    make_docx,
    make_pdf,
    make_png,
    s3_server,
)

P = "562949953425831/1001"  # company/project prefix of the keys
KEYS = {
    "a101": f"{P}/drawings/11/A-101.pdf",
    "a101_other": f"{P}/drawings/12/A-101.pdf",  # same file name, another folder
    "missing": f"{P}/drawings/13/missing.pdf",
    "corrupt": f"{P}/drawings/14/corrupt.pdf",
    "locked": f"{P}/drawings/15/locked.pdf",
    "changing": f"{P}/drawings/16/changing.pdf",
    "huge": f"{P}/drawings/17/huge.pdf",
    "notes": f"{P}/change_orders/21/notes.txt",
    "photo": f"{P}/change_orders/21/site.png",
    "memo": f"{P}/change_orders/22/memo.docx",
}
SIG = "sigSECRET0123456789"
EXPIRED_SIG = "sigEXPIRED9876543210"


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "S3_BUCKET", "PROCORE_EMBEDDER", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def s3(aws_env):
    with s3_server(buckets=(BUCKET, "other-bucket")) as server:
        for name, value in FAKE_ENV.items():
            aws_env.setenv(name, value)
        aws_env.setenv("AWS_ENDPOINT_URL", server.endpoint)
        yield server


@pytest.fixture
def web():
    with http_files() as files:
        yield files


def upload_fixtures(s3, web) -> None:
    s3.put(KEYS["a101"], make_pdf(["Ground floor plan ALPHA\nGrid lines", "Structural notes BRAVO"]))
    s3.put(KEYS["a101_other"], make_pdf(["Roof plan CHARLIE"]))
    s3.put(KEYS["corrupt"], b"%PDF-1.4\nthis is not really a pdf")
    s3.put(KEYS["locked"], encrypted_pdf("Secret plan DELTA"))
    s3.put(KEYS["changing"], make_pdf(["Old page ECHO one", "Old page ECHO two", "Old page ECHO three"]))
    s3.put(KEYS["huge"], make_pdf(["x" * 80] * 400))  # over the 0.02 MB cap of these tests
    s3.put(KEYS["notes"], b"Field notes: FOXTROT pour scheduled\nline 2", content_type="text/plain")
    s3.put(KEYS["photo"], make_png())
    s3.put(KEYS["memo"], make_docx(["Memo GOLF", "second paragraph"]))
    s3.put("other/spec.md", b"# Spec HOTEL\nbody", bucket="other-bucket")
    web.files["/files/31/f0a1b2"] = HttpFile(make_pdf(["Operations manual INDIA"]), "application/pdf",
                                             disposition='attachment; filename="Manual.pdf"')
    web.files["/files/32/expired.pdf"] = HttpFile(b"", status=403)
    web.files["/files/33/page.html"] = HttpFile(
        b"<html><head><title>Site JULIET</title><style>p{color:red}</style></head>"
        b"<body><p>Safety &amp; access KILO</p><script>var x = 'NOPE';</script></body></html>",
        "text/html; charset=utf-8")
    web.files["/files/34/slow.pdf"] = HttpFile(make_pdf(["never"]), "application/pdf", delay_s=3)


def create_tables(url: str, web) -> None:
    sql = f"""
        CREATE TABLE drawing_revisions (id bigint PRIMARY KEY, project_id bigint, number text,
                                        s3_key text, updated_at timestamp(3) DEFAULT now());
        INSERT INTO drawing_revisions (id, project_id, number, s3_key) VALUES
          (1, 1001, 'A-101', '{KEYS["a101"]}'), (2, 1001, 'A-101', '{KEYS["a101_other"]}'),
          (3, 1001, 'A-102', '{KEYS["missing"]}'), (4, 1001, 'A-103', '{KEYS["corrupt"]}'),
          (5, 1001, 'A-104', '{KEYS["locked"]}'), (6, 1001, 'A-105', '{KEYS["changing"]}'),
          (7, 1001, 'A-106', '{KEYS["huge"]}'), (8, 1001, 'A-107', NULL);
        CREATE TABLE change_orders (id bigint PRIMARY KEY, project_id bigint, title text,
                                    attachment_s3_keys jsonb);
        INSERT INTO change_orders VALUES
          (21, 1001, 'CO 21', '{{"9001": "{KEYS["notes"]}", "9002": "{KEYS["photo"]}", "9003": "", "9004": null}}'),
          (22, 1001, 'CO 22', '{{"9005": "{KEYS["memo"]}", "9006": "s3://other-bucket/other/spec.md"}}'),
          (23, 1001, 'CO 23', '{{}}'), (24, 1001, 'CO 24', NULL), (25, 1001, 'CO 25', '[1, 2]');
        CREATE TABLE documents (id bigint PRIMARY KEY, project_id bigint, name text, url text);
        INSERT INTO documents VALUES
          (31, 1001, 'manual', '{web.url("/files/31/f0a1b2", f"companyId=1&projectId=1001&sig={SIG}")}'),
          (32, 1001, 'expired', '{web.url("/files/32/expired.pdf", f"companyId=1&sig={EXPIRED_SIG}")}'),
          (33, 1001, 'page', '{web.url("/files/33/page.html", f"sig={SIG}")}'),
          (34, 1001, 'slow', '{web.url("/files/34/slow.pdf", f"sig={SIG}")}');
    """
    execute(url, sql)


def pages_of(vespa, parent: str) -> dict[int, dict]:
    """pdf_page documents of one row, by page number."""
    docs = [f for f in vespa.documents("pdf_page").values() if f["parent_doc_id"] == parent]
    return {f["page_number"]: f for f in docs}


def only_page(vespa, parent: str) -> dict:
    pages = pages_of(vespa, parent)
    assert list(pages) == [1], pages
    return pages[1]


def options(pg_url: str, vespa, tmp_path: Path, **files) -> IngestOptions:
    file_options = dict(bucket=BUCKET, workers=4, max_file_mb=0.02, timeout_s=1.0) | files
    return IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path / "state"),
                         batch_size=3, feed_schema=False, files=FileOptions(**file_options))


def test_files_are_indexed_cached_and_failures_leave_rows_intact(pg_url, vespa, s3, web, tmp_path):
    upload_fixtures(s3, web)
    create_tables(pg_url, web)
    result = run_full(options(pg_url, vespa, tmp_path))

    # the rows are all there, whatever happened to their files
    assert result.exit_code == 0 and result.failed == 0
    assert vespa.count("procore_record") == 8 + 5 + 4

    # a two-page PDF: a document per page, deterministic ids without "/"
    a101 = pages_of(vespa, "drawing_revisions:1")
    loc = f"s3://{BUCKET}/{KEYS['a101']}"
    assert sorted(a101) == [1, 2]
    assert a101[1]["id"] == page_id("drawing_revisions:1", loc, 1) and "/" not in a101[1]["id"]
    assert "Ground floor plan ALPHA" in a101[1]["text"] and "BRAVO" in a101[2]["text"]
    assert "BRAVO" not in a101[1]["text"]
    assert a101[1]["snippet"].startswith("Ground floor plan ALPHA")
    assert a101[1]["url"] == loc and a101[1]["s3_key"] == KEYS["a101"] and a101[1]["title"] == "A-101.pdf"
    assert a101[1]["description"].startswith("application/pdf; ")
    assert "drawing_revisions.s3_key" in a101[1]["description"] and "page 1 of 2" in a101[1]["description"]
    full_ids = set(vespa.documents("pdf_page"))
    assert f"id:pdf_page:pdf_page::{a101[2]['id']}" in full_ids

    # the same file name in another folder is another document
    other = only_page(vespa, "drawing_revisions:2")
    assert other["title"] == "A-101.pdf" and "CHARLIE" in other["text"] and other["id"] != a101[1]["id"]

    # failures: no document (404) or a metadata-only one (unreadable), rows intact
    assert pages_of(vespa, "drawing_revisions:3") == {}
    corrupt = only_page(vespa, "drawing_revisions:4")
    assert "text" not in corrupt and "corrupt PDF" in corrupt["description"]
    locked = only_page(vespa, "drawing_revisions:5")
    assert "text" not in locked and "encrypted" in locked["description"]
    huge = only_page(vespa, "drawing_revisions:7")
    assert "text" not in huge and "over the 0.02 MB limit" in huge["description"]
    assert s3.count("GET", KEYS["huge"]) == 0  # HEAD said it is too large: never downloaded
    assert pages_of(vespa, "drawing_revisions:8") == {}

    # JSONB attachment maps: text, image (metadata only), docx, another bucket
    co21 = {f["title"]: f for f in pages_of_all(vespa, "change_orders:21")}
    assert set(co21) == {"notes.txt", "site.png"}
    assert "FOXTROT" in co21["notes.txt"]["text"]
    assert "text" not in co21["site.png"] and co21["site.png"]["tags"][-1] == "image"
    co22 = {f["title"]: f for f in pages_of_all(vespa, "change_orders:22")}
    assert "Memo GOLF" in co22["memo.docx"]["text"]
    assert "Spec HOTEL" in co22["spec.md"]["text"] and co22["spec.md"]["url"] == "s3://other-bucket/other/spec.md"

    # signed URLs: file name from Content-Disposition, no signature stored; HTML stripped; 403
    manual = only_page(vespa, "documents:31")
    assert manual["title"] == "Manual.pdf" and "INDIA" in manual["text"]
    assert SIG not in json.dumps(vespa.documents("pdf_page"))
    assert manual["url"] == canonical_url(web.url("/files/31/f0a1b2", f"companyId=1&projectId=1001&sig={SIG}"))
    page = only_page(vespa, "documents:33")
    assert "Site JULIET" in page["text"] and "Safety & access KILO" in page["text"]
    assert "NOPE" not in page["text"] and "color" not in page["text"]
    assert pages_of(vespa, "documents:32") == {} and pages_of(vespa, "documents:34") == {}

    files = result.files
    assert files is not None
    # downloaded: a101, a101_other, changing, notes, photo, memo, spec, manual, page (9);
    # failed: missing (404), corrupt, locked, expired (403), slow (timeout)
    assert (files.downloaded, files.unchanged, files.failed, files.skipped_too_large) == (9, 0, 5, 1)
    lines = summary_lines(result)
    assert "  Files downloaded: 9" in lines and "  Files unchanged: 0" in lines and "  Files failed: 5" in lines
    assert files.documents == len(vespa.documents("pdf_page")) == 2 + 1 + 1 + 1 + 3 + 1 + 2 + 2 + 1 + 1

    # the failure log names table, row, column and location, never a signature
    log = [json.loads(x) for x in (tmp_path / "state/files/failures.jsonl").read_text().splitlines()]
    by_row = {f["row_id"]: f for f in log}
    assert by_row["drawing_revisions:3"]["kind"] == "not_found"
    assert by_row["drawing_revisions:3"]["location"] == f"s3://{BUCKET}/{KEYS['missing']}"
    assert by_row["documents:32"]["kind"] == "forbidden" and by_row["documents:32"]["status"] == 403
    assert by_row["documents:32"]["column"] == "url" and by_row["documents:32"]["table"] == "documents"
    assert by_row["documents:34"]["kind"] == "timeout"
    assert by_row["drawing_revisions:5"]["kind"] == "unreadable"
    text = (tmp_path / "state/files/failures.jsonl").read_text()
    assert EXPIRED_SIG not in text and SIG not in text and FAKE_ENV["AWS_SECRET_ACCESS_KEY"] not in text

    index = tmp_path / "state/files/index.json"
    assert stat.S_IMODE(index.stat().st_mode) == 0o600
    assert SIG not in index.read_text()

    # --- second run: unchanged files are not fetched again; a changed one is re-indexed
    s3.put(KEYS["changing"], make_pdf(["New page ZULU"]))
    execute(pg_url, "UPDATE drawing_revisions SET s3_key = NULL WHERE id = 2")  # reference gone
    s3.clear()
    web.log.clear()
    again = run_full(options(pg_url, vespa, tmp_path))
    assert again.exit_code == 0
    assert s3.count("GET", KEYS["a101"]) == 0 and s3.count("HEAD", KEYS["a101"]) == 1
    assert s3.count("GET", KEYS["notes"]) == 0 and s3.count("GET", KEYS["corrupt"]) == 0
    assert s3.count("GET", KEYS["changing"]) == 1
    assert web.count("/files/31/f0a1b2", 304) == 1 and web.count("/files/31/f0a1b2", 200) == 0
    changed = pages_of(vespa, "drawing_revisions:6")
    assert list(changed) == [1] and "ZULU" in changed[1]["text"]  # old pages 2 and 3 removed
    assert pages_of(vespa, "drawing_revisions:2") == {}  # the row no longer refers to it
    assert sorted(pages_of(vespa, "drawing_revisions:1")) == [1, 2]
    f2 = again.files
    assert f2 is not None
    # unchanged: a101, notes, photo, memo, spec, manual, page, corrupt, locked, huge (10)
    assert (f2.downloaded, f2.unchanged, f2.failed) == (1, 10, 3)
    assert f2.removed == 2 + 1


def pages_of_all(vespa, parent: str) -> list[dict]:
    return [f for f in vespa.documents("pdf_page").values() if f["parent_doc_id"] == parent]


def test_cli_without_credentials_warns_once_and_still_fetches_urls(pg_url, vespa, aws_env, web, tmp_path):
    web.files["/files/33/page.html"] = HttpFile(b"<p>Hello LIMA</p>", "text/html")
    execute(pg_url, f"""
        CREATE TABLE photos (id bigint PRIMARY KEY, s3_key text, url text);
        INSERT INTO photos VALUES
          (1, '{KEYS["photo"]}', '{web.url("/files/33/page.html", f"sig={SIG}")}'),
          (2, '{KEYS["a101"]}', '{web.url("/files/32/gone.pdf", f"sig={EXPIRED_SIG}")}');
    """)
    env = {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "S3_BUCKET": BUCKET}
    cli = run_script("ingest_database.py", "--full", "--database-url", pg_url, "--vespa-url", vespa.url,
                     "--state-dir", str(tmp_path / "state"), "--download-files", "--file-workers", "3",
                     env=env, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert cli.stderr.count("no AWS credentials found") == 1
    assert "Records indexed: 2" in cli.stdout
    assert "Files downloaded: 1" in cli.stdout and "Files failed: 1" in cli.stdout
    assert "File references skipped: 2" in cli.stdout
    assert "documents:" not in cli.stderr and "photos:2" in cli.stderr and "404" in cli.stderr
    assert SIG not in cli.stderr + cli.stdout and EXPIRED_SIG not in cli.stderr + cli.stdout
    assert "Traceback" not in cli.stderr
    assert "LIMA" in only_page(vespa, "photos:1")["text"]
    assert vespa.count("procore_record") == 2


def test_cli_rejects_file_flags_without_download_files(pg_url, tmp_path):
    cli = run_script("ingest_database.py", "--full", "--database-url", pg_url, "--vespa-url",
                     f"file://{tmp_path}/feed", "--render-pages")
    assert cli.returncode == 1 and "only apply with --download-files" in cli.stderr


def test_render_pages_and_embedder(pg_url, vespa, s3, tmp_path):
    pytest.importorskip("pypdfium2")
    pytest.importorskip("PIL")
    s3.put(KEYS["a101"], make_pdf(["Ground floor plan ALPHA", "Structural notes BRAVO"]))
    s3.put(KEYS["photo"], make_png(40, 30))
    execute(pg_url, f"""
        CREATE TABLE drawing_revisions (id bigint PRIMARY KEY, s3_key text);
        INSERT INTO drawing_revisions VALUES (1, '{KEYS["a101"]}'), (2, '{KEYS["photo"]}');
    """)
    result = run_full(options(pg_url, vespa, tmp_path, render_pages=True, max_file_mb=5,
                              embedder="tests.s3_fixtures:tiny_embedder"))
    assert result.exit_code == 0 and result.files and result.files.failed == 0
    pages = pages_of(vespa, "drawing_revisions:1")
    assert sorted(pages) == [1, 2]
    for page in pages.values():
        assert base64.b64decode(page["full_image"])[:3] == b"\xff\xd8\xff"  # JPEG
        assert base64.b64decode(page["blur_image"])[:3] == b"\xff\xd8\xff"
        assert page["questions"][0] == f"what is on page {page['page_number']} of A-101.pdf?"
        assert page["questions"][1].startswith("image ")  # the embedder got the rendered page
        assert "embedding" in page
    photo = only_page(vespa, "drawing_revisions:2")
    assert "full_image" in photo and photo["questions"][1] == "image 40x30"

    # the profile (render, embedder) is part of the cache: without them, pages are made again
    s3.clear()
    again = run_full(options(pg_url, vespa, tmp_path, max_file_mb=5))
    assert again.files and again.files.downloaded == 2
    assert "full_image" not in pages_of(vespa, "drawing_revisions:1")[1]


def test_process_without_bucket_or_sink_and_id_safety(aws_env, tmp_path):
    """The library API on its own: no bucket, no credentials -> skipped, nothing raised."""
    doc = Document("procore_record", "procore_record", "t:a/../b", {}, table="t", file_refs=[
        FileRef("s3_key", "s3_key", "1/2/x/3/a.pdf", None, None, "a.pdf")])
    indexer = FileIndexer(FileOptions(), tmp_path)
    try:
        warnings = indexer.check()
        assert any("no AWS credentials" in w for w in warnings)
        assert any("S3_BUCKET" in w for w in warnings)
        batch = indexer.process([doc])
        assert batch.skipped == 1 and batch.documents == [] and batch.failures == []
    finally:
        indexer.close()
    assert not (tmp_path / "files" / "index.json").exists()
    # ids: no "/" (pyvespa would send "a/../b" as a path and the id would lose "a/../")
    assert page_id("t:1", "s3://b/k", 3) == f"t:1:{page_id('', 's3://b/k', 3)[1:]}"
    assert page_id("t:a/../b", "s3://b/k", 1).startswith("t:a%2F..%2Fb:")
    assert page_id("t:a%2F..%2Fb", "s3://b/k", 1) != page_id("t:a/../b", "s3://b/k", 1)
    signed = f"https://storage.procore.com/api/v5/files/x/y?companyId=1&sig={SIG}&X-Amz-Signature=z"
    assert canonical_url(signed) == "https://storage.procore.com/api/v5/files/x/y?companyId=1"
    assert safe_url(signed) == "https://storage.procore.com/api/v5/files/x/y?…"


def test_bad_embedder_is_a_config_error(pg_url, tmp_path):
    cli = run_script("ingest_database.py", "--full", "--database-url", pg_url, "--vespa-url",
                     f"file://{tmp_path}/feed", "--state-dir", str(tmp_path / "s"), "--download-files",
                     "--embedder", "no_such_module_xyz:embed")
    assert cli.returncode == 1 and "cannot import 'no_such_module_xyz'" in cli.stderr
    assert not os.path.exists(tmp_path / "s" / "jobs")


def test_rejected_file_documents_are_fed_again_next_run(pg_url, vespa, s3, tmp_path):
    s3.put(KEYS["notes"], b"Field notes MIKE")
    execute(pg_url, f"CREATE TABLE rfis (id bigint PRIMARY KEY, s3_key text); "
                    f"INSERT INTO rfis VALUES (1, '{KEYS['notes']}');")
    vespa.reject_ids(lambda doc_id: doc_id.startswith("rfis:1:"), status=400, message="bad field")
    first = run_full(options(pg_url, vespa, tmp_path))  # a page Vespa did not take fails its row: exit 3
    assert first.exit_code == 3 and first.files and first.files.document_failures == 1
    assert first.tables["rfis"].failed == 1
    assert first.failure_log is not None and "rfis:1:" in first.failure_log.read_text()
    assert pages_of(vespa, "rfis:1") == {}
    vespa.clear_faults()
    second = run_full(options(pg_url, vespa, tmp_path))
    assert second.files and (second.files.downloaded, second.files.unchanged) == (1, 0)
    assert "MIKE" in only_page(vespa, "rfis:1")["text"]
    third = run_full(options(pg_url, vespa, tmp_path))
    assert third.files and (third.files.downloaded, third.files.unchanged) == (0, 1)


def test_a_page_rejected_during_full_is_fed_by_the_next_cycle(pg_url, vespa, s3, tmp_path):
    from procore_ingest.pipeline.sync import SyncOptions, run_cycle

    s3.put(KEYS["notes"], b"Field notes OSCAR")
    execute(pg_url, f"CREATE TABLE rfis (id bigint PRIMARY KEY, s3_key text); "
                    f"INSERT INTO rfis VALUES (1, '{KEYS['notes']}');")
    vespa.reject_ids(lambda doc_id: doc_id.startswith("rfis:1:"), status=500)
    loaded = options(pg_url, vespa, tmp_path)
    assert run_full(loaded).exit_code == 3 and pages_of(vespa, "rfis:1") == {}
    vespa.clear_faults()
    cycle = run_cycle(SyncOptions(**loaded.shared()))  # the row was left pending: it and its file again
    assert cycle.exit_code == 0 and cycle.pending == {}
    assert "OSCAR" in only_page(vespa, "rfis:1")["text"]


def test_a_failing_embedder_fails_the_file_not_the_row(pg_url, vespa, s3, tmp_path):
    s3.put(KEYS["notes"], b"Field notes NOVEMBER")
    execute(pg_url, f"CREATE TABLE rfis (id bigint PRIMARY KEY, s3_key text); "
                    f"INSERT INTO rfis VALUES (1, '{KEYS['notes']}');")
    result = run_full(options(pg_url, vespa, tmp_path, embedder="tests.s3_fixtures:failing_embedder"))
    assert result.exit_code == 0 and result.files and result.files.failed == 1
    assert vespa.count("procore_record") == 1 and pages_of(vespa, "rfis:1") == {}
    log = (tmp_path / "state/files/failures.jsonl").read_text()
    assert "embedder tests.s3_fixtures:failing_embedder failed: RuntimeError: model not loaded" in log
    fixed = run_full(options(pg_url, vespa, tmp_path))  # tried again: nothing was remembered
    assert fixed.files and fixed.files.downloaded == 1 and "NOVEMBER" in only_page(vespa, "rfis:1")["text"]


def test_sync_keeps_files_indexed(pg_url, vespa, s3, tmp_path):
    from procore_ingest.pipeline.sync import SyncOptions, run_cycle

    s3.put(f"{P}/photos/1/a.pdf", make_pdf(["First plan LIMA"]))
    s3.put(f"{P}/photos/2/b.pdf", make_pdf(["Second plan MIKE"]))
    s3.put(f"{P}/photos/1/c.pdf", make_pdf(["Replacement plan NOVEMBER", "page two"]))
    execute(pg_url, f"""CREATE TABLE photos (id bigint PRIMARY KEY, s3_key text,
                                             last_synced_at timestamp(3) NOT NULL DEFAULT now());
                        INSERT INTO photos (id, s3_key) VALUES (1, '{P}/photos/1/a.pdf'), (2, '{P}/photos/2/b.pdf');""")
    files = FileOptions(bucket=BUCKET, workers=2, timeout_s=5.0)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state, files=files)).exit_code == 0
    assert "LIMA" in only_page(vespa, "photos:1")["text"] and only_page(vespa, "photos:2")
    execute(pg_url, f"""UPDATE photos SET s3_key = '{P}/photos/1/c.pdf', last_synced_at = now() WHERE id = 1;
                        DELETE FROM photos WHERE id = 2;""")
    result = run_cycle(SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state, files=files))
    assert result.exit_code == 0 and result.files.downloaded == 1
    pages = pages_of(vespa, "photos:1")
    assert sorted(pages) == [1, 2] and "NOVEMBER" in pages[1]["text"]
    assert not pages_of(vespa, "photos:2")  # the deleted row's pages went with it
    assert not any("LIMA" in p.get("text", "") for p in vespa.documents("pdf_page").values())
