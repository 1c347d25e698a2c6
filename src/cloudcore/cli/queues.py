"""``cloudcore queues ls|create|delete|send|receive|stats|purge|redrive`` and
``cloudcore jobs ls|schedule|get|run|runs|delete``."""

from __future__ import annotations

import argparse
import base64
from typing import Any

from ._common import connected, emit, parse_pairs

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    q = sub.add_parser("queues", parents=[common], help="queues and their messages")
    qs = q.add_subparsers(title="queue commands", metavar="COMMAND", required=True)

    p = qs.add_parser("ls", parents=[common], help="list the queues cloudcore manages")
    p.set_defaults(func=ls_queues)

    p = qs.add_parser("create", parents=[common], help="create or converge a queue")
    p.add_argument("name")
    p.add_argument("--visibility", type=int, help="visibility timeout, seconds (10-600)")
    p.add_argument("--retention", type=int, help="seconds a message is kept (600-604800)")
    p.add_argument("--max-receives", type=int, help="deliveries before <name>-dlq (5-100)")
    p.add_argument("--fifo", action="store_true", help="first in, first out per group")
    p.add_argument("--tag", action="append", metavar="KEY=VALUE")
    p.set_defaults(func=create_queue)

    p = qs.add_parser("delete", parents=[common], help="delete a queue and its dead letters")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "delete_queue", a.name))

    p = qs.add_parser("send", parents=[common], help="send messages (one per BODY argument)")
    p.add_argument("name")
    p.add_argument("bodies", nargs="+", metavar="BODY")
    p.add_argument("--attr", action="append", metavar="KEY=VALUE", help="on every message")
    p.set_defaults(func=send)

    p = qs.add_parser("receive", parents=[common], help="receive messages (and ack them)")
    p.add_argument("name")
    p.add_argument("--max", type=int, default=10, help="at most this many (1-10)")
    p.add_argument("--wait", type=int, default=0, help="long-poll seconds (0-20)")
    p.add_argument("--ack", action="store_true", help="ack what was received")
    p.set_defaults(func=receive)

    p = qs.add_parser("stats", parents=[common], help="visible, in flight, oldest age")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "queue_stats", a.name))

    p = qs.add_parser("purge", parents=[common], help="delete every message of a queue")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "purge_queue", a.name))

    p = qs.add_parser("redrive", parents=[common], help="dead letters back to their queue")
    p.add_argument("dead_letter_queue")
    p.set_defaults(func=redrive)

    j = sub.add_parser("jobs", parents=[common], help="scheduled jobs")
    js = j.add_subparsers(title="job commands", metavar="COMMAND", required=True)

    p = js.add_parser("ls", parents=[common], help="list the jobs cloudcore manages")
    p.set_defaults(func=ls_jobs)

    p = js.add_parser("schedule", parents=[common], help="create or converge a job")
    p.add_argument("name")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", help="'MIN HOUR DOM MONTH DOW' (quote it)")
    when.add_argument("--every", type=int, metavar="MINUTES", help="a clock-aligned rate")
    p.add_argument("--timezone", default="UTC", help="IANA name (default UTC)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--command", nargs="+", metavar="ARG", help="command and arguments (last)")
    what.add_argument("--url", help="an https:// endpoint to POST to")
    p.add_argument("--image", help="container image of the command")
    p.add_argument("--env", action="append", metavar="KEY=VALUE")
    p.add_argument("--retries", type=int, default=0)
    p.add_argument("--timeout", type=int, default=3600, help="seconds (60-86400)")
    p.add_argument("--disabled", action="store_true", help="scheduled runs paused")
    p.add_argument("--tag", action="append", metavar="KEY=VALUE")
    p.set_defaults(func=schedule)

    p = js.add_parser("get", parents=[common], help="a job's config, next and last run")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "get_job", a.name))

    p = js.add_parser("run", parents=[common], help="run a job now")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "run_job", a.name))

    p = js.add_parser("runs", parents=[common], help="a job's recent runs, newest first")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=runs)

    p = js.add_parser("delete", parents=[common], help="delete a job")
    p.add_argument("name")
    p.set_defaults(func=lambda a: _simple(a, "delete_job", a.name))


def _simple(args: argparse.Namespace, method: str, *params: Any) -> int:
    with connected(args) as cloud:
        result = getattr(cloud, method)(*params)
    emit(args, result if result is not None else {"ok": True, "operation": method})
    return 0


def ls_queues(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        rows = [
            {
                "name": q.name,
                "visibility_timeout": q.config.visibility_timeout,
                "max_receives": q.config.max_receives,
                "dead_letter_queue": q.dead_letter_queue,
                "dead_letter_of": q.dead_letter_of,
                "fifo": q.config.fifo,
            }
            for q in cloud.list_queues()
        ]
    emit(args, rows, title="queues")
    return 0


def create_queue(args: argparse.Namespace) -> int:
    from ..models.queues import QueueConfig

    data: dict[str, Any] = {"name": args.name, "fifo": args.fifo}
    for key, value in (
        ("visibility_timeout", args.visibility),
        ("retention_seconds", args.retention),
        ("max_receives", args.max_receives),
    ):
        if value is not None:
            data[key] = value
    if args.tag:
        data["tags"] = parse_pairs(args.tag, "tag")
    config = QueueConfig.model_validate(data)
    with connected(args) as cloud:
        info = cloud.create_queue(config)
    emit(args, info, title=f"queue {args.name}")
    return 0


def send(args: argparse.Namespace) -> int:
    attrs = parse_pairs(args.attr, "attr")
    with connected(args) as cloud:
        ids = cloud.send_messages(
            args.name, [{"body": b, "attributes": attrs} for b in args.bodies]
        )
    emit(args, {"sent": len(ids), "ids": ids})
    return 0


def _message(m: Any) -> dict[str, Any]:
    try:
        body: dict[str, str] = {"body": m.body.decode("utf-8")}
    except UnicodeDecodeError:
        body = {"body_base64": base64.b64encode(m.body).decode("ascii")}
    return {
        "id": m.id,
        **body,
        "attributes": m.attributes,
        "receive_count": m.receive_count,
        "receipt": m.receipt,
        "sent_at": m.sent_at.isoformat() if m.sent_at else None,
    }


def receive(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        got = cloud.receive_messages(args.name, max_messages=args.max, wait_seconds=args.wait)
        if args.ack and got:
            cloud.ack(args.name, [m.receipt for m in got])
    rows = [_message(m) for m in got]
    emit(args, rows, columns=["id", "body", "receive_count"], title=f"messages of {args.name}")
    return 0


def redrive(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        moved = cloud.redrive(args.dead_letter_queue)
    emit(args, {"moved": moved})
    return 0


def ls_jobs(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        rows = [
            {
                "name": j.name,
                "schedule": j.config.cron_expression,
                "timezone": j.config.timezone,
                "enabled": j.config.enabled,
                "next_run_at": j.next_run_at.isoformat() if j.next_run_at else None,
                "last_run": j.last_run.outcome if j.last_run else None,
            }
            for j in cloud.list_jobs()
        ]
    emit(args, rows, title="jobs")
    return 0


def schedule(args: argparse.Namespace) -> int:
    from ..models.jobs import JobConfig

    target: dict[str, Any]
    if args.url:
        target = {"kind": "http", "url": args.url}
    else:
        target = {"kind": "command", "command": args.command}
        if args.image:
            target["image"] = args.image
        if args.env:
            target["env"] = parse_pairs(args.env, "env")
    data: dict[str, Any] = {
        "target": target,
        "timezone": args.timezone,
        "retries": args.retries,
        "timeout_seconds": args.timeout,
        "enabled": not args.disabled,
    }
    data["cron" if args.cron else "every_minutes"] = args.cron or args.every
    if args.tag:
        data["tags"] = parse_pairs(args.tag, "tag")
    config = JobConfig.model_validate(data)
    with connected(args) as cloud:
        info = cloud.schedule_job(args.name, config)
    emit(args, info, title=f"job {args.name}")
    return 0


def runs(args: argparse.Namespace) -> int:
    with connected(args) as cloud:
        items = cloud.list_job_runs(args.name, args.limit)
    emit(args, items, columns=["started_at", "outcome", "exit_code", "attempt", "trigger"])
    return 0
