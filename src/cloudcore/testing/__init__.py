"""Testing support shipped with cloudcore: the conformance suite, the memory driver, fault
injection and data probes for stand-ins."""
