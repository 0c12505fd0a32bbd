"""`python -m vaultra.cli`: the `vaultra` command, for a process started from a given
interpreter (tests and benchmarks start servers this way)."""

from vaultra.cli import main

main()
