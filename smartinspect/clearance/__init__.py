"""The clearance workflow: declarations, risk rules, channels, targeted-control instructions, release, audit."""
