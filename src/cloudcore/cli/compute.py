"""``cloudcore deploy | scale | status | services | logs | delete-service``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ._common import connected, emit, parse_pairs, progress, structured


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("deploy", parents=[common], help="create or update a service")
    p.add_argument("name")
    p.add_argument("--config", type=Path, help="ServiceConfig as a JSON file (flags override it)")
    p.add_argument("--image")
    p.add_argument(
        "--command",
        nargs="+",
        metavar="ARG",
        help="command and arguments; for arguments starting with '-' put the command last, "
        "after '--' instead: deploy api --port 8000 -- python3 -m http.server",
    )
    p.add_argument("--port", type=int)
    p.add_argument("--cpu", type=float, help="vCPU per replica (0.25, 1, 2)")
    p.add_argument("--memory", type=int, help="MiB per replica")
    p.add_argument("--replicas", type=int)
    p.add_argument("--env", action="append", metavar="KEY=VALUE")
    p.add_argument("--secret", action="append", metavar="ENV=SECRET_KEY")
    p.add_argument("--health-path", help="HTTP path of the health check")
    p.add_argument("--autoscale", metavar="MIN:MAX:CPU%", help="e.g. 1:4:70")
    p.add_argument("--tag", action="append", metavar="KEY=VALUE")
    p.set_defaults(func=deploy, accepts_trailing=True)

    p = sub.add_parser("scale", parents=[common], help="set a service's replica count")
    p.add_argument("name")
    p.add_argument("replicas", type=int)
    p.set_defaults(func=lambda a: _simple(a, "scale_service", a.name, a.replicas))

    p = sub.add_parser("status", parents=[common], help="a service's status")
    p.add_argument("name")
    p.set_defaults(func=status)

    p = sub.add_parser("services", parents=[common], help="list services")
    p.set_defaults(func=services)

    p = sub.add_parser("logs", parents=[common], help="recent log lines of a service")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(func=logs)

    p = sub.add_parser("delete-service", parents=[common], help="delete a service")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "delete_service", a.name))


def service_config(args: argparse.Namespace) -> Any:
    """Build a ServiceConfig from ``--config`` and the flags (flags win)."""
    from ..models import ServiceConfig

    base: dict[str, Any] = {}
    if args.config:
        try:
            base = json.loads(args.config.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"--config: {exc}", field="config") from None
    for key in ("image", "command", "port", "cpu", "memory", "replicas"):
        value = getattr(args, key)
        if value is not None:
            base[key] = value
    trailing = getattr(args, "trailing", None)
    if trailing is not None:
        if args.command is not None or not trailing:
            raise ConfigurationError(
                "give the command either after '--' or with --command, not both (nor neither)",
                field="command",
            )
        base["command"] = trailing
    if args.env:
        base["env"] = {**base.get("env", {}), **parse_pairs(args.env, "env")}
    if args.secret:
        base["secrets"] = {**base.get("secrets", {}), **parse_pairs(args.secret, "secret")}
    if args.tag:
        base["tags"] = {**base.get("tags", {}), **parse_pairs(args.tag, "tag")}
    if args.health_path:
        base["health_check"] = {"path": args.health_path}
    if args.autoscale:
        parts = args.autoscale.split(":")
        if len(parts) != 3:
            raise ConfigurationError("--autoscale: expected MIN:MAX:CPU%", field="autoscale")
        try:
            low, high, cpu = int(parts[0]), int(parts[1]), float(parts[2])
        except ValueError:
            raise ConfigurationError("--autoscale: numbers expected", field="autoscale") from None
        base["autoscaling"] = {"min_replicas": low, "max_replicas": high, "cpu_target_percent": cpu}
    auto = base.get("autoscaling")
    if isinstance(auto, dict) and "replicas" not in base and "min_replicas" in auto:
        base["replicas"] = auto["min_replicas"]  # start at the lower bound unless told otherwise
    return ServiceConfig.model_validate(base)


def deploy(args: argparse.Namespace) -> int:
    config = service_config(args)
    with connected(args) as cloud, progress(args, f"deploying {args.name}..."):
        result = cloud.deploy_service(args.name, config)
    emit(args, result, title=f"deploy {args.name}")
    return 0


def status(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        st = cloud.get_service_status(args.name)
    if structured(args):
        emit(args, st)
    else:
        data = st.model_dump(mode="json")
        events = data.pop("events")
        emit(args, data, title=f"service {args.name}")
        for ev in events[-10:]:
            print(f"  {ev['time']}  {ev['message']}")
    return 0


def services(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        items = cloud.list_services()
    emit(args, items, columns=["name", "state", "replicas", "revision"], title="services")
    return 0


def logs(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        entries = cloud.get_logs(args.name, limit=args.limit)
    if structured(args):
        emit(args, entries)
    else:
        for e in entries:
            print(f"{e.time.isoformat()} {e.source or ''} {e.message}")
    return 0


def _read(args: argparse.Namespace, method: str, *params: Any) -> int:
    """A read: no progress lines (it is quick, and its output is often piped)."""
    with connected(args) as cloud:
        result = getattr(cloud, method)(*params)
    emit(args, result)
    return 0


def _simple(args: argparse.Namespace, method: str, *params: Any) -> int:
    with connected(args) as cloud, progress(args, f"{method.replace('_', ' ')}..."):
        result = getattr(cloud, method)(*params)
    emit(args, result if result is not None else {"ok": True, "operation": method})
    return 0
