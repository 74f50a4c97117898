"""The checks the course notebooks call (student edition)."""
