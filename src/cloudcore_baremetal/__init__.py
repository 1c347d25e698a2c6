"""cloudcore driver package (baremetal)."""
