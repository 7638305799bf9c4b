"""The in-memory document store, and the order and slicing visits use.

Visiting is "a linear scan over the documents in the cluster" (reference: /document/v1, Visit).
Here the scan order is a fixed hash of each document's location, like Vespa's bucket order, so
it is deterministic but unrelated to feed order. A document's location follows the id scheme:
``n=<number>`` and ``g=<group>`` documents share the location of their number / group, so
slicing keeps a group together. ``slices=N&sliceId=i`` takes the documents whose location is
``i`` modulo ``N``, so the slices partition the corpus.

Continuation tokens are opaque (reference: JSONL "continuation": "Clients should not attempt to
parse the contents"): base64 of the scan position. A scan position is not a snapshot: documents
written behind the position during a visit are not seen, as with a real linear scan.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .docid import DocId
from .selection import SelectionDoc


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")


def location_of(doc_id: DocId) -> int:
    if doc_id.number is not None:
        return doc_id.number % 2**64
    if doc_id.group is not None:
        return _hash64("g=" + doc_id.group)
    return _hash64(str(doc_id))


ScanKey = tuple[int, int]


@dataclass
class StoredDoc:
    id: DocId
    fields: dict[str, Any]
    timestamp_us: int = field(default_factory=lambda: time.time_ns() // 1000)

    @property
    def full_id(self) -> str:
        return str(self.id)

    @property
    def location(self) -> int:
        return location_of(self.id)

    @property
    def scan_key(self) -> ScanKey:
        return (self.location, _hash64(self.full_id))

    def selection_view(self) -> SelectionDoc:
        return SelectionDoc(
            doctype=self.id.doctype,
            namespace=self.id.namespace,
            user_id=self.id.user_id,
            full_id=self.full_id,
            fields=self.fields,
            number=self.id.number,
            group=self.id.group,
        )


class ContinuationError(ValueError):
    pass


def encode_continuation(key: ScanKey) -> str:
    raw = json.dumps({"v": 1, "at": [key[0], key[1]]}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continuation(token: str) -> ScanKey:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        at = data["at"]
        if data.get("v") != 1 or len(at) != 2:
            raise ValueError("bad token")
        return (int(at[0]), int(at[1]))
    except (ValueError, KeyError, TypeError, binascii.Error, json.JSONDecodeError):
        raise ContinuationError(f"Failed parsing continuation token '{token}'") from None


class DocumentStore:
    """Documents by full id. Callers hold ``lock`` for read-modify-write sequences."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._docs: dict[str, StoredDoc] = {}
        self._clock_us = 0

    def _now_us(self) -> int:
        # Strictly increasing, like Vespa's per-operation timestamps.
        now = time.time_ns() // 1000
        self._clock_us = max(now, self._clock_us + 1)
        return self._clock_us

    def get(self, full_id: str) -> StoredDoc | None:
        with self.lock:
            return self._docs.get(full_id)

    def put(self, doc_id: DocId, fields: dict[str, Any]) -> StoredDoc:
        with self.lock:
            doc = StoredDoc(doc_id, fields, self._now_us())
            self._docs[str(doc_id)] = doc
            return doc

    def remove(self, full_id: str) -> bool:
        with self.lock:
            return self._docs.pop(full_id, None) is not None

    def clear(self) -> None:
        with self.lock:
            self._docs.clear()

    def all(self) -> list[StoredDoc]:
        with self.lock:
            return list(self._docs.values())

    def scan(
        self,
        doctypes: set[str] | None,
        after: ScanKey | None,
        slices: int = 1,
        slice_id: int = 0,
    ) -> Iterator[StoredDoc]:
        """Documents in scan order, from just after ``after``, restricted to one slice."""
        with self.lock:
            docs = [
                d
                for d in self._docs.values()
                if (doctypes is None or d.id.doctype in doctypes)
                and d.location % slices == slice_id
                and (after is None or d.scan_key > after)
            ]
        docs.sort(key=lambda d: d.scan_key)
        return iter(docs)
