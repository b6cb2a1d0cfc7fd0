#!/usr/bin/env python3
"""Command cells on a Remote Execution API farm (Bazel's reference RemoteWorker on loopback),
measured side by side with the same cells run locally, with the installed clive.

  local    N independent small command cells on a fresh store, run by `clive up` here
  farm     the same cells on another fresh store with `clive up --reapi`: every cell an action
           executed by the worker (inputs uploaded, outputs read back)
  hits     a third fresh store against the same worker: every cell an action-cache hit
  cached   the local store again, a commit that changes no input: every key found here (the
           local cache hit the farm's hits compare with)

Each figure is the engine's own "N cells evaluated in X ms" for the pushed commit; per-cell
overheads are differences divided by N.

    scripts/bench/reapi.py                 # 200 cells
    scripts/bench/reapi.py --cells 50 --json
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def progress(message):
    print(message, file=sys.stderr, flush=True)


def sh(cmd, cwd, env):
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Engine:
    def __init__(self, env, log, extra):
        self.log_path = log
        self.log = open(log, "w")
        self.process = subprocess.Popen(["clive", "up", "--all", "--jobs", "2", *extra], env=env, stdout=self.log, stderr=self.log)
        self.wait_for(r"clive up: watching")

    def text(self):
        return Path(self.log_path).read_text()

    def wait_for(self, pattern, timeout=1800):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = re.search(pattern, self.text(), re.M)
            if found:
                return found
            if self.process.poll() is not None:
                raise SystemExit("the engine exited:\n" + self.text()[-3000:])
            time.sleep(0.05)
        raise SystemExit(f"timed out waiting for {pattern}:\n" + self.text()[-3000:])

    def evaluated(self, commit):
        m = self.wait_for(rf"{commit[:12]}: (\d+) cells evaluated in ([\d.]+) ms, (\d+) ran")
        return int(m.group(1)), float(m.group(2)), int(m.group(3))

    def stop(self):
        self.process.terminate()
        self.process.wait(60)
        self.log.close()


def make_store(root, name, cells, base_env):
    store = root / name / "store"
    store.mkdir(parents=True)
    env = dict(base_env, CLIVE_STORE=str(store))
    work = root / name / "work"
    work.mkdir()
    sh(["git", "init", "-q", "-b", "main"], work, env)
    lines = []
    for i in range(cells):
        (work / "in").mkdir(exist_ok=True)
        (work / "in" / f"{i}.txt").write_text(f"input {i}\n")
        lines.append(f'Cells.Command("c{i}").Files("in/{i}.txt").Run("tr a-z A-Z < in/{i}.txt > $CLIVE_OUT/o");')
    (work / "clive.csx").write_text("\n".join(lines) + "\n")
    return env, work


def push(work, env, message):
    sh(["git", "add", "-A"], work, env)
    sh(["git", "commit", "-q", "--allow-empty", "-m", message], work, env)
    sh(["git", "push", "-q", "clive::local/bench", "main"], work, env)
    return sh(["git", "rev-parse", "HEAD"], work, env).stdout.strip()


def run(root, name, cells, base_env, extra, note_change=False):
    env, work = make_store(root, name, cells, base_env)
    engine = Engine(env, root / f"{name}.log", extra)
    try:
        commit = push(work, env, "cells")
        first = engine.evaluated(commit)
        again = None
        if note_change:
            (work / "unrelated").write_text("x\n")
            again = engine.evaluated(push(work, env, "no input changed"))
        return first, again, engine.text()
    finally:
        engine.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not shutil.which("clive"):
        raise SystemExit("fatal: no clive on PATH (install.sh, or PATH=$PREFIX/bin:$PATH)")
    root = Path(tempfile.mkdtemp(prefix="clive-bench-reapi-"))
    base_env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
                    GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    port = free_port()
    worker_dir = root / "worker"
    worker_log = open(root / "worker.log", "w")
    worker = subprocess.Popen(["bash", str(ROOT / "scripts/reapi-worker.sh"), "start", str(port), str(worker_dir), "--jobs", "2"],
                              stdout=worker_log, stderr=worker_log)
    try:
        deadline = time.time() + 120
        while not (worker_dir / "pid").exists():
            if worker.poll() is not None or time.time() > deadline:
                raise SystemExit("fatal: the worker did not start:\n" + (root / "worker.log").read_text())
            time.sleep(0.1)
        farm = ["--reapi", f"grpc://127.0.0.1:{port}", "--reapi-jobs", "2"]
        progress(f"local: {args.cells} cells")
        local, cached, _ = run(root, "local", args.cells, base_env, [], note_change=True)
        progress("farm: the same cells on the worker")
        executed, _, farm_log = run(root, "farm", args.cells, base_env, farm)
        progress("hits: a fresh store against the same worker")
        hits, _, hits_log = run(root, "hits", args.cells, base_env, farm)
        ran_there = farm_log.count("(ran there)")
        cache_hits = hits_log.count("(action cache hit)")
        if ran_there != args.cells or cache_hits != args.cells:
            raise SystemExit(f"fatal: expected {args.cells} farm runs and cache hits, saw {ran_there} and {cache_hits}")
        n = args.cells
        result = {
            "cells": n,
            "load_average": os.getloadavg(),
            "local_first_run_ms": local[1],
            "farm_first_run_ms": executed[1],
            "farm_over_local": round(executed[1] / local[1], 2),
            "farm_overhead_per_action_ms": round((executed[1] - local[1]) / n, 2),
            "local_all_keys_found_ms": cached[1],
            "farm_all_cache_hits_ms": hits[1],
            "cache_hit_overhead_per_cell_ms": round((hits[1] - cached[1]) / n, 2),
        }
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            for key, value in result.items():
                print(f"{key:32} {value}")
    finally:
        worker.terminate()
        worker.wait(30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
