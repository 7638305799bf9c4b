"""Recognise file references in column values: S3 keys, s3:// URIs, S3 and other HTTPS URLs,
and JSON maps / arrays or text arrays of them. Pure functions, no I/O.

Discovery uses `classify_value` on sampled values to decide which columns hold references;
document building uses `extract_references` on every row of those columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/\s]+)/(?P<key>\S.*)$")
# Virtual-hosted style: https://bucket.s3.amazonaws.com/key, https://bucket.s3.us-east-2.amazonaws.com/key
_S3_VHOST = re.compile(
    r"^https?://(?P<bucket>[a-z0-9][a-z0-9.-]*)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/(?P<key>[^?#]+)", re.I
)
# Path style: https://s3.us-east-2.amazonaws.com/bucket/key
_S3_PATH = re.compile(
    r"^https?://s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com/(?P<bucket>[^/?#]+)/(?P<key>[^?#]+)", re.I
)
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.I)
# A bare key: two or more segments, no scheme, the last one a file name with an extension.
# Only the file name may contain spaces (users' original file names do).
_S3_KEY = re.compile(r"^(?:[^\s/:?#]+/)+[^/?#\n]*[^\s/?#]\.[A-Za-z0-9]{1,8}$")
_FILE_NAME = re.compile(r"\.[A-Za-z0-9]{1,8}$")
# Query parameters that mark a signed, expiring file URL (Procore's sig=, AWS SigV4, CloudFront).
_SIGNED_PARAMS = {"sig", "signature", "x-amz-signature", "expires", "x-amz-expires", "token"}

SCALAR_TYPES = ("s3_uri", "s3_url", "url", "s3_key")


@dataclass(frozen=True)
class FileRef:
    """One file a row points to, with where in the row it was found."""

    source_column: str
    reference_type: str  # the column's reference type (s3_key, jsonb_s3_key_map, url, ...)
    s3_key: str | None  # the object key (for s3_key / s3_uri / s3_url references)
    bucket: str | None  # only when the reference names it (s3:// URI, S3 URL)
    url: str | None  # for URL references
    filename: str
    file_id: str | None = None  # the map key of a JSONB {file_id: key} map

    @property
    def location(self) -> str:
        """A unique name for the object: s3://bucket/key, key, or the URL."""
        if self.url and not self.s3_key:
            return self.url
        return f"s3://{self.bucket}/{self.s3_key}" if self.bucket else str(self.s3_key)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __reduce__(self) -> tuple[type[FileRef], tuple[str | None, ...]]:
        # a tuple of the fields: several times cheaper to pickle than the default state dict
        return (FileRef, (self.source_column, self.reference_type, self.s3_key, self.bucket,
                          self.url, self.filename, self.file_id))


def classify_scalar(text: str) -> str | None:
    """The reference type of one string, or None when it is not a file reference."""
    text = text.strip()
    if not text or len(text) > 2048 or "\n" in text:
        return None
    if "://" not in text:  # the usual case, a bare key: no need to try the URL patterns
        return "s3_key" if _S3_KEY.match(text) else None
    if _S3_URI.match(text):
        return "s3_uri"
    if _S3_VHOST.match(text) or _S3_PATH.match(text):
        return "s3_url"
    if _URL.match(text):
        return "url" if _looks_like_file_url(text) else None
    if _S3_KEY.match(text):
        return "s3_key"
    return None


def _looks_like_file_url(url: str) -> bool:
    # A web page or webhook endpoint is not a file: require a file name or a signature.
    parts = urlsplit(url)
    if _FILE_NAME.search(parts.path.rsplit("/", 1)[-1]):
        return True
    return any(k.lower() in _SIGNED_PARAMS for k, _ in parse_qsl(parts.query))


def classify_value(value: Any, *, is_json: bool = False) -> str | None:
    """The reference type of a column value (str, JSON object/array, or text[] list).

    A container counts when most of its non-empty members are references.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return classify_scalar(value)
    if isinstance(value, dict):
        scalars = [classify_scalar(v) for v in value.values() if isinstance(v, str) and v.strip()]
        scalar = _dominant(scalars)
        return f"jsonb_{'url' if scalar in ('url', 's3_url') else 's3_key'}_map" if scalar else None
    if isinstance(value, (list, tuple)):
        scalars = [classify_scalar(v) for v in value if isinstance(v, str) and v.strip()]
        scalar = _dominant(scalars)
        if not scalar:
            return None
        family = "url" if scalar in ("url", "s3_url") else "s3_key"
        if is_json:
            return f"jsonb_{family}_array"
        return "text_array_urls" if family == "url" else "text_array_s3_keys"
    return None


def _dominant(types: list[str | None]) -> str | None:
    hits = [t for t in types if t]
    if not hits or len(hits) * 2 < len(types):
        return None
    return max(set(hits), key=hits.count)


def _scalar_ref(text: str, column: str, reference_type: str, file_id: str | None) -> FileRef | None:
    text = text.strip()
    kind = classify_scalar(text)
    if kind is None:
        return None
    bucket = key = url = None
    if kind == "s3_uri":
        m = _S3_URI.match(text)
        assert m
        bucket, key = m["bucket"], m["key"]
    elif kind == "s3_url":
        m = _S3_VHOST.match(text) or _S3_PATH.match(text)
        assert m
        bucket, key, url = m["bucket"], unquote(m["key"]), text
    elif kind == "url":
        url = text
    else:
        key = text
    path = key if key else urlsplit(text).path
    filename = path.rstrip("/").rsplit("/", 1)[-1]
    return FileRef(column, reference_type, key, bucket, url, unquote(filename) if "%" in filename else filename, file_id)


def extract_references(value: Any, column: str, reference_type: str) -> list[FileRef]:
    """Every file reference in one column value, in a stable order, without duplicates.

    Non-reference members (empty strings, JSON null, numbers) are skipped, as the user's
    mirror leaves them in attachment maps.
    """
    refs: list[FileRef] = []
    if isinstance(value, str):
        found = _scalar_ref(value, column, reference_type, None)
        refs = [found] if found else []
    elif isinstance(value, dict):
        for file_id, member in value.items():
            if isinstance(member, str):
                found = _scalar_ref(member, column, reference_type, str(file_id))
                if found:
                    refs.append(found)
    elif isinstance(value, (list, tuple)):
        for member in value:
            if isinstance(member, str):
                found = _scalar_ref(member, column, reference_type, None)
                if found:
                    refs.append(found)
    return dedupe(refs) if len(refs) > 1 else refs


def dedupe(refs: Iterable[FileRef]) -> list[FileRef]:
    """`refs` without repeats of the same object (first occurrence wins)."""
    seen: set[str] = set()
    out = []
    for ref in refs:
        if ref.location not in seen:
            seen.add(ref.location)
            out.append(ref)
    return out


def shape_of(text: str) -> str:
    """A value's shape for reports: `562949953425831/562949954229558/photos/1/IMG.jpg`
    becomes `{n}/{n}/photos/{n}/{file}`; URLs keep scheme and host."""
    text = text.strip()
    prefix = ""
    m = re.match(r"^([a-z0-9]+://[^/]+)(/.*)?$", text, re.I)
    if m:
        prefix, text = m.group(1), (m.group(2) or "").split("?", 1)[0]
    segments = text.split("/")
    out = []
    for i, seg in enumerate(segments):
        if i == len(segments) - 1 and _FILE_NAME.search(seg):
            out.append("{file}")
        elif seg.isdigit():
            out.append("{n}")
        elif re.fullmatch(r"[0-9a-f-]{16,}", seg, re.I):
            out.append("{hex}")
        else:
            out.append(seg)
    return prefix + "/".join(out)
