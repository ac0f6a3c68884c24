"""Parties, tokens and collection permissions: who may read and write what on this node."""
