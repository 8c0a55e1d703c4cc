"""Media processing with heavy engines (speech recognition), run in background workers."""
