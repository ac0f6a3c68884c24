"""Federation between sovereign nodes: peers, signed authorship, sync over TAXII 2.1."""
