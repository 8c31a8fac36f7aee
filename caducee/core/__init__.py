"""What every operation shares: the acting context and the error types."""
