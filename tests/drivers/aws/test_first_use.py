"""First use of the AWS driver: no credentials, an endpoint that does not answer, a bad profile.

Real botocore in each case (no stubs): the credential chain runs against an empty environment,
and the connection goes to a port where nothing listens.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ProfileNotFound,
    SSOTokenLoadError,
    UnauthorizedSSOTokenError,
)

import cloudcore
from cloudcore import AuthenticationError, ConfigurationError, TransientError
from cloudcore_aws._errors import map_error
from cloudcore_aws.provider import AWSProvider


def _closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _isolated_env(home: Path) -> dict[str, str]:
    """The environment of a machine where AWS was never configured: no AWS_* variables, no
    ~/.aws files, no instance metadata service to ask."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLOUDCORE_"))}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",  # do not wait for 169.254.169.254
    )
    return env


def test_no_credentials_says_how_to_configure_them(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"  # never reached: signing fails first
    argv = [
        *(sys.executable, "-m", "cloudcore", "--json", "-p", "aws"),
        *("-o", "region=us-east-1", "-o", f"endpoint_url={endpoint}"),
        *("dns", "list", "example.com"),
    ]
    out = subprocess.run(
        argv, env=_isolated_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1, out.stderr
    error = json.loads(out.stderr)["error"]
    assert error["kind"] == "AuthenticationError", error
    assert error["retryable"] is False
    message = error["message"]
    assert "Unable to locate credentials" in message
    assert "aws configure" in message and "AWS_ACCESS_KEY_ID" in message
    assert "AttributeError" not in out.stderr and "Traceback" not in out.stderr


def test_unreachable_endpoint_is_transient_and_retried() -> None:
    import boto3

    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    cloud = AWSProvider(
        region="us-east-1",
        endpoint_url=f"http://127.0.0.1:{_closed_port()}",
        session=session,
        retry={"max_attempts": 3, "initial_delay": 0.01, "max_delay": 0.02, "jitter": 0.0},
    )
    try:
        with cloudcore.record() as rec, pytest.raises(TransientError) as info:
            cloud.list_secrets()
        assert "EndpointConnectionError" in str(info.value)
        assert info.value.retryable
        # three attempts on the wire, each reported with no HTTP status
        assert [(c.operation, c.status) for c in rec.api_calls] == [("ListSecrets", None)] * 3
    finally:
        cloud.close()


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (SSOTokenLoadError(error_msg="token expired"), AuthenticationError),
        (UnauthorizedSSOTokenError(), AuthenticationError),
        (ProfileNotFound(profile="nope"), ConfigurationError),
    ],
)
def test_credential_chain_errors_say_what_to_do(exc: Any, kind: type) -> None:
    err = map_error(exc)
    assert type(err) is kind
    assert "aws" in str(err)  # `aws configure`, `aws sso login` or `aws configure list-profiles`
