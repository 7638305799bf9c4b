"""A parser for the document part of Vespa schema (.sd) files.

Only what the document API needs is read: each ``document <name> { ... }`` block, its
``field <name> type <type> { ... }`` declarations and ``struct`` declarations. Fields declared
outside the document block (synthetic fields such as embedders' output) are not document
fields, and feeding them is rejected by Vespa, so they are skipped here too.

Supported types (reference: schema reference, "field" types): string, int, long, bool, byte,
float, double, raw, uri, position, predicate, array<T>, weightedset<T>, map<K,V>,
reference<doctype>, tensor<cell>(dims) and struct names declared in the same document.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .tensor import TensorType, parse_tensor_type

PRIMITIVES = (
    "string",
    "int",
    "long",
    "bool",
    "byte",
    "float",
    "double",
    "raw",
    "uri",
    "position",
    "predicate",
)


@dataclass(frozen=True)
class FieldType:
    kind: str  # a primitive name, or "array", "weightedset", "map", "tensor", "reference", "struct"
    element: FieldType | None = None  # array / weightedset element, map key is ``key``
    key: FieldType | None = None
    value: FieldType | None = None
    tensor: TensorType | None = None
    target: str | None = None  # reference<target> document type, or the struct name
    struct_fields: tuple[tuple[str, FieldType], ...] = ()

    def name(self) -> str:
        """The type name Vespa uses in error messages (``long``, ``Array<string>`` ...)."""
        if self.kind == "array":
            return f"Array<{self.element.name() if self.element else '?'}>"
        if self.kind == "weightedset":
            return f"WeightedSet<{self.element.name() if self.element else '?'}>"
        if self.kind == "map":
            k = self.key.name() if self.key else "?"
            v = self.value.name() if self.value else "?"
            return f"Map<{k},{v}>"
        if self.kind == "tensor" and self.tensor:
            return self.tensor.spec()
        if self.kind == "reference":
            return f"Reference<{self.target}>"
        if self.kind == "struct":
            return str(self.target)
        return self.kind

    @property
    def fields(self) -> dict[str, FieldType]:
        return dict(self.struct_fields)


@dataclass
class DocumentType:
    name: str
    fields: dict[str, FieldType] = field(default_factory=dict)
    inherits: tuple[str, ...] = ()

    def field_names(self) -> list[str]:
        return list(self.fields)


class SchemaError(ValueError):
    """The .sd text could not be understood."""


# ----------------------------------------------------------------------------- lexing


def _strip_comments(text: str) -> str:
    """Remove ``#`` and ``//`` line comments and ``/* */`` blocks outside string literals."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _match_brace(text: str, open_at: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_at``."""
    depth = 0
    i = open_at
    while i < len(text):
        c = text[i]
        if c == '"':
            i = text.index('"', i + 1)
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise SchemaError("Unbalanced braces")


def _read_type(text: str, start: int) -> tuple[str, int]:
    """Read a type expression from ``start`` up to the ``{`` (or newline) that ends it.

    Tensor types contain ``{}`` inside parentheses, so braces only end the type at depth 0.
    """
    depth = 0
    i = start
    while i < len(text):
        c = text[i]
        if c in "<(":
            depth += 1
        elif c in ">)":
            depth -= 1
        elif depth == 0 and (c == "{" or c == "\n"):
            break
        i += 1
    return text[start:i].strip(), i


# ----------------------------------------------------------------------------- types


def _split_top(text: str, sep: str = ",") -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for c in text:
        if c in "<(":
            depth += 1
        elif c in ">)":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def parse_type(text: str, structs: dict[str, FieldType] | None = None) -> FieldType:
    text = re.sub(r"\s+", " ", text.strip())
    structs = structs or {}
    if text in PRIMITIVES:
        return FieldType(text)
    if text.startswith("tensor"):
        return FieldType("tensor", tensor=parse_tensor_type(text))
    m = re.fullmatch(r"(array|weightedset|map|reference)\s*<(.*)>", text)
    if m:
        kind, inner = m.group(1), m.group(2)
        if kind == "map":
            parts = _split_top(inner)
            if len(parts) != 2:
                raise SchemaError(f"Bad map type {text!r}")
            return FieldType(
                "map", key=parse_type(parts[0], structs), value=parse_type(parts[1], structs)
            )
        if kind == "reference":
            return FieldType("reference", target=inner.strip())
        return FieldType(kind, element=parse_type(inner, structs))
    if text in structs:
        return structs[text]
    raise SchemaError(f"Unsupported field type {text!r}")


# ----------------------------------------------------------------------------- blocks

_FIELD_RE = re.compile(r"\bfield\s+([A-Za-z_][A-Za-z0-9_]*)\s+type\s+")
_STRUCT_RE = re.compile(r"\bstruct\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:inherits\s+[\w, ]+)?\{")


def _fields_in(body: str, structs: dict[str, FieldType]) -> dict[str, FieldType]:
    """Field declarations at the top level of a ``document`` or ``struct`` body."""
    fields: dict[str, FieldType] = {}
    i = 0
    while i < len(body):
        m_field = _FIELD_RE.search(body, i)
        m_struct = _STRUCT_RE.search(body, i)
        if m_struct and (not m_field or m_struct.start() < m_field.start()):
            i = _match_brace(body, m_struct.end() - 1) + 1  # struct bodies are read separately
            continue
        if not m_field:
            break
        type_text, after = _read_type(body, m_field.end())
        fields[m_field.group(1)] = parse_type(type_text, structs)
        brace = after
        while brace < len(body) and body[brace] in " \t\r\n":
            brace += 1
        i = _match_brace(body, brace) + 1 if brace < len(body) and body[brace] == "{" else after
    return fields


def _structs_in(body: str) -> dict[str, FieldType]:
    structs: dict[str, FieldType] = {}
    for m in _STRUCT_RE.finditer(body):
        end = _match_brace(body, m.end() - 1)
        sfields = _fields_in(body[m.end() : end], structs)
        structs[m.group(1)] = FieldType(
            "struct", target=m.group(1), struct_fields=tuple(sfields.items())
        )
    return structs


_DOC_RE = re.compile(r"\bdocument\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:inherits\s+([\w,\s]+?))?\s*\{")


def parse_sd(text: str) -> list[DocumentType]:
    """Document types declared in one .sd file's text."""
    text = _strip_comments(text)
    docs: list[DocumentType] = []
    for m in _DOC_RE.finditer(text):
        end = _match_brace(text, m.end() - 1)
        body = text[m.end() : end]
        structs = _structs_in(body)
        inherits = tuple(s.strip() for s in (m.group(2) or "").split(",") if s.strip())
        docs.append(DocumentType(m.group(1), _fields_in(body, structs), inherits))
    return docs


def load_schemas(directory: str | Path) -> dict[str, DocumentType]:
    """Parse every ``*.sd`` file in ``directory``: document type name -> DocumentType."""
    types: dict[str, DocumentType] = {}
    paths = sorted(Path(directory).glob("*.sd"))
    if not paths:
        raise SchemaError(f"No .sd files in {directory}")
    for path in paths:
        for doc in parse_sd(path.read_text(encoding="utf-8")):
            types[doc.name] = doc
    for doc in types.values():  # document inheritance: fields of the parents come first
        for parent in doc.inherits:
            if parent in types and parent != "document":
                doc.fields = {**types[parent].fields, **doc.fields}
    return types


def content_clusters(services_xml: str | Path) -> dict[str, list[str]]:
    """Content cluster id -> document types, from an application's services.xml."""
    root = ET.parse(services_xml).getroot()
    out: dict[str, list[str]] = {}
    for content in root.iter("content"):
        cid = content.get("id") or "content"
        out[cid] = [d.get("type", "") for d in content.iter("document") if d.get("type")]
    return out
