"""cloudcore-acme: an example third-party cloudcore driver (secrets and DNS)."""

from .provider import AcmeProvider

__all__ = ["AcmeProvider"]
