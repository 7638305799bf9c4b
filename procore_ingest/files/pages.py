"""Page images (`--render-pages`, extra `render`: pypdfium2 + Pillow) and the embedder plug-in
(`--embedder module:function`).

The embedder contract
---------------------
A callable, named `module:function` (or `module:object.method`), imported once per run::

    def embed(page_image, page_text: str, metadata: dict) -> dict | None:
        ...
        return {"embedding": {"blocks": {"0": [1, -2, ...16 int8 values...]}}}

- `page_image`: a `PIL.Image.Image` (RGB) of the page when Pillow is installed (and, for PDFs,
  pypdfium2); a photo's own image for image files; None for text files, or when the libraries
  are missing.
- `page_text`: the page's extracted text ("" when none).
- `metadata`: `id`, `parent_doc_id`, `page_number`, `page_count`, `location`, `filename`,
  `content_type`, `kind` (pdf, text, html, docx, image), `table`, `column`.
- It returns extra `pdf_page` fields in Vespa's document JSON form (for example `embedding`
  as `tensor<int8>(patch{}, v[16])`, `embedding_float`, `questions`, `tags`), or None. `id` and
  `parent_doc_id` cannot be overridden.

Calls are serialised (one at a time, from the download worker threads), so a model need not
be thread-safe. An exception fails that file: it is logged, counted, and tried again next run.
"""

from __future__ import annotations

import base64
import importlib
import io
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError

Embedder = Callable[[Any, str, dict[str, Any]], "dict[str, Any] | None"]

# PDFium is not thread-safe: every call into it goes through this lock.
_PDFIUM_LOCK = threading.Lock()
LONG_SIDE_PX = 1280  # rendered page size (longer side)
BLUR_WIDTH_PX = 64


def pillow_available() -> bool:
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def pdfium_available() -> bool:
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return False
    return True


def render_problem() -> str | None:
    """Why pages cannot be rendered here, or None."""
    missing = [name for name, ok in (("pypdfium2", pdfium_available()), ("Pillow", pillow_available()))
               if not ok]
    if missing:
        return (f"--render-pages needs {' and '.join(missing)}: "
                "pip install 'procore-ingest[render]'")
    return None


class PageImages:
    """Page images of one downloaded file, made on demand (one page in memory at a time)."""

    def __init__(self, path: Path, kind: str, page_count: int) -> None:
        self.path, self.kind, self.page_count = path, kind, page_count
        self._pdf: Any = None

    def image(self, index: int):
        """A PIL image of page `index` (0-based), or None when it cannot be made."""
        try:
            if self.kind == "image" and index == 0 and pillow_available():
                return _open_image(self.path)
            if self.kind == "pdf" and pdfium_available() and pillow_available():
                return self._render(index)
        except Exception:  # an image we cannot decode is no reason to lose the page's text
            return None
        return None

    def _render(self, index: int):
        import pypdfium2 as pdfium

        with _PDFIUM_LOCK:
            if self._pdf is None:
                self._pdf = pdfium.PdfDocument(str(self.path))
            page = self._pdf[index]
            try:
                width, height = page.get_size()
                scale = min(3.0, LONG_SIDE_PX / max(width, height, 1))
                bitmap = page.render(scale=scale)
                try:
                    return bitmap.to_pil().convert("RGB")
                finally:
                    bitmap.close()
            finally:
                page.close()

    def close(self) -> None:
        if self._pdf is not None:
            with _PDFIUM_LOCK:
                self._pdf.close()
            self._pdf = None


def _open_image(path: Path):
    from PIL import Image

    with Image.open(path) as img:
        img.seek(0)
        out = img.convert("RGB")
    out.thumbnail((LONG_SIDE_PX, LONG_SIDE_PX))
    return out


def image_fields(img) -> dict[str, str]:
    """`full_image` and `blur_image` (raw fields: base64 JPEG) of a page image."""
    from PIL import ImageFilter

    full = img.copy()
    full.thumbnail((LONG_SIDE_PX, LONG_SIDE_PX))
    blur = img.copy()
    blur.thumbnail((BLUR_WIDTH_PX, BLUR_WIDTH_PX * 2))
    blur = blur.filter(ImageFilter.GaussianBlur(2))
    return {"full_image": _jpeg_b64(full, 80), "blur_image": _jpeg_b64(blur, 40)}


def _jpeg_b64(img, quality: int) -> str:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, optimize=True)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def load_embedder(spec: str) -> Embedder:
    """The callable named by `module:function`; ConfigError when it cannot be loaded."""
    module_name, sep, attr = spec.strip().partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"--embedder {spec!r}: expected module:function")
    if os.getcwd() not in sys.path:  # a module file next to where the user runs the script
        sys.path.append(os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise ConfigError(f"--embedder: cannot import {module_name!r}: "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"--embedder: {module_name!r} has no {attr!r}") from None
    if not callable(obj):
        raise ConfigError(f"--embedder: {spec!r} is not callable")
    return obj


class EmbedderRunner:
    """Calls the embedder one page at a time and checks what it returns."""

    RESERVED = {"id", "parent_doc_id"}

    def __init__(self, embedder: Embedder, spec: str) -> None:
        self.embedder, self.spec = embedder, spec
        self._lock = threading.Lock()

    def __call__(self, image, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            extra = self.embedder(image, text, dict(metadata))
        if extra is None:
            return {}
        if not isinstance(extra, dict) or not all(isinstance(k, str) for k in extra):
            raise TypeError(f"embedder {self.spec} returned {type(extra).__name__}, not a dict of fields")
        return {k: v for k, v in extra.items() if k not in self.RESERVED}
