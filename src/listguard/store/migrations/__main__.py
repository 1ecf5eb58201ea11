"""``python -m listguard.store.migrations upgrade|current|revision``.

upgrade            migrate the configured database (LISTGUARD_DATABASE_URL or the SQLite store)
current            print the revision it is at
revision -m MSG    write a new migration for schema changes (compared on a scratch SQLite file)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from listguard.settings import database_url
from listguard.store import migrations


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m listguard.store.migrations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["upgrade", "current", "revision"])
    parser.add_argument("-m", "--message", default="schema change")
    parser.add_argument("--url", help="database URL (default: the configured store)")
    args = parser.parse_args()
    url = args.url or database_url()
    if args.command == "upgrade":
        print(migrations.upgrade(url))
    elif args.command == "current":
        print(migrations.current(url))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            migrations.revision(args.message, args.url or f"sqlite:///{Path(tmp) / 'scratch.db'}")


if __name__ == "__main__":
    main()
