"""``python -m modmig`` runs the CLI (what tests and benchmarks use instead of PATH lookup)."""

from .cli import main

main()
