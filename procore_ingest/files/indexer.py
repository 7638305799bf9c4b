"""Row documents' file references -> fetched files -> `pdf_page` documents.

    indexer = FileIndexer(FileOptions(bucket="procore-files", workers=4), state_dir)
    for warning in indexer.check():
        print(warning)
    batch = indexer.index(row_documents, sink)    # process + feed + remove + remember
    indexer.close()

`process(docs)` alone returns what to feed and remove without touching a sink or the cache;
`commit(batch, fed, removed)` then remembers what was stored.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..clock import utc_now
from ..config import setting
from ..discovery.filerefs import FileRef
from ..documents.record import Document, FeedDocument
from ..errors import ConfigError
from ..logs import logger
from ..vespa.sink import FeedFailure, FeedResult, RemoveOp, Sink
from .cache import FileCache
from .extract import Extracted, clean_text, extract
from .fetch import (
    FetchError,
    HttpFetcher,
    RemoteObject,
    S3Fetcher,
    Target,
    TooLarge,
    resolve,
    scrub_message,
)
from .pages import EmbedderRunner, PageImages, image_fields, load_embedder, render_problem

DOCTYPE = NAMESPACE = "pdf_page"
SNIPPET_CHARS = 300
MAX_PAGE_CHARS = 200_000
PROFILE_VERSION = "v1"
LOGGED_FAILURES = 20  # per run; the rest go to files/failures.jsonl only


@dataclass
class FileOptions:
    """How files are fetched and indexed. None means: from the environment (`.env` too)."""

    bucket: str | None = None  # bucket of bare S3 keys; None: $S3_BUCKET
    workers: int = 2  # parallel downloads
    max_file_mb: float = 100.0  # larger files are indexed by metadata only
    timeout_s: float = 60.0  # per request (connect and each read)
    render_pages: bool = False  # full_image / blur_image (needs the `render` extra)
    embedder: str | None = None  # module:function; None: $PROCORE_EMBEDDER
    refresh: bool = False  # ignore the cache: fetch and index every file again
    endpoint_url: str | None = None  # S3-compatible store; None: $AWS_ENDPOINT_URL
    region: str | None = None  # None: $AWS_REGION, then $AWS_DEFAULT_REGION

    def recorded(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "workers": self.workers, "max_file_mb": self.max_file_mb,
                "render_pages": self.render_pages, "embedder": self.embedder, "refresh": self.refresh}


@dataclass
class FileFailure:
    """A file that could not be fetched or read, and which row pointed to it."""

    table: str
    row_id: str  # the row's document id
    column: str
    location: str  # s3://bucket/key, or the URL without its query string
    kind: str  # not_found, forbidden, timeout, connection, http_error, unreadable, error
    message: str
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row_id": self.row_id, "column": self.column,
                "location": self.location, "kind": self.kind, "message": self.message,
                "status": self.status}

    def describe(self) -> str:
        return (f"table {self.table}, row {self.row_id}, column {self.column}: "
                f"{self.location}: {self.message}")


@dataclass
class _Update:
    location: str
    parent: str
    record: dict[str, Any]
    info: dict[str, Any]


@dataclass
class FileBatchResult:
    """What one batch of rows' files came to. Counts are per file (location), except
    `skipped`, which counts references. `metadata_only` overlaps the others: files indexed
    without text (images, other types, too large, unreadable)."""

    documents: list[Document] = field(default_factory=list)
    removals: list[RemoveOp] = field(default_factory=list)
    downloaded: int = 0  # fetched and (re-)indexed
    unchanged: int = 0  # same ETag / content as when indexed: nothing fed
    failed: int = 0  # could not be fetched or read (see failures)
    skipped_too_large: int = 0  # beyond --max-file-mb: one metadata-only document
    metadata_only: int = 0
    skipped: int = 0  # references not attempted: no credentials, or no bucket for a bare key
    failures: list[FileFailure] = field(default_factory=list)
    # filled by index() / commit(): what the sink did with `documents` and `removals`
    indexed: int = 0
    document_failures: list[FeedFailure] = field(default_factory=list)
    removed: int = 0
    _updates: list[_Update] = field(default_factory=list, repr=False)
    _drops: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def merge(self, other: FileBatchResult) -> None:
        for name in ("downloaded", "unchanged", "failed", "skipped_too_large", "metadata_only",
                     "skipped", "indexed", "removed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures += other.failures
        self.document_failures += other.document_failures


@dataclass
class FileCounts:
    """Totals over a run, for the summary."""

    downloaded: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped_too_large: int = 0
    metadata_only: int = 0
    skipped: int = 0
    documents: int = 0  # file documents stored
    document_failures: int = 0  # file documents Vespa rejected
    removed: int = 0  # stale file documents removed

    def add(self, batch: FileBatchResult) -> None:
        self.downloaded += batch.downloaded
        self.unchanged += batch.unchanged
        self.failed += batch.failed
        self.skipped_too_large += batch.skipped_too_large
        self.metadata_only += batch.metadata_only
        self.skipped += batch.skipped
        self.documents += batch.indexed
        self.document_failures += len(batch.document_failures)
        self.removed += batch.removed


@dataclass
class _Use:
    parent: FeedDocument
    ref: FileRef


@dataclass
class _Task:
    target: Target
    uses: list[_Use]


@dataclass
class _Outcome:
    status: str  # downloaded, unchanged, too_large, failed, skipped
    documents: list[Document] = field(default_factory=list)
    removals: list[RemoveOp] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    updates: list[_Update] = field(default_factory=list)
    metadata_only: bool = False


def page_id(parent_id: str, location: str, page: int) -> str:
    """`{row doc id}:{sha1(location)[:16]}:p{page}`, e.g. `photos:562950208716653:1f3a...:p1`:
    the same on every run, distinct for equal file names in different folders.

    pyvespa puts ids into URL paths without encoding `/`, and HTTP clients resolve `.` and `..`
    segments there, so a `/` in the row's id (a key with a slash) is written `%2F` (and `%`
    `%25`, to keep ids distinct); the real row id is in `parent_doc_id`."""
    safe_parent = parent_id.replace("%", "%25").replace("/", "%2F")
    return f"{safe_parent}:{hashlib.sha1(location.encode()).hexdigest()[:16]}:p{page}"


def _human_size(size: int | None) -> str | None:
    if size is None:
        return None
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return None


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    cut = flat[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return (cut or flat[:SNIPPET_CHARS]) + "…"


class FileIndexer:
    """Fetches the files row documents refer to and makes `pdf_page` documents of them.

    Not thread-safe itself: call `process` / `index` from one thread; downloads run on
    `options.workers` threads inside.
    """

    def __init__(self, options: FileOptions, state_dir: str | os.PathLike[str]) -> None:
        self.options = options
        self.bucket = options.bucket or setting(None, "S3_BUCKET")
        self.max_bytes = int(options.max_file_mb * 1024 * 1024)
        spec = options.embedder or setting(None, "PROCORE_EMBEDDER")
        try:
            import pypdf  # noqa: F401  (a dependency; an old environment may lack it)
        except ImportError:
            raise ConfigError("--download-files needs pypdf: pip install -e . (or pip install pypdf)") from None
        if options.render_pages and (problem := render_problem()):
            raise ConfigError(problem)
        self.embedder_spec = spec
        self.embedder = EmbedderRunner(load_embedder(spec), spec) if spec else None
        self.profile = (f"{PROFILE_VERSION}|render={int(options.render_pages)}|"
                        f"embedder={spec or ''}")
        self.cache = FileCache(state_dir)
        self.failure_log = self.cache.folder / "failures.jsonl"
        self.s3 = S3Fetcher(
            timeout_s=options.timeout_s, workers=options.workers,
            endpoint_url=options.endpoint_url or setting(None, "AWS_ENDPOINT_URL"),
            region=options.region or setting(None, "AWS_REGION") or setting(None, "AWS_DEFAULT_REGION"),
        )
        self.http = HttpFetcher(timeout_s=options.timeout_s)
        self._pool = ThreadPoolExecutor(max_workers=max(1, options.workers),
                                        thread_name_prefix="procore-files")
        self._tmp: Path | None = None  # made at the first download
        self._s3_disabled: str | None = None  # set when S3 refused the credentials themselves
        self._lock = threading.Lock()
        self._logged = 0

    # -- set-up -----------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Warnings about what will be skipped (no credentials, no bucket). Never raises."""
        warnings = []
        if not self.s3.available:
            warnings.append(f"--download-files: {self.s3.problem}; S3 files will be skipped "
                            "(rows are still indexed)")
        if not self.bucket:
            warnings.append("--download-files: no bucket for bare S3 keys (set S3_BUCKET or "
                            "--s3-bucket); such references will be skipped")
        return warnings

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.http.close()
        try:
            self.cache.save()
        finally:
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    def __enter__(self) -> FileIndexer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the work -----------------------------------------------------------------------------

    def index(self, docs: Sequence[FeedDocument], sink: Sink) -> FileBatchResult:
        """`process` + feed + remove + `commit`, in chunks of a few files per worker so that
        only a few files' documents are in memory at a time. Saves the cache at the end."""
        total = FileBatchResult()
        for chunk in self._chunks(docs):
            batch = self.process(chunk)
            fed = sink.feed(batch.documents) if batch.documents else FeedResult()
            removed = sink.remove(batch.removals) if batch.removals else FeedResult()
            self.commit(batch, fed, removed)
            total.merge(batch)
        self.cache.save()
        return total

    def _chunks(self, docs: Sequence[FeedDocument]) -> Iterator[list[FeedDocument]]:
        limit = max(8, self.options.workers * 4)
        chunk: list[FeedDocument] = []
        refs = 0
        for doc in docs:
            chunk.append(doc)
            refs += len(doc.file_refs)
            if refs >= limit:
                yield chunk
                chunk, refs = [], 0
        if chunk:
            yield chunk

    def process(self, docs: Sequence[FeedDocument]) -> FileBatchResult:
        """Fetch what changed among the files of `docs` (row documents) and return the
        documents to feed and the stale documents to remove. Failures are in the result,
        never raised. Nothing is remembered until `commit`."""
        result = FileBatchResult()
        tasks: dict[str, _Task] = {}
        for doc in docs:
            current: set[str] = set()
            for ref in doc.file_refs:
                target = resolve(ref, self.bucket)
                if target is None:
                    result.skipped += 1  # a bare key and no bucket: warned once by check()
                    continue
                current.add(target.location)
                if target.kind == "s3" and (not self.s3.available or self._s3_disabled):
                    if ref.url:  # an S3 URL may still be readable as a URL (public, presigned)
                        target = Target("http", target.location, url=ref.url)
                    else:
                        result.skipped += 1
                        continue
                task = tasks.setdefault(target.location, _Task(target, []))
                if all(u.parent.id != doc.id for u in task.uses):
                    task.uses.append(_Use(doc, ref))
            for gone in sorted(self.cache.locations_of(doc.id) - current):
                # the row no longer refers to this file: its documents go
                ids = (self.cache.record(gone, doc.id) or {}).get("ids") or []
                result.removals += [RemoveOp(DOCTYPE, NAMESPACE, i, doc.table) for i in ids]
                result._drops.append((gone, doc.id))
        futures = [(task, self._pool.submit(self._run_safely, task)) for task in tasks.values()]
        for task, future in futures:
            outcome = future.result()
            result.documents += outcome.documents
            result.removals += outcome.removals
            result.failures += outcome.failures
            result._updates += outcome.updates
            if outcome.status == "too_large":
                result.skipped_too_large += 1
            elif outcome.status == "skipped":
                result.skipped += len(task.uses)
            else:  # downloaded, unchanged, failed
                setattr(result, outcome.status, getattr(result, outcome.status) + 1)
            if outcome.metadata_only:
                result.metadata_only += 1
        self._report(result.failures)
        return result

    def commit(self, batch: FileBatchResult, fed: FeedResult, removed: FeedResult | None = None) -> None:
        """Remember the files whose documents were all stored (the others are tried again
        next run), and fill in the batch's `indexed`, `document_failures` and `removed`."""
        failed_ids = {f.id for f in fed.failures}
        for update in batch._updates:
            if failed_ids.intersection(update.record.get("ids") or []):
                continue
            self.cache.put(update.location, update.parent, update.record, update.info)
        for location, parent in batch._drops:
            self.cache.drop(location, parent)
        batch.indexed = fed.ok
        batch.document_failures = list(fed.failures)
        if removed is not None:
            batch.removed = removed.ok
            for failure in removed.failures[:3]:
                logger.warning("Could not remove stale file document %s: HTTP %s %s",
                               failure.id, failure.status, failure.message)
        for failure in fed.failures[:3]:
            logger.error("Failed to index file document %s - HTTP %s %s",
                         failure.id, failure.status, failure.message)

    def forget_rows(self, row_ids: list[str], table: str = "") -> list[RemoveOp]:
        """Removals for every file document of rows that were deleted; they are forgotten at
        once (removing a missing document is harmless, so a lost removal can be repeated)."""
        ops = []
        for row_id in row_ids:
            for location in sorted(self.cache.locations_of(row_id)):
                ops += [RemoveOp(DOCTYPE, NAMESPACE, i, table) for i in self.cache.drop(location, row_id)]
        return ops

    # -- one file -------------------------------------------------------------------------------

    def _run_safely(self, task: _Task) -> _Outcome:
        try:
            return self._run(task)
        except FetchError as exc:
            return self._failed(task, exc)
        except Exception as exc:  # a bug or an unforeseen library error: this file only
            logger.debug("file task failed", exc_info=True)
            return self._failed(task, FetchError(
                "error", f"unexpected {type(exc).__name__}: {scrub_message(str(exc), task.target.url)}"))

    def _run(self, task: _Task) -> _Outcome:
        target = task.target
        records = {u.parent.id: self.cache.record(target.location, u.parent.id) for u in task.uses}
        if target.kind == "s3":
            if self._s3_disabled:
                return _Outcome("skipped")
            assert target.bucket and target.key
            try:
                remote = self.s3.head(target.bucket, target.key)
            except FetchError as exc:
                return self._s3_failed(task, exc)
            stale = [u for u in task.uses if not self._fresh(records[u.parent.id], remote)]
            if not stale:
                return _Outcome("unchanged")
            if remote.size is not None and remote.size > self.max_bytes:
                return self._too_large(task, stale, remote, records)
            with self._download_file() as (fh, path):
                try:
                    got = self.s3.download(target.bucket, target.key, fh, self.max_bytes)
                except TooLarge as exc:
                    return self._too_large(task, stale, RemoteObject(remote.etag, exc.size or remote.size,
                                                                     remote.content_type), records)
                except FetchError as exc:
                    return self._s3_failed(task, exc)
                fh.close()
                got.content_type = got.content_type or remote.content_type
                return self._index_file(task, stale, got, path, records)
        # HTTP(S)
        assert target.url
        validators = self._validators([records[u.parent.id] for u in task.uses])
        with self._download_file() as (fh, path):
            try:
                fetched = self.http.fetch(target.url, fh, self.max_bytes, **validators)
            except TooLarge as exc:
                remote = exc.remote or RemoteObject(size=exc.size)
                stale = [u for u in task.uses if not self._fresh(records[u.parent.id], remote)]
                if not stale:
                    return _Outcome("unchanged")
                return self._too_large(task, stale, remote, records)
            except FetchError as exc:
                return self._failed(task, exc)
            if fetched.status != "downloaded":
                return _Outcome("unchanged")
            fh.close()
            remote = fetched.remote
            remote.size = path.stat().st_size
            digest = _sha256(path)
            stale = [u for u in task.uses if not self._fresh(records[u.parent.id], remote, digest)]
            if not stale:
                return _Outcome("unchanged")
            return self._index_file(task, stale, remote, path, records, digest)

    def _fresh(self, record: dict[str, Any] | None, remote: RemoteObject, digest: str | None = None) -> bool:
        """Whether a row's documents of this file are current."""
        if record is None or self.options.refresh or record.get("profile") != self.profile:
            return False
        if record.get("too_large") and (remote.size is None or remote.size <= self.max_bytes):
            return False  # the cap was raised, or the file shrank
        if remote.etag and record.get("etag"):
            return record["etag"] == remote.etag
        if digest and record.get("sha256"):
            return record["sha256"] == digest
        return False

    def _validators(self, records: list[dict[str, Any] | None]) -> dict[str, str | None]:
        """If-None-Match / If-Modified-Since values all the rows' records agree on."""
        if self.options.refresh or not records or any(
                r is None or r.get("profile") != self.profile or r.get("too_large") for r in records):
            return {}
        etags = {r.get("etag") for r in records if r}
        modified = {r.get("last_modified") for r in records if r}
        if len(etags) == 1 and None not in etags:
            return {"etag": etags.pop()}
        if len(modified) == 1 and None not in modified:
            return {"last_modified": modified.pop()}
        return {}

    @contextmanager
    def _download_file(self) -> Iterator[tuple[IO[bytes], Path]]:
        with self._lock:
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="procore-files-"))
        fd, name = tempfile.mkstemp(dir=self._tmp, suffix=".part")
        path = Path(name)
        fh = os.fdopen(fd, "wb")
        try:
            yield fh, path
        finally:
            fh.close()
            path.unlink(missing_ok=True)

    def _s3_failed(self, task: _Task, exc: FetchError) -> _Outcome:
        if exc.kind == "forbidden" and any(code in exc.message for code in (
                "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken")):
            with self._lock:
                if not self._s3_disabled:
                    self._s3_disabled = exc.message
                    logger.warning("S3 refused the credentials (%s): the remaining S3 files are "
                                   "skipped", exc.message)
        return self._failed(task, exc)

    def _failed(self, task: _Task, exc: FetchError) -> _Outcome:
        return _Outcome("failed", failures=[
            FileFailure(u.parent.table, u.parent.id, u.ref.source_column, task.target.display,
                        exc.kind, exc.message, exc.status) for u in task.uses])

    def _too_large(self, task: _Task, uses: list[_Use], remote: RemoteObject,
                   records: dict[str, dict[str, Any] | None]) -> _Outcome:
        size = _human_size(remote.size) or "size unknown"
        note = f"not indexed: {size} is over the {self.options.max_file_mb:g} MB limit"
        outcome = self._documents(task, uses, Extracted("other"), remote, records, note=note,
                                  digest=None, too_large=True)
        outcome.status = "too_large"
        return outcome

    def _index_file(self, task: _Task, uses: list[_Use], remote: RemoteObject, path: Path,
                    records: dict[str, dict[str, Any] | None], digest: str | None = None) -> _Outcome:
        digest = digest or _sha256(path)
        filename = remote.filename or uses[0].ref.filename
        extracted = extract(path, filename, remote.content_type)
        images = PageImages(path, extracted.kind, max(1, extracted.page_count))
        try:
            outcome = self._documents(task, uses, extracted, remote, records, note=extracted.error,
                                      digest=digest, images=images)
        finally:
            images.close()
        if extracted.error:
            outcome.status = "failed"
            outcome.failures = [
                FileFailure(u.parent.table, u.parent.id, u.ref.source_column, task.target.display,
                            "unreadable", extracted.error) for u in uses]
        else:
            outcome.status = "downloaded"
        return outcome

    def _documents(self, task: _Task, uses: list[_Use], extracted: Extracted, remote: RemoteObject,
                   records: dict[str, dict[str, Any] | None], *, note: str | None, digest: str | None,
                   too_large: bool = False, images: PageImages | None = None) -> _Outcome:
        """Page documents of one file for each row in `uses`, removals of their stale pages,
        and the cache records to keep once they are stored."""
        target = task.target
        texts: list[str | None] = list(extracted.pages) or [None]
        filename = clean_text(remote.filename or uses[0].ref.filename) or target.location.rsplit("/", 1)[-1]
        content_type = (remote.content_type or "").split(";", 1)[0].strip() or None
        if content_type in (None, "binary/octet-stream", "application/octet-stream"):
            content_type = mimetypes.guess_type(filename)[0] or content_type
        want_image = images is not None and (self.options.render_pages or self.embedder is not None)
        outcome = _Outcome("downloaded", metadata_only=not extracted.has_text)
        per_use: dict[str, list[Document]] = {u.parent.id: [] for u in uses}
        for index, text in enumerate(texts):
            number = index + 1
            description = "; ".join(filter(None, [
                content_type or extracted.kind, _human_size(remote.size),
                f"page {number} of {len(texts)}" if len(texts) > 1 else None, note]))
            common: dict[str, Any] = {
                "url": target.location, "title": filename, "page_number": number,
                "is_region": False,
            }
            if text is not None:
                common["text"] = text[:MAX_PAGE_CHARS]
                common["snippet"] = _snippet(text)
            if target.kind == "s3" and target.key:
                common["s3_key"] = target.key
            image = images.image(index) if want_image and images else None
            if image is not None and self.options.render_pages:
                common.update(image_fields(image))
            extra: dict[str, Any] = {}
            if self.embedder is not None and (image is not None or text):
                first = uses[0]
                extra = self._embed(image, text or "", {
                    "id": page_id(first.parent.id, target.location, number),
                    "parent_doc_id": first.parent.id, "page_number": number,
                    "page_count": len(texts), "location": target.location, "filename": filename,
                    "content_type": content_type, "kind": extracted.kind,
                    "table": first.parent.table, "column": first.ref.source_column,
                })
            for use in uses:
                doc_id = page_id(use.parent.id, target.location, number)
                fields = dict(common)
                fields.update({
                    "id": doc_id, "parent_doc_id": use.parent.id,
                    "description": f"{description}; from {use.parent.table}.{use.ref.source_column}",
                    "tags": [use.parent.table, f"{use.parent.table}.{use.ref.source_column}", extracted.kind],
                })
                fields.update(extra)
                fields["id"], fields["parent_doc_id"] = doc_id, use.parent.id
                per_use[use.parent.id].append(Document(DOCTYPE, NAMESPACE, doc_id, fields, table=use.parent.table))
        info = {"etag": remote.etag, "size": remote.size, "content_type": content_type,
                "sha256": digest, "checked_at": utc_now()}
        for use in uses:
            docs = per_use[use.parent.id]
            ids = [d.id for d in docs]
            outcome.documents += docs
            old = (records.get(use.parent.id) or {}).get("ids") or []
            outcome.removals += [RemoveOp(DOCTYPE, NAMESPACE, i, use.parent.table)
                                 for i in old if i not in set(ids)]
            record = {"etag": remote.etag, "sha256": digest, "size": remote.size,
                      "last_modified": remote.last_modified, "profile": self.profile,
                      "kind": extracted.kind, "too_large": too_large, "error": extracted.error,
                      "ids": ids}
            outcome.updates.append(_Update(target.location, use.parent.id, record, info))
        return outcome

    def _embed(self, image, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        assert self.embedder is not None
        try:
            return self.embedder(image, text, metadata)
        except Exception as exc:
            raise FetchError("embedder", f"embedder {self.embedder_spec} failed: {type(exc).__name__}: "
                                         f"{scrub_message(str(exc))}") from None

    # -- reporting --------------------------------------------------------------------------------

    def _report(self, failures: list[FileFailure]) -> None:
        if not failures:
            return
        for failure in failures:
            if self._logged < LOGGED_FAILURES:
                logger.warning("File failed: %s", failure.describe())
            elif self._logged == LOGGED_FAILURES:
                logger.warning("More file failures: see %s", self.failure_log)
            self._logged += 1
        try:
            self.cache.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.failure_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                for failure in failures:
                    fh.write(json.dumps({"time": utc_now(), **failure.to_dict()}, sort_keys=True) + "\n")
        except OSError as exc:
            logger.warning("Could not write %s: %s", self.failure_log, exc.strerror)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
