"""Correlation: which objects mention the same observable value (an IP, a domain, a hash …)."""
