"""Fill Isso's SQLite database with the run's plan (see harness/plan.py).

Runs with Isso's own virtualenv, so it imports nothing of Rostra:

    benchmarks/.isso-venv/bin/python benchmarks/isso_seed.py ISSO.cfg PLAN.json

Isso creates its tables (its own ``isso.db.SQLite3``); the rows are then
written in one transaction, as Isso's ``Comments.add`` writes them (mode 1 =
published, a voters Bloom filter of the author's address), with a reply to a
reply filed under its top-level comment, where Isso itself files it.
Each author gets an address of its own, so Isso's per-author hash differs.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from isso import config, db  # type: ignore[import-not-found]
from isso.utils import Bloomfilter  # type: ignore[import-not-found]


def main(conf_path: str, plan_path: str) -> None:
    started = time.monotonic()
    conf = config.load(config.default_file(), conf_path)
    path = conf.get("general", "dbpath")
    db.SQLite3(path, conf)  # creates the schema at Isso's current version
    plan: dict[str, Any] = json.loads(Path(plan_path).read_text())
    con = sqlite3.connect(path)
    voters: dict[str, memoryview] = {}
    with con:
        for story in plan["stories"]:
            tid = con.execute(
                "INSERT INTO threads (uri, title) VALUES (?, ?)", (story["path"], story["title"])
            ).lastrowid
            ids: list[int] = []
            tops: list[int] = []
            for planned in story["comments"]:
                parent = planned["parent"]
                top = None if parent is None else tops[parent]
                address = f"10.0.{planned['author'] % 250}.0"
                if address not in voters:
                    voters[address] = memoryview(Bloomfilter(iterable=[address]).array)
                cur = con.execute(
                    "INSERT INTO comments (tid, parent, created, modified, mode, remote_addr,"
                    " text, author, email, website, voters, notification)"
                    " VALUES (?, ?, ?, NULL, 1, ?, ?, ?, NULL, NULL, ?, 0)",
                    (
                        tid,
                        None if top is None else ids[top],
                        planned["created"],
                        address,
                        planned["body"],
                        plan["authors"][planned["author"]],
                        voters[address],
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
                tops.append(len(ids) - 1 if top is None else top)
    con.close()
    print(json.dumps({"seconds": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
