"""STIX 2.1: parsing, validation, timestamps and identifiers — pure, no I/O."""
