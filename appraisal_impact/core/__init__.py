"""Pure calculation core (placeholder docstring, expanded below)."""
