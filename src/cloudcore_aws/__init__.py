"""cloudcore driver package (aws)."""
