"""cloudcore driver package (gcp)."""
