"""Small command-line helpers the Makefile calls."""
