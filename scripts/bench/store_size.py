#!/usr/bin/env python3
"""Store size against git's pack: the branches and tags of a real repository pushed once into a clive store over clive::local and once into a bare
git repository over file://, in the same run. Reports git's pack, the store after the push and
after `clive gc`, where the store's bytes go (SQLite's dbstat: pack chunks, the object index,
the rest), and the ratios, or JSON with --json."""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd, env):
    start = time.monotonic()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def store_bytes(store: Path) -> int:
    return sum(p.stat().st_size for p in store.iterdir() if p.name.startswith("store.db"))


def breakdown(store: Path) -> dict:
    """Bytes per table and index, from SQLite's dbstat (a read-only connection; the store is idle)."""
    db = sqlite3.connect(f"file:{store / 'store.db'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT name, sum(pgsize), sum(payload), sum(unused) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        free = db.execute("PRAGMA freelist_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
        objects = db.execute("SELECT count(*) FROM objects").fetchone()[0]
    finally:
        db.close()
    return {"tables": {name: {"bytes": size, "payload": payload, "unused": unused} for name, size, payload, unused in rows},
            "free_pages_bytes": free, "objects": objects}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", required=True, help="the git repository whose refs are pushed (read only)")
    parser.add_argument("--workdir", help="where to work (default: a temporary directory, removed after)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    for tool in ("git", "git-remote-clive", "clive"):
        if shutil.which(tool) is None:
            sys.exit(f"store_size.py: '{tool}' is not on PATH (run ./install.sh)")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="clive-size-"))
    work.mkdir(parents=True, exist_ok=True)
    store, bare = work / "store", work / "bare.git"
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=str(work), CLIVE_STORE=str(store))
    try:
        subprocess.run(["git", "init", "-q", "--bare", str(bare)], env=env, check=True)
        result = {"repo": args.repo, "load_before": os.getloadavg()[0]}
        refs = ["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"]
        result["git_push_seconds"] = run(["git", "-C", args.repo, "push", "-q", f"file://{bare}", *refs], env)
        result["clive_push_seconds"] = run(["git", "-C", args.repo, "push", "-q", "clive::local/size", *refs], env)
        result["git_pack_after_push"] = sum(p.stat().st_size for p in (bare / "objects" / "pack").glob("*.pack"))
        result["clive_store_after_push"] = store_bytes(store)
        result["clive_breakdown_after_push"] = breakdown(store)
        result["git_gc_seconds"] = run(["git", "-C", str(bare), "gc", "-q"], env)
        result["git_pack_after_gc"] = sum(p.stat().st_size for p in (bare / "objects" / "pack").glob("*.pack"))
        result["clive_gc_seconds"] = run(["clive", "gc"], env)
        result["clive_store_after_gc"] = store_bytes(store)
        result["clive_breakdown_after_gc"] = breakdown(store)
        result["load_after"] = os.getloadavg()[0]
        result["ratio_after_push"] = result["clive_store_after_push"] / result["git_pack_after_gc"]
        result["ratio_after_gc"] = result["clive_store_after_gc"] / result["git_pack_after_gc"]
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    mib = 1 << 20
    print(f"{args.repo}: {result['clive_breakdown_after_gc']['objects']} objects (load {result['load_before']:.1f} before, {result['load_after']:.1f} after)")
    print(f"git's pack after push {result['git_pack_after_push'] / mib:.1f} MiB, after git gc {result['git_pack_after_gc'] / mib:.1f} MiB")
    print(f"clive store after push {result['clive_store_after_push'] / mib:.1f} MiB ({result['ratio_after_push']:.3f}x), "
          f"after clive gc {result['clive_store_after_gc'] / mib:.1f} MiB ({result['ratio_after_gc']:.3f}x)")
    for when in ("after_push", "after_gc"):
        b = result[f"clive_breakdown_{when}"]
        parts = ", ".join(f"{name} {t['bytes'] / mib:.1f} MiB" for name, t in b["tables"].items() if t["bytes"] > mib)
        print(f"  {when}: {parts}; free pages {b['free_pages_bytes'] / mib:.1f} MiB")


if __name__ == "__main__":
    main()
