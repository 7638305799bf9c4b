"""Partial updates (reference: "Document JSON format", section "Update operations").

Each entry of an update's ``"fields"`` is ``"<field or field path>": {"<operation>": <arg>}``
and is checked when the request is parsed (so a bad update is a 400 and changes nothing), then
applied to a copy of the stored fields. Supported:

* ``assign`` (any type; ``null`` clears), arithmetic ``increment`` / ``decrement`` /
  ``multiply`` / ``divide`` (numeric fields; no effect on an unset field);
* ``add`` / ``remove`` for arrays (remove deletes every equal element), weighted sets and tensors
  (``cells`` / ``blocks`` to add, ``addresses`` to remove); Vespa cannot add to or remove from a
  map field this way - it rejects that, and so does this server;
* ``match`` (``{"element": e, "<op>": v}``) on arrays, weighted sets and maps;
* ``modify`` on tensors (``replace`` / ``add`` / ``multiply`` of ``cells`` or ``blocks``, with
  optional ``create``);
* field paths one level deep: ``map{key}``, ``wset{key}``, ``array[i]``, ``struct.field`` with
  ``assign``, ``remove`` and arithmetic (``map{key}`` assign inserts; ``array[i]`` needs an
  existing index, as the reference notes).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from .schema import DocumentType, FieldType
from .tensor import (
    Tensor,
    TensorError,
    parse_addresses,
    parse_tensor,
    remove_addresses,
)
from .values import NUMERIC, FieldValueError, is_empty, parse_value, token_text

Op = Callable[[dict[str, Any]], None]
ARITHMETIC = ("increment", "decrement", "multiply", "divide")


class UpdateError(ValueError):
    """An update cannot be parsed; the message is the 400 body's ``message``."""


def _number_arg(arg: Any) -> float:
    """Arithmetic operands are read with ``Double.valueOf(tokenText)``."""
    if isinstance(arg, (list, dict)) or arg is None:
        raise FieldValueError(f"Expected a number, got {json.dumps(arg)}")
    text = token_text(arg)
    try:
        return float(text)
    except ValueError:
        raise FieldValueError(f'For input string: "{text}"') from None


def _arith(ft: FieldType, op: str, old: Any, n: float) -> Any:
    if op == "increment":
        v = old + n
    elif op == "decrement":
        v = old - n
    elif op == "multiply":
        v = old * n
    else:
        v = old / n if n else math.copysign(math.inf, old) if old else math.nan
    if ft.kind in ("int", "long", "byte"):
        bits = {"int": 32, "long": 64, "byte": 8}[ft.kind]
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        if math.isnan(v):
            return 0
        if ft.kind == "byte":  # (byte)(int) double: saturate to int, then wrap
            as_int = int(max(-(2**31), min(2**31 - 1, v)))
            return ((as_int + 128) & 0xFF) - 128
        return int(max(lo, min(hi, v))) if math.isfinite(v) else (hi if v > 0 else lo)
    return parse_value(ft, v, strict=False) if ft.kind == "float" else float(v)


def _check_numeric(ft: FieldType, op: str) -> None:
    if ft.kind not in NUMERIC:
        raise FieldValueError(f"Arithmetic operation '{op}' is not supported for type {ft.name()}")


# ----------------------------------------------------------------------------- whole fields


def _assign(name: str, ft: FieldType, arg: Any, strict: bool) -> Op:
    value = None if arg is None else parse_value(ft, arg, strict)

    def apply(fields: dict[str, Any]) -> None:
        if value is None or is_empty(ft, value):
            fields.pop(name, None)
        else:
            fields[name] = _copy(value)

    return apply


def _arith_op(name: str, ft: FieldType, op: str, arg: Any) -> Op:
    _check_numeric(ft, op)
    n = _number_arg(arg)

    def apply(fields: dict[str, Any]) -> None:
        if name in fields:
            fields[name] = _arith(ft, op, fields[name], n)

    return apply


def _add(name: str, ft: FieldType, arg: Any, strict: bool) -> Op:
    if ft.kind == "array":
        items = parse_value(ft, arg, strict)

        def add_array(fields: dict[str, Any]) -> None:
            if items:
                fields[name] = list(fields.get(name, [])) + _copy(items)

        return add_array
    if ft.kind == "weightedset":
        entries = parse_value(ft, arg, strict)

        def add_wset(fields: dict[str, Any]) -> None:
            merged = dict(fields.get(name, {}))
            merged.update(entries)
            if merged:
                fields[name] = merged

        return add_wset
    if ft.kind == "tensor":
        assert ft.tensor
        if not ft.tensor.mapped:
            raise FieldValueError("Add update is invalid for tensors with only indexed dimensions")
        cells = _tensor(ft, arg)

        def add_tensor(fields: dict[str, Any]) -> None:
            merged: Tensor = dict(fields.get(name, {}))
            merged.update({k: list(v) for k, v in cells.items()})
            fields[name] = merged

        return add_tensor
    raise _unsupported_container(ft)


def _remove(name: str, ft: FieldType, arg: Any, strict: bool) -> Op:
    if ft.kind == "array":
        items = parse_value(ft, arg, strict)

        def remove_array(fields: dict[str, Any]) -> None:
            kept = [v for v in fields.get(name, []) if v not in items]
            if kept:
                fields[name] = kept
            else:
                fields.pop(name, None)

        return remove_array
    if ft.kind == "weightedset":
        keys = parse_value(ft, arg, strict)

        def remove_wset(fields: dict[str, Any]) -> None:
            kept = {k: w for k, w in fields.get(name, {}).items() if k not in keys}
            if kept:
                fields[name] = kept
            else:
                fields.pop(name, None)

        return remove_wset
    if ft.kind == "tensor":
        assert ft.tensor
        ttype = ft.tensor
        if not ttype.mapped:
            raise FieldValueError(
                "Remove update is invalid for tensors with only indexed dimensions"
            )
        if not isinstance(arg, dict) or "addresses" not in arg:
            raise FieldValueError("Expected a tensor remove update to contain 'addresses'")
        try:
            addresses = parse_addresses(ttype, arg["addresses"])
        except TensorError as e:
            raise FieldValueError(str(e)) from None

        def remove_tensor(fields: dict[str, Any]) -> None:
            if name in fields:
                fields[name] = remove_addresses(ttype, fields[name], addresses)

        return remove_tensor
    raise _unsupported_container(ft)


def _unsupported_container(ft: FieldType) -> FieldValueError:
    java = {
        "map": "MapFieldValue",
        "tensor": "TensorFieldValue",
        "struct": "Struct",
    }.get(ft.kind, f"{ft.kind.capitalize()}FieldValue")
    return FieldValueError(
        "Trying to add or remove from a field of a type the reader does not know how to handle: "
        f"com.yahoo.document.datatypes.{java}"
    )


def _tensor(ft: FieldType, arg: Any) -> Tensor:
    assert ft.tensor
    try:
        return parse_tensor(ft.tensor, arg)
    except TensorError as e:
        raise FieldValueError(str(e)) from None


def _modify(name: str, ft: FieldType, arg: Any) -> Op:
    if ft.kind != "tensor" or not ft.tensor:
        raise FieldValueError(f"Modify update is only supported for tensor fields, not {ft.name()}")
    if not isinstance(arg, dict):
        raise FieldValueError("Expected a tensor modify update object")
    operation = arg.get("operation")
    if operation not in ("replace", "add", "multiply"):
        raise FieldValueError(f"Unknown operation '{operation}' in modify update")
    create = arg.get("create") is True
    body = {k: v for k, v in arg.items() if k in ("cells", "blocks")}
    if "addresses" in arg:
        body["cells"] = arg["addresses"]
    if not body:
        raise FieldValueError(
            "Modify update for field '" + name + "' does not contain tensor cells"
        )
    changes = _tensor(ft, body)
    size = ft.tensor.dense_size

    def apply(fields: dict[str, Any]) -> None:
        current: Tensor = {k: list(v) for k, v in fields.get(name, {}).items()}
        for key, values in changes.items():
            if key not in current:
                if not create:
                    continue
                current[key] = [1.0 if operation == "multiply" else 0.0] * size
            sub = current[key]
            for i, v in enumerate(values):
                if operation == "replace":
                    sub[i] = v
                elif operation == "add":
                    sub[i] += v
                else:
                    sub[i] *= v
        fields[name] = current

    return apply


def _match(name: str, ft: FieldType, arg: Any, strict: bool) -> Op:
    if not isinstance(arg, dict) or "element" not in arg or len(arg) != 2:
        raise FieldValueError("Expected a match update object with 'element' and one operation")
    element = arg["element"]
    op, value = next((k, v) for k, v in arg.items() if k != "element")
    step = ("index", element) if ft.kind == "array" else ("key", token_text(element))
    if ft.kind not in ("array", "weightedset", "map"):
        raise FieldValueError(f"Container type {ft.name()} not supported for match update.")
    return _path_op(name, ft, [step], op, value, strict)


# ----------------------------------------------------------------------------- field paths

_PATH_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(.*)$", re.S)


def _parse_path_steps(rest: str) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = []
    i = 0
    while i < len(rest):
        c = rest[i]
        if c == "[":
            j = rest.index("]", i)
            idx = rest[i + 1 : j].strip()
            if not idx.isdigit():
                raise FieldValueError(f"Array index '{idx}' is not a number")
            steps.append(("index", int(idx)))
            i = j + 1
        elif c == "{":
            j = i + 1
            if rest[j : j + 1] == '"':
                k = j + 1
                while rest[k] != '"':
                    k += 2 if rest[k] == "\\" else 1
                key = json.loads(rest[j : k + 1])
                if rest[k + 1] != "}":
                    raise FieldValueError("Expected '}' after a quoted key")
                i = k + 2
            else:
                k = rest.index("}", j)
                key = rest[j:k]
                i = k + 1
            steps.append(("key", key))
        elif c == ".":
            m = re.match(r"\.([A-Za-z_][A-Za-z0-9_]*)", rest[i:])
            if not m:
                raise FieldValueError(f"Bad field path syntax at {rest[i:]!r}")
            steps.append(("attr", m.group(1)))
            i += m.end()
        else:
            raise FieldValueError(f"Bad field path syntax at {rest[i:]!r}")
    return steps


def _path_op(
    name: str, ft: FieldType, steps: list[tuple[str, Any]], op: str, arg: Any, strict: bool
) -> Op:
    if len(steps) != 1:
        raise FieldValueError(
            "Field paths deeper than one level are not supported by the test server"
        )
    kind, key = steps[0]
    if kind == "index":
        if ft.kind != "array" or not ft.element:
            raise FieldValueError(f"Can not index into field of type {ft.name()}")
        target = ft.element
    elif kind == "key":
        if ft.kind == "map" and ft.key and ft.value:
            target = ft.value
            key = parse_value(ft.key, key, strict=False)
        elif ft.kind == "weightedset" and ft.element:
            target = FieldType("int")
            key = parse_value(ft.element, key, strict=False)
        else:
            raise FieldValueError(f"Can not look up a key in field of type {ft.name()}")
    else:
        if ft.kind != "struct" or key not in ft.fields:
            raise FieldValueError(f"No field '{key}' in the structure of type '{ft.name()}'")
        target = ft.fields[key]

    value: Any = None
    n = 0.0
    if op == "assign":
        value = None if arg is None else parse_value(target, arg, strict)
    elif op in ARITHMETIC:
        _check_numeric(target, op)
        n = _number_arg(arg)
    elif op != "remove":
        raise FieldValueError(f"Field path update type '{op}' not supported.")

    def apply(fields: dict[str, Any]) -> None:
        container = _copy(fields.get(name))
        if kind == "index":
            if not isinstance(container, list) or key >= len(container):
                return  # the element must exist
            if op == "remove" or (op == "assign" and value is None):
                del container[key]
            elif op == "assign":
                container[key] = value
            else:
                container[key] = _arith(target, op, container[key], n)
        else:
            if container is None:
                if op != "assign" or value is None:
                    return
                container = {}
            if op == "remove" or (op == "assign" and value is None):
                container.pop(key, None)
            elif op == "assign":
                container[key] = value
            elif key in container:
                container[key] = _arith(target, op, container[key], n)
        if container:
            fields[name] = container
        else:
            fields.pop(name, None)

    return apply


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# ----------------------------------------------------------------------------- entry point


def parse_update(dt: DocumentType, fields_json: Any, strict: bool) -> list[Op]:
    """The operations of an update's ``"fields"`` object, checked against ``dt``."""
    if not isinstance(fields_json, dict):
        raise UpdateError("Expected 'fields' to be an object of field update operations")
    ops: list[Op] = []
    for path, field_ops in fields_json.items():
        if not isinstance(field_ops, dict):
            raise UpdateError(
                f"Expected start of object for the update of '{path}', got "
                f"{json.dumps(field_ops)[:80]} - an update needs an operation such as "
                '{"assign": <value>}'
            )
        try:
            ops.extend(_field_ops(dt, path, field_ops, strict))
        except FieldValueError as e:
            raise UpdateError(f"Error in '{path}': {e}") from None
    return ops


def _field_ops(dt: DocumentType, path: str, field_ops: dict[str, Any], strict: bool) -> list[Op]:
    m = _PATH_RE.match(path)
    base, rest = (m.group(1), m.group(2)) if m else (path, "")
    ft = dt.fields.get(base)
    if ft is None:
        raise FieldValueError(f"No field named '{base}' in {dt.name}")
    if rest:
        steps = _parse_path_steps(rest)
        return [_path_op(base, ft, steps, op, arg, strict) for op, arg in field_ops.items()]
    ops: list[Op] = []
    for op, arg in field_ops.items():
        if op == "assign":
            ops.append(_assign(base, ft, arg, strict))
        elif op in ARITHMETIC:
            ops.append(_arith_op(base, ft, op, arg))
        elif op == "add":
            ops.append(_add(base, ft, arg, strict))
        elif op == "remove":
            ops.append(_remove(base, ft, arg, strict))
        elif op == "match":
            ops.append(_match(base, ft, arg, strict))
        elif op == "modify":
            ops.append(_modify(base, ft, arg))
        else:
            raise FieldValueError(f"Operation '{op}' not implemented.")
    return ops
