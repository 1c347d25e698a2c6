"""Core costs, measured side by side in one run.

1. Import time: a bare interpreter, `from pydantic import BaseModel` (the floor our model library
   sets), `import cloudcore`, and `import cloudcore` plus first use of the models.
2. `cloudcore --help` start-up.
3. Per-call overhead of the core (validation, capability checks, retry wrapper, error mapping,
   observation event) over calling the memory driver's private method directly.

Usage: .venv/bin/python benchmarks/core_overhead.py [--runs N]
Interleaves the variants run by run (the machine is noisy) and reports medians and minimums.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent

IMPORTS = {
    "bare interpreter": "pass",
    "from pydantic import BaseModel": "from pydantic import BaseModel",
    "import cloudcore": "import cloudcore",
    "import cloudcore + models": "import cloudcore; cloudcore.ServiceConfig(image='x')",
    "connect('memory')": "import cloudcore; cloudcore.connect('memory')",
}


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure_startup(runs: int) -> dict[str, list[float]]:
    cmds = {name: [sys.executable, "-c", code] for name, code in IMPORTS.items()}
    cmds["cloudcore --help"] = [str(BIN / "cloudcore"), "--help"]
    results: dict[str, list[float]] = {name: [] for name in cmds}
    for cmd in cmds.values():  # warm the page cache once
        wall(cmd)
    for _ in range(runs):
        for name, cmd in cmds.items():
            results[name].append(wall(cmd))
    return results


def measure_call_overhead(calls: int) -> tuple[float, float]:
    from cloudcore.testing.memory import MemoryProvider

    cloud = MemoryProvider(retry=False)
    cloud.store_secret("k", "v")
    cloud.get_secret("k")  # load everything once
    public, private = [], []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(calls):
            cloud.get_secret("k")
        public.append((time.perf_counter() - start) / calls)
        start = time.perf_counter()
        for _ in range(calls):
            cloud._get_secret("k", None)
        private.append((time.perf_counter() - start) / calls)
    return min(public), min(private)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    startup = measure_startup(args.runs)
    floor = statistics.median(startup["from pydantic import BaseModel"])
    print(f"start-up, {args.runs} interleaved runs (ms): median / min / over the pydantic floor")
    for name, values in startup.items():
        med = statistics.median(values) * 1000
        print(f"  {name:34s} {med:7.1f} / {min(values) * 1000:7.1f} / {med - floor * 1000:+7.1f}")
    public, private = measure_call_overhead(args.calls)
    print(f"per call, best of 7 x {args.calls} get_secret calls (µs):")
    print(f"  public method   {public * 1e6:7.2f}")
    print(f"  private method  {private * 1e6:7.2f}")
    print(f"  core overhead   {(public - private) * 1e6:7.2f}")


if __name__ == "__main__":
    main()
