#!/usr/bin/env python3
"""The reactive engine, measured with the installed clive (real pushes, a real `clive up`).

  wide    a model of 10,000 command cells (one input file each): the first run, side by side with
          `make -j2` running the same commands; then the time to evaluate a commit that changes
          no input (every key found), from the engine's own "evaluated" line.
  chain   a 1,000-cell chain (each cell copies the previous one's output) beside 1,000 cells off
          the chain: after a change to the chain's input, the cells run and the time taken,
          side by side with make running the same 1,000 copies; the difference per cell is the
          engine's overhead (keys, fresh directories, storing each result durably).
  latency push-to-cell-start: from the ref event's time in the store to the run's start.
  compile the model script: cold (a fresh engine, nothing cached), warm (an edit while the
          engine runs), and cached (a restart: the compiled assembly is reused).

    scripts/bench/engine.py            # everything
    scripts/bench/engine.py --only wide --runs 5
    scripts/bench/engine.py --json
    scripts/bench/engine.py --only chain --trace   # also where a cell's time goes (CLIVE_TRACE), and for wide how often both slots were busy
"""
import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def progress(message):
    print(message, file=sys.stderr, flush=True)


def sh(cmd, cwd, env, check=True):
    return subprocess.run(cmd, cwd=cwd, env=env, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Engine:
    """`clive up` in the background, its log in a file we can wait on."""

    def __init__(self, env, log):
        self.log_path = log
        self.log = open(log, "w")
        self.process = subprocess.Popen(["clive", "up", "--all", "--jobs", "2"], env=env, stdout=self.log, stderr=self.log)
        self.wait_for(r"clive up: watching")

    def text(self):
        return Path(self.log_path).read_text()

    def wait_for(self, pattern, after=0, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = list(re.finditer(pattern, self.text()[after:], re.M))
            if found:
                return found[-1]
            if self.process.poll() is not None:
                raise SystemExit("the engine exited:\n" + self.text())
            time.sleep(0.02)
        raise SystemExit(f"timed out waiting for {pattern}:\n" + self.text()[-3000:])

    def stop(self):
        self.process.terminate()
        self.process.wait(60)
        self.log.close()


class Repo:
    def __init__(self, root, env, name):
        self.dir = root / name
        self.env = env
        self.name = name
        self.dir.mkdir()
        sh(["git", "init", "-q", "-b", "main"], self.dir, env)

    def write(self, path, content):
        target = self.dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)

    def push(self, message="change"):
        sh(["git", "add", "-A"], self.dir, self.env)
        sh(["git", "commit", "-q", "-m", message], self.dir, self.env)
        sh(["git", "push", "-q", f"clive::local/{self.name}", "main"], self.dir, self.env)
        return sh(["git", "rev-parse", "HEAD"], self.dir, self.env).stdout.strip()


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """/proc/PID/stat's fields after the command name (which may hold spaces): [0] is the state."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def cpu_ms(pid):
    """The CPU time (user + system) a process has used itself."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) * TICK_MS


def slot_helpers_cpu_ms(engine_pid):
    """CPU of the engine's slot helpers (clive-slot): their own, and their commands' (children they waited for)."""
    own = commands = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or (entry / "comm").read_text().strip() != "clive-slot":
                continue
            pid = int(entry.name)
            while pid > 1 and pid != engine_pid:
                pid = int(stat_fields(pid)[1])
            if pid == engine_pid:
                fields = stat_fields(entry.name)
                own += (int(fields[11]) + int(fields[12])) * TICK_MS
                commands += (int(fields[13]) + int(fields[14])) * TICK_MS
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return own, commands


def children_cpu_ms():
    """CPU used by this script's waited-for children (make and its commands) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def cpu_per_cell(engine, before, cells):
    """Engine and helper CPU milliseconds per cell since `before` (a cpu_snapshot)."""
    now = cpu_snapshot(engine)
    return {name: round((now[name] - before[name]) / cells, 2) for name in now}


def cpu_snapshot(engine):
    own, commands = slot_helpers_cpu_ms(engine.process.pid)
    return {"engine": cpu_ms(engine.process.pid), "slot helpers": own, "their commands": commands}


def evaluated(engine, commit, after):
    m = engine.wait_for(rf"{commit[:12]}: (\d+) cells evaluated in ([\d.]+) ms, (\d+) ran", after)
    return int(m.group(1)), float(m.group(2)), int(m.group(3))


def bench_wide(root, env, store, cells, runs):
    repo = Repo(root, env, "wide")
    for i in range(cells):
        repo.write(f"data/{i % 100}/f{i}.txt", f"{i}\n")
    repo.write("clive.csx", f'for (int i = 0; i < {cells}; i++) Cells.Command($"c{{i}}").Files($"data/{{i % 100}}/f{{i}}.txt").Run("true");\n')
    commit = repo.push("wide model")
    engine = Engine(env, root / "wide.log")
    progress(f"wide: first run of {cells} cells")
    cpu_before = cpu_snapshot(engine)
    start = time.perf_counter()
    n, ms, ran = evaluated(engine, commit, 0)
    first = time.perf_counter() - start
    first_cpu = cpu_per_cell(engine, cpu_before, n)
    first_end = len(engine.text())
    # make, side by side: the same commands as independent targets, two at a time.
    mk = root / "make-wide"
    mk.mkdir()
    (mk / "Makefile").write_text("all: " + " ".join(f"c{i}" for i in range(cells)) + "\n"
                                 + "".join(f"c{i}:\n\ttrue\n" for i in range(cells)))
    start, make_cpu = time.perf_counter(), children_cpu_ms()
    sh(["make", "-s", "-j2"], mk, env)
    make_first = time.perf_counter() - start
    first_cpu["make and its commands"] = round((children_cpu_ms() - make_cpu) / cells, 2)
    timings = []
    for run in range(runs):
        mark = len(engine.text())
        repo.write("README", f"not an input {run}\n")
        commit = repo.push(f"unrelated {run}")
        n, ms, ran = evaluated(engine, commit, mark)
        assert ran == 0, f"{ran} cells ran after an unrelated change"
        timings.append(ms)
    # One input changed: one cell runs.
    mark = len(engine.text())
    repo.write("data/7/f7.txt", "changed\n")
    commit = repo.push("one input")
    _, one_ms, one_ran = evaluated(engine, commit, mark)
    first_text = engine.text()[:first_end]
    engine.stop()
    return {"cells": n, "first_run_s": round(first, 1), "make_first_run_s": round(make_first, 1), "first_run_ratio": round(first / make_first, 2),
            "nothing_changed_ms": statistics.median(timings),
            "one_input_changed_ms": one_ms, "one_input_changed_ran": one_ran,
            "phases_ms": breakdown(first_text), "running_percent": occupancy(first_text), "cpu_ms_per_cell": first_cpu}


PHASES = {"key and cache lookup": r"key and cache lookup ([\d.]+) ms", "queued": r"queued ([\d.]+) ms", "run record": r"run record ([\d.]+) ms", "inputs written": r"inputs written ([\d.]+) ms",
          "command": r"command ([\d.]+) ms", "output hashed": r"output hashed ([\d.]+) ms", "result stored": r"result stored ([\d.]+) ms"}


def breakdown(text):
    """Median milliseconds per phase of the cells in a CLIVE_TRACE log."""
    phases = {}
    for name, pattern in PHASES.items():
        values = [float(v) for v in re.findall(pattern, text)]
        if values:
            phases[name] = round(statistics.median(values), 2)
    return phases


RUN_LINE = re.compile(r"trace: +([\d.]+) ms cell \S+: \S+: queued [\d.]+ ms, run record [\d.]+ ms, run ([\d.]+) ms, result stored ([\d.]+) ms")


def occupancy(text):
    """From a CLIVE_TRACE log: the share of the wall time (first run start to last run end) during
    which 0, 1, 2, ... cells were running at once (a run: inputs written, command, output hashed)."""
    edges = []
    for m in RUN_LINE.finditer(text):
        end, run, stored = (float(g) for g in m.groups())
        edges += [(end - stored - run, 1), (end - stored, -1)]
    if not edges:
        return {}
    edges.sort()
    busy, last, shares = 0, edges[0][0], {}
    for at, step in edges:
        shares[busy] = shares.get(busy, 0) + at - last
        busy, last = busy + step, at
    total = edges[-1][0] - edges[0][0]
    return {f"{n} running": round(100 * t / total, 1) for n, t in sorted(shares.items())} if total else {}


CHAIN_LINE = re.compile(r"trace: +([\d.]+) ms cell \S+: c(\d+): queued [\d.]+ ms, run record [\d.]+ ms, run ([\d.]+) ms, result stored ([\d.]+) ms")


def chain_gap(text):
    """Median milliseconds from a chain cell's result stored to the next cell's run (keys, scheduling, run record)."""
    ends, starts = {}, {}
    for m in CHAIN_LINE.finditer(text):
        end, cell, run, stored = float(m.group(1)), int(m.group(2)), float(m.group(3)), float(m.group(4))
        ends[cell], starts[cell] = end, end - stored - run
    gaps = [starts[c + 1] - ends[c] for c in ends if c + 1 in starts]
    return round(statistics.median(gaps), 2) if gaps else None


def bench_chain(root, env, length, runs):
    repo = Repo(root, env, "chain")
    repo.write("chain/input.txt", "0\n")
    repo.write("side/input.txt", "side\n")
    repo.write("clive.csx", f"""
var previous = Cells.Command("c0").Files("chain/input.txt").Run("cp chain/input.txt $CLIVE_OUT/x");
for (int i = 1; i < {length}; i++) previous = Cells.Command($"c{{i}}").From(previous, "prev").Run("cp prev/x $CLIVE_OUT/x");
for (int i = 0; i < {length}; i++) Cells.Command($"side{{i}}").Files("side/input.txt").Run("true");
""")
    commit = repo.push("chain model")
    engine = Engine(env, root / "chain.log")
    progress(f"chain: first run of {2 * length} cells")
    evaluated(engine, commit, 0)
    results = []
    cpu_before = cpu_snapshot(engine)
    for run in range(runs):
        mark = len(engine.text())
        repo.write("chain/input.txt", f"{run + 1}\n")
        start = time.perf_counter()
        commit = repo.push(f"input {run}")
        n, ms, ran = evaluated(engine, commit, mark)
        results.append((ms, ran, time.perf_counter() - start))
        progress(f"chain: run {run + 1}: {ran} cells ran in {ms / 1000:.1f} s")
    chain_cpu = cpu_per_cell(engine, cpu_before, length * runs)
    phases = breakdown(engine.text()[mark:])
    if (gap := chain_gap(engine.text()[mark:])) is not None:
        phases["result to the next run"] = gap
    engine.stop()

    # make, the classic alternative: the same 1,000 copies, each target from the previous one.
    mk = root / "make"
    mk.mkdir()
    rules = ["all: c%d" % (length - 1), "c0: input.txt\n\tcp input.txt c0"]
    rules += [f"c{i}: c{i - 1}\n\tcp c{i - 1} c{i}" for i in range(1, length)]
    (mk / "Makefile").write_text("\n".join(rules) + "\n")
    (mk / "input.txt").write_text("0\n")
    sh(["make", "-s"], mk, env)
    make_times = []
    make_cpu = children_cpu_ms()
    for run in range(runs):
        (mk / "input.txt").write_text(f"{run + 1}\n")
        start = time.perf_counter()
        sh(["make", "-s"], mk, env)
        make_times.append(time.perf_counter() - start)
    chain_cpu["make and its commands"] = round((children_cpu_ms() - make_cpu) / (length * runs), 2)
    engine_ms = statistics.median(r[0] for r in results)
    make_s = statistics.median(make_times)
    return {"length": length, "ran": statistics.median(r[1] for r in results), "engine_s": round(engine_ms / 1000, 2),
            "make_s": round(make_s, 2), "ratio": round(engine_ms / 1000 / make_s, 2),
            "engine_ms_per_cell": round(engine_ms / length, 2), "make_ms_per_cell": round(make_s * 1000 / length, 2), "phases_ms": phases,
            "cpu_ms_per_cell": chain_cpu}


def bench_latency(root, env, store, pushes):
    repo = Repo(root, env, "latency")
    repo.write("x.txt", "0\n")
    repo.write("clive.csx", 'Cells.Command("react").Files("x.txt").Run("true");\n')
    commit = repo.push("latency model")
    engine = Engine(env, root / "latency.log")
    evaluated(engine, commit, 0)
    for i in range(pushes):
        mark = len(engine.text())
        repo.write("x.txt", f"{i + 1}\n")
        commit = repo.push(f"push {i}")
        evaluated(engine, commit, mark)
    engine.stop()
    db = sqlite3.connect(store / "store.db")
    rows = db.execute("""SELECT r.started - e.time FROM cell_runs r JOIN events e ON e.seq = r.trigger_event
                         WHERE r.repo = 'latency' ORDER BY r.id""").fetchall()
    latencies = [r[0] for r in rows[1:]]  # the first run starts with the engine, not after a push
    return {"pushes": len(latencies), "median_ms": statistics.median(latencies), "max_ms": max(latencies)}


def bench_compile(root, env, store):
    repo = Repo(root, env, "compile")
    repo.write("clive.csx", 'Cells.Command("a").Run("true");\nCells.Compute("b", ctx => 42);\n')
    commit = repo.push("model")
    shutil.rmtree(store / "engine" / "models", ignore_errors=True)
    engine = Engine(env, root / "compile.log")
    cold = float(engine.wait_for(r"compile@main: model loaded: .* in (\d+) ms").group(1))
    mark = len(engine.text())
    repo.write("clive.csx", 'Cells.Command("a").Run("true");\nCells.Compute("b", ctx => 43);\n')
    repo.push("edit")
    warm = float(engine.wait_for(r"compile@main: model loaded: .* in (\d+) ms", mark).group(1))
    engine.stop()
    engine = Engine(env, root / "compile2.log")
    cached = float(engine.wait_for(r"compile@main: model loaded: .* in (\d+) ms").group(1))
    engine.stop()
    return {"cold_ms": cold, "warm_ms": warm, "cached_ms": cached}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=10000, help="cells of the wide model")
    parser.add_argument("--chain", type=int, default=1000, help="length of the chain")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--pushes", type=int, default=20, help="pushes for the latency")
    parser.add_argument("--only", choices=["compile", "latency", "chain", "wide"], action="append", help="run only these parts (repeatable)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trace", action="store_true", help="run the engine with CLIVE_TRACE=1 and report where a chain cell's time goes")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="clive-bench-engine-"))
    store = root / "store"
    env = dict(os.environ, CLIVE_STORE=str(store), GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    if args.trace:
        env["CLIVE_TRACE"] = "1"
    load_before = os.getloadavg()[0]
    try:
        results = {}
        parts = {"compile": lambda: bench_compile(root, env, store),
                 "latency": lambda: bench_latency(root, env, store, args.pushes),
                 "chain": lambda: bench_chain(root, env, args.chain, args.runs),
                 "wide": lambda: bench_wide(root, env, store, args.cells, args.runs)}
        for name, run in parts.items():
            if args.only and name not in args.only:
                continue
            progress(name)
            results[name] = run()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    # The machine may be shared: ratios are measured side by side, and the load says how busy it was.
    results["load"] = {"before": round(load_before, 1), "after": round(os.getloadavg()[0], 1)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"load average (1 min): {results['load']['before']} before, {results['load']['after']} after, on {os.cpu_count()} cores")
    if c := results.get("compile"):
        print(f"model compile: cold {c['cold_ms']:.0f} ms, warm (edit while running) {c['warm_ms']:.0f} ms, cached (restart) {c['cached_ms']:.0f} ms")
    if l := results.get("latency"):
        print(f"push to cell start: median {l['median_ms']:.0f} ms, max {l['max_ms']:.0f} ms over {l['pushes']} pushes")
    if ch := results.get("chain"):
        print(f"{ch['length']}-cell chain after its input changed: {ch['ran']:.0f} cells ran in {ch['engine_s']} s; "
              f"make: {ch['make_s']} s; ratio {ch['ratio']}x; per cell {ch['engine_ms_per_cell']} ms vs {ch['make_ms_per_cell']} ms")
        if ch["phases_ms"]:
            print("  per chain cell, median ms: " + ", ".join(f"{name} {ms}" for name, ms in ch["phases_ms"].items()))
        print("  CPU per chain cell, ms: " + ", ".join(f"{name} {ms}" for name, ms in ch["cpu_ms_per_cell"].items()))
    if w := results.get("wide"):
        print(f"{w['cells']}-cell model: first run {w['first_run_s']} s (make -j2: {w['make_first_run_s']} s, ratio {w['first_run_ratio']}x); nothing changed: evaluated in {w['nothing_changed_ms']:.1f} ms; "
              f"one input changed: {w['one_input_changed_ran']} ran, evaluated in {w['one_input_changed_ms']:.1f} ms")
        if w["phases_ms"]:
            print("  first run, per cell, median ms: " + ", ".join(f"{name} {ms}" for name, ms in w["phases_ms"].items() if name != "queued"))
            print("  first run, share of the time with n cells running at once: " + ", ".join(f"{n} {p}%" for n, p in w["running_percent"].items()))
        print("  first run, CPU per cell, ms: " + ", ".join(f"{name} {ms}" for name, ms in w["cpu_ms_per_cell"].items()))

if __name__ == "__main__":
    main()
