"""File fixtures for --download-files tests: a real S3 endpoint on loopback (moto's server, with
a request log), a plain HTTP file server (ETags, 403s, a request log), and files: PDFs with known
text and PNGs (from procore_ingest.demo.files), an encrypted PDF, a .docx."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from procore_ingest.demo.files import make_pdf, make_png  # noqa: F401  (re-exported for the tests)

BUCKET = "procore-files"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing-access-key",
    "AWS_SECRET_ACCESS_KEY": "testing-secret-key-do-not-log",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


# --- files ---------------------------------------------------------------------------------------


def encrypted_pdf(text: str, password: str = "s3cret-pw") -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf([text]))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
    return buf.getvalue()


# --- a tiny embedder for --embedder tests ------------------------------------------------------


def tiny_embedder(page_image, page_text: str, metadata: dict) -> dict:
    """One patch of 16 int8 values derived from the text: `tensor<int8>(patch{}, v[16])`."""
    digest = hashlib.sha256((page_text or metadata["id"]).encode()).digest()
    values = [b - 256 if b > 127 else b for b in digest[:16]]
    extra = {"embedding": {"blocks": {"0": values}},
             "questions": [f"what is on page {metadata['page_number']} of {metadata['filename']}?"]}
    if page_image is not None:
        extra["questions"].append(f"image {page_image.size[0]}x{page_image.size[1]}")
    return extra


def failing_embedder(page_image, page_text: str, metadata: dict) -> dict:
    raise RuntimeError("model not loaded")


# --- S3: moto's server with a request log ------------------------------------------------------


@dataclass
class S3Server:
    endpoint: str
    log: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=FAKE_ENV["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=FAKE_ENV["AWS_SECRET_ACCESS_KEY"])

    def put(self, key: str, data: bytes, bucket: str = BUCKET, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        self.client().put_object(Bucket=bucket, Key=key, Body=data, **extra)

    def count(self, method: str, key: str, bucket: str = BUCKET) -> int:
        path = f"/{bucket}/{key}"
        return sum(1 for m, p in self.log if m == method and unquote(p) == path)

    def clear(self) -> None:
        self.log.clear()


@contextmanager
def s3_server(buckets: tuple[str, ...] = (BUCKET,)) -> Iterator[S3Server]:
    """moto's S3 on 127.0.0.1 (a free port), the buckets created, every request logged."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    app = DomainDispatcherApplication(create_backend_app)
    log: list[tuple[str, str]] = []

    def logged(environ, start_response):
        log.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, logged, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    s3 = S3Server(f"http://127.0.0.1:{server.server_port}", log)
    try:
        client = s3.client()
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        s3.clear()
        yield s3
    finally:
        # moto keeps its backends per process: empty them for the next test
        try:
            client = s3.client()
            for bucket in client.list_buckets().get("Buckets", []):
                for obj in client.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
                    client.delete_object(Bucket=bucket["Name"], Key=obj["Key"])
                client.delete_bucket(Bucket=bucket["Name"])
        finally:
            server.shutdown()
            thread.join(5)


# --- plain HTTP files (signed URLs) --------------------------------------------------------------


@dataclass
class HttpFile:
    data: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    etag: bool = True
    disposition: str | None = None
    delay_s: float = 0.0  # before answering (timeouts)


@dataclass
class HttpFiles:
    base: str
    files: dict[str, HttpFile] = field(default_factory=dict)  # path -> file
    log: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path with query, status)

    def url(self, path: str, query: str = "") -> str:
        return self.base + path + (f"?{query}" if query else "")

    def count(self, path: str, status: int | None = None) -> int:
        return sum(1 for _, p, s in self.log if urlsplit(p).path == path and (status is None or s == status))


@contextmanager
def http_files() -> Iterator[HttpFiles]:
    files = HttpFiles("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            path = urlsplit(self.path).path
            item = files.files.get(path)
            if item is None:
                return self._status(404, b"not found")
            if item.delay_s:
                time.sleep(item.delay_s)
            if item.status != 200:
                return self._status(item.status, b"<Error>Signature expired</Error>")
            etag = '"' + hashlib.md5(item.data).hexdigest() + '"' if item.etag else None
            if etag and self.headers.get("If-None-Match") == etag:
                files.log.append((self.command, self.path, 304))
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            files.log.append((self.command, self.path, 200))
            self.send_response(200)
            self.send_header("Content-Type", item.content_type)
            self.send_header("Content-Length", str(len(item.data)))
            if etag:
                self.send_header("ETag", etag)
            if item.disposition:
                self.send_header("Content-Disposition", item.disposition)
            self.end_headers()
            if not head:
                self.wfile.write(item.data)

        def _status(self, status: int, body: bytes) -> None:
            files.log.append((self.command, self.path, status))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    files.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield files
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def b64decode(text: str) -> bytes:
    return base64.b64decode(text)
