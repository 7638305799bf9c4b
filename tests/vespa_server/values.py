"""Field values: checking JSON input against a field type, and rendering stored values.

Rules mirror Vespa's JSON document reader (reference: "Document JSON format", field types):

* Vespa reads every scalar JSON token by its *text* and parses that text as the field type
  (``Integer.parseInt``, ``Long.parseLong``, ``Byte.parseByte``, ``Boolean.parseBoolean``...).
  So real Vespa accepts ``"42"`` for a long and ``42`` for a string, but rejects ``1.5`` or
  ``9223372036854775808`` for a long and ``128`` for a byte. ``strict=False`` reproduces that
  coercion exactly; ``strict=True`` (the server default) additionally rejects a JSON value whose
  JSON type differs from the field type (string for a number, number for a string, ...), which
  real Vespa would coerce - the message then says so.
* Strings may only hold "text characters" (``com.yahoo.text.Text.isTextCharacter``): no control
  characters except TAB, LF, CR; no U+FDD0-U+FDDF, no U+xFFFE/U+xFFFF, no lone surrogates.
  Vespa: "The string field value contains illegal code point 0x...".
* ``null`` as a field value in a put leaves the field unset; empty strings, arrays, maps and
  weighted sets are the same as not setting the field ("Empty fields").
* raw fields take base64 (MIME-decoded, so whitespace is ignored) and are rendered as base64.
* maps take the object form ``{"key": value}`` (the key text parsed as the key type) or the
  array form ``[{"key": k, "value": v}, ...]``; weighted sets take ``{"key": weight}``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from typing import Any

from .schema import FieldType
from .tensor import TensorError, parse_tensor, render_tensor


class FieldValueError(ValueError):
    """A JSON value does not fit a field type; the text is Vespa's cause message."""


_INT_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1), "byte": (-128, 127)}
NUMERIC = ("int", "long", "byte", "float", "double")


def is_text_character(cp: int) -> bool:
    """``com.yahoo.text.Text.isTextCharacter`` (which Vespa's document docs refer to)."""
    if cp < 0x80:
        return cp in (0x9, 0xA, 0xD) or 0x20 <= cp <= 0x7F
    if 0xD800 <= cp <= 0xDFFF:  # a lone surrogate (a valid pair arrives as one code point)
        return False
    if 0xFDD0 <= cp <= 0xFDDF:
        return False
    return (cp & 0xFFFF) < 0xFFFE


def first_illegal_code_point(text: str) -> int | None:
    for ch in text:
        if not is_text_character(ord(ch)):
            return ord(ch)
    return None


def check_text(text: str) -> str:
    cp = first_illegal_code_point(text)
    if cp is not None:
        raise FieldValueError(f"The string field value contains illegal code point 0x{cp:X}")
    return text


def token_text(value: Any) -> str:
    """The text Jackson would give for a scalar JSON token (what Vespa parses)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _strict_mismatch(ft: FieldType, value: Any) -> FieldValueError:
    return FieldValueError(
        f"Expected a JSON {_expected_json(ft)} for a field of type {ft.name()}, got "
        f"{_json_kind(value)} {token_text(value)!r} (real Vespa would coerce this scalar; "
        "the strict test server rejects it)"
    )


def _expected_json(ft: FieldType) -> str:
    if ft.kind in ("int", "long", "byte"):
        return "integer"
    if ft.kind in ("float", "double"):
        return "number"
    if ft.kind == "bool":
        return "boolean"
    return "string"


def _parse_java_integer(text: str, kind: str) -> int:
    lo, hi = _INT_RANGES[kind]
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise FieldValueError(f'For input string: "{text}"')
    n = int(text)
    if not lo <= n <= hi:
        if kind == "byte":
            raise FieldValueError(f'Value out of range. Value:"{text}" Radix:10')
        raise FieldValueError(f'For input string: "{text}"')
    return n


_JAVA_FLOAT = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?")


def _parse_java_float(text: str, kind: str) -> float:
    t = text.strip()
    if not _JAVA_FLOAT.fullmatch(t):
        raise FieldValueError(f'For input string: "{text}"')
    t = t.rstrip("fFdD") if not t.endswith("Infinity") else t
    v = float(t.replace("Infinity", "inf"))
    return _to_float32(v) if kind == "float" else v


def _to_float32(v: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def _json_type_fits(kind: str, value: Any) -> bool:
    if kind in ("string", "uri", "predicate", "raw"):
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind in _INT_RANGES:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _scalar(ft: FieldType, value: Any, strict: bool) -> Any:
    """A primitive value: Vespa's parse of the token text, then (strict) the JSON type check.

    Input Vespa itself rejects gets Vespa's message; input only the strict check rejects says so.
    """
    if isinstance(value, (list, dict)):
        raise FieldValueError(
            f"Expected a scalar value for a field of type {ft.name()}, got {_json_kind(value)}"
        )
    parsed = _parse_scalar_text(ft, token_text(value))
    if strict and not _json_type_fits(ft.kind, value):
        raise _strict_mismatch(ft, value)
    return parsed


def _parse_scalar_text(ft: FieldType, text: str) -> Any:
    kind = ft.kind
    if kind in ("string", "uri", "predicate"):
        return check_text(text)
    if kind in _INT_RANGES:
        return _parse_java_integer(text, kind)
    if kind in ("float", "double"):
        return _parse_java_float(text, kind)
    if kind == "bool":
        return text.lower() == "true"  # Boolean.parseBoolean: anything else is false
    if kind == "raw":
        cleaned = re.sub(r"[^A-Za-z0-9+/=]", "", text)  # MIME decoding skips other characters
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError) as e:
            raise FieldValueError(f"Illegal base64 input: {e}") from None
    raise FieldValueError(f"Unsupported type {ft.name()}")


def parse_value(ft: FieldType, value: Any, strict: bool = True) -> Any:
    """Check a JSON value against ``ft`` and return the stored form."""
    kind = ft.kind
    if kind == "array":
        if not isinstance(value, list):
            raise FieldValueError(f"Expected start of array, got {_json_kind(value)}")
        assert ft.element
        out = []
        for item in value:
            if item is None:
                raise FieldValueError("Expected an array element, got null")
            out.append(parse_value(ft.element, item, strict))
        return out
    if kind == "weightedset":
        if not isinstance(value, dict):
            raise FieldValueError(f"Expected start of object, got {_json_kind(value)}")
        assert ft.element
        return {_scalar(ft.element, k, False): _weight(w, strict) for k, w in value.items()}
    if kind == "map":
        assert ft.key and ft.value
        entries: list[tuple[Any, Any]]
        if isinstance(value, dict):
            entries = list(value.items())
            keys = [_scalar(ft.key, k, False) for k, _ in entries]  # JSON keys are text
        elif isinstance(value, list):
            entries = []
            for e in value:
                if not isinstance(e, dict) or "key" not in e or "value" not in e:
                    raise FieldValueError("Missing key or value for map entry.")
                entries.append((e["key"], e["value"]))
            keys = [parse_value(ft.key, k, strict) for k, _ in entries]
        else:
            raise FieldValueError(f"Expected start of object, got {_json_kind(value)}")
        result: dict[Any, Any] = {}
        for key, (_, v) in zip(keys, entries, strict=True):
            if v is None:
                raise FieldValueError("Missing key or value for map entry.")
            result[key] = parse_value(ft.value, v, strict)
        return result
    if kind == "tensor":
        assert ft.tensor
        try:
            return parse_tensor(ft.tensor, value)
        except TensorError as e:
            raise FieldValueError(str(e)) from None
    if kind == "struct":
        if not isinstance(value, dict):
            raise FieldValueError(f"Expected start of object, got {_json_kind(value)}")
        fields = ft.fields
        out_struct: dict[str, Any] = {}
        for name, v in value.items():
            if name not in fields:
                raise FieldValueError(
                    f"No field '{name}' in the structure of type '{ft.target}', "
                    f"which has the fields: [{', '.join(fields)}]"
                )
            if v is not None:
                out_struct[name] = parse_value(fields[name], v, strict)
        return out_struct
    if kind == "position":
        if isinstance(value, dict):
            if set(value) != {"lat", "lng"} or not all(
                isinstance(value[k], (int, float)) and not isinstance(value[k], bool) for k in value
            ):
                raise FieldValueError("Expected a position object with numeric 'lat' and 'lng'")
            return {"lat": float(value["lat"]), "lng": float(value["lng"])}
        if isinstance(value, str):
            return check_text(value)
        raise FieldValueError("Expected a position object or string")
    if kind == "reference":
        if not isinstance(value, str):
            raise FieldValueError(f"Expected a document id string, got {_json_kind(value)}")
        if value and not re.fullmatch(rf"id:[^:]+:{re.escape(ft.target or '')}:[^:]*:.+", value):
            raise FieldValueError(
                f"Can't assign document ID '{value}' (of type '{value.split(':')[2:3]}') "
                f"to reference of document type '{ft.target}'"
            )
        return value
    return _scalar(ft, value, strict)


def _weight(w: Any, strict: bool) -> int:
    if strict and (isinstance(w, bool) or not isinstance(w, int)):
        if isinstance(w, float):
            raise FieldValueError(f'For input string: "{token_text(w)}"')
        raise FieldValueError(f"Expected an integer weight, got {_json_kind(w)}")
    return _parse_java_integer(token_text(w), "int")


def is_empty(ft: FieldType, value: Any) -> bool:
    """Vespa treats "", [], {} (maps, weighted sets) as "no value" - the field is not rendered."""
    if value is None:
        return True
    if ft.kind in ("string", "array", "map", "weightedset") and len(value) == 0:
        return True
    return False


def _float32_repr(v: float) -> float:
    """The shortest decimal that reads back as the same float32 (Java's Float.toString)."""
    if not math.isfinite(v):
        return v
    for digits in range(1, 10):
        candidate = float(f"{v:.{digits}g}")
        if _to_float32(candidate) == v:
            return candidate
    return v


def render_value(ft: FieldType, value: Any) -> Any:
    """The JSON /document/v1 returns for a stored value (default ``format.tensors=short``)."""
    kind = ft.kind
    if kind == "array":
        assert ft.element
        return [render_value(ft.element, v) for v in value]
    if kind == "weightedset":
        return {str(_render_key(k)): w for k, w in value.items()}
    if kind == "map":
        assert ft.value
        return {str(_render_key(k)): render_value(ft.value, v) for k, v in value.items()}
    if kind == "tensor":
        assert ft.tensor
        return render_tensor(ft.tensor, value)
    if kind == "struct":
        fields = ft.fields
        return {k: render_value(fields[k], v) for k, v in value.items()}
    if kind == "raw":
        return base64.b64encode(value).decode("ascii")
    if kind == "float":
        return _float32_repr(value)
    return value


def _render_key(key: Any) -> Any:
    if isinstance(key, bool):
        return "true" if key else "false"
    return key
