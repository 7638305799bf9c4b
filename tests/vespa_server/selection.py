"""A subset of Vespa's document selector language, for visiting and test-and-set conditions.

Reference: "Document selector language". Supported:

* literals: integers, floats, ``"strings"`` / ``'strings'``, ``true``, ``false``, ``null``;
  ``now()`` (seconds since epoch);
* a document type name alone (``music``): true for documents of that type;
* field references ``<doctype>.<field>``, with ``{key}`` for maps/weighted sets and ``[i]`` for
  arrays; a reference to another type's field is *invalid* for a document, and an array field
  compares true if any element does;
* ``id``, ``id.namespace``, ``id.type``, ``id.specific``, ``id.user``, ``id.group``,
  ``id.scheme``;
* comparisons ``== != < <= > >=``, glob ``=`` (``*`` and ``?``) and regex ``=~``;
* arithmetic ``+ - * / %``, ``and`` / ``or`` / ``not`` and parentheses (keywords are
  case-insensitive).

Vespa's three-valued logic is kept: comparisons of mismatched types are *invalid*, ``not
invalid`` is invalid, and an invalid result does not match. Anything else (bucket selections,
``id.bucket``, functions other than ``now()``, ``$variables``) is rejected with
``SelectionError`` - which the server returns as a 400, so a test never silently matches
nothing because of an unsupported construct.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .schema import DocumentType, FieldType


class SelectionError(ValueError):
    """The selection could not be parsed, or uses something this server does not support."""


class _Invalid:
    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


@dataclass(frozen=True)
class SelectionDoc:
    """What a selection sees of a document."""

    doctype: str
    namespace: str
    user_id: str
    full_id: str
    fields: dict[str, Any]
    number: int | None = None
    group: str | None = None


Evaluator = Callable[[SelectionDoc], Any]

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<num>0[xX][0-9a-fA-F]+|\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>==|!=|<=|>=|=~|[<>=+\-*/%(){}\[\].])
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise SelectionError(f"Unexpected character {text[pos:].lstrip()[:1]!r} at {pos}")
        kind = m.lastgroup or "?"
        toks.append(_Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    toks.append(_Tok("end", "", len(text)))
    return toks


def _unescape(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(x[0-9a-fA-F]{2}|.)", _esc, body)


def _esc(m: re.Match[str]) -> str:
    c = m.group(1)
    if c.startswith("x") and len(c) == 3:
        return chr(int(c[1:], 16))
    return {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}.get(c, c)


# ----------------------------------------------------------------------------- logic


def _not(v: Any) -> Any:
    return INVALID if v is INVALID else not _truth(v)


def _truth(v: Any) -> Any:
    if v is INVALID:
        return INVALID
    return bool(v) if isinstance(v, bool) else v is not None and v is not False


def _and(a: Any, b: Any) -> Any:
    a, b = _truth(a), _truth(b)
    if a is False or b is False:
        return False
    if a is INVALID or b is INVALID:
        return INVALID
    return True


def _or(a: Any, b: Any) -> Any:
    a, b = _truth(a), _truth(b)
    if a is True or b is True:
        return True
    if a is INVALID or b is INVALID:
        return INVALID
    return False


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _compare_one(op: str, a: Any, b: Any) -> Any:
    if a is INVALID or b is INVALID:
        return INVALID
    if op in ("==", "!="):
        if a is None or b is None:
            eq = a is None and b is None
        elif _is_num(a) and _is_num(b):
            eq = a == b
        elif type(a) is type(b):
            eq = a == b
        else:
            return INVALID
        return eq if op == "==" else not eq
    if op == "=":
        if isinstance(a, str) and isinstance(b, str):
            return fnmatch.fnmatchcase(a, b)
        return _compare_one("==", a, b)
    if op == "=~":
        if isinstance(a, str) and isinstance(b, str):
            try:
                return re.search(b, a) is not None
            except re.error as e:
                raise SelectionError(f"Bad regular expression {b!r}: {e}") from None
        return INVALID
    if a is None or b is None:
        return False
    if not ((_is_num(a) and _is_num(b)) or (isinstance(a, str) and isinstance(b, str))):
        return INVALID
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _compare(op: str, a: Any, b: Any) -> Any:
    # A multi-value field matches if any of its values does; maps and weighted sets by key.
    if isinstance(a, dict):
        a = [str(k) if isinstance(b, str) else k for k in a]
    if isinstance(a, list):
        results = [_compare(op, x, b) for x in a]
        return (
            True
            if True in results
            else (INVALID if results and all(r is INVALID for r in results) else False)
        )
    if isinstance(b, list):
        return _compare(op, b, a) if op in ("==", "!=") else INVALID
    return _compare_one(op, a, b)


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is INVALID or b is INVALID:
        return INVALID
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if not (_is_num(a) and _is_num(b)):
        return INVALID
    if op in ("/", "%") and b == 0:
        return INVALID
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a // b if isinstance(a, int) and isinstance(b, int) else a / b
    return a % b


# ----------------------------------------------------------------------------- parser


def _binary(fn: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda d: fn(left(d), right(d))


def _arith_node(op: str, left: Evaluator, right: Evaluator) -> Evaluator:
    return lambda d: _arith(op, left(d), right(d))


class _Parser:
    def __init__(self, text: str, types: dict[str, DocumentType]) -> None:
        self.text = text
        self.types = types
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def kw(self, word: str) -> bool:
        t = self.peek()
        return t.kind == "ident" and t.text.lower() == word

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str) -> None:
        t = self.take()
        if t.text != text:
            self.fail(t, f"expected '{text}'")

    def fail(self, t: _Tok, what: str) -> None:
        found = "end of input" if t.kind == "end" else f"'{t.text}'"
        raise SelectionError(f"Encountered {found} at column {t.pos + 1}: {what}")

    def parse(self) -> Evaluator:
        e = self.or_()
        if self.peek().kind != "end":
            self.fail(self.peek(), "expected end of selection")
        return e

    def or_(self) -> Evaluator:
        left = self.and_()
        while self.kw("or"):
            self.take()
            right = self.and_()
            left = _binary(_or, left, right)
        return left

    def and_(self) -> Evaluator:
        left = self.not_()
        while self.kw("and"):
            self.take()
            right = self.not_()
            left = _binary(_and, left, right)
        return left

    def not_(self) -> Evaluator:
        if self.kw("not"):
            self.take()
            inner = self.not_()
            return lambda d: _not(inner(d))
        return self.comparison()

    def comparison(self) -> Evaluator:
        left = self.additive()
        t = self.peek()
        if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">=", "=", "=~"):
            self.take()
            right = self.additive()
            op = t.text
            return lambda d: _compare(op, left(d), right(d))
        return left

    def additive(self) -> Evaluator:
        left = self.multiplicative()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            op = self.take().text
            right = self.multiplicative()
            left = _arith_node(op, left, right)
        return left

    def multiplicative(self) -> Evaluator:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/", "%"):
            op = self.take().text
            right = self.unary()
            left = _arith_node(op, left, right)
        return left

    def unary(self) -> Evaluator:
        if self.peek().kind == "op" and self.peek().text == "-":
            self.take()
            inner = self.unary()
            return lambda d: _arith("-", 0, inner(d))
        return self.primary()

    def primary(self) -> Evaluator:
        t = self.take()
        if t.kind == "op" and t.text == "(":
            e = self.or_()
            self.expect(")")
            return e
        if t.kind == "num":
            txt = t.text
            value: Any = (
                int(txt, 16)
                if txt.lower().startswith("0x")
                else float(txt)
                if any(c in txt for c in ".eE")
                else int(txt)
            )
            return lambda d: value
        if t.kind == "str":
            s = _unescape(t.text)
            return lambda d: s
        if t.kind == "ident":
            word = t.text.lower()
            if word in ("true", "false"):
                b = word == "true"
                return lambda d: b
            if word == "null":
                return lambda d: None
            if word == "now":
                self.expect("(")
                self.expect(")")
                return lambda d: int(time.time())
            if word == "id":
                return self.id_ref()
            return self.doc_ref(t)
        self.fail(t, "expected a value, a field reference or '('")
        raise AssertionError  # unreachable

    def id_ref(self) -> Evaluator:
        if not (self.peek().kind == "op" and self.peek().text == "."):
            return lambda d: d.full_id
        self.take()
        part = self.take()
        name = part.text.lower()
        getters: dict[str, Evaluator] = {
            "namespace": lambda d: d.namespace,
            "type": lambda d: d.doctype,
            "specific": lambda d: d.user_id,
            "scheme": lambda d: "id",
            "user": lambda d: d.number if d.number is not None else INVALID,
            "group": lambda d: d.group if d.group is not None else INVALID,
        }
        if part.kind != "ident" or name not in getters:
            raise SelectionError(f"Unsupported id component 'id.{part.text}' in selection")
        return getters[name]

    def doc_ref(self, t: _Tok) -> Evaluator:
        doctype = t.text
        if doctype not in self.types:
            raise SelectionError(
                f"Document type '{doctype}' not found (use <document type>.<field> for fields)"
            )
        if not (self.peek().kind == "op" and self.peek().text == "."):
            return lambda d: d.doctype == doctype
        self.take()
        ft_tok = self.take()
        if ft_tok.kind != "ident":
            self.fail(ft_tok, "expected a field name")
        fields = self.types[doctype].fields
        if ft_tok.text not in fields:
            raise SelectionError(f"Field '{ft_tok.text}' not found in document type '{doctype}'")
        fname = ft_tok.text
        ftype = fields[fname]
        steps: list[tuple[str, Any]] = []
        while self.peek().kind == "op" and self.peek().text in ("{", "[", "."):
            steps.append(self.subscript(ftype))
        return lambda d: _field_value(d, doctype, fname, steps)

    def subscript(self, ftype: FieldType) -> tuple[str, Any]:
        op = self.take().text
        if op == ".":
            name = self.take()
            return ("attr", name.text)
        closing = "}" if op == "{" else "]"
        parts: list[str] = []
        while not (self.peek().kind == "op" and self.peek().text == closing):
            t = self.take()
            if t.kind == "end":
                self.fail(t, f"expected '{closing}'")
            parts.append(_unescape(t.text) if t.kind == "str" else t.text)
        self.take()
        key = "".join(parts)
        if op == "[":
            if not key.isdigit():
                raise SelectionError(f"Array index '{key}' is not a number")
            return ("index", int(key))
        return ("key", key)


def _field_value(d: SelectionDoc, doctype: str, fname: str, steps: list[tuple[str, Any]]) -> Any:
    if d.doctype != doctype:
        return INVALID
    value = d.fields.get(fname)
    for kind, arg in steps:
        if value is None:
            return None
        if kind == "index":
            value = value[arg] if isinstance(value, list) and arg < len(value) else None
        elif kind == "key":
            if isinstance(value, dict):
                value = next((v for k, v in value.items() if str(k) == arg), None)
            else:
                return INVALID
        else:
            value = value.get(arg) if isinstance(value, dict) else INVALID
    if isinstance(value, bytes):
        return INVALID
    return value


def compile_selection(text: str, types: dict[str, DocumentType]) -> Evaluator:
    """Compile ``text``; the result maps a document to True / False / INVALID."""
    if not text.strip():
        raise SelectionError("Empty selection")
    return _Parser(text, types).parse()


def matches(evaluator: Evaluator, doc: SelectionDoc) -> bool:
    return _truth(evaluator(doc)) is True
