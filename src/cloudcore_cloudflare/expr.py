"""A small builder and parser for Cloudflare Rules-language expressions.

WAF rule expressions are *built* from a tiny syntax tree, never concatenated from raw input:
every user-supplied value (a path, a method, a country, a list name) becomes a literal whose
quoting and escaping the builder owns, so a value containing quotes, parentheses or operators
cannot change what the expression means. :func:`parse` reads an expression back into the same
tree; the driver uses it to turn the rules it finds at Cloudflare into portable rules, the fake
API uses it to validate expressions, and a property test checks ``parse(render(t)) == t``.

Grammar (the subset cloudcore writes)::

    expr    := and_expr ("or" and_expr)*
    and_expr:= unary ("and" unary)*
    unary   := "not" unary | "(" expr ")" | "true" | call | compare
    call    := FUNC "(" FIELD "," STRING ")"           (starts_with, ends_with)
    compare := FIELD "eq" STRING | FIELD "in" set | FIELD "in" LIST
    set     := "{" (STRING | IP)+ "}"
    LIST    := "$" [a-z0-9_]{1,50}
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

__all__ = [
    "FIELDS",
    "And",
    "Call",
    "Eq",
    "Expr",
    "ExpressionError",
    "InList",
    "InSet",
    "Not",
    "Or",
    "TrueExpr",
    "parse",
    "quote",
    "render",
]

FIELDS = frozenset(
    {"ip.src", "ip.src.country", "http.request.uri.path", "http.request.method", "http.host"}
)
"""Fields the builder accepts (anything else is a programming error)."""

FUNCTIONS = frozenset({"starts_with", "ends_with"})
LIST_NAME_RE = re.compile(r"\A[a-z0-9_]{1,50}\Z")


class ExpressionError(ValueError):
    """An expression (or a piece of one) is not valid."""


@dataclass(frozen=True)
class TrueExpr:
    """Matches every request."""


@dataclass(frozen=True)
class Eq:
    """``field eq "value"``."""

    field: str
    value: str


@dataclass(frozen=True)
class InSet:
    """``field in {...}``: string literals, or IP addresses/CIDRs when ``ips`` is true."""

    field: str
    values: tuple[str, ...]
    ips: bool = False


@dataclass(frozen=True)
class InList:
    """``field in $list_name`` (a Cloudflare IP list)."""

    field: str
    list_name: str


@dataclass(frozen=True)
class Call:
    """``function(field, "value")``."""

    function: str
    field: str
    value: str


@dataclass(frozen=True)
class Not:
    """``not (expr)``."""

    operand: Expr


@dataclass(frozen=True)
class And:
    """``(a) and (b) ...``."""

    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """``(a) or (b) ...``."""

    operands: tuple[Expr, ...]


Expr = TrueExpr | Eq | InSet | InList | Call | Not | And | Or


# ---------------------------------------------------------------- building
def quote(value: str) -> str:
    """A Rules-language string literal for ``value``: double-quoted, ``\\`` and ``"`` escaped."""
    if not isinstance(value, str):
        raise ExpressionError(f"string literal expected, got {type(value).__name__}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ExpressionError("control characters are not allowed in expression values")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _field(name: str) -> str:
    if name not in FIELDS:
        raise ExpressionError(f"unknown field {name!r}")
    return name


def _ip(value: str) -> str:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ExpressionError(f"{value!r} is not an IP address or CIDR") from None
    return str(net.network_address) if net.num_addresses == 1 else str(net)


def render(expr: Expr) -> str:
    """Render a syntax tree as Cloudflare expression text.

    Raises:
        ExpressionError: an unknown field or function, an invalid IP or list name, an empty set.
    """
    if isinstance(expr, TrueExpr):
        return "true"
    if isinstance(expr, Eq):
        return f"{_field(expr.field)} eq {quote(expr.value)}"
    if isinstance(expr, InSet):
        if not expr.values:
            raise ExpressionError("empty set")
        items = [_ip(v) for v in expr.values] if expr.ips else [quote(v) for v in expr.values]
        return f"{_field(expr.field)} in {{{' '.join(items)}}}"
    if isinstance(expr, InList):
        if not LIST_NAME_RE.match(expr.list_name):
            raise ExpressionError(f"invalid list name {expr.list_name!r}")
        return f"{_field(expr.field)} in ${expr.list_name}"
    if isinstance(expr, Call):
        if expr.function not in FUNCTIONS:
            raise ExpressionError(f"unknown function {expr.function!r}")
        return f"{expr.function}({_field(expr.field)}, {quote(expr.value)})"
    if isinstance(expr, Not):
        return f"not ({render(expr.operand)})"
    if isinstance(expr, And | Or):
        if len(expr.operands) < 2:
            raise ExpressionError("and/or need at least two operands")
        op = " and " if isinstance(expr, And) else " or "
        return op.join(f"({render(o)})" for o in expr.operands)
    raise ExpressionError(f"not an expression node: {expr!r}")


# ----------------------------------------------------------------- parsing
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<list>\$[a-z0-9_]+)
  | (?P<punct>[(){},])
  | (?P<word>[A-Za-z0-9_.:/]+)
    """,
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise ExpressionError(f"unexpected character {text[pos]!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group()))
    return out


def _unquote(token: str) -> str:
    body = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 1
            if i >= len(body) or body[i] not in '"\\':
                raise ExpressionError("invalid escape in string literal")
            ch = body[i]
        out.append(ch)
        i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("unexpected end of expression")
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            raise ExpressionError(f"expected {value or kind}, got {tok[1]!r}")
        self.i += 1
        return tok[1]

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[1] == value and tok[0] in ("word", "punct")

    def expr(self) -> Expr:
        parts = [self.and_expr()]
        while self.at("or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Expr:
        parts = [self.unary()]
        while self.at("and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Expr:
        if self.at("not"):
            self.take()
            return Not(self.unary())
        if self.at("("):
            self.take()
            inner = self.expr()
            self.take("punct", ")")
            return inner
        if self.at("true"):
            self.take()
            return TrueExpr()
        word = self.take("word")
        if word in FUNCTIONS:
            self.take("punct", "(")
            field = _field(self.take("word"))
            self.take("punct", ",")
            value = _unquote(self.take("string"))
            self.take("punct", ")")
            return Call(word, field, value)
        field = _field(word)
        op = self.take("word")
        if op == "eq":
            return Eq(field, _unquote(self.take("string")))
        if op != "in":
            raise ExpressionError(f"unsupported operator {op!r}")
        tok = self.peek()
        if tok is not None and tok[0] == "list":
            return InList(field, self.take("list")[1:])
        self.take("punct", "{")
        values: list[str] = []
        ips: bool | None = None
        while not self.at("}"):
            kind, text = self.peek() or ("", "")
            if kind == "string":
                is_ip = False
                values.append(_unquote(self.take()))
            elif kind == "word":
                is_ip = True
                values.append(_ip(self.take()))
            else:
                raise ExpressionError(f"unexpected {text!r} in set")
            if ips is not None and ips != is_ip:
                raise ExpressionError("a set mixes strings and addresses")
            ips = is_ip
        self.take("punct", "}")
        if not values:
            raise ExpressionError("empty set")
        return InSet(field, tuple(values), bool(ips))


def parse(text: str) -> Expr:
    """Parse expression text (the subset :func:`render` writes) back into a syntax tree.

    Raises:
        ExpressionError: the text is not a valid expression of that subset.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression")
    if len(text) > 4096:
        raise ExpressionError("expression longer than 4096 characters")
    p = _Parser(text)
    tree = p.expr()
    if p.peek() is not None:
        raise ExpressionError(f"unexpected {p.peek()[1]!r} after expression")  # type: ignore[index]
    return tree
