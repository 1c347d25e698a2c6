"""cloudcore driver package (cloudflare)."""
