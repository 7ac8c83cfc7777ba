"""HTTP routes, one module per concern; each calls a query or command module and nothing else."""
