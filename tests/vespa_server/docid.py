"""Document ids and /document/v1 paths.

Reference: "Documents" (id scheme) and the /document/v1 API reference (HTTP requests):

* a document id is ``id:<namespace>:<document-type>:<key/value-pair>:<user-specified>`` where the
  key/value pair is empty, ``n=<number>`` or ``g=<group>``;
* ``/document/v1/<namespace>/<document-type>/docid/<user-specified>`` maps to
  ``id:<namespace>:<document-type>::<user-specified>``; ``/number/<n>/...`` and
  ``/group/<g>/...`` add ``n=`` / ``g=``;
* each path segment is percent-decoded on its own, and the segments after ``docid/`` are joined
  with ``/`` - so ``a/b`` and ``a%2Fb`` name the same document ``...::a/b``;
* the id may only contain text characters (``Text.isTextCharacter``), is at most 65536 UTF-16
  code units long, and the namespace must be non-empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from .values import first_illegal_code_point

MAX_ID_LENGTH = 0x10000  # IdString.MAX_LENGTH


class PathError(ValueError):
    """The request path is malformed for /document/v1 (a 400 in Vespa)."""


@dataclass(frozen=True)
class DocId:
    namespace: str
    doctype: str
    user_id: str
    number: int | None = None
    group: str | None = None

    @property
    def kv(self) -> str:
        if self.number is not None:
            return f"n={self.number}"
        if self.group is not None:
            return f"g={self.group}"
        return ""

    def __str__(self) -> str:
        return f"id:{self.namespace}:{self.doctype}:{self.kv}:{self.user_id}"


def decode_segment(segment: str) -> str:
    try:
        return unquote(segment, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise PathError(
            f"Path segment '{segment}' is not valid percent-encoded UTF-8: {e}"
        ) from None


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def validate_id(doc_id: DocId) -> None:
    full = str(doc_id)
    if utf16_length(full) > MAX_ID_LENGTH:
        raise PathError(
            f"Document id length {utf16_length(full)} is longer than max length of {MAX_ID_LENGTH}"
        )
    cp = first_illegal_code_point(full)
    if cp is not None:
        raise PathError(f"Unparseable id '{full}': Contains illegal code point 0x{cp:X}")
    if not doc_id.namespace:
        raise PathError(f"Unparseable id '{full}': Namespace must be non-empty")
    for part, what in ((doc_id.namespace, "namespace"), (doc_id.doctype, "document type")):
        if ":" in part:
            raise PathError(f"Unparseable id '{full}': ':' is not allowed in the {what}")
    if doc_id.group is not None:
        cp = first_illegal_code_point(doc_id.group)
        if cp is not None:
            raise PathError(f"Illegal code point U{cp:04X} in group")


def parse_number(text: str) -> int:
    """Numeric group ids are unsigned 64 bit (Long.parseUnsignedLong)."""
    if not text.isdigit() or int(text) >= 2**64:
        raise PathError(f"Failed parsing '{text}': For input string: \"{text}\"")
    n = int(text)
    return n - 2**64 if n >= 2**63 else n
