#!/usr/bin/env python3
"""Entities in the engine, measured with the installed clive (real pushes, a real `clive up`).

  latency  an entity update to the start of the one cell that reads it: from the entity ref's
           event time in the store to the run's start (median of --updates updates).
  many     10,000 entities, each read by one command cell; one entity changes: how long the
           evaluation took and how many cells ran (it must be exactly one).

Entity versions are made as another store would push them: a commit whose tree holds
value.msgpack and value.json, pushed with git to refs/clive/entities/<name>.

    scripts/bench/entities.py                 # both
    scripts/bench/entities.py --only latency --updates 50
    scripts/bench/entities.py --json
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import Engine, Repo, evaluated, progress, sh  # noqa: E402


def msgpack_int(n):
    """A clive value that is one small non-negative integer, in MessagePack."""
    if n < 128:
        return bytes([n])
    if n < 1 << 16:
        return bytes([0xCD]) + n.to_bytes(2, "big")
    return bytes([0xCE]) + n.to_bytes(4, "big")


def version(repo, value, parent=None):
    """A commit holding an entity version (value.msgpack, value.json) of an int; its id."""
    env = repo.env
    msgpack = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.dir, env=env, input=msgpack_int(value),
                             stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    text = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo.dir, env=env, input=f"{value}\n".encode(),
                          stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    tree = subprocess.run(["git", "mktree"], cwd=repo.dir, env=env, text=True, stdout=subprocess.PIPE, check=True,
                          input=f"100644 blob {text}\tvalue.json\n100644 blob {msgpack}\tvalue.msgpack\n").stdout.strip()
    command = ["git", "commit-tree", tree, "-m", f"set to {value}"] + (["-p", parent] if parent else [])
    return subprocess.run(command, cwd=repo.dir, env=env, text=True, stdout=subprocess.PIPE, check=True).stdout.strip()


def push_versions(repo, versions):
    """Pushes {entity name: commit} to the store's refs/clive/entities/ in one push."""
    lines = "".join(f"update refs/clive/entities/{name} {commit}\n" for name, commit in versions.items())
    subprocess.run(["git", "update-ref", "--stdin"], cwd=repo.dir, env=repo.env, input=lines, text=True, check=True)
    sh(["git", "push", "-q", f"clive::local/{repo.name}", "refs/clive/entities/*:refs/clive/entities/*"], repo.dir, repo.env)


def bench_latency(root, env, store, updates):
    repo = Repo(root, env, "latency")
    repo.write("clive.csx", 'var v = Cells.Entity<int>("v");\nCells.Command("react").Reads(v).Run("cat v.json > /dev/null");\n')
    commit = repo.push("latency model")
    current = version(repo, 0)
    push_versions(repo, {"v": current})
    engine = Engine(env, root / "latency.log")
    evaluated(engine, commit, 0)
    for i in range(updates):
        mark = len(engine.text())
        current = version(repo, i + 1, current)
        push_versions(repo, {"v": current})
        engine.wait_for(r"latency@main: react: succeeded", mark)
    engine.stop()
    db = sqlite3.connect(store / "store.db")
    rows = db.execute("""SELECT r.started - e.time FROM cell_runs r JOIN events e ON e.seq = r.trigger_event
                         WHERE r.repo = 'latency' AND e.ref = 'refs/clive/entities/v' ORDER BY r.id""").fetchall()
    latencies = [r[0] for r in rows[1:]]  # the first run starts with the engine, not after an update
    return {"updates": len(latencies), "median_ms": statistics.median(latencies), "max_ms": max(latencies)}


def bench_many(root, env, store, count):
    repo = Repo(root, env, "many")
    repo.write("clive.csx", f'for (int i = 0; i < {count}; i++) {{ var e = Cells.Entity<int>($"e{{i}}"); '
                            'Cells.Command($"c{i}").Reads(e).Run("true"); }\n')
    commit = repo.push("model")
    zero = version(repo, 0)
    push_versions(repo, {f"e{i}": zero for i in range(count)})
    engine = Engine(env, root / "many.log")
    first = evaluated(engine, commit, 0)
    mark = len(engine.text())
    push_versions(repo, {f"e{count // 2}": version(repo, 1, zero)})
    cells, ms, ran = evaluated(engine, commit, mark)
    engine.stop()
    return {"entities": count, "first_run_ran": first[2], "first_run_ms": first[1], "one_changed_cells": cells,
            "one_changed_ms": ms, "one_changed_ran": ran}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=50, help="entity updates for the latency")
    parser.add_argument("--entities", type=int, default=10000, help="entities (and cells) of the many model")
    parser.add_argument("--only", choices=["latency", "many"], action="append", help="run only these parts (repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="clive-bench-entities-"))
    store = root / "store"
    env = dict(os.environ, CLIVE_STORE=str(store), GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    load_before = os.getloadavg()[0]
    try:
        results = {}
        parts = {"latency": lambda: bench_latency(root, env, store, args.updates),
                 "many": lambda: bench_many(root, env, store, args.entities)}
        for name, run in parts.items():
            if args.only and name not in args.only:
                continue
            progress(name)
            results[name] = run()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    results["load"] = {"before": round(load_before, 1), "after": round(os.getloadavg()[0], 1)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"load average (1 min): {results['load']['before']} before, {results['load']['after']} after, on {os.cpu_count()} cores")
    if l := results.get("latency"):
        print(f"entity update to cell start: median {l['median_ms']:.0f} ms, max {l['max_ms']:.0f} ms over {l['updates']} updates")
    if m := results.get("many"):
        print(f"{m['entities']} entities, one cell each: first run {m['first_run_ran']} ran in {m['first_run_ms'] / 1000:.1f} s; "
              f"one entity changed: {m['one_changed_ran']} ran, {m['one_changed_cells']} cells evaluated in {m['one_changed_ms']:.1f} ms")


if __name__ == "__main__":
    main()
