"""The directory object store of ``local`` and ``baremetal``: one 200 MB put and get (streamed),
peak RSS over the process's baseline, and 200 puts of 4 KB.

    python benchmarks/storage_dirstore.py local       # this machine
    python benchmarks/storage_dirstore.py baremetal   # real sshd on loopback (root needed)
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

from cloudcore.models.storage import BucketConfig
from cloudcore_baremetal.testing import fake_target, local_target

MB = 1 << 20


def main(which: str) -> None:
    fd, src = tempfile.mkstemp()
    with os.fdopen(fd, "wb") as fh:
        for _ in range(200):
            fh.write(os.urandom(MB))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    target = local_target(postgres=False) if which == "local" else fake_target(postgres=False)
    try:
        with target as p:
            p.create_bucket(BucketConfig(name="bench-dirstore"))
            start = time.perf_counter()
            p.put_object("bench-dirstore", "big", src)
            put = time.perf_counter() - start
            start = time.perf_counter()
            with p.get_object("bench-dirstore", "big") as reader:
                got = sum(len(c) for c in reader.iter_chunks())
            get = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            for i in range(200):
                p.put_object("bench-dirstore", f"small/{i:04d}", os.urandom(4096))
            small = time.perf_counter() - start
            p.delete_bucket("bench-dirstore", force=True)
    finally:
        os.unlink(src)
    assert got == 200 * MB
    print(
        f"{which}: put 200 MB {200 / put:.0f} MB/s, get {200 / get:.0f} MB/s, "
        f"peak RSS +{(peak - base) / 1024:.0f} MB over baseline; "
        f"200 x 4 KB puts {200 / small:.0f}/s"
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "local")
