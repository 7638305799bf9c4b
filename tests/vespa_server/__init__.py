"""An in-process server speaking Vespa's /document/v1 HTTP protocol, for tests.

Vespa cannot run here, and the product talks to Vespa only through pyvespa, so tests point
pyvespa at this server: ``Vespa(url=server.url)``. It is strict - what real Vespa rejects is
rejected here too, with Vespa's status codes and body shapes - and it can inject failures
(429, 503, delays, dropped connections, being down) and shows what it stored.

    with vespa_server() as server:
        app = Vespa(url=server.url)
        app.feed_data_point("procore_record", "1", {"doc_id": "1"})
        assert server.documents("procore_record")

Modules: ``schema`` (.sd parser), ``values`` / ``tensor`` (field types), ``updates`` (partial
updates), ``selection`` (document selector subset), ``docid`` (ids and paths), ``store``
(documents, visit order, continuations), ``api`` (the HTTP API), ``faults`` (fault injection,
request log), ``transport`` (HTTP/1.1 and h2c), ``server`` (``VespaServer``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .faults import LoggedRequest
from .schema import DocumentType, FieldType, load_schemas
from .server import APP_DIR, VespaServer

__all__ = [
    "APP_DIR",
    "DocumentType",
    "FieldType",
    "LoggedRequest",
    "VespaServer",
    "load_schemas",
    "vespa_server",
]


@contextmanager
def vespa_server(
    schema_dir: str | Path = APP_DIR / "schemas", **options: Any
) -> Iterator[VespaServer]:
    """Start a ``VespaServer`` for ``schema_dir`` (default: tests/vespa_app/schemas); stop it
    on exit. ``options`` go to ``VespaServer`` (``strict_types``, ``max_body_bytes``, ...)."""
    server = VespaServer(schema_dir, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
