"""``python -m bench.cs``."""

from bench.cs.cli import main

main()
