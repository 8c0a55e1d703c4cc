"""Media processing shared by the services and the workers: waveform peaks for the player,
and speech recognition with heavy engines (run in background workers only)."""
