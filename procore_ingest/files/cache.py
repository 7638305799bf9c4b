"""What was fetched and indexed before: `<state_dir>/files/index.json`.

    {"version": 1,
     "objects": {
       "s3://bucket/562.../photos/1/IMG_1.jpg": {          # the object's location
         "etag": "\"9b2c...\"", "size": 48213, "content_type": "image/jpeg",
         "sha256": "...", "checked_at": "2025-...Z",
         "parents": {                                      # per row document
           "photos:1": {"etag": ..., "sha256": ..., "size": ..., "last_modified": ...,
                        "profile": "v1|render=0|embedder=", "kind": "image",
                        "too_large": false, "error": null,
                        "ids": ["photos:1:1f3a...:p1"]}}}}}

A file is re-indexed for a row when its ETag (or, without one, its content hash) or the
processing profile differs from what that row's record says. Keys are full locations, so
equal file names in different folders never meet. The file is written atomically, mode 0600;
it holds no credentials (URLs are stored without their signatures). A cache that cannot be
read is set aside (`index.json.bad`) and rebuilt: it only saves work.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_text
from ..logs import logger

VERSION = 1


class FileCache:
    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.folder = Path(state_dir) / "files"
        self.path = self.folder / "index.json"
        self.objects: dict[str, dict[str, Any]] = {}
        self._by_parent: dict[str, set[str]] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("unknown format")
            objects = data.get("objects") or {}
            if not isinstance(objects, dict):
                raise ValueError("unknown format")
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            bad = self.path.with_name("index.json.bad")
            logger.warning("File cache %s is unreadable (%s); starting a new one (old copy: %s)",
                           self.path, exc, bad)
            try:
                os.replace(self.path, bad)
            except OSError:
                pass
            return
        self.objects = objects
        for location, entry in objects.items():
            for parent in (entry.get("parents") or {}):
                self._by_parent.setdefault(parent, set()).add(location)

    # -- reading (safe from worker threads while nothing writes)
    def record(self, location: str, parent: str) -> dict[str, Any] | None:
        entry = self.objects.get(location)
        return (entry.get("parents") or {}).get(parent) if entry else None

    def locations_of(self, parent: str) -> set[str]:
        return set(self._by_parent.get(parent, ()))

    def __len__(self) -> int:
        return len(self.objects)

    # -- writing (main thread only)
    def put(self, location: str, parent: str, record: dict[str, Any], info: dict[str, Any]) -> None:
        entry = self.objects.setdefault(location, {"parents": {}})
        entry.update({k: v for k, v in info.items() if k != "parents"})
        entry.setdefault("parents", {})[parent] = record
        self._by_parent.setdefault(parent, set()).add(location)
        self.dirty = True

    def drop(self, location: str, parent: str) -> list[str]:
        """Forget `parent`'s documents of `location`; returns their ids."""
        entry = self.objects.get(location)
        if not entry:
            return []
        record = (entry.get("parents") or {}).pop(parent, None)
        locations = self._by_parent.get(parent)
        if locations is not None:
            locations.discard(location)
            if not locations:
                del self._by_parent[parent]
        if not entry.get("parents"):
            del self.objects[location]
        self.dirty = True
        return list(record.get("ids") or []) if record else []

    def save(self) -> None:
        if not self.dirty:
            return
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps({"version": VERSION, "objects": self.objects},
                                                sort_keys=True, separators=(",", ":")) + "\n", mode=0o600)
        self.dirty = False
