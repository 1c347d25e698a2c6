"""The AWS driver's test target: a real moto server over real HTTP, a wire counter, a fault injector.

:func:`fake_target` starts moto's server application on 127.0.0.1 (a free port), builds
the network a Fargate service needs there (a VPC, two subnets in two zones, a security group), a
public hosted zone ``example.com`` tagged ``managed-by=cloudcore``, and yields an
:class:`~cloudcore_aws.provider.AWSProvider` pointed at it with dummy credentials::

    from cloudcore_aws.testing import fake_target

    with fake_target() as cloud:
        cloud.store_secret("db-password", "s3cr3t")

It is what ``cloudcore conformance aws --fake`` runs against; users can test their own code
offline the same way. ``MotoTarget`` (``fake_target(full=True)``) also exposes the server's URL,
uninstrumented boto3 clients for checking state behind the driver's back, and ``reset()``.

**Wire counter.** The server counts every request it receives, on its own side
(:class:`~cloudcore_aws._motowire.MotoWire`, attached to the provider with
:func:`~cloudcore.testing.wire.attach_wire_counter`; ``MotoTarget.wire``), and classifies it as a
read or a write from the request itself (the operation in ``X-Amz-Target`` or ``Action=``, or the
REST route; see :mod:`cloudcore_aws._motowire`). It also answers ``ListHostedZonesByName`` as AWS
documents it, where moto returns only exact matches.

**Fault injection.** moto has none, so :class:`BotocoreFaultInjector` hooks botocore's
``before-send`` event on every client the provider creates: for a call matching a queued
:class:`~cloudcore.testing.faults.Fault` it returns a synthetic HTTP response — 429 with a
``ThrottlingException``/``Throttling`` error body (and ``Retry-After`` when the fault says) or
503 ``ServiceUnavailable`` — in the wire format of that service's protocol (JSON, query XML or
REST-XML). botocore then parses it exactly as it would a real one, so the driver's error mapping
and the core's retries are exercised end to end; only the network hop is skipped. ``latency``
faults sleep, then let the request through. ``Fault.operation`` matches the protocol operation
(``"get_secret"``), ``Fault.api`` the AWS operation (``"GetSecretValue"``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cloudcore._context import current_call
from cloudcore.testing.faults import Fault, FaultQueue, attach
from cloudcore.testing.probes import attach_bucket_seeder, attach_corrupter
from cloudcore.testing.queue_probes import attach_queue_seeder
from cloudcore.testing.wire import attach_wire_counter

from ._motoprobes import MotoBuckets
from ._motowire import CountingMotoServer, MotoWire
from ._s3objects import MIN_PART
from ._session import is_read
from .provider import AWSProvider

__all__ = [
    "EXECUTION_ROLE_ARN",
    "FAKE_ZONE",
    "REGION",
    "BotocoreFaultInjector",
    "MotoTarget",
    "fake_target",
]

REGION = "us-east-1"
FAKE_ZONE = "example.com"
EXECUTION_ROLE_ARN = "arn:aws:iam::123456789012:role/cloudcore-ecs-execution"
SCHEDULER_ROLE_ARN = "arn:aws:iam::123456789012:role/cloudcore-scheduler"
_KEY = "testing"  # moto accepts any credentials


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _error_body(protocol: str, code: str, message: str) -> tuple[bytes, dict[str, str]]:
    if protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        return body, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    if protocol == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error></Errors><RequestID>cloudcore-fault</RequestID></Response>"
        )
        return xml.encode(), {"Content-Type": "text/xml"}
    xml = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>cloudcore-fault</RequestId>"
        "</ErrorResponse>"
    )
    return xml.encode(), {"Content-Type": "text/xml"}


class BotocoreFaultInjector(FaultQueue):
    """A :class:`~cloudcore.testing.faults.FaultQueue` applied through botocore events.

    Call :meth:`instrument` on a client (``AWSSession.client_hooks`` does it for every client
    the provider creates). Attributes ``injected`` counts the faults applied. With ``queue``,
    faults are taken from that queue instead of this one (a target whose provider talks to more
    than one stand-in shares one queue among them).
    """

    def __init__(self, queue: FaultQueue | None = None) -> None:
        super().__init__()
        self.injected = 0
        self._queue: FaultQueue = queue if queue is not None else self

    def instrument(self, client: Any) -> None:
        """Hook ``before-send`` of ``client``."""
        protocol = str(client.meta.service_model.protocol)
        throttle_code = (
            "Throttling" if protocol in ("query", "rest-xml", "ec2") else ("ThrottlingException")
        )

        def before_send(request: Any = None, event_name: str = "", **_: Any) -> Any:
            api = event_name.rsplit(".", 1)[-1]
            ctx = current_call()
            fault = self._queue.take(ctx.operation if ctx else None, api, not is_read(api))
            if fault is None:
                return None
            self.injected += 1
            if fault.kind == "latency":
                time.sleep(fault.seconds)
                return None
            return self._response(request, protocol, throttle_code, fault)

        client.meta.events.register(
            "before-send", before_send, unique_id="cloudcore-fault-injector"
        )

    @staticmethod
    def _response(request: Any, protocol: str, throttle_code: str, fault: Fault) -> Any:
        from botocore.awsrequest import AWSResponse

        if fault.kind == "throttle":
            status, code, message = 429, throttle_code, "Rate exceeded (injected)"
        else:
            status, code, message = 503, "ServiceUnavailable", "Service unavailable (injected)"
        body, headers = _error_body(protocol, code, message)
        if fault.kind == "throttle" and fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        headers["x-amzn-RequestId"] = "cloudcore-fault"
        return AWSResponse(request.url, status, headers, _Body(body))  # type: ignore[arg-type]


@dataclass
class MotoTarget:
    """A running moto server and a provider connected to it."""

    url: str
    provider: AWSProvider
    injector: BotocoreFaultInjector
    wire: MotoWire
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    zone_id: str
    _server: Any = field(repr=False)
    _session: Any = field(repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str) -> Any:
        """A plain boto3 client on the server (not instrumented: no events, no faults)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,
                    endpoint_url=self.url,
                )
            return self._clients[service]

    def reset(self) -> None:
        """Clear what moto holds for this server's account (other targets of the process keep
        theirs) and set the fixtures up again."""
        self._server.reset()
        self.injector.clear()
        self.subnets, self.security_groups, self.zone_id = _fixtures(self.client)
        prov = self.provider
        prov.subnets, prov.security_groups = self.subnets, self.security_groups
        prov._cluster_ready = False
        prov._log_groups_ready.clear()
        with prov._known_lock:
            prov._known_managed.clear()
        prov._forget_buckets()


def _fixtures(client: Any) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = tuple(
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.0.1.0/24", "us-east-1a"), ("10.0.2.0/24", "us-east-1b"))
    )
    group = ec2.create_security_group(
        GroupName="cloudcore-test", Description="cloudcore test", VpcId=vpc
    )["GroupId"]
    route53 = client("route53")
    zone = route53.create_hosted_zone(Name=FAKE_ZONE, CallerReference=f"cloudcore-{time.time()}")
    zone_id = str(zone["HostedZone"]["Id"]).rsplit("/", 1)[-1]
    route53.change_tags_for_resource(
        ResourceType="hostedzone",
        ResourceId=zone_id,
        AddTags=[{"Key": "managed-by", "Value": "cloudcore"}],
    )
    return subnets, (group,), zone_id


def _session() -> Any:
    import boto3

    return boto3.Session(aws_access_key_id=_KEY, aws_secret_access_key=_KEY, region_name=REGION)


class MotoQueueSeeder:
    """Makes SQS queues without cloudcore's tags, as another tool would (the queue suite's
    :class:`~cloudcore.testing.queue_probes.QueueSeeder`), with uninstrumented clients."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def _url(self, name: str) -> str | None:
        try:
            return str(self._client("sqs").get_queue_url(QueueName=name)["QueueUrl"])
        except Exception:
            return None

    def create_unmanaged_queue(self, name: str, bodies: list[bytes]) -> None:
        sqs = self._client("sqs")
        url = sqs.create_queue(QueueName=name, tags={"owner": "someone-else"})["QueueUrl"]
        for body in bodies:
            sqs.send_message(QueueUrl=url, MessageBody=body.decode())

    def read_unmanaged_queue(self, name: str) -> list[bytes] | None:
        url = self._url(name)
        if url is None:
            return None
        sqs = self._client("sqs")
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return sorted(str(m["Body"]).encode() for m in got.get("Messages", []))

    def remove_unmanaged_queue(self, name: str) -> None:
        url = self._url(name)
        if url is not None:
            self._client("sqs").delete_queue(QueueUrl=url)


@contextmanager
def fake_target(*, full: bool = False, **options: Any) -> Iterator[Any]:
    """Start a moto server and yield a connected :class:`AWSProvider` (or, with ``full=True``,
    the :class:`MotoTarget`). Extra ``options`` go to the provider. Stops the server on exit."""
    # werkzeug attaches its own stderr handler and logs every request unless told otherwise
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = CountingMotoServer()
    url = server.start()
    try:
        session = _session()
        clients: dict[str, Any] = {}

        def plain(service: str) -> Any:
            if service not in clients:
                clients[service] = session.client(
                    service,
                    endpoint_url=url,
                )
            return clients[service]

        subnets, groups, zone_id = _fixtures(plain)
        injector = BotocoreFaultInjector()
        settings: dict[str, Any] = {
            "region": REGION,
            "endpoint_url": url,
            "subnets": subnets,
            "security_groups": groups,
            "execution_role_arn": EXECUTION_ROLE_ARN,
            "scheduler_role_arn": SCHEDULER_ROLE_ARN,
            "retry": {"initial_delay": 0.01, "max_delay": 0.05, "jitter": 0.0},
            "session": _session(),
            **options,
        }
        provider = AWSProvider(**settings)
        provider._poll_interval = 0.05
        # small parts and pages, so the storage tests cross part and page boundaries cheaply
        provider.multipart_threshold = provider.part_size = MIN_PART
        provider.object_page_size = 7
        buckets = MotoBuckets(lambda: plain("s3"), server.account)
        attach_bucket_seeder(provider, buckets)
        attach_corrupter(provider, buckets)
        provider._aws.client_hooks.append(injector.instrument)
        attach(provider, injector)
        attach_wire_counter(provider, server.wire)
        attach_queue_seeder(provider, MotoQueueSeeder(plain))
        plane = _data_plane(provider)
        target = MotoTarget(
            url=url,
            provider=provider,
            injector=injector,
            wire=server.wire,
            subnets=subnets,
            security_groups=groups,
            zone_id=zone_id,
            _server=server,
            _session=session,
            _clients=clients,
        )
        try:
            yield target if full else provider
        finally:
            provider.close()
            if plane is not None:
                plane.close()
    finally:
        server.stop()
        server.reset()  # what the account held goes with the server


def _data_plane(provider: Any) -> Any:
    """A real PostgreSQL behind moto's RDS endpoints (started on first use; root only), so a
    migration's data moves are real (``cloudcore.migrate.reach``)."""
    import os

    if os.geteuid() != 0:
        return None
    try:
        from cloudcore_baremetal.dataplane import PostgresDataPlane
    except ImportError:  # the baremetal extra is not installed
        return None
    from cloudcore.migrate.reach import attach_data_plane

    plane = PostgresDataPlane()
    attach_data_plane(provider, plane)
    return plane
