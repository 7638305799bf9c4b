"""PostgreSQL's text output parsed without loss: json/jsonb (exact numbers, JSON `null` kept
apart from SQL NULL) and intervals (as ISO 8601, months and days kept apart). Used by the
psycopg2 casters (source/casters.py) for values read, and by the renderer (documents/values.py)
for elements of arrays that arrive as text. Pure functions: no I/O.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal


class JsonNull:
    """JSON `null` stored in a json/jsonb column, as distinct from SQL NULL (Python None).

    Prisma distinguishes the two (JsonNull vs DbNull), so the rendering must as well.
    Falsy, so `if value:` treats it like an empty value.
    """

    _instance: JsonNull | None = None

    def __new__(cls) -> JsonNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "JSON_NULL"

    def __reduce__(self) -> tuple[type[JsonNull], tuple[()]]:
        return (JsonNull, ())


JSON_NULL = JsonNull()


def _json_int(text: str) -> int | Decimal:
    # Python refuses int() of more than 4300 digits; jsonb numbers can be far longer.
    return int(text) if len(text) < 4000 else Decimal(text)


# json.loads with arguments builds a decoder per call; these are built once. Integers shorter
# than 4000 digits parse the same with or without _json_int, and parse faster without it.
_JSON_DECODER = json.JSONDecoder(parse_float=Decimal)
_JSON_DECODER_LONG = json.JSONDecoder(parse_float=Decimal, parse_int=_json_int)


def parse_json_exact(text: str) -> object:
    if type(text) is str and not text.startswith("\ufeff"):  # json.loads refuses a BOM itself
        decoder = _JSON_DECODER if len(text) < 4000 else _JSON_DECODER_LONG
        value = decoder.decode(text)
    else:
        value = json.loads(text, parse_float=Decimal, parse_int=_json_int)
    return JSON_NULL if value is None else value


# --- intervals --------------------------------------------------------------------------------

_INTERVAL_UNIT = re.compile(r"^([+-]?\d+) (year|mon|day)s?$")
_INTERVAL_TIME = re.compile(r"^([+-]?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$")
_MONTHS_PER_UNIT = {"year": 12, "mon": 1}


def _trunc_divmod(a: int, b: int) -> tuple[int, int]:
    """C's `/` and `%`: the quotient truncates toward zero, as PostgreSQL's output does."""
    q = abs(a) // b * (1 if a >= 0 else -1)
    return q, a - q * b


def _iso_part(value: int, unit: str) -> str:
    return f"{value}{unit}" if value else ""


def iso_interval(months: int, days: int, micros: int) -> str:
    """PostgreSQL's EncodeInterval for IntervalStyle iso_8601, from its stored fields."""
    year, mon = _trunc_divmod(months, 12)
    hour, rest = _trunc_divmod(micros, 3_600_000_000)
    minute, rest = _trunc_divmod(rest, 60_000_000)
    sec, fsec = _trunc_divmod(rest, 1_000_000)
    if not (year or mon or days or hour or minute or sec or fsec):
        return "PT0S"
    out = "P" + _iso_part(year, "Y") + _iso_part(mon, "M") + _iso_part(days, "D")
    if hour or minute or sec or fsec:
        out += "T" + _iso_part(hour, "H") + _iso_part(minute, "M")
    if sec or fsec:
        fraction = f".{abs(fsec):06d}".rstrip("0") if fsec else ""
        out += f"{'-' if sec < 0 or fsec < 0 else ''}{abs(sec)}{fraction}S"
    return out


def interval_to_iso(text: str) -> str:
    """PostgreSQL's interval output (IntervalStyle `postgres`, the default) as ISO 8601.

    `1 mon 2 days 03:04:05.006` -> `P1M2DT3H4M5.006S`. Text already in iso_8601 style, and
    `infinity`, pass through; text in another style is returned unchanged.
    """
    if text.startswith("P") or text.endswith("infinity"):
        return text
    months = days = micros = 0
    for token in re.findall(r"[+-]?\d+ \w+|\S+", text):
        unit = _INTERVAL_UNIT.match(token)
        clock = _INTERVAL_TIME.match(token)
        if unit:
            amount, name = int(unit.group(1)), unit.group(2)
            if name == "day":
                days += amount
            else:
                months += amount * _MONTHS_PER_UNIT[name]
        elif clock:
            sign, h, m, s, frac = clock.groups()
            total = ((int(h) * 60 + int(m)) * 60 + int(s)) * 1_000_000 + int((frac or "").ljust(6, "0"))
            micros += -total if sign == "-" else total
        else:
            return text  # sql_standard or postgres_verbose output: keep it verbatim
    return iso_interval(months, days, micros)
