"""The aws driver's read-back gaps are the ones its documentation lists."""

from __future__ import annotations

from pathlib import Path

from cloudcore_aws.provider import AWSProvider
from cloudcore_aws.readback import AWS_READBACK_GAPS

DOC = Path(__file__).resolve().parents[3] / "docs" / "drivers" / "aws.md"


def test_provider_declares_the_gaps_and_the_docs_list_each() -> None:
    assert AWSProvider.readback_gaps is AWS_READBACK_GAPS
    text = DOC.read_text()
    section = text[text.index("## Read-back") :]
    for key in AWS_READBACK_GAPS:
        assert f"`{key}`" in section, f"docs/drivers/aws.md does not list the gap {key}"
