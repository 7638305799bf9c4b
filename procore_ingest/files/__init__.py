"""File references -> S3 / HTTPS fetch -> text -> `pdf_page` documents (`--download-files`).

Each file a row refers to (`Document.file_refs`: S3 keys, s3:// URIs, S3 and signed Procore
URLs, JSONB attachment maps) is fetched once per change and indexed as `pdf_page` documents:

- **Fetching.** S3 through boto3 and its standard configuration (`AWS_ACCESS_KEY_ID`,
  `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL` for S3-compatible
  stores). Bare keys are relative to `S3_BUCKET` (`--s3-bucket`); `s3://bucket/key` and S3 URLs
  name their own bucket. Other URLs are fetched with `requests` (redirects followed, timeout).
  Downloads run on `workers` threads and stream to temporary files, never into memory. Files
  over `max_file_mb` (checked with HEAD for S3, with Content-Length for URLs) get one
  metadata-only document.
- **Cache** (`<state_dir>/files/index.json`): per file location and row, the ETag / content hash
  and the ids of the documents made. An unchanged S3 object costs one HEAD; an unchanged URL
  one conditional GET (If-None-Match / If-Modified-Since). A changed file is indexed again and
  its pages beyond the new page count are removed; so are the documents of files a row no
  longer refers to.
- **Failures** (403 expired signature, 404, access denied, timeouts, corrupt or encrypted
  PDFs) are logged with table, row, column and location - never a signature or credential -
  appended to `<state_dir>/files/failures.jsonl`, counted, and never stop the rows. Without AWS
  credentials S3 files are skipped after one warning (`FileIndexer.check()`).
- **Documents.** `pdf_page` (namespace `pdf_page`), id `{row doc id}:{sha1(location)[:16]}:p{n}`
  (see `page_id`): PDFs one per page (pypdf); text, CSV, JSON, Markdown, XML, HTML (tags
  stripped) and .docx one document; images and other files one metadata-only document. With
  `render_pages` (extra `render`) `full_image` / `blur_image` hold JPEG page images; an
  `embedder` (`module:function`, see `pages`) may add fields such as `embedding`.
"""

from .fetch import FetchError, Target, canonical_url, safe_url
from .indexer import (
    DOCTYPE,
    NAMESPACE,
    FileBatchResult,
    FileCounts,
    FileFailure,
    FileIndexer,
    FileOptions,
    page_id,
)
from .pages import load_embedder

__all__ = [
    "DOCTYPE",
    "NAMESPACE",
    "FetchError",
    "FileBatchResult",
    "FileCounts",
    "FileFailure",
    "FileIndexer",
    "FileOptions",
    "Target",
    "canonical_url",
    "load_embedder",
    "page_id",
    "safe_url",
]
