"""A queue consumer: `python -m jobs.worker` (or `python -m db.operations.cli worker`).

Runs beside the app with the same settings (database, data folder, EARSHOT_REDIS_URL).
"""

from __future__ import annotations

import argparse
import logging
import sys

from jobs import config
from jobs.queue import get_huey

IDLE_POLL_MAX_S = 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs.worker", description=__doc__)
    parser.add_argument(
        "--threads", type=int, default=config.worker_threads(), help="jobs run at once"
    )
    args = parser.parse_args(argv)
    if config.immediate():
        print("EARSHOT_JOBS_IMMEDIATE is set: jobs run where they are queued", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from db.operations.migrate import upgrade_to_head

    upgrade_to_head()
    from db.services.jobs import fail_abandoned_jobs

    if abandoned := fail_abandoned_jobs():
        logging.getLogger("earshot.jobs").info("%d abandoned job(s) marked failed", abandoned)
    from db.services.text_evidence import queue_stale_text_evidence

    # Text evidence made by older rules (or missing) is recomputed in the background.
    if stale := queue_stale_text_evidence():
        logging.getLogger("earshot.jobs").info("%d call(s) queued for text evidence", stale)
    huey = get_huey()
    where = config.redis_url() and "Redis" or str(config.sqlite_queue_path())
    logging.getLogger("earshot.jobs").info("worker on %s with %d thread(s)", where, args.threads)
    # An idle SQLite queue is polled; at most this long between looks keeps a job queued
    # from the app waiting about a second, not huey's default ten. (Redis blocks instead.)
    huey.create_consumer(
        workers=max(1, args.threads), worker_type="thread", max_delay=IDLE_POLL_MAX_S
    ).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
