"""Text out of a downloaded file, page by page. Pure functions over a path; no network.

| kind  | what                                   | result                                   |
|-------|----------------------------------------|------------------------------------------|
| pdf   | `%PDF` files (pypdf)                   | one text per page                        |
| text  | txt, csv, tsv, json, md, xml, log, ... | one page                                 |
| html  | html, htm, xhtml (tags stripped)       | one page                                 |
| docx  | Word 2007+ (zip + XML, standard lib)   | one page                                 |
| image | jpg, png, gif, tiff, ...               | no text (metadata only)                  |
| other | anything else                          | no text (metadata only)                  |

An unreadable file (corrupt or password-protected PDF, broken docx) gives `error`.
"""

from __future__ import annotations

import logging
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

# Vespa refuses some code points; in search text a space will do
from ..vespa.text import strip_for_vespa

# pypdf logs recoverable problems of malformed files as warnings; they are ours to report.
logging.getLogger("pypdf").setLevel(logging.ERROR)

TEXT_EXTENSIONS = {"txt", "text", "csv", "tsv", "json", "jsonl", "ndjson", "md", "markdown", "xml",
                   "log", "yaml", "yml", "ini", "cfg", "sql"}
HTML_EXTENSIONS = {"html", "htm", "xhtml"}
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "tif", "tiff", "bmp", "webp", "heic", "heif"}
MAX_TEXT_BYTES = 4 * 1024 * 1024  # of a text file, read for indexing
MAX_DOCX_XML_BYTES = 64 * 1024 * 1024  # uncompressed word/document.xml (zip bombs)


@dataclass
class Extracted:
    kind: str  # pdf, text, html, docx, image, other
    pages: list[str] = field(default_factory=list)  # text per page; empty: metadata only
    error: str | None = None  # why no text could be read from a file that should have some
    page_count: int = 0  # pages in the file (PDF); text-like files: 1

    @property
    def has_text(self) -> bool:
        return bool(self.pages)


def extension(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff(path: Path, filename: str, content_type: str | None) -> str:
    """The kind of a file: magic bytes first, then the file name, then the content type."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    ext = extension(filename)
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if head.lstrip(b"\x00\t\r\n \xef\xbb\xbf")[:5] == b"%PDF-":
        return "pdf"
    if head[:8] == b"\x89PNG\r\n\x1a\n" or head[:3] == b"\xff\xd8\xff" or head[:6] in (b"GIF87a", b"GIF89a") \
            or head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image"
    if head[:4] == b"PK\x03\x04" and (ext == "docx" or _is_docx(path)):
        return "docx"
    if ext == "pdf" or ctype == "application/pdf":
        return "pdf"  # without the magic: reported as a corrupt PDF
    if ext in IMAGE_EXTENSIONS or ctype.startswith("image/"):
        return "image"
    if ext in HTML_EXTENSIONS or ctype in ("text/html", "application/xhtml+xml"):
        return "html"
    if ext in TEXT_EXTENSIONS or ctype.startswith("text/") or ctype in (
            "application/json", "application/xml", "application/x-ndjson", "application/csv"):
        return "text"
    return "other"


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def extract(path: Path, filename: str, content_type: str | None = None) -> Extracted:
    """Pages of text of the file at `path` (see the module's table)."""
    kind = sniff(path, filename, content_type)
    if kind == "pdf":
        return _pdf(path)
    if kind in ("text", "html"):
        text = _decode(path, content_type)
        if kind == "html":
            text = html_to_text(text)
        return Extracted(kind, [clean_text(text)], page_count=1)
    if kind == "docx":
        return _docx(path)
    return Extracted(kind)


def clean_text(text: str) -> str:
    """Text Vespa accepts: no refused code points, no trailing blanks on lines."""
    text = strip_for_vespa(text.replace("\r\n", "\n").replace("\r", "\n"))
    return re.sub(r"[ \t]+\n", "\n", text).strip()


# --- PDF ---------------------------------------------------------------------------------------


def _pdf(path: Path) -> Extracted:
    with open(path, "rb") as stream:  # a stream, not a path: pypdf reads a path whole into memory
        return _pdf_pages(stream)


def _pdf_pages(stream: BinaryIO) -> Extracted:
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = pypdf.PdfReader(stream, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # owner-password-only PDFs open with an empty password
            except DependencyError:
                return Extracted("pdf", error="encrypted PDF (AES needs the 'cryptography' package)")
            if not opened:
                return Extracted("pdf", error="encrypted PDF (password required)")
        count = len(reader.pages)
    except FileNotDecryptedError:
        return Extracted("pdf", error="encrypted PDF (password required)")
    except Exception as exc:  # pypdf raises many types for broken files
        return Extracted("pdf", error=f"corrupt PDF ({_first_line(exc)})")
    if count == 0:
        return Extracted("pdf", error="corrupt PDF (no pages)")
    pages = []
    for number in range(count):
        try:
            text = reader.pages[number].extract_text() or ""
        except Exception:  # one unreadable page: keep the others, this one without text
            text = ""
        pages.append(clean_text(text))
        # pypdf caches every object it resolved (images included): drop them page by page so
        # memory follows the largest page, not the whole file.
        reader.resolved_objects.clear()
    return Extracted("pdf", pages, page_count=count)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


# --- text and HTML -------------------------------------------------------------------------------


def _decode(path: Path, content_type: str | None) -> str:
    with open(path, "rb") as fh:
        data = fh.read(MAX_TEXT_BYTES)
    charset = None
    m = re.search(r"charset=([\w.-]+)", content_type or "", re.I)
    if m:
        charset = m.group(1)
    for encoding in filter(None, (charset, "utf-8-sig")):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace")


class _TextOfHtml(HTMLParser):
    _SKIP = {"script", "style", "noscript", "template", "head"}
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
              "article", "header", "footer", "title", "pre", "blockquote", "dt", "dd"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self.title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skipping += 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP and self._skipping:
            self._skipping -= 1
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of an HTML document (title first), whitespace tidied."""
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything else: fall back to a crude strip
        return re.sub(r"<[^>]*>", " ", html)
    text = " ".join(parser.title).strip() + "\n" + "".join(parser.parts)
    lines = (re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --- docx ------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(path: Path) -> Extracted:
    """Paragraph text of word/document.xml (tables included), with the standard library."""
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML_BYTES:
                return Extracted("docx", error="docx text too large to index")
            root = ElementTree.fromstring(z.read(info))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, RuntimeError) as exc:
        return Extracted("docx", error=f"unreadable docx ({_first_line(exc)})")
    paragraphs = []
    for para in root.iter(f"{_W}p"):
        parts = []
        for node in para.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        paragraphs.append("".join(parts))
    return Extracted("docx", [clean_text("\n".join(paragraphs))], page_count=1)
