"""Send + receive + ack of N messages on one moto server: cloudcore's SQS driver against the boto3
code one writes by hand for the same job, interleaved in one run.

For each size N and repetition, each tool (order rotating every repetition) gets a fresh queue and
sends N messages in batches of 10 (``SendMessageBatch``), receives them 10 at a time
(``ReceiveMessage``, no long poll) and acks each batch (``DeleteMessageBatch``) until all N came.
Measured per tool: wall time, messages per second, and the requests the server saw (counted on
its side by ``cloudcore_aws._motowire.CountingMotoServer``). ``gc.freeze()`` runs before each timed
run; moto is reset between repetitions.

Run (under the shared lock: it keeps a core busy for a minute or more)::

    flock /tmp/cloudcore-heavy.lock .venv/bin/python benchmarks/queues_sqs.py \\
        [--sizes 1000 10000] [--repeat 3] [--out benchmarks/RESULTS-queues.md]
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata as md
import logging
import os
import platform
import statistics
import time
import urllib.request
from collections.abc import Callable
from typing import Any

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
logging.getLogger("werkzeug").setLevel(logging.ERROR)

KEY = "testing"
REGION = "us-east-1"


def boto3_run(sqs: Any, queue: str, n: int) -> int:
    """The hand-written boto3 version: create, send in 10s, receive 10 at a time and delete."""
    url = sqs.create_queue(QueueName=queue, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    bodies = [f"message {i}" for i in range(n)]
    for at in range(0, n, 10):
        entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[at : at + 10])]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    got = 0
    while got < n:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            continue
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)
            ],
        )
        got += len(msgs)
    return got


def cloudcore_run(cloud: Any, queue: str, n: int) -> int:
    """The same job through cloudcore's protocol."""
    from cloudcore import QueueConfig

    cloud.create_queue(QueueConfig(name=queue, visibility_timeout=60))
    cloud.send_messages(queue, [f"message {i}" for i in range(n)])
    got = 0
    while got < n:
        msgs = cloud.receive_messages(queue, max_messages=10)
        if not msgs:
            continue
        cloud.ack(queue, [m.receipt for m in msgs])
        got += len(msgs)
    return got


def _reset(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).read()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default=None)
    args = p.parse_args()

    import boto3

    from cloudcore_aws._motowire import CountingMotoServer
    from cloudcore_aws.provider import AWSProvider

    server = CountingMotoServer()
    url = server.start()
    session = boto3.Session(aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name=REGION)
    sqs = session.client("sqs", endpoint_url=url)
    cloud = AWSProvider(region=REGION, endpoint_url=url, session=session)
    tools: dict[str, Callable[[str, int], int]] = {
        "cloudcore": lambda q, n: cloudcore_run(cloud, q, n),
        "boto3": lambda q, n: boto3_run(sqs, q, n),
    }
    rows: list[tuple[int, str, float, float, float]] = []
    try:
        for n in args.sizes:
            times: dict[str, list[float]] = {t: [] for t in tools}
            requests: dict[str, list[int]] = {t: [] for t in tools}
            for rep in range(args.repeat):
                _reset(url)
                order = list(tools)[rep % 2 :] + list(tools)[: rep % 2]
                for tool in order:
                    queue = f"bench-{tool}-{rep}"
                    before = server.wire.snapshot()
                    gc.collect()
                    gc.freeze()
                    start = time.perf_counter()
                    got = tools[tool](queue, n)
                    elapsed = time.perf_counter() - start
                    gc.unfreeze()
                    assert got == n, f"{tool}: {got} of {n}"
                    times[tool].append(elapsed)
                    requests[tool].append(server.wire.since(before).requests)
            for tool in tools:
                med = statistics.median(times[tool])
                rows.append((n, tool, med, n / med, statistics.median(requests[tool])))
    finally:
        cloud.close()
        server.stop()

    lines = [
        "# Queues: send + receive + ack on the moto server",
        "",
        f"`benchmarks/queues_sqs.py --sizes {' '.join(map(str, args.sizes))} --repeat "
        f"{args.repeat}`; median of {args.repeat} interleaved runs; moto {md.version('moto')}, "
        f"boto3 {md.version('boto3')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores (shared).",
        "",
        "| messages | tool | seconds | messages/s | requests | cloudcore / boto3 (throughput) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    by = {(n, t): (s, r, q) for n, t, s, r, q in rows}
    for n, tool, secs, rate, reqs in rows:
        ratio = ""
        if tool == "cloudcore":
            ratio = f"{rate / by[(n, 'boto3')][1]:.2f}x"
        lines.append(f"| {n} | {tool} | {secs:.2f} | {rate:.0f} | {reqs:.0f} | {ratio} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
