"""content_text: the BM25 search text of a row, built from its text-like columns."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..discovery.model import Column
from ..discovery.sensitive import REDACTED, is_secret_column, withhold_in_text, withhold_secrets
from ..vespa.text import strip_for_vespa
from .values import (
    JSON_NULL,
    TEXTUAL_TYPES,
    Renderer,
    element_type,
    is_array_column,
    parse_pg_array,
    type_category,
    type_name,
)

DEFAULT_CONTENT_CHARS = 100_000


def truncate_for_content(text: str, max_chars: int) -> str:
    """At most `max_chars` characters, cut at a word boundary when one is near, ending in `…`."""
    if len(text) <= max_chars:
        return text
    if max_chars <= 1:
        return text[:max_chars]
    cut = text[: max_chars - 1]
    space = cut.rfind(" ", max(0, len(cut) - 64))
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


_NOISE_NAME = re.compile(r"(^id$|_id$|_ids$|^uuid$|^ulid$|checksum|(^|_)hash($|_)|signature|^sig$)", re.I)
_URL = re.compile(r"^(https?|s3)://", re.I)
_WHITESPACE = re.compile(r"\s+")


def _readable(text: str) -> str:
    """One line of search text from a value: S3 keys and URLs reduced to their file name."""
    # split() and the regex `\s` agree on what whitespace is (both use str.isspace), and
    # split/join collapses runs and strips the ends in one C call.
    text = " ".join(text.split())
    if " " in text:  # prose, never a key or URL
        return text
    is_url = bool(_URL.match(text))
    if not (is_url or text.count("/") >= 2):
        return text
    last = text.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if "." in last:
        return last  # a file name: the searchable part of a key or URL
    return "" if is_url else text


def _json_strings(value: Any, out: list[str]) -> None:
    """String leaves of a JSON value in key order; bare numbers-as-strings (ids) skipped."""
    kind = type(value)  # exact types first: the isinstance checks below (ABCs) cost more
    if kind is dict:
        for key in sorted(value, key=str):
            _json_strings(value[key], out)
        return
    if kind is int or kind is Decimal or value is None or kind is bool:
        return  # JSON numbers, null, true/false: no strings
    if isinstance(value, str):
        text = _readable(value)
        if text and not text.isdigit() and text != REDACTED and text not in out:
            out.append(text)
    elif isinstance(value, Mapping):
        for key in sorted(value, key=str):
            _json_strings(value[key], out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _json_strings(item, out)


def _content_json(value: object) -> str:
    strings: list[str] = []
    _json_strings(withhold_secrets(value), strings)
    return " | ".join(strings)


def _content_text_array(value: object) -> str:
    items = parse_pg_array(value) if isinstance(value, str) else value
    flat: list[str] = []
    _json_strings(withhold_secrets(items), flat)
    return ", ".join(flat)


def _content_text(value: object) -> str:
    text = withhold_in_text(value if type(value) is str else str(value))
    return "" if text == REDACTED else _readable(text)


def content_renderer(column: Column) -> Renderer | None:
    """What a non-NULL value of `column` contributes to content_text (may be ""), or None
    when the column never contributes (ids, secrets, numbers, dates, bytea, ...)."""
    if _NOISE_NAME.search(column.name) or is_secret_column(column.name):
        return None
    name = type_name(element_type(column) if is_array_column(column) else column.effective_type)
    if type_category(name) == "json":
        return _content_json
    if name not in TEXTUAL_TYPES and column.base_type != "enum":
        return None
    return _content_text_array if is_array_column(column) else _content_text


ContentParts = list[tuple[str, str, Renderer]]  # (column name, line prefix, content renderer)


def content_parts(columns: Sequence[Column], prefixes: Mapping[str, str] | None = None) -> ContentParts:
    """The columns of `content_text_for` with their renderers, made once per table; `prefixes`:
    words before a column's value (the kind before the row's number: `RFI 19`)."""
    prefixes = prefixes or {}
    parts = []
    for column in columns:
        render = content_renderer(column)
        if render is not None:
            parts.append((column.name, prefixes.get(column.name, ""), render))
    return parts


def content_text_for(
    row: Mapping[str, object], columns: Sequence[Column], max_chars: int = DEFAULT_CONTENT_CHARS
) -> str:
    """The BM25 text of a row: one line per non-empty value of its text-like columns, in
    column order. Values only: a column's name is in every row of its table, so as text it is
    words no one searches for a row by that make every document longer (BM25 ranks a longer
    document lower) and put kind words into other kinds' documents (`commitment_type` in a
    requisition); the names are in `metadata` and `column_types`.

    Text, varchar, char and enum columns (and arrays of them) are included; string values
    inside json/jsonb are included, except numbers-as-strings; S3 keys and URLs contribute
    only their file name. Ids, secrets (see `sensitive`), bytea, numbers, dates and other
    types are left out: they are in `metadata`. Deterministic for a given row.
    """
    return content_text_with(row, content_parts(columns), max_chars)


def content_text_with(row: Mapping[str, object], parts: ContentParts,
                      max_chars: int = DEFAULT_CONTENT_CHARS, head: Sequence[str] = (),
                      skip: Collection[str] = ()) -> str:
    """`content_text_for` with the columns' parts made beforehand (`content_parts`); `head`:
    lines before the row's own (what the row is and what it belongs to: documents/context.py),
    first so that a cut at `max_chars` never loses them; `skip`: columns left out of this row's
    text (a copy of a name a head line already shows: `context.copied_names`)."""
    lines: list[str] = list(head)
    for name, prefix, render in parts:
        if name in skip:
            continue
        value = row.get(name)
        if value is None or value is JSON_NULL:
            continue
        text = render(value)
        if text:
            lines.append(prefix + text)
    return truncate_for_content(strip_for_vespa("\n".join(lines)), max_chars)
