"""HTTP routes: parse, authenticate, call a service, shape the contract's response. Nothing else."""
