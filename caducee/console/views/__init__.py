"""Console views, one module per concern: home, structures, accounts, connections, audit."""
