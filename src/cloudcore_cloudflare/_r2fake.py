"""The R2 stand-in of the Cloudflare test target: moto's S3 server over real HTTP.

R2 speaks the S3 API (https://developers.cloudflare.com/r2/api/s3/api/), so the stand-in for its
endpoint is the same independent S3 implementation the AWS target uses (moto's server, with the
stricter presign and checksum checks of :mod:`cloudcore_aws._motos3`). What R2 refuses and moto
would accept (versioning, bucket policies, tags, ACLs, non-uniform parts) never reaches it: the
driver refuses those before any request (:mod:`cloudcore_cloudflare._r2`). The client uses
``us-east-1``, which R2 documents as an alias of its ``auto`` region.

Requests to both stand-ins are counted together (:class:`CombinedWire`) and take faults from
the Cloudflare fake's queue, so the conformance suite's wire and fault checks cover R2 too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cloudcore.testing.faults import FaultQueue
from cloudcore.testing.probes import attach_bucket_seeder, attach_corrupter
from cloudcore.testing.wire import WireCounter, WireSnapshot

__all__ = ["R2_TEST_REGION", "CombinedWire", "R2StandIn"]

R2_TEST_REGION = "us-east-1"
_KEY = "testing"


@dataclass
class CombinedWire:
    """Two wire counters read as one (requests and writes added up)."""

    first: WireCounter
    second: WireCounter

    def snapshot(self) -> WireSnapshot:
        a, b = self.first.snapshot(), self.second.snapshot()
        return WireSnapshot(a.requests + b.requests, a.mutating + b.mutating, a.writes + b.writes)

    def since(self, before: WireSnapshot) -> WireSnapshot:
        now = self.snapshot()
        new = now.mutating - before.mutating
        writes = now.writes[len(now.writes) - min(new, len(now.writes)) :] if new > 0 else ()
        return WireSnapshot(now.requests - before.requests, new, writes)


class R2StandIn:
    """A moto server standing in for R2's S3 endpoint (see the module docs)."""

    def __init__(self, faults: FaultQueue, wire: WireCounter) -> None:
        import boto3

        from cloudcore_aws._motowire import CountingMotoServer
        from cloudcore_aws.testing import BotocoreFaultInjector

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # one server (and one moto account) per target: a request of another target, or a thread
        # another test left behind, is never counted on this one's wire
        self.server = CountingMotoServer()
        self.server.start()
        self.url = self.server.url
        self.wire = CombinedWire(wire, self.server.wire)
        self.injector = BotocoreFaultInjector(faults)
        self._boto3 = boto3
        self._plain: Any = None

    def session(self) -> Any:
        return self._boto3.Session(
            aws_access_key_id=_KEY, aws_secret_access_key=_KEY, region_name=R2_TEST_REGION
        )

    def options(self) -> dict[str, Any]:
        """Provider options pointing R2 storage at the stand-in."""
        return {"r2_endpoint": self.url, "r2_session": self.session(), "r2_region": R2_TEST_REGION}

    def client(self) -> Any:
        """A plain S3 client on the stand-in (another tool, not cloudcore)."""
        if self._plain is None:
            self._plain = self.session().client("s3", endpoint_url=self.url)
        return self._plain

    def attach(self, provider: Any) -> None:
        """Fault injection on the provider's R2 clients, small parts and pages, and the probes."""
        from cloudcore_aws._motoprobes import MotoBuckets
        from cloudcore_aws._s3objects import MIN_PART

        provider.r2.client_hooks.append(self.injector.instrument)
        provider.multipart_threshold = provider.part_size = MIN_PART
        provider.object_page_size = 7
        buckets = MotoBuckets(self.client, self.server.account)
        attach_bucket_seeder(provider, buckets)
        attach_corrupter(provider, buckets)

    def stop(self) -> None:
        """Stop the server and forget what its account holds."""
        self.server.stop()
        self.server.reset()
