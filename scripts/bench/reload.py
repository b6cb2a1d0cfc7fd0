#!/usr/bin/env python3
"""Model reload memory: `clive up` over 200 pushes of a model that declares its own value types.

Each push changes the model's source (so each is a new model version: compiled, loaded into its
own collectible context, run in a new model host), and its compute cell returns a record graph that
another cell reads. The engine's resident memory (VmRSS of the clive-engine process) is read after
20 versions and after all of them: a version left loaded would add its assembly, types and cells.

    scripts/bench/reload.py                         # the installed clive
    scripts/bench/reload.py --bin tests/Clive.Tests/bin/Release/net10.0 --versions 200 --json
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = """// version {version}
public enum Status {{ Open, Shipped }}
public record Address(string City, string? Street);
public record Line(string Sku, int Quantity);
public record Order(string Id, Status Status, Address Ship, Address Bill, List<Line> Lines, Dictionary<string, int> Stock, string? Note);
var orders = Cells.Compute("orders", ctx =>
{{
    var home = new Address("Lyon", null);
    return new List<Order> {{ new("o-{version}", Status.Shipped, home, home, [new Line("a", {version}), new Line("b", 1)], new() {{ ["a"] = 1 }}, null) }};
}});
Cells.Compute("total", ctx => ctx.Value<List<Order>>("orders")!.Sum(o => o.Lines.Sum(l => l.Quantity))).From(orders);
"""


def sh(cmd, cwd, env):
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for {pid}")


def wait_for(log, pattern, process, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(pattern, log.read_text(), re.M):
            return
        if process.poll() is not None:
            raise SystemExit("the engine exited:\n" + log.read_text()[-3000:])
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {pattern}:\n" + log.read_text()[-3000:])


def wait_total(env, cwd, version, process, timeout=600):
    """Until `clive status --json` shows the total of this version (both cells ran on it)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = json.loads(subprocess.run(["clive", "status", "demo", "--json"], cwd=cwd, env=env, stdout=subprocess.PIPE, text=True).stdout or "{}")
        for ref in status.get("refs", []):
            for cell in ref.get("cells", []):
                if cell.get("name") == "total" and cell.get("state") == "succeeded" and cell.get("source", "").startswith(version):
                    return
        if process.poll() is not None:
            raise SystemExit("the engine exited")
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for total at {version}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--bin", help="a directory holding clive, clive-engine and git-remote-clive (default: PATH)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="clive-bench-reload-"))
    env = dict(os.environ, CLIVE_STORE=str(root / "store"), GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com")
    if args.bin:
        env["PATH"] = str(Path(args.bin).resolve()) + os.pathsep + env["PATH"]
    repo = root / "work"
    repo.mkdir()
    sh(["git", "init", "-q", "-b", "main"], repo, env)
    log = root / "engine.log"
    engine = None
    try:
        def push(version):
            (repo / "clive.csx").write_text(MODEL.format(version=version))
            sh(["git", "add", "-A"], repo, env)
            sh(["git", "commit", "-qm", f"version {version}"], repo, env)
            sh(["git", "push", "-q", "clive::local/demo", "main"], repo, env)
            return sh(["git", "rev-parse", "HEAD"], repo, env).stdout.strip()

        commit = push(0)
        with open(log, "w") as out:
            engine = subprocess.Popen(["clive", "up", "--repo", "demo", "--jobs", "2"], env=env, cwd=repo, stdout=out, stderr=out)
        wait_for(log, r"clive up: watching", engine)
        wait_total(env, repo, commit, engine)
        samples = {1: rss_kib(engine.pid)}
        started = time.time()
        for version in range(1, args.versions):
            wait_total(env, repo, push(version), engine)
            if version + 1 in (20, args.versions):
                time.sleep(2)  # let the retired hosts exit and the engine's collector run
                samples[version + 1] = rss_kib(engine.pid)
            if (version + 1) % 20 == 0:
                print(f"{version + 1} versions, engine RSS {rss_kib(engine.pid) // 1024} MiB", file=sys.stderr, flush=True)
        elapsed = time.time() - started
        hosts = int(subprocess.run(["pgrep", "-c", "-P", str(engine.pid)], stdout=subprocess.PIPE, text=True).stdout.strip() or 0)
        result = {"versions": args.versions, "rss_mib": {k: round(v / 1024, 1) for k, v in samples.items()},
                  "growth_20_to_last_mib": round((samples[args.versions] - samples[20]) / 1024, 1),
                  "seconds_per_version": round(elapsed / (args.versions - 1), 2), "engine_children_at_end": hosts}
        if args.json:
            print(json.dumps(result))
        else:
            print(f"engine RSS after 1 version {result['rss_mib'][1]} MiB, after 20 {result['rss_mib'][20]} MiB, "
                  f"after {args.versions} {result['rss_mib'][args.versions]} MiB (growth 20→{args.versions}: {result['growth_20_to_last_mib']} MiB); "
                  f"{result['seconds_per_version']} s per version")
    finally:
        if engine is not None:
            engine.terminate()
            engine.wait(60)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
