"""Accord: the 2015 cooperation mechanism as software — a STIX 2.1 store and TAXII 2.1 node."""

__version__ = "0.1.0"
