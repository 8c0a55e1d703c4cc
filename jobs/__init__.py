"""Background work on a real queue (huey): SQLite storage in the data folder for the
embedded default, Redis when EARSHOT_REDIS_URL is set. Workers run `python -m jobs.worker`.
The job rows (state, progress, errors) live in the database: see db/services/jobs.py."""
