"""A queue consumer: `python -m jobs.worker` (or `python -m db.cli worker`).

Runs beside the app with the same settings (database, data folder, EARSHOT_REDIS_URL).
"""

from __future__ import annotations

import argparse
import logging
import sys

from jobs import config
from jobs.queue import get_huey


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
    from db.migrate import upgrade_to_head

    upgrade_to_head()
    huey = get_huey()
    where = config.redis_url() and "Redis" or str(config.sqlite_queue_path())
    logging.getLogger("earshot.jobs").info("worker on %s with %d thread(s)", where, args.threads)
    huey.create_consumer(workers=max(1, args.threads), worker_type="thread").run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
