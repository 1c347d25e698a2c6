"""``cloudcore plan FILE``, ``cloudcore apply FILE`` and ``cloudcore export``: desired state.

``plan`` reads the provider (no writes) and prints what ``apply`` would change, one line per
resource, with field-level diffs. ``apply`` plans, shows the plan, asks before applying unless
``--auto-approve``, then applies in dependency order and stops at the first failure.
``export`` writes what cloudcore manages as a stack file; ``graph`` draws a stack (Mermaid, DOT,
SVG or PNG).

The provider is the stack's ``providers`` routing unless ``--provider``/``--profile`` is given.
Exit codes: 0 ok (for ``plan --detailed-exitcode``: no changes), 2 changes (with
``--detailed-exitcode``) or bad input, 1 a provider error or a failed apply.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._common import connect_from

if TYPE_CHECKING:
    from ..protocol import CloudProvider
    from ..stack import Plan, Stack, Step

__all__ = ["add_parser", "render_plan"]

_SYMBOL = {"create": "+", "update": "~", "replace": "-/+", "delete": "-"}
_COLOR = {"create": "32", "update": "33", "replace": "35", "delete": "31"}


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``plan``, ``apply`` and ``export``."""
    for name, helptext in (
        ("plan", "show what applying a stack file would change (reads only)"),
        ("apply", "apply a stack file: plan, confirm, then change the provider"),
    ):
        p = sub.add_parser(
            name,
            parents=[common],
            help=helptext,
            description=__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("file", help="stack file (.yaml, .yml, .toml or .json)")
        p.add_argument(
            "--prune",
            action="store_true",
            help="also delete resources tagged with this stack that the file no longer has",
        )
        p.add_argument(
            "--force",
            action="store_true",
            help="go past safety thresholds and destructive replaces",
        )
        p.add_argument(
            "--destroy",
            action="store_true",
            help="delete every resource of the stack that exists (data stores need --force)",
        )
        if name == "plan":
            p.add_argument(
                "--detailed-exitcode",
                action="store_true",
                help="exit 0 with no changes, 2 with changes, 1 on error",
            )
            p.set_defaults(func=_plan_cmd)
        else:
            p.add_argument("--auto-approve", action="store_true", help="apply without asking")
            p.add_argument(
                "--parallelism", type=int, default=4, help="changes run at once (default 4)"
            )
            p.set_defaults(func=_apply_cmd)
    p = sub.add_parser(
        "export",
        parents=[common],
        help="write what cloudcore manages as a stack file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--name", help="stack name (default: the resources' cloudcore-stack tag)")
    p.add_argument(
        "--format", choices=("yaml", "json"), default="yaml", help="output format (default yaml)"
    )
    p.set_defaults(func=_export_cmd)
    p = sub.add_parser(
        "graph",
        parents=[common],
        help="draw a stack file (or, without FILE, what the provider runs)",
        description="Draw a system: resources grouped by provider, references as edges. "
        "Mermaid and DOT are text; SVG and PNG need the 'graph' extra and Graphviz.",
    )
    p.add_argument("file", nargs="?", help="stack file; without it, export the provider first")
    p.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg", "png"),
        default="mermaid",
        help="output format (default mermaid)",
    )
    p.add_argument("--out", "-O", help="write to this file instead of standard output")
    p.set_defaults(func=_graph_cmd)


@contextmanager
def _provider_for(args: argparse.Namespace, stack: Stack | None) -> Iterator[CloudProvider]:
    explicit = any(getattr(args, k, None) for k in ("provider", "profile")) or os.environ.get(
        "CLOUDCORE_PROVIDER"
    )
    if stack is not None and stack.providers and not explicit:
        from ..config import connect

        cloud = connect(dict(stack.providers))
    else:
        cloud = connect_from(args)
    try:
        yield cloud
    finally:
        cloud.close()


def _color(enabled: bool, code: str, text: str) -> str:
    return f"\033[{code}m{text}\033[0m" if enabled else text


def _use_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def render_plan(plan: Plan, color: bool = False) -> str:
    """The plan for people: one line per change, field diffs under updates, a summary."""
    lines = [f"stack {plan.stack.name} on {plan.provider}:"]
    shown = [c for c in plan.changes if c.action != "noop"]
    for c in shown:
        sym = _SYMBOL[c.action]
        head = f"  {sym} {c.kind}.{c.name}"
        if c.action in ("update", "replace") and len(c.diff) == 1:
            d = c.diff[0]
            head += f"  {d.path}: {d.before} -> {d.after}"
        lines.append(_color(color, _COLOR[c.action], head))
        if c.action in ("update", "replace") and len(c.diff) > 1:
            for d in c.diff:
                lines.append(f"        {d.path}: {d.before} -> {d.after}")
        if c.unsupported:
            lines.append(_color(color, "31", f"        cannot: {c.unsupported}"))
    n = plan.counts()
    if not shown:
        lines.append("  no changes: the provider matches the stack.")
    lines.append(
        f"plan: {n['create']} to create, {n['update']} to update, {n['replace']} to replace, "
        f"{n['delete']} to delete, {n['noop']} unchanged."
    )
    for r in plan.refusals:
        lines.append(_color(color, "31", f"needs --force: {r}"))
    return "\n".join(lines)


def _load(args: argparse.Namespace) -> Stack:
    from ..stack import load_stack

    return load_stack(args.file)


def _make_plan(args: argparse.Namespace, cloud: CloudProvider, stack: Stack) -> Plan:
    from ..stack import plan

    return plan(stack, cloud, prune=args.prune, destroy=args.destroy)


def _plan_cmd(args: argparse.Namespace) -> int:
    stack = _load(args)
    with _provider_for(args, stack) as cloud:
        the_plan = _make_plan(args, cloud, stack)
    if getattr(args, "json", False):
        print(json.dumps(the_plan.to_json(), indent=2))
    else:
        print(render_plan(the_plan, _use_color(sys.stdout)))
    if args.detailed_exitcode and the_plan.has_changes:
        return 2
    return 0


def _apply_cmd(args: argparse.Namespace) -> int:
    from ..stack import ApplyFailed, apply

    stack = _load(args)
    as_json = getattr(args, "json", False)
    color = _use_color(sys.stdout)
    with _provider_for(args, stack) as cloud:
        the_plan = _make_plan(args, cloud, stack)
        if not as_json:
            print(render_plan(the_plan, color))
        if not the_plan.has_changes:
            if as_json:
                print(json.dumps({"stack": stack.name, "ok": True, "steps": []}, indent=2))
            return 0
        if not args.auto_approve:
            if not sys.stdin.isatty():
                print(
                    "error: not applied: confirm on a terminal or pass --auto-approve",
                    file=sys.stderr,
                )
                return 2
            answer = input("Apply these changes? Only 'yes' is accepted: ")
            if answer.strip() != "yes":
                print("not applied.")
                return 1

        def progress(step: Step) -> None:
            if as_json:
                return
            mark = {"done": "ok", "failed": "FAILED", "skipped": "skipped"}[step.status]
            text = f"  {mark:>7} {step.change.kind}.{step.change.name} ({step.seconds:.1f}s)"
            if step.error:
                text += f": {step.error}"
            code = {"done": "32", "failed": "31", "skipped": "2"}[step.status]
            print(_color(color, code, text), flush=True)

        try:
            report = apply(
                the_plan,
                cloud,
                force=args.force,
                concurrency=args.parallelism,
                progress=progress,
            )
        except ApplyFailed as exc:
            if as_json:
                print(json.dumps(exc.report.to_json(), indent=2))
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        done = sum(s.status == "done" for s in report.steps)
        print(f"apply complete: {done} changes.")
    return 0


def _export_cmd(args: argparse.Namespace) -> int:
    from ..stack import dump_stack, export_stack

    with _provider_for(args, None) as cloud:
        stack = export_stack(cloud, args.name)
    sys.stdout.write(dump_stack(stack, "json" if getattr(args, "json", False) else args.format))
    return 0


def _graph_cmd(args: argparse.Namespace) -> int:
    from ..stack import export_stack
    from ..stack.graph import build_graph, render, to_dot, to_mermaid

    if args.file:
        stack = _load(args)
        routing = None
        if getattr(args, "provider", None):
            routing = {"default": args.provider}
    else:
        with _provider_for(args, None) as cloud:
            stack = export_stack(cloud)
            routing = {"default": cloud.name}
    graph = build_graph(stack, routing)
    data: bytes
    if args.format == "mermaid":
        data = to_mermaid(graph).encode()
    elif args.format == "dot":
        data = to_dot(graph).encode()
    else:
        data = render(graph, args.format)
    if args.out:
        with open(args.out, "wb") as fh:
            fh.write(data)
    elif args.format in ("svg", "png") and sys.stdout.isatty():
        print("error: binary output: give --out FILE", file=sys.stderr)
        return 2
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
