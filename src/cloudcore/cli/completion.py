"""``cloudcore completion bash|zsh|fish``: print a shell completion script.

The script is generated from the parser itself (plugin commands included) and is static: pressing
TAB runs no Python. It completes command names, options, the driver names after ``--provider``
and the formats after ``--output``; elsewhere it falls back to file names. Install it once::

    cloudcore completion bash > ~/.local/share/bash-completion/completions/cloudcore
    cloudcore completion zsh > "${fpath[1]}/_cloudcore"
    cloudcore completion fish > ~/.config/fish/completions/cloudcore.fish

Generate it again after installing a driver that adds commands.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from ._help import commands
from ._output import FORMATS

__all__ = ["add_parser", "script"]

SHELLS = ("bash", "zsh", "fish")


def add_parser(sub: Any, common: argparse.ArgumentParser | None = None) -> None:
    """Add the ``completion`` subcommand."""
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description=__doc__,
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from . import build_parser

    print(script(args.shell, build_parser()), end="")
    return 0


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return sorted({s for a in parser._actions for s in a.option_strings if s.startswith("--")})


def _table(parser: argparse.ArgumentParser) -> dict[str, tuple[list[str], list[str], str]]:
    """Command path (``"secrets get"``) to (subcommands, long options, one-line help)."""
    table: dict[str, tuple[list[str], list[str], str]] = {}
    children: dict[str, list[str]] = {"": []}
    for path, sub, help_text in commands(parser):
        parent = " ".join(path[:-1])
        children.setdefault(parent, []).append(path[-1])
        table[" ".join(path)] = ([], _options(sub), help_text)
    table[""] = ([], _options(parser), "")
    for key, names in children.items():
        table[key] = (names, table[key][1], table[key][2])
    return table


def _drivers() -> list[str]:
    from ..registry import available_drivers

    return sorted(available_drivers())


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell``."""
    table = _table(parser)
    drivers = _drivers()
    if shell == "fish":
        return _fish(table, drivers)
    body = _bash(table, drivers)
    if shell == "zsh":
        return (
            "#compdef cloudcore\n# cloudcore completion for zsh (the bash script via bashcompinit)\n"
            "autoload -U +X bashcompinit && bashcompinit\n" + body
        )
    return body


def _bash(table: dict[str, tuple[list[str], list[str], str]], drivers: list[str]) -> str:
    subs = "".join(
        f"    {shlex.quote(path)}) echo {shlex.quote(' '.join(names))} ;;\n"
        for path, (names, _, _) in table.items()
        if names
    )
    opts = "".join(
        f"    {shlex.quote(path)}) echo {shlex.quote(' '.join(options))} ;;\n"
        for path, (_, options, _) in table.items()
    )
    return f"""# cloudcore completion for bash: source it, or put it in bash-completion's directory
_cloudcore_subcommands() {{
  case "$1" in
{subs}  esac
}}
_cloudcore_options() {{
  case "$1" in
{opts}  esac
}}
_cloudcore() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" path="" word i
  case "$prev" in
    --provider|-p) COMPREPLY=($(compgen -W {shlex.quote(" ".join(drivers))} -- "$cur")); return ;;
    --output) COMPREPLY=($(compgen -W {shlex.quote(" ".join(FORMATS))} -- "$cur")); return ;;
    --profile|--option|-o) COMPREPLY=(); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    case "$word" in
      --) COMPREPLY=(); compopt -o default 2>/dev/null; return ;;
      -*) continue ;;
    esac
    if [[ " $(_cloudcore_subcommands "$path") " == *" $word "* ]]; then
      path="${{path:+$path }}$word"
    fi
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_cloudcore_options "$path")" -- "$cur"))
    return
  fi
  local subs
  subs="$(_cloudcore_subcommands "$path")"
  if [[ -n "$subs" ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=()
    compopt -o default 2>/dev/null
  fi
}}
complete -F _cloudcore cloudcore
"""


def _fish(table: dict[str, tuple[list[str], list[str], str]], drivers: list[str]) -> str:
    lines = [
        "# cloudcore completion for fish",
        "complete -c cloudcore -f",
        f"complete -c cloudcore -s p -l provider -x -a {shlex.quote(' '.join(drivers))}"
        " -d 'driver name'",
        f"complete -c cloudcore -l output -x -a {shlex.quote(' '.join(FORMATS))}"
        " -d 'output format'",
    ]
    for path, (names, options, _) in table.items():
        words = path.split()
        cond = f"__fish_seen_subcommand_from {words[-1]}" if words else "__fish_use_subcommand"
        if names:
            not_yet = f"; and not __fish_seen_subcommand_from {' '.join(names)}"
            for name in names:
                help_text = table[" ".join([*words, name])][2]
                lines.append(
                    f"complete -c cloudcore -n {shlex.quote(cond + not_yet)} -a {name}"
                    f" -d {shlex.quote(help_text[:60])}"
                )
        else:
            lines.append(f"complete -c cloudcore -n {shlex.quote(cond)} -F")
        for option in options:
            if option in ("--provider", "--output"):
                continue
            lines.append(f"complete -c cloudcore -n {shlex.quote(cond)} -l {option[2:]}")
    return "\n".join(lines) + "\n"
