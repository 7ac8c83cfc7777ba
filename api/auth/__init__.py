"""API authentication: scoped, program-restricted tokens stored hashed."""
