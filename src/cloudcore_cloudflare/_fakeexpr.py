"""A syntax checker for the whole documented Rules language, for the fake API.

The driver writes (and reads back) only a small subset (:mod:`cloudcore_cloudflare.expr`), but a
zone's entry points also hold rules made in the dashboard, by Terraform or by hand, and the fake
must store those as Cloudflare does, so the driver's "leave other rules alone" path is tested
with real expressions. This module parses any expression the documentation describes and refuses
what it says is invalid; it does not evaluate anything.

Sources (https://developers.cloudflare.com/ruleset-engine/rules-language/):

* operators: comparison ``eq ne lt le gt ge`` and ``== != < <= > >=``, ``contains``,
  ``matches``/``~`` (Business and Enterprise only), ``wildcard``, ``strict wildcard``, ``in``;
  logical ``not``/``!``, ``and``/``&&``, ``xor``/``^^``, ``or``/``||`` in that precedence;
  English operators must be lower case; parentheses group; ``ends_with`` is a function, never
  an operator.
* values: quoted strings (``\\"`` and ``\\\\`` escapes; regex escaping on the right of
  ``matches``), raw strings ``r"..."`` and ``r#"..."#`` (up to 255 ``#``), integers, IP
  addresses and CIDR blocks, inline lists ``{...}`` of strings, integers (with ``a..b`` ranges)
  or addresses (with ``a..b`` ranges and CIDRs), named lists ``$name`` (lower case, digits,
  ``_``), boolean fields alone (``ssl``), arrays indexed with ``[0]`` or unpacked with ``[*]``
  (only inside a function's first argument), maps indexed with ``["key"]``.
* functions: the documented list below; anything else is unknown.

``wildcard`` patterns may not hold two unescaped ``*`` in a row (operators page).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

__all__ = ["FUNCTIONS", "Parsed", "RulesSyntaxError", "check"]

FUNCTIONS = frozenset(
    {
        "any", "all", "cidr", "cidr6", "concat", "decode_base64", "ends_with", "join", "len",
        "lookup_json_integer", "lookup_json_string", "lower", "regex_replace", "remove_bytes",
        "remove_query_args", "split", "starts_with", "substring", "to_string", "upper",
        "url_decode", "uuidv4", "wildcard_replace", "bit_slice", "is_timed_hmac_valid_v0",
        "has_key", "has_value", "encode_base64", "sha256",
    }
)  # fmt: skip
"""Functions the functions reference documents."""

NAMESPACES = frozenset({"http", "ip", "cf", "ssl", "raw", "tcp", "udp", "icmp", "sip", "cdn"})
"""First labels of documented fields (``http.*``, ``ip.*``, ``cf.*``, ``raw.*``...)."""

_COMPARE = {
    "eq": "eq", "==": "eq", "ne": "ne", "!=": "ne", "lt": "lt", "<": "lt", "le": "le",
    "<=": "le", "gt": "gt", ">": "gt", "ge": "ge", ">=": "ge", "contains": "contains",
    "matches": "matches", "~": "matches", "wildcard": "wildcard", "in": "in",
}  # fmt: skip
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<raw>r(?P<hashes>\#{0,255})")
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<list>\$[a-z0-9_]+(?:\.[a-z0-9_]+)*)
  | (?P<ip6>(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:\.\d+){0,3}(?:/\d{1,3})?)
  | (?P<ip4>\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?)
  | (?P<range>\.\.)
  | (?P<int>-?\d+)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<op>==|!=|<=|>=|&&|\|\||\^\^|[<>~!])
  | (?P<punct>[(){}\[\],*])
    """,
    re.VERBOSE,
)


class RulesSyntaxError(ValueError):
    """The expression is not valid Rules language."""


@dataclass
class Parsed:
    """What a valid expression uses (for per-plan and per-phase checks)."""

    fields: set[str] = field(default_factory=set)
    operators: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)


Token = tuple[str, str, int]


def _tokens(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise RulesSyntaxError(f"unrecognised input at {pos}: {text[pos : pos + 10]!r}")
        kind = m.lastgroup or ""
        if kind == "hashes":
            kind = "raw"
        if kind == "raw":
            close = '"' + m.group("hashes")
            end = text.find(close, m.end())
            if end < 0:
                raise RulesSyntaxError(f"unterminated raw string at {pos}")
            out.append(("string", text[m.end() : end], pos))
            pos = end + len(close)
            continue
        if kind != "ws":
            out.append((kind, m.group(), pos))
        pos = m.end()
    return out


def _basic_string(token: str) -> str:
    """A quoted string under basic escaping: only ``\\"``, ``\\\\`` and ``\\xHH``."""
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            nxt = body[i + 1 : i + 2]
            if nxt in ('"', "\\"):
                out.append(nxt)
                i += 2
                continue
            if nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", body[i + 2 : i + 4]):
                out.append(chr(int(body[i + 2 : i + 4], 16)))
                i += 4
                continue
            raise RulesSyntaxError(f"invalid escape \\{nxt} in string literal")
        out.append(body[i])
        i += 1
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.out = Parsed()
        self.in_call = 0
        self.unpacks = 0

    # -------------------------------------------------------------- helpers
    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else None

    def next(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise RulesSyntaxError("unexpected end of expression")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok[1] != text:
            raise RulesSyntaxError(f"expected {text!r} at {tok[2]}, got {tok[1]!r}")

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] in ("word", "op", "punct") and tok[1] in texts

    # -------------------------------------------------------------- grammar
    def expr(self) -> None:
        self.binary(0)

    _LEVELS = ((("or", "||"), "or"), (("xor", "^^"), "xor"), (("and", "&&"), "and"))

    def binary(self, level: int) -> None:
        if level == len(self._LEVELS):
            self.unary()
            return
        ops, name = self._LEVELS[level]
        self.binary(level + 1)
        while self.at(*ops):
            self.next()
            self.out.operators.add(name)
            self.binary(level + 1)

    def unary(self) -> None:
        if self.at("not", "!"):
            self.next()
            self.out.operators.add("not")
            self.unary()
            return
        if self.at("("):
            self.next()
            self.expr()
            self.expect(")")
            return
        self.comparison()

    def comparison(self) -> None:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1] in ("true", "false"):
            self.next()
            return
        unpacked = self.value()
        op = self.operator()
        if op is None:
            if unpacked and not self.in_call:
                raise RulesSyntaxError("[*] is only allowed inside a function's argument")
            return  # a boolean field or function on its own
        if unpacked and not self.in_call:
            raise RulesSyntaxError("operators do not take [*] outside a function call")
        self.out.operators.add(op)
        if op == "in":
            self.in_rhs()
        elif op == "matches":
            self.literal(regex=True)
        elif op == "wildcard":
            pattern = self.literal()
            if re.search(r"(?<!\\)\*\*", pattern or ""):
                raise RulesSyntaxError("a wildcard pattern may not hold ** unescaped")
        else:
            self.literal()

    def operator(self) -> str | None:
        tok = self.peek()
        if tok is None:
            return None
        if tok[0] == "word" and tok[1] == "strict":
            self.next()
            nxt = self.next()
            if nxt[1] != "wildcard":
                raise RulesSyntaxError("'strict' must be followed by 'wildcard'")
            return "wildcard"
        if tok[0] in ("word", "op") and tok[1] in _COMPARE:
            self.next()
            return _COMPARE[tok[1]]
        if tok[0] == "word" and tok[1].lower() in _COMPARE:
            raise RulesSyntaxError(f"operator {tok[1]!r} must be written in lower case")
        if tok[0] == "word" and tok[1] in ("starts_with", "ends_with"):
            raise RulesSyntaxError(f"{tok[1]} is a function, not an operator")
        return None

    def value(self) -> bool:
        """A field or a function call, with indexes; returns whether it unpacks ``[*]``."""
        tok = self.next()
        if tok[0] != "word":
            raise RulesSyntaxError(f"expected a field or function at {tok[2]}, got {tok[1]!r}")
        name = tok[1]
        unpacked = False
        if self.at("("):
            if name not in FUNCTIONS:
                raise RulesSyntaxError(f"unknown function {name!r}")
            self.out.functions.add(name)
            self.next()
            self.in_call += 1
            if not self.at(")"):
                self.argument(first=True)
                while self.at(","):
                    self.next()
                    self.argument(first=False)
            self.in_call -= 1
            self.expect(")")
        else:
            if name != name.lower() or name.split(".")[0] not in NAMESPACES:
                raise RulesSyntaxError(f"unknown field {name!r}")
            self.out.fields.add(name)
        while self.at("["):
            self.next()
            idx = self.next()
            if idx[1] == "*":
                unpacked = True
                self.unpacks += 1
            elif idx[0] == "string" and idx[1].startswith('"'):
                _basic_string(idx[1])
            elif not (idx[0] == "int" and not idx[1].startswith("-")):
                raise RulesSyntaxError(
                    f"expected quoted utf8 string or positive integer at {idx[2]}"
                )
            self.expect("]")
        return unpacked

    def argument(self, first: bool) -> None:
        tok = self.peek()
        nxt = self.peek(1)
        literal = tok is not None and (
            tok[0] in ("string", "int", "ip4", "ip6")
            or (tok[0] == "word" and tok[1] in ("true", "false"))
        )
        if literal and (nxt is None or nxt[1] in (",", ")")):
            self.literal()
            return
        before = self.unpacks
        self.expr()
        if self.unpacks > before and not first:
            raise RulesSyntaxError("[*] is only allowed in a function's first argument")

    def literal(self, regex: bool = False) -> str | None:
        tok = self.next()
        kind, text = tok[0], tok[1]
        if kind == "string":
            if text.startswith('"'):
                return text[1:-1] if regex else _basic_string(text)
            return text  # raw string: no escapes
        if kind == "int":
            return None
        if kind in ("ip4", "ip6"):
            _address(text)
            return None
        if kind == "word" and text in ("true", "false"):
            return None
        raise RulesSyntaxError(f"expected a literal at {tok[2]}, got {text!r}")

    def in_rhs(self) -> None:
        tok = self.peek()
        if tok is not None and tok[0] == "list":
            self.next()
            self.out.lists.add(tok[1][1:])
            return
        if tok is not None and tok[0] in ("ip4", "ip6"):
            self.next()
            _address(tok[1])
            return
        self.expect("{")
        kinds: set[str] = set()
        count = 0
        while not self.at("}"):
            item = self.next()
            kind = {"ip4": "ip", "ip6": "ip"}.get(item[0], item[0])
            if kind == "string":
                if item[1].startswith('"'):
                    _basic_string(item[1])
            elif kind == "ip":
                _address(item[1])
            elif kind != "int":
                raise RulesSyntaxError(f"unexpected {item[1]!r} in an inline list")
            following = self.peek()
            if following is not None and following[0] == "range":
                self.next()
                end = self.next()
                if {"ip4": "ip", "ip6": "ip"}.get(end[0], end[0]) != kind or kind == "string":
                    raise RulesSyntaxError("a range joins two integers or two addresses")
                if kind == "ip":
                    _address(end[1])
            kinds.add(kind)
            count += 1
        self.expect("}")
        if not count:
            raise RulesSyntaxError("an inline list needs at least one value")
        if len(kinds) > 1:
            raise RulesSyntaxError("all elements of an inline list must have the same type")


def _address(text: str) -> None:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise RulesSyntaxError(f"{text!r} is not an IP address or CIDR block") from None


def check(expression: str) -> Parsed:
    """Parse ``expression``; what it uses, or :class:`RulesSyntaxError` saying what is wrong."""
    if not isinstance(expression, str) or not expression.strip():
        raise RulesSyntaxError("the expression is empty")
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in expression):
        raise RulesSyntaxError("control characters are not allowed")
    parser = _Parser(expression)
    parser.expr()
    rest = parser.peek()
    if rest is not None:
        raise RulesSyntaxError(f"unrecognised input at {rest[2]}: {rest[1]!r}")
    return parser.out
