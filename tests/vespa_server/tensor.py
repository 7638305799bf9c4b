"""Tensor types and the tensor JSON forms of Vespa's "Document JSON format" reference.

Accepted input forms (reference: Document JSON format, section "tensor"):

* verbose: a list of cells ``[{"address": {...}, "value": v}, ...]``, optionally nested
  under ``"cells"``;
* mapped short form (single mapped dimension): ``{"label": v, ...}``, optionally under
  ``"cells"``;
* indexed short form (only indexed dimensions): a flat or nested list of numbers, optionally
  under ``"values"``; ``"values"`` may also be a hex string;
* mixed short form: ``{"label": [dense values] | "hex", ...}`` (single mapped dimension), or
  under ``"blocks"`` as such an object or as ``[{"address": {...}, "values": [...]}, ...]``;
* a ``"type"`` string next to these keys is ignored, as Vespa does.

Values are stored as ``Tensor``: a dict from the mapped part of an address (a tuple of labels,
in the order of the mapped dimensions) to the list of cell values of the dense subspace.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from typing import Any

CELL_TYPES = ("double", "float", "bfloat16", "int8")
_HEX_DIGITS = {"double": 16, "float": 8, "bfloat16": 4, "int8": 2}


class TensorError(ValueError):
    """A tensor value does not fit its declared type."""


@dataclass(frozen=True)
class TensorDim:
    name: str
    size: int | None  # None: mapped dimension ``x{}``; an int: indexed dimension ``x[n]``

    @property
    def mapped(self) -> bool:
        return self.size is None

    def spec(self) -> str:
        return f"{self.name}{{}}" if self.size is None else f"{self.name}[{self.size}]"


@dataclass(frozen=True)
class TensorType:
    cell_type: str
    dims: tuple[TensorDim, ...]  # sorted by name, as Vespa orders tensor dimensions

    @property
    def mapped(self) -> tuple[TensorDim, ...]:
        return tuple(d for d in self.dims if d.mapped)

    @property
    def indexed(self) -> tuple[TensorDim, ...]:
        return tuple(d for d in self.dims if not d.mapped)

    @property
    def dense_size(self) -> int:
        size = 1
        for d in self.indexed:
            size *= d.size or 0
        return size

    def spec(self) -> str:
        cell = "" if self.cell_type == "double" else f"<{self.cell_type}>"
        return f"tensor{cell}(" + ",".join(d.spec() for d in self.dims) + ")"


Tensor = dict[tuple[str, ...], list[float]]

_TYPE_RE = re.compile(r"^tensor\s*(?:<\s*(\w+)\s*>)?\s*\((.*)\)$", re.S)
_DIM_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\{\s*\}|\[\s*(\d+)\s*\])\s*$")


def parse_tensor_type(text: str) -> TensorType:
    m = _TYPE_RE.match(text.strip())
    if not m:
        raise ValueError(f"Not a tensor type: {text!r}")
    cell = m.group(1) or "double"
    if cell not in CELL_TYPES:
        raise ValueError(f"Unknown tensor cell type '{cell}' in {text!r}")
    dims: list[TensorDim] = []
    for part in m.group(2).split(","):
        dm = _DIM_RE.match(part)
        if not dm:
            raise ValueError(f"Bad tensor dimension {part!r} in {text!r}")
        dims.append(TensorDim(dm.group(1), None if dm.group(3) is None else int(dm.group(3))))
    if len({d.name for d in dims}) != len(dims):
        raise ValueError(f"Duplicate tensor dimension in {text!r}")
    return TensorType(cell, tuple(sorted(dims, key=lambda d: d.name)))


# ----------------------------------------------------------------------------- cells


def _cast(cell_type: str, value: float) -> float:
    """Round a cell value to what the declared cell type can hold."""
    if cell_type == "float":
        try:
            return struct.unpack("<f", struct.pack("<f", value))[0]
        except OverflowError:
            return math.copysign(math.inf, value)
    if cell_type == "bfloat16":
        bits = struct.unpack("<I", struct.pack("<f", _cast("float", value)))[0] & 0xFFFF0000
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    if cell_type == "int8":
        # Java narrowing: double -> int (truncating, saturating) -> byte (wrapping).
        if math.isnan(value):
            return 0.0
        as_int = (
            int(max(-(2**31), min(2**31 - 1, math.trunc(value))))
            if math.isfinite(value)
            else (2**31 - 1 if value > 0 else -(2**31))
        )
        return float(((as_int + 128) & 0xFF) - 128)
    return float(value)


def _number(value: Any) -> float:
    """A cell value: a JSON number, or a string holding one (Vespa's decodeNumberString)."""
    if isinstance(value, bool) or value is None:
        raise TensorError(f"Expected a number but got '{_text(value)}'")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise TensorError(f"Expected a number but got '{value}'") from None
    raise TensorError(f"Expected a number but got {type(value).__name__}")


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def decode_hex(text: str, cell_type: str) -> list[float]:
    """Cell values from a hex dump (reference: "Cell values as binary data")."""
    digits = _HEX_DIGITS[cell_type]
    text = text.strip()
    if len(text) % digits or not re.fullmatch(r"[0-9A-Fa-f]*", text):
        raise TensorError(
            f"Bad hex string for cell type {cell_type}: expected {digits} hex digits per cell"
        )
    out: list[float] = []
    for i in range(0, len(text), digits):
        raw = int(text[i : i + digits], 16)
        if cell_type == "int8":
            out.append(float(raw - 256 if raw > 127 else raw))
        elif cell_type == "bfloat16":
            out.append(struct.unpack(">f", (raw << 16).to_bytes(4, "big"))[0])
        elif cell_type == "float":
            out.append(struct.unpack(">f", raw.to_bytes(4, "big"))[0])
        else:
            out.append(struct.unpack(">d", raw.to_bytes(8, "big"))[0])
    return out


# ----------------------------------------------------------------------------- parsing


class _Builder:
    def __init__(self, ttype: TensorType) -> None:
        self.t = ttype
        self.cells: Tensor = {}

    def _subspace(self, mapped: tuple[str, ...]) -> list[float]:
        sub = self.cells.get(mapped)
        if sub is None:
            sub = [0.0] * self.t.dense_size
            self.cells[mapped] = sub
        return sub

    def address(self, addr: Any) -> tuple[tuple[str, ...], int]:
        """(mapped labels, dense index) of a full cell address object."""
        if not isinstance(addr, dict):
            raise TensorError("Expected a tensor address object")
        names = {d.name for d in self.t.dims}
        for key in addr:
            if key not in names:
                raise TensorError(f"{key} is not a dimension in {self.t.spec()}")
        mapped: list[str] = []
        index = 0
        for d in self.t.dims:
            if d.name not in addr:
                raise TensorError(f"Missing a label for dimension '{d.name}' for {self.t.spec()}")
            label = _text(addr[d.name])
            if d.mapped:
                mapped.append(label)
            else:
                if not re.fullmatch(r"\d+", label):
                    raise TensorError(
                        f"Index label '{label}' of dimension '{d.name}' is not a number"
                    )
                i = int(label)
                if i >= (d.size or 0):
                    raise TensorError(
                        f"Index {i} out of bounds for dimension '{d.name}' of size {d.size}"
                    )
                index = index * (d.size or 0) + i
        return tuple(mapped), index

    def mapped_address(self, addr: Any) -> tuple[str, ...]:
        if not isinstance(addr, dict):
            raise TensorError("Expected a tensor address object")
        mapped_names = [d.name for d in self.t.mapped]
        for key in addr:
            if key not in mapped_names:
                raise TensorError(f"{key} is not a mapped dimension in {self.t.spec()}")
        missing = [n for n in mapped_names if n not in addr]
        if missing:
            raise TensorError(f"Missing a label for dimension '{missing[0]}' for {self.t.spec()}")
        return tuple(_text(addr[n]) for n in mapped_names)

    def cell(self, addr: Any, value: Any) -> None:
        mapped, index = self.address(addr)
        self._subspace(mapped)[index] = _cast(self.t.cell_type, _number(value))

    def block(self, mapped: tuple[str, ...], values: Any) -> None:
        size = self.t.dense_size
        if isinstance(values, str):
            decoded = decode_hex(values, self.t.cell_type)
        elif isinstance(values, list):
            decoded = [_number(v) for v in _flatten(values)]
        else:
            raise TensorError("Expected a block to be an array of numbers or a hex string")
        if len(decoded) != size:
            where = "At {" + ",".join(mapped) + "}: " if mapped else ""
            raise TensorError(f"{where}Expected {size} values, but got {len(decoded)}")
        self.cells[mapped] = [_cast(self.t.cell_type, v) for v in decoded]


def _flatten(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def _single_mapped_label(b: _Builder, label: str) -> tuple[str, ...]:
    if len(b.t.mapped) != 1:
        raise TensorError(f"Expected a tensor with a single dimension but got '{b.t.spec()}'")
    return (label,)


def _read_cells(b: _Builder, cells: Any) -> None:
    if isinstance(cells, list):
        for c in cells:
            if not isinstance(c, dict):
                raise TensorError("Expected an object in a tensor 'cells' array")
            if "address" not in c:
                raise TensorError(
                    "Expected an object in a tensor 'cells' array to contain an 'address' field"
                )
            if "value" not in c:
                raise TensorError(
                    "Expected an object in a tensor 'cells' array to contain a 'value' field"
                )
            b.cell(c["address"], c["value"])
    elif isinstance(cells, dict):
        # Single-dimension short form: {"label": value}.
        if len(b.t.dims) != 1:
            raise TensorError(f"Expected a tensor with a single dimension but got '{b.t.spec()}'")
        dim = b.t.dims[0]
        for label, value in cells.items():
            b.cell({dim.name: label}, value)
    else:
        raise TensorError("Expected 'cells' to contain an array or an object")


def _read_values(b: _Builder, values: Any) -> None:
    if b.t.mapped:
        raise TensorError(
            "The 'values' field can only be used with dense tensors. Use 'cells' or 'blocks' instead"
        )
    if isinstance(values, str):
        decoded = decode_hex(values, b.t.cell_type)
        if not decoded:
            raise TensorError("The 'values' string does not contain any values")
        b.block((), values)
    elif isinstance(values, list):
        if not _flatten(values):
            raise TensorError("The 'values' array does not contain any values")
        b.block((), values)
    else:
        raise TensorError("Expected 'values' to be an array or a hex string")


def _read_blocks(b: _Builder, blocks: Any) -> None:
    if not (b.t.mapped and b.t.indexed):
        raise TensorError(
            "The 'blocks' field can only be used with mixed tensors with bound dimensions. "
            "Use 'cells' or 'values' instead"
        )
    if isinstance(blocks, list):
        for blk in blocks:
            if not isinstance(blk, dict):
                raise TensorError("Expected a 'blocks' array to contain objects")
            if "address" not in blk:
                raise TensorError("Expected a 'blocks' array object to contain an object 'address'")
            if "values" not in blk:
                raise TensorError("Expected a 'blocks' array object to contain an array 'values'")
            b.block(b.mapped_address(blk["address"]), blk["values"])
    elif isinstance(blocks, dict):
        for label, values in blocks.items():
            b.block(_single_mapped_label(b, label), values)
    else:
        raise TensorError("Expected 'blocks' to contain an array or an object")


def parse_tensor(ttype: TensorType, value: Any) -> Tensor:
    """Parse one of the documented tensor JSON forms into a ``Tensor``."""
    b = _Builder(ttype)
    if isinstance(value, dict):
        keys = set(value) - {"type"}
        if "type" in value and not isinstance(value["type"], str):
            raise TensorError("Expected the tensor 'type' to be a string")
        if keys <= {"cells", "values", "blocks"} and keys:
            if "cells" in keys:
                _read_cells(b, value["cells"])
            if "values" in keys:
                _read_values(b, value["values"])
            if "blocks" in keys:
                _read_blocks(b, value["blocks"])
            return b.cells
        if not keys:
            return b.cells
        # Direct short forms keyed by labels.
        if ttype.mapped and ttype.indexed:
            _read_blocks(b, {k: v for k, v in value.items() if k != "type"})
        elif ttype.mapped:
            _read_cells(b, {k: v for k, v in value.items() if k != "type"})
        else:
            raise TensorError(f"Unexpected keys {sorted(keys)} for dense tensor {ttype.spec()}")
        return b.cells
    if isinstance(value, list):
        if value and all(isinstance(c, dict) for c in _flatten(value)):
            _read_cells(b, _flatten(value))
        elif not ttype.mapped:
            _read_values(b, value)
        elif not value:
            return b.cells
        else:
            raise TensorError(f"Expected cell objects in the tensor array for {ttype.spec()}")
        return b.cells
    if isinstance(value, str) and not ttype.mapped:
        _read_values(b, value)
        return b.cells
    raise TensorError(f"Expected a tensor value of type {ttype.spec()}, got {_text(value)!r}")


def parse_addresses(ttype: TensorType, addresses: Any) -> list[dict[str, str]]:
    """Partial addresses for a tensor remove update (only mapped dimensions may be given)."""
    if not isinstance(addresses, list):
        raise TensorError("Expected 'addresses' to be an array of address objects")
    mapped_names = {d.name for d in ttype.mapped}
    out: list[dict[str, str]] = []
    for a in addresses:
        if not isinstance(a, dict) or not a:
            raise TensorError("Expected a non-empty address object in 'addresses'")
        for k in a:
            if k not in mapped_names:
                raise TensorError(f"{k} is not a mapped dimension in {ttype.spec()}")
        out.append({k: _text(v) for k, v in a.items()})
    return out


def remove_addresses(ttype: TensorType, tensor: Tensor, addresses: list[dict[str, str]]) -> Tensor:
    names = [d.name for d in ttype.mapped]
    out: Tensor = {}
    for key, sub in tensor.items():
        labels = dict(zip(names, key, strict=True))
        if any(all(labels[k] == v for k, v in a.items()) for a in addresses):
            continue
        out[key] = sub
    return out


def render_tensor(ttype: TensorType, tensor: Tensor) -> dict[str, Any]:
    """The default ("short") rendering of /document/v1 reads: the type plus the short form."""
    out: dict[str, Any] = {"type": ttype.spec()}
    if not ttype.mapped:
        out["values"] = list(tensor.get((), [0.0] * ttype.dense_size))
    elif not ttype.indexed and len(ttype.mapped) == 1:
        out["cells"] = {k[0]: v[0] for k, v in tensor.items()}
    elif not ttype.indexed:
        out["cells"] = [
            {"address": dict(zip([d.name for d in ttype.mapped], k, strict=True)), "value": v[0]}
            for k, v in tensor.items()
        ]
    elif len(ttype.mapped) == 1:
        out["blocks"] = {k[0]: list(v) for k, v in tensor.items()}
    else:
        out["blocks"] = [
            {
                "address": dict(zip([d.name for d in ttype.mapped], k, strict=True)),
                "values": list(v),
            }
            for k, v in tensor.items()
        ]
    return out
