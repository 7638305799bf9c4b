"""What the index holds for one table, as compactly as Python allows: 16 bytes a document.

`--verify` joins two streams that come in different orders: the table's rows in key order from
PostgreSQL, and its documents in Vespa's visiting order (or a feed file's order). One side has
to be held; it is the index's, and only as two 64-bit numbers per document: a hash of its id
and a digest of its fields (`documents.record.content_digest`), packed in `array('Q')`s, cut
into 256 parts by the id hash's first byte and sorted within each part, so a row's document is
found by bisection. About 16 MB at a million documents, where a dict of them would take ~130 MB.

    index = DigestIndex()
    for doc_id, fields in sink.visit(...):      # a feed file's remove: fields None
        index.put(doc_id, content_digest(fields)) if fields is not None else index.drop(doc_id)
    index.freeze()
    index.match(row_doc_id, row_digest)          # EQUAL, STALE or MISSING; marks the document seen
    index.unseen                                 # documents no row matched: extra
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left

PARTS = 256
EQUAL, STALE, MISSING = "equal", "stale", "missing"
_REMOVED = 0  # content_digest is never 0


def id_hash(doc_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "big")


class DigestIndex:
    def __init__(self) -> None:
        # (id hash, digest) pairs as they arrive, per part; replayed (last one wins) by freeze()
        self._arrived = [array("Q") for _ in range(PARTS)]
        self._keys: list[array] = []
        self._digests: list[array] = []
        self._seen: list[bytearray] = []

    def put(self, doc_id: str, digest: int) -> None:
        h = id_hash(doc_id)
        self._arrived[h >> 56].extend((h, digest))

    def drop(self, doc_id: str) -> None:
        """A later remove of `doc_id` (feed files): it is not in the index, unless put again."""
        h = id_hash(doc_id)
        self._arrived[h >> 56].extend((h, _REMOVED))

    def freeze(self) -> None:
        """Done adding: each part replayed in arrival order and sorted by id hash."""
        for part in self._arrived:
            last = dict(zip(part[0::2], part[1::2], strict=True))  # a later pair for an id wins
            keys = sorted(h for h, d in last.items() if d != _REMOVED)
            self._keys.append(array("Q", keys))
            self._digests.append(array("Q", (last[h] for h in keys)))
            self._seen.append(bytearray(len(keys)))
            del part[:]  # memory goes back part by part

    def __len__(self) -> int:
        return sum(len(k) for k in self._keys)

    def _find(self, doc_id: str) -> tuple[int, int]:
        """(part, position) of `doc_id`'s document, position -1 when the index lacks it."""
        h = id_hash(doc_id)
        part = h >> 56
        keys = self._keys[part]
        i = bisect_left(keys, h)
        return part, (i if i < len(keys) and keys[i] == h else -1)

    def match(self, doc_id: str, digest: int) -> str:
        """How the index's document of `doc_id` compares with `digest` (EQUAL, STALE or
        MISSING); the document counts as seen (not extra)."""
        part, i = self._find(doc_id)
        if i < 0:
            return MISSING
        self._seen[part][i] = 1
        return EQUAL if self._digests[part][i] == digest else STALE

    @property
    def unseen(self) -> int:
        """Documents no `match` asked for: the index holds them, the database does not."""
        return sum(len(s) - s.count(1) - s.count(2) for s in self._seen)

    def take_unseen(self, doc_id: str) -> bool:
        """True once for each unseen document (visit the index again to name them: its ids
        are not kept here); later calls for the same id say False."""
        part, i = self._find(doc_id)
        if i < 0 or self._seen[part][i]:
            return False
        self._seen[part][i] = 2
        return True
