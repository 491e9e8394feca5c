"""The script engine: the restricted Python that gateways, scripts and expressions run in."""
