"""Getting file bytes: S3 through boto3, other HTTPS URLs (Procore's signed URLs) through requests.

Both fetchers stream to an open file on disk in 1 MiB chunks and stop at a size cap, so no file
is ever held whole in memory. Errors become `FetchError` with a kind (`not_found`, `forbidden`,
`timeout`, ...) and a message that never carries credentials or a URL's query string.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from email.message import Message
from typing import IO, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..discovery.filerefs import FileRef
from ..discovery.sensitive import unsigned_url

CHUNK = 1 << 20

# Any query string inside a message (a URL in an exception text, `url: /path?sig=...`).
_QUERY_IN_TEXT = re.compile(r"\?[^\s'\"<>)]+")


class FetchError(Exception):
    """A file could not be fetched. `kind`: not_found, forbidden, timeout, connection,
    http_error, no_credentials, error. `status`: the HTTP status when there was one."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


class TooLarge(Exception):
    """The object is bigger than the cap; `size` is its size when known."""

    def __init__(self, size: int | None, remote: RemoteObject | None = None) -> None:
        super().__init__(f"larger than the cap ({size} bytes)")
        self.size, self.remote = size, remote


@dataclass
class RemoteObject:
    """What the server says about an object (from HEAD or the GET response headers)."""

    etag: str | None = None
    size: int | None = None
    content_type: str | None = None
    last_modified: str | None = None
    filename: str | None = None  # from Content-Disposition, when the server names the file


@dataclass(frozen=True)
class Target:
    """Where one reference is fetched from.

    `location` is the object's identity: `s3://bucket/key`, or the URL without its signing
    parameters (a re-signed URL is the same file). `display` is safe to log.
    """

    kind: str  # "s3" or "http"
    location: str
    bucket: str | None = None
    key: str | None = None
    url: str | None = None  # what to GET (signature included); only for http

    @property
    def display(self) -> str:
        return self.location if self.kind == "s3" else safe_url(self.url or self.location)


def canonical_url(url: str) -> str:
    """`url` without user info and signing/expiry query parameters (the same parameters
    documents leave out: `sensitive.unsigned_url`), normalised: a file's identity."""
    parts = urlsplit(unsigned_url(url))
    query = urlencode(parse_qsl(parts.query, keep_blank_values=True))  # one spelling of the query
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))


def safe_url(url: str) -> str:
    """`url` for messages: no user info, no query string (`?…` marks that there was one)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", "")) + ("?…" if parts.query else "")


def scrub_message(text: str, *secrets: str | None) -> str:
    """One line of `text` with query strings and the given secrets removed."""
    line = (text.strip().splitlines() or [""])[0]
    for secret in secrets:
        if secret:
            line = line.replace(secret, "***")
    line = _QUERY_IN_TEXT.sub("?…", line)
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", line)[:500]


def resolve(ref: FileRef, default_bucket: str | None) -> Target | None:
    """The target of `ref`, or None for a bare key when no bucket is configured."""
    if ref.s3_key:
        bucket = ref.bucket or default_bucket
        if not bucket:
            return None
        return Target("s3", f"s3://{bucket}/{ref.s3_key}", bucket, ref.s3_key, ref.url)
    assert ref.url
    return Target("http", canonical_url(ref.url), url=ref.url)


def filename_from_disposition(header: str | None) -> str | None:
    if not header:
        return None
    msg = Message()
    msg["content-disposition"] = header
    name = msg.get_filename()
    if not name:
        return None
    name = unquote(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


# --- S3 ----------------------------------------------------------------------------------------


class S3Fetcher:
    """boto3 with its standard configuration (environment, AWS_PROFILE, ~/.aws), plus an
    explicit endpoint for S3-compatible stores. The client is shared by the worker threads
    (boto3 clients are thread-safe; sessions are not, so the session is used only here)."""

    def __init__(self, *, timeout_s: float, workers: int, endpoint_url: str | None = None,
                 region: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.timeout_s = timeout_s
        self.workers = workers
        self._client: Any = None
        self._lock = threading.Lock()
        self.problem: str | None = None  # why S3 cannot be used (no credentials, bad profile)
        self._session = self._make_session()

    def _make_session(self):
        import boto3
        from botocore.exceptions import BotoCoreError

        try:
            session = boto3.Session(region_name=self.region)
            credentials = session.get_credentials()
        except BotoCoreError as exc:  # ProfileNotFound, a malformed config file, ...
            self.problem = f"AWS configuration unusable ({scrub_message(str(exc))})"
            return None
        if credentials is None:
            self.problem = ("no AWS credentials found (set AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)")
            return None
        return session

    @property
    def available(self) -> bool:
        return self._session is not None

    @property
    def client(self):
        with self._lock:
            if self._client is None:
                from botocore.config import Config

                config = Config(
                    connect_timeout=self.timeout_s, read_timeout=self.timeout_s,
                    retries={"max_attempts": 3, "mode": "standard"},
                    max_pool_connections=max(10, self.workers * 2),
                    # S3-compatible stores (MinIO, a local endpoint) are addressed by path
                    s3={"addressing_style": "path"} if self.endpoint_url else None,
                )
                self._client = self._session.client("s3", endpoint_url=self.endpoint_url or None,
                                                    config=config)
            return self._client

    def head(self, bucket: str, key: str) -> RemoteObject:
        try:
            resp = self.client.head_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise _s3_error(exc) from None
        return RemoteObject(etag=resp.get("ETag"), size=resp.get("ContentLength"),
                            content_type=resp.get("ContentType"),
                            last_modified=str(resp.get("LastModified") or "") or None)

    def download(self, bucket: str, key: str, out: IO[bytes], max_bytes: int) -> RemoteObject:
        """Stream the object into `out`; TooLarge past `max_bytes`."""
        try:
            resp = self.client.get_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise _s3_error(exc) from None
        remote = RemoteObject(etag=resp.get("ETag"), size=resp.get("ContentLength"),
                              content_type=resp.get("ContentType"),
                              last_modified=str(resp.get("LastModified") or "") or None)
        body = resp["Body"]
        try:
            if remote.size is not None and remote.size > max_bytes:
                raise TooLarge(remote.size)
            written = 0
            for chunk in body.iter_chunks(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge(remote.size)
                out.write(chunk)
        except (TooLarge, FetchError):
            raise
        except Exception as exc:
            raise _s3_error(exc) from None
        finally:
            body.close()
        remote.size = written
        return remote


def _s3_error(exc: Exception) -> FetchError:
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        NoCredentialsError,
        ReadTimeoutError,
    )
    from botocore.exceptions import (
        ConnectionError as BotoConnectionError,
    )

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("404", "NoSuchKey", "NotFound", "NoSuchBucket") or status == 404:
            what = "no such bucket" if code == "NoSuchBucket" else "no such key"
            return FetchError("not_found", f"S3 {what} (HTTP 404)", 404)
        if code in ("403", "AccessDenied", "Forbidden", "InvalidAccessKeyId",
                    "SignatureDoesNotMatch", "ExpiredToken") or status == 403:
            detail = code if code and not code.isdigit() else "access denied"
            return FetchError("forbidden", f"S3 access denied: {detail} (HTTP 403)", 403)
        return FetchError("http_error", f"S3 error {code or status} (HTTP {status})", status)
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)) or "timeout" in type(exc).__name__.lower():
        return FetchError("timeout", "S3 request timed out")
    if isinstance(exc, NoCredentialsError):
        return FetchError("no_credentials", "no AWS credentials")
    if isinstance(exc, BotoConnectionError):
        return FetchError("connection", f"cannot reach S3: {scrub_message(str(exc))}")
    return FetchError("error", f"S3 {type(exc).__name__}: {scrub_message(str(exc))}")


# --- HTTP(S) -----------------------------------------------------------------------------------


@dataclass
class HttpOutcome:
    status: str  # "downloaded", "not_modified" (304), "same_etag" (200 with the known ETag)
    remote: RemoteObject


class HttpFetcher:
    """GET with redirects, a timeout, conditional headers, streamed to disk. One
    `requests.Session` per worker thread."""

    def __init__(self, *, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._sessions: list[Any] = []
        self._lock = threading.Lock()

    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = "procore-ingest"
            session.max_redirects = 10
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def fetch(self, url: str, out: IO[bytes], max_bytes: int, *, etag: str | None = None,
              last_modified: str | None = None) -> HttpOutcome:
        """GET `url` into `out`. With `etag` / `last_modified` the request is conditional:
        an unchanged file answers 304 (or the same ETag) and is not read."""
        import requests

        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        elif last_modified:
            headers["If-Modified-Since"] = last_modified
        query = urlsplit(url).query
        try:
            resp = self._session().get(url, headers=headers, stream=True, allow_redirects=True,
                                       timeout=(min(self.timeout_s, 30), self.timeout_s))
        except requests.Timeout:
            raise FetchError("timeout", f"no answer within {self.timeout_s:g}s") from None
        except requests.TooManyRedirects:
            raise FetchError("http_error", "too many redirects") from None
        except requests.RequestException as exc:
            raise FetchError("connection", f"cannot connect: {type(exc).__name__}: "
                                           f"{scrub_message(str(exc), query)}") from None
        with resp:
            remote = RemoteObject(
                etag=resp.headers.get("ETag"),
                size=_int(resp.headers.get("Content-Length")) if not resp.headers.get("Content-Encoding") else None,
                content_type=resp.headers.get("Content-Type"),
                last_modified=resp.headers.get("Last-Modified"),
                filename=filename_from_disposition(resp.headers.get("Content-Disposition")),
            )
            if resp.status_code == 304:
                return HttpOutcome("not_modified", remote)
            if resp.status_code >= 400:
                raise _http_error(resp.status_code, resp.reason)
            if etag and remote.etag == etag:
                return HttpOutcome("same_etag", remote)
            if remote.size is not None and remote.size > max_bytes:
                raise TooLarge(remote.size, remote)
            written = 0
            try:
                for chunk in resp.iter_content(CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise TooLarge(remote.size, remote)
                    out.write(chunk)
            except requests.RequestException as exc:
                kind = "timeout" if "timed out" in str(exc).lower() else "connection"
                raise FetchError(kind, f"download interrupted: {type(exc).__name__}") from None
            remote.size = written
            return HttpOutcome("downloaded", remote)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()


def _http_error(status: int, reason: str | None) -> FetchError:
    text = f"HTTP {status} {reason or ''}".strip()
    if status == 403:
        return FetchError("forbidden", f"{text} (expired or invalid signature?)", status)
    if status == 401:
        return FetchError("forbidden", text, status)
    if status in (404, 410):
        return FetchError("not_found", text, status)
    if status in (408, 504):
        return FetchError("timeout", text, status)
    return FetchError("http_error", text, status)


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
