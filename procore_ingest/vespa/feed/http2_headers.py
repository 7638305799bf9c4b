"""HPACK for the feeder's HTTP/2 connections: a request encoder without a dynamic table and a
decoder that remembers answers it decoded while its table was empty. Both exist for speed: HPACK
was the feeder's largest CPU cost (bench/RESULTS.md)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpack import Decoder
from hpack.table import HeaderTable


def _hpack_int(value: int, prefix_bits: int, first: int) -> bytes:
    """An HPACK integer (RFC 7541 5.1) with the pattern bits `first` in its first byte."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _hpack_str(value: bytes) -> bytes:
    return _hpack_int(len(value), 7, 0) + value  # raw octets, no Huffman


class HeaderEncoder:
    """HPACK for requests without a dynamic table: static-table entries where they exist,
    literals otherwise, and the encoding of each header but `:path` remembered. Several times
    cheaper than hpack's Encoder (Huffman and table search per header, the feeder's largest
    CPU cost), at a few bytes per request more on the wire. Said once at the start: the table
    is 0 bytes, so the server's decoder state never depends on ours."""

    SECRET = frozenset({b"authorization"})

    def __init__(self) -> None:
        self.pairs: dict[tuple[bytes, bytes], int] = {}
        self.names: dict[bytes, int] = {}
        for index, (name, value) in enumerate(HeaderTable.STATIC_TABLE, 1):
            self.pairs.setdefault((name, value), index)
            self.names.setdefault(name, index)
        self.cache: dict[tuple[bytes, bytes], bytes] = {}
        self.size_update = b"\x20"  # dynamic table size update: 0, in the first block

    @property
    def header_table_size(self) -> int:
        return 0

    @header_table_size.setter
    def header_table_size(self, value: int) -> None:
        self.size_update = b"\x20"  # the server changed its limit: say 0 again

    def field(self, name: bytes, value: bytes) -> bytes:
        index = self.pairs.get((name, value))
        if index is not None:
            return _hpack_int(index, 7, 0x80)
        first = 0x10 if name in self.SECRET else 0x00  # never indexed / without indexing
        index = self.names.get(name)
        if index is not None:
            return _hpack_int(index, 4, first) + _hpack_str(value)
        return bytes([first]) + _hpack_str(name) + _hpack_str(value)

    def encode(self, headers, huffman: bool = True) -> bytes:
        out = [self.size_update]
        self.size_update = b""
        for header in headers:
            name, value = header[0], header[1]
            name = name if isinstance(name, bytes) else name.encode()
            value = value if isinstance(value, bytes) else value.encode()
            if name == b":path":
                out.append(self.field(name, value))
                continue
            encoded = self.cache.get((name, value))
            if encoded is None:
                encoded = self.cache[(name, value)] = self.field(name, value)
            out.append(encoded)
        return b"".join(out)


class HeaderDecoder(Decoder):
    """hpack's decoder, with the answers it decoded while its dynamic table was empty
    remembered by their bytes: such a block neither reads nor changes the table, so the same
    bytes mean the same headers while the table stays empty. The feeder asks for a 0-byte table
    (SETTINGS_HEADER_TABLE_SIZE), so against Vespa it stays empty and the thousands of
    identical `200` answers are decoded once."""

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[tuple[bytes, bool], Iterable[Any]] = {}

    def decode(self, data: bytes, raw: bool = False):  # type: ignore[override]
        if self.header_table.dynamic_entries:
            return super().decode(data, raw)
        headers = self.known.get((data, raw))
        if headers is None:
            headers = super().decode(data, raw)
            if not self.header_table.dynamic_entries and len(self.known) < 4096:
                self.known[(bytes(data), raw)] = headers
        return list(headers)
