"""How a node meets the network: its listeners, their limits, TLS, and who may knock how often."""
