"""API keys and who is asking: the keys table, the CLI's key management, the write routes' guard."""
