"""The gcp driver's read-back gaps are the ones its documentation lists."""

from __future__ import annotations

from pathlib import Path

from cloudcore_gcp.provider import GCPProvider
from cloudcore_gcp.readback import GCP_READBACK_GAPS

DOC = Path(__file__).resolve().parents[3] / "docs" / "drivers" / "gcp.md"


def test_provider_declares_the_gaps_and_the_docs_list_each() -> None:
    assert GCPProvider.readback_gaps is GCP_READBACK_GAPS
    text = DOC.read_text()
    section = text[text.index("## Read-back") :]
    for key in GCP_READBACK_GAPS:
        assert f"`{key}`" in section, f"docs/drivers/gcp.md does not list the gap {key}"
