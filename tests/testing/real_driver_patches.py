"""Broken variants of the *real* drivers, applied as patches to one provider instance of their
test target (``tests/testing/test_broken_real_drivers.py`` runs the suite on them).

Each breaks one documented promise the way a driver author plausibly would, where only the
stand-in's own count (the wire) can see it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def aws_upsert_resyncs_with_a_raw_client() -> Iterator[Any]:
    """AWS: after each upsert, the driver re-sends every A record set through a second boto3
    client built without cloudcore's hooks ("make sure Route53 has it"). The driver's own report
    shows an unchanged upsert as reads only; moto sees the writes."""
    from cloudcore_aws.testing import fake_target

    with fake_target(full=True) as aws:
        provider = aws.provider
        raw = aws.client("route53")
        base = type(provider)

        def _upsert_dns_records(self: Any, records: list[Any]) -> int:
            written: int = base._upsert_dns_records(self, records)
            changes = [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": r.name + ".",
                        "Type": "A",
                        "TTL": r.ttl,
                        "ResourceRecords": [{"Value": v} for v in r.values],
                    },
                }
                for r in records
                if r.type.value == "A"
            ]
            if changes:
                raw.change_resource_record_sets(
                    HostedZoneId=aws.zone_id, ChangeBatch={"Changes": changes}
                )
            return written

        provider.__class__ = type(
            "UpsertResyncs", (base,), {"_upsert_dns_records": _upsert_dns_records}
        )
        yield provider


@contextlib.contextmanager
def local_deploy_touches_its_state() -> Iterator[Any]:
    """local (the bare-metal engine on this machine): every deploy "refreshes" the service's
    state folder with ``touch``, a command the driver reports as a read. The host wire counts
    the commands the host runs, so the unchanged deploy is seen writing."""
    from cloudcore_baremetal.testing import local_target

    with local_target(postgres=False) as provider:
        base = type(provider)

        def _deploy_service(self: Any, name: str, config: Any) -> Any:
            result = base._deploy_service(self, name, config)
            host = self.inventory.hosts[0]
            host.transport.run(["touch", host.path("services")], mutating=False, name="stat")
            return result

        provider.__class__ = type("DeployTouches", (base,), {"_deploy_service": _deploy_service})
        yield provider
