"""The local driver's queues: one SQLite file shared by every process on the machine."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from cloudcore_baremetal.local import LocalProvider
from cloudcore_baremetal.testing import random_key

WORKER = textwrap.dedent(
    """
    import json, sys, time
    from cloudcore_baremetal.local import LocalProvider
    p = LocalProvider(project_dir=sys.argv[1], secret_key=sys.argv[2])
    print("ready", flush=True)
    sys.stdin.readline()  # both workers start draining together (imports take seconds under load)
    seen = []
    empty = 0
    while empty < 3:
        got = p.receive_messages("work", max_messages=10, wait_seconds=1, visibility_timeout=120)
        empty = 0 if got else empty + 1
        seen += [m.text for m in got]
        if got:
            time.sleep(0.05)  # "processing": the other worker takes batches meanwhile
            p.ack("work", [m.receipt for m in got])
    print(json.dumps(seen))
    """
)


def test_two_worker_processes_share_the_queue_without_double_delivery(tmp_path: Path) -> None:
    """What ElevAIte's workers do: two processes drain one queue; each message is processed by
    exactly one of them (leases are taken in one transaction), none is lost."""
    project, key = str(tmp_path / "local"), random_key()
    cloud = LocalProvider(project_dir=project, secret_key=key)
    cloud.create_queue({"name": "work", "max_receives": 5})
    sent = [f"job {i}" for i in range(300)]
    cloud.send_messages("work", sent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, project, key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    for w in workers:
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.close()
    outputs = [w.stdout.read() for w in workers]
    for w in workers:
        w.wait(timeout=120)
    assert all(w.returncode == 0 for w in workers)
    done = [json.loads(o) for o in outputs]
    assert sorted(done[0] + done[1]) == sorted(sent), "lost or duplicated messages"
    assert done[0] and done[1], "one worker did all the work (no sharing happened)"
    stats = cloud.queue_stats("work")
    assert (stats.visible, stats.in_flight) == (0, 0)
    mode = stat.S_IMODE(os.stat(os.path.join(project, "queues.sqlite3")).st_mode)
    assert mode == 0o600, oct(mode)
    cloud.delete_queue("work")
    assert cloud.list_queues() == []
