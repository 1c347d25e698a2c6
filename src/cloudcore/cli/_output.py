"""Printing results: ``--output table|json|yaml|text`` (``--json`` is short for ``--output json``).

* ``table`` (the default) prints aligned columns under an upper-case header, like ``kubectl get``:
  nothing is wrapped or cut (a resource id or a timestamp stays whole, copyable), booleans are
  ``yes``/``no``, and text is printed literally -- square brackets included, control characters
  shown escaped so that a value from a provider cannot drive the terminal.
* ``json`` is the stable form for scripts: the models' JSON form, keys sorted, two-space indent.
* ``yaml`` is the same data in YAML block style (written here: no YAML library needed).
* ``text`` is tab-separated values without a header, one record a line (``aws --output text``),
  for ``cut`` and ``while read``.

No third-party module is imported here: rendering a table costs microseconds, not the 50 ms that
importing ``rich`` takes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["FORMATS", "dump_yaml", "emit", "output_format", "render_table", "structured"]

FORMATS = ("table", "json", "yaml", "text")
"""The values ``--output`` accepts (also read from ``CLOUDCORE_OUTPUT``)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def output_format(args: argparse.Namespace) -> str:
    """The output format the user asked for: ``--output``, ``--json``, ``CLOUDCORE_OUTPUT``."""
    chosen = getattr(args, "output", None)
    if chosen:
        return str(chosen)
    if getattr(args, "json", False):
        return "json"
    env = os.environ.get("CLOUDCORE_OUTPUT", "").strip().lower()
    return env if env in FORMATS else "table"


def structured(args: argparse.Namespace) -> bool:
    """Whether the output is for programs (JSON or YAML): print whole records, not summaries."""
    return output_format(args) in ("json", "yaml")


def to_jsonable(value: Any) -> Any:
    """Models, lists and mappings to plain JSON-able data (SecretStr stays masked)."""
    if hasattr(value, "model_dump") and callable(value.model_dump):
        return value.model_dump(mode="json")
    if type(value).__name__ == "SecretStr":
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | Iterator):
        return [to_jsonable(v) for v in value]
    return value


def emit(
    args: argparse.Namespace,
    data: Any,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print ``data`` in the chosen format (a table for lists of records, ``key: value`` lines for
    one record). ``title`` is accepted for older callers and not printed: output stays parseable."""
    del title
    plain = to_jsonable(data)
    fmt = output_format(args)
    if fmt == "json":
        print(json.dumps(plain, indent=2, sort_keys=True, default=str))
    elif fmt == "yaml":
        print(dump_yaml(plain), end="")
    elif isinstance(plain, list) and plain and all(isinstance(r, dict) for r in plain):
        cols = list(columns or plain[0])
        if fmt == "text":
            for row in plain:
                print("\t".join(cell(row.get(c), tsv=True) for c in cols))
        else:
            print(render_table(plain, cols), end="")
    elif isinstance(plain, dict):
        if fmt == "text":
            for key, value in plain.items():
                print(f"{key}\t{cell(value, tsv=True)}")
        else:
            width = max((len(k) for k in plain), default=0)
            for key, value in plain.items():
                print(f"{key + ':':<{width + 1}} {cell(value)}".rstrip())
    elif isinstance(plain, list):
        for item in plain:
            print(cell(item, tsv=fmt == "text"))
        if not plain and fmt == "table":
            print("(none)")
    elif plain is not None:
        print(cell(plain))


def cell(value: Any, *, tsv: bool = False) -> str:
    """One value as table text: literal, control characters escaped, never wrapped."""
    if isinstance(value, bool):
        text = ("true" if value else "false") if tsv else ("yes" if value else "no")
    elif value is None:
        text = ""
    elif isinstance(value, list | tuple):
        text = ",".join(cell(v, tsv=tsv) for v in value) if tsv else ", ".join(map(cell, value))
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={cell(v, tsv=tsv)}" for k, v in value.items())
    else:
        text = str(value)
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    if tsv:
        text = text.replace("\t", "\\t")
    return text.replace("\n", "\\n")


def render_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as aligned columns under an upper-case header; the last column is not padded."""
    cells = [[c.upper() for c in columns]] + [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    out = []
    for line in cells:
        padded = [text.ljust(widths[i]) for i, text in enumerate(line[:-1])] + [line[-1]]
        out.append("  ".join(padded).rstrip())
    return "\n".join(out) + "\n"


_PLAIN = re.compile(r"\A[A-Za-z_/][A-Za-z0-9_./@+-]*\Z")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text)


def dump_yaml(value: Any, indent: int = 0) -> str:
    """JSON-able data as YAML (block style; strings quoted whenever plain would be ambiguous)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        out = []
        for key in sorted(value):
            item = value[key]
            head = f"{pad}{_scalar(str(key))}:"
            if isinstance(item, dict | list) and item:
                out.append(head + "\n" + dump_yaml(item, indent + 2))
            else:
                out.append(f"{head} {dump_yaml(item).strip()}\n")
        return "".join(out)
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        out = []
        for item in value:
            if isinstance(item, dict | list) and item:
                body = dump_yaml(item, indent + 2)
                out.append(f"{pad}- {body[indent + 2 :]}")
            else:
                out.append(f"{pad}- {dump_yaml(item).strip()}\n")
        return "".join(out)
    return pad + _scalar(value) + "\n"
