"""The keys of a table's rows that the index holds, kept by sync beside its state, so that an
insert or a delete never needs the table's ids listed from Vespa.

For tables whose key is one integer column (Procore's `id bigint`): a sorted array of 64-bit
keys in its own file per table (`<state dir>/keys/<table>.keys`, 8 bytes a row), plus a small
journal of the keys added and removed since (`.journal`), folded into the array when it grows
past a tenth of it; so a cycle that feeds a few rows writes a few bytes, not the array.

Beside the keys, the digest of each key range (count and sum of 64-bit key hashes, the same
hash PostgreSQL computes in `source.changes.key_range_digests`), kept up to date as keys come
and go: comparing them with the database's tells *which* ranges lost or gained keys, and only
those ranges' keys are compared one by one.

The store holds only what Vespa acknowledged: a put that failed is not added, a remove that
failed is not removed. `--verify` compares it with the ids the index holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes, atomic_write_text

KEYS_DIR = "keys"
FORMAT = 1
_JOURNAL_SHARE = 10  # fold the journal into the array when it exceeds 1/10 of it
_MAGIC = b"PIKEYS1\n"


_MASK = 0xFFFFFFFF


def _rotate(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _MASK


def key_hash(key: int) -> int:
    """PostgreSQL's `hashint8extended(key, 0)` (the hash it partitions bigint keys with: a pure
    function of the value, the same on every platform), as a signed 64-bit number. Cheap in
    the database (a third of md5's cost over a million keys, bench/RESULTS.md), so the key-range
    digests of a delete cost little more than reading the keys."""
    low, high = key & _MASK, (key >> 32) & _MASK
    low ^= high if key >= 0 else ~high & _MASK
    a = b = c = (0x9E3779B9 + 4 + 3923095) & _MASK
    a = (a + low) & _MASK
    # Bob Jenkins' final() mix, as PostgreSQL's hash_uint32_extended applies it
    c ^= b; c = (c - _rotate(b, 14)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rotate(c, 11)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rotate(a, 25)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rotate(b, 16)) & _MASK  # noqa: E702
    a ^= c; a = (a - _rotate(c, 4)) & _MASK  # noqa: E702
    b ^= a; b = (b - _rotate(a, 14)) & _MASK  # noqa: E702
    c ^= b; c = (c - _rotate(b, 24)) & _MASK  # noqa: E702
    value = (b << 32) | c
    return value - (1 << 64) if value >= 1 << 63 else value


def key_of_id(doc_id: str) -> int | None:
    """The key of a procore_record id of a table keyed by one integer column (`<table>:<key>`);
    None for an id of another key scheme the index may still hold from before the table got its
    key (`sha256:…` of a keyless table, `5|17` of a composite key, `hmac-sha256:…` of a key once
    secret-looking): not a key of this table, it is removed by the reconcile, never kept."""
    part = doc_id.rsplit(":", 1)[1]
    try:
        return int(part)
    except ValueError:
        return None


def keys_of_ids(doc_ids: Iterable[str]) -> Iterator[int]:
    """The keys of `doc_ids` (`key_of_id`), ids of another key scheme left out."""
    for doc_id in doc_ids:
        key = key_of_id(doc_id)
        if key is not None:
            yield key


def range_of(bounds: list[int], key: int) -> int:
    """The key range holding `key`: PostgreSQL's `width_bucket(key, bounds)` (0 below the first
    bound, len(bounds) from the last one on)."""
    return bisect_right(bounds, key)


def file_name(table: str) -> str:
    """A file name for a table name (any characters): readable prefix, digest for uniqueness."""
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in table)[:60]
    return f"{safe}-{hashlib.sha256(table.encode()).hexdigest()[:12]}"


class IndexedKeys:
    """The indexed keys of one table, their key ranges and the ranges' digests."""

    def __init__(self, bounds: list[int], keys: Iterable[int] = ()) -> None:
        self.bounds = list(bounds)
        self._base = array("q", sorted(set(keys)))
        self._added: set[int] = set()
        self._removed: set[int] = set()
        self._generation = uuid.uuid4().hex  # ties a journal to the array it amends
        self._digests: list[list[int]] = [[0, 0] for _ in range(len(self.bounds) + 1)]
        for key in self._base:
            self._count(key, 1)
        self._dirty_base = True
        self._dirty = True  # something to write (save() of an unchanged store writes nothing)

    # -- reading
    def __contains__(self, key: int) -> bool:
        if key in self._added:
            return True
        if key in self._removed:
            return False
        i = bisect_left(self._base, key)
        return i < len(self._base) and self._base[i] == key

    def __len__(self) -> int:
        return sum(d[0] for d in self._digests)

    def digests(self) -> dict[str, str]:
        """range -> "count:sum" for every non-empty range, as `key_range_digests` returns them."""
        return {str(r): f"{c}:{s}" for r, (c, s) in enumerate(self._digests) if c}

    def fingerprint(self) -> list[Any]:
        """[count, sum of key hashes] of the kept keys."""
        return [len(self), str(sum(d[1] for d in self._digests))]

    def keys_in_range(self, r: int) -> set[int]:
        lo = self.bounds[r - 1] if r > 0 else None
        hi = self.bounds[r] if r < len(self.bounds) else None
        start = 0 if lo is None else bisect_left(self._base, lo)
        end = len(self._base) if hi is None else bisect_left(self._base, hi)
        keys = {k for k in self._base[start:end] if k not in self._removed}
        return keys | {k for k in self._added if range_of(self.bounds, k) == r}

    def __iter__(self) -> Iterator[int]:
        return iter(sorted(self.keys_in_all()))

    def keys_in_all(self) -> set[int]:
        return {k for k in self._base if k not in self._removed} | self._added

    # -- changing
    def _count(self, key: int, sign: int) -> None:
        d = self._digests[range_of(self.bounds, key)]
        d[0] += sign
        d[1] += sign * key_hash(key)

    def add(self, keys: Iterable[int]) -> int:
        """Keys Vespa now holds; returns how many were new."""
        new = 0
        for key in keys:
            if key in self:
                continue
            new += 1
            self._dirty = True
            self._count(key, 1)
            if key in self._removed:
                self._removed.discard(key)
            else:
                self._added.add(key)
        return new

    def discard(self, keys: Iterable[int]) -> int:
        """Keys Vespa no longer holds; returns how many it held."""
        gone = 0
        for key in keys:
            if key not in self:
                continue
            gone += 1
            self._dirty = True
            self._count(key, -1)
            if key in self._added:
                self._added.discard(key)
            else:
                self._removed.add(key)
        return gone

    # -- files
    def save(self, state_dir: str | os.PathLike[str], table: str) -> None:
        """The array when it changed (or the journal grew past a tenth of it), else only the
        journal; each atomically (temp file, fsync, rename), mode 0600. Nothing when nothing
        changed since it was loaded or saved."""
        if not self._dirty:
            return
        folder = Path(state_dir) / KEYS_DIR
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        base = folder / (file_name(table) + ".keys")
        if self._dirty_base or len(self._added) + len(self._removed) > max(len(self._base) // _JOURNAL_SHARE, 1000):
            merged = array("q", sorted(self.keys_in_all()))
            self._base, self._added, self._removed = merged, set(), set()
            self._generation = uuid.uuid4().hex
            header = json.dumps({"format": FORMAT, "generation": self._generation, "table": table,
                                 "bounds": self.bounds}).encode()
            atomic_write_bytes(base, _MAGIC + len(header).to_bytes(4, "little") + header + merged.tobytes(), mode=0o600)
            self._dirty_base = False
        journal = {"format": FORMAT, "generation": self._generation, "added": sorted(self._added),
                   "removed": sorted(self._removed), "digests": self._digests}
        atomic_write_text(folder / (file_name(table) + ".journal"), json.dumps(journal), mode=0o600)
        self._dirty = False

    @classmethod
    def load(cls, state_dir: str | os.PathLike[str], table: str) -> IndexedKeys | None:
        """The store of `table`, or None when there is none or it cannot be trusted (unreadable,
        another format, a journal of another array): sync then lists the index once and builds it
        again."""
        folder = Path(state_dir) / KEYS_DIR
        try:
            raw = (folder / (file_name(table) + ".keys")).read_bytes()
            journal = json.loads((folder / (file_name(table) + ".journal")).read_text(encoding="utf-8"))
            if not raw.startswith(_MAGIC):
                return None
            size = int.from_bytes(raw[len(_MAGIC):len(_MAGIC) + 4], "little")
            start = len(_MAGIC) + 4
            header = json.loads(raw[start:start + size])
            if (header.get("format") != FORMAT or journal.get("format") != FORMAT or header.get("table") != table
                    or journal.get("generation") != header.get("generation")):
                return None
            store = cls.__new__(cls)
            store.bounds = [int(b) for b in header["bounds"]]
            store._base = array("q")
            store._base.frombytes(raw[start + size:])
            store._added = {int(k) for k in journal["added"]}
            store._removed = {int(k) for k in journal["removed"]}
            store._generation = header["generation"]
            store._digests = [[int(c), int(s)] for c, s in journal["digests"]]
            store._dirty_base = store._dirty = False
            if len(store._digests) != len(store.bounds) + 1:
                return None
            return store
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @staticmethod
    def forget(state_dir: str | os.PathLike[str], table: str) -> None:
        """Remove the table's files (a dropped table, a table that lost its integer key)."""
        folder = Path(state_dir) / KEYS_DIR
        for suffix in (".keys", ".journal"):
            try:
                (folder / (file_name(table) + suffix)).unlink()
            except FileNotFoundError:
                pass
