"""ElevAIte's background work, on any driver with queues: an API enqueues jobs, two workers
process them, and a poisoned message ends in the dead-letter queue after ``MAX_TRIES`` failed
deliveries (5: the smallest number every provider can store, Pub/Sub's minimum).

    python examples/background_workers.py            # on the local driver (./.cloudcore/local)

``run(cloud)`` is what tests call with a test target (local, and aws on a moto server).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from cloudcore import QueueConfig

QUEUE = "work"
MAX_TRIES = 5
VISIBILITY = 10  # seconds a worker holds a message before it is delivered again


def enqueue(cloud: Any, jobs: list[dict[str, Any]]) -> list[str]:
    """What the API does on a request: enqueue and return at once."""
    return cloud.send_messages(QUEUE, [json.dumps(j) for j in jobs])  # type: ignore[no-any-return]


def worker(cloud: Any, name: str, done: dict[str, str], stop: threading.Event) -> None:
    """Receive, process, ack; a job that raises is left to come back (at-least-once)."""
    while not stop.is_set():
        for msg in cloud.receive_messages(
            QUEUE, max_messages=10, wait_seconds=1, visibility_timeout=1
        ):
            job = json.loads(msg.body)
            if job.get("poison"):
                continue  # crashes every time: not acked, delivered again after 1 s
            done.setdefault(job["id"], name)  # processing is idempotent: a redelivery is a no-op
            cloud.ack(QUEUE, msg.receipt)


def run(cloud: Any, jobs: int = 40, timeout: float = 60.0) -> dict[str, Any]:
    """The whole pattern; returns who processed what and what ended in the dead-letter queue."""
    cloud.create_queue(
        QueueConfig(name=QUEUE, visibility_timeout=VISIBILITY, max_receives=MAX_TRIES)
    )
    done: dict[str, str] = {}
    stop = threading.Event()
    workers = [
        threading.Thread(target=worker, args=(cloud, f"worker-{i}", done, stop), daemon=True)
        for i in range(2)
    ]
    for t in workers:
        t.start()
    enqueue(cloud, [{"id": f"job-{i}"} for i in range(jobs)] + [{"id": "bad", "poison": True}])
    dead: list[dict[str, Any]] = []
    waited = 0.0
    while waited < timeout and not dead:
        for msg in cloud.receive_messages(f"{QUEUE}-dlq", max_messages=10, wait_seconds=1):
            dead.append(json.loads(msg.body))
            cloud.ack(f"{QUEUE}-dlq", msg.receipt)
        waited += 1.0
    stop.set()
    for t in workers:
        t.join(timeout=10)
    cloud.delete_queue(QUEUE)
    return {"done": done, "dead": dead}


if __name__ == "__main__":
    import cloudcore

    with cloudcore.connect("local") as local:
        out = run(local)
        print(f"{len(out['done'])} jobs done by {sorted(set(out['done'].values()))}")
        print(f"dead letters: {out['dead']}")
