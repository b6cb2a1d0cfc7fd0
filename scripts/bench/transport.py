#!/usr/bin/env python3
"""Side by side: git-remote-clive against git's own transport to a bare repository on the same disk.

Measures push (to an empty remote), clone (--mirror, over file:// with --no-local for git),
no-op fetch, one-commit fetch, and the size of the store against `git gc`'s pack of the same
objects. Prints a table of medians and ratios (clive / git), or JSON with --json.

    scripts/bench/transport.py                 # a generated history of ~156,000 objects
    scripts/bench/transport.py --repo ~/linux  # any real repository (its HEAD branch)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(cmd, cwd=None, env=None, stdin=None):
    subprocess.run(cmd, cwd=cwd, env=env, stdin=stdin, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def timed(cmd, cwd=None, env=None):
    start = time.perf_counter()
    run(cmd, cwd=cwd, env=env)
    return time.perf_counter() - start


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def progress(message):
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", help="a git repository to use instead of the generated history")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--commits", type=int, default=6000, help="commits of the generated history")
    parser.add_argument("--workdir", help="where to work (default: a temporary directory, removed after)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    for tool in ("git", "git-remote-clive", "clive"):
        if shutil.which(tool) is None:
            sys.exit(f"transport.py: '{tool}' is not on PATH (run ./install.sh)")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="clive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=str(work / "home"))
    (work / "home").mkdir(exist_ok=True)
    run(["git", "config", "--global", "user.name", "Bench"], env=env)
    run(["git", "config", "--global", "user.email", "bench@example.com"], env=env)
    try:
        results = measure(args, work, env)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


def prepare_source(args, work: Path, env) -> Path:
    src = work / "src.git"
    if src.exists():
        return src
    if args.repo:
        progress(f"copying {args.repo}")
        run(["git", "clone", "-q", "--bare", "--no-local", args.repo, str(src)], env=env)
    else:
        progress(f"generating a history of {args.commits} commits")
        run(["git", "init", "-q", "--bare", "-b", "main", str(src)], env=env)
        gen = subprocess.Popen([sys.executable, str(HERE / "make_history.py"), "--commits", str(args.commits)], stdout=subprocess.PIPE)
        run(["git", "-C", str(src), "fast-import", "--quiet"], env=env, stdin=gen.stdout)
        gen.wait()
    progress("git gc of the source (a developer's repository is packed)")
    run(["git", "-C", str(src), "gc", "-q"], env=env)
    return src


def measure(args, work: Path, env):
    src = prepare_source(args, work, env)
    branch = subprocess.run(["git", "-C", str(src), "symbolic-ref", "--short", "HEAD"], env=env,
                            capture_output=True, text=True, check=True).stdout.strip()
    objects = int(subprocess.run(["git", "-C", str(src), "rev-list", "--objects", "--count", branch], env=env,
                                 capture_output=True, text=True, check=True).stdout.strip() or 0)
    times = {k: {"git": [], "clive": []} for k in ("push", "clone", "noop_fetch", "one_commit_fetch")}
    sizes = {}
    for i in range(args.runs):
        progress(f"run {i + 1}/{args.runs}")
        bare, store = work / "bare.git", work / "store"
        git_clone, clive_clone = work / "git-clone.git", work / "clive-clone.git"
        for p in (bare, store, git_clone, clive_clone, work / "edit"):
            shutil.rmtree(p, ignore_errors=True)
        run(["git", "init", "-q", "--bare", str(bare)], env=env)
        cenv = dict(env, CLIVE_STORE=str(store))
        git_url, clive_url = f"file://{bare}", "clive::local/bench"

        times["push"]["git"].append(timed(["git", "-C", str(src), "push", "-q", git_url, branch], env=env))
        times["push"]["clive"].append(timed(["git", "-C", str(src), "push", "-q", clive_url, branch], env=cenv))

        times["clone"]["git"].append(timed(["git", "clone", "-q", "--mirror", "--no-local", git_url, str(git_clone)], env=env))
        times["clone"]["clive"].append(timed(["git", "clone", "-q", "--mirror", clive_url, str(clive_clone)], env=cenv))

        times["noop_fetch"]["git"].append(timed(["git", "-C", str(git_clone), "fetch", "-q", "origin"], env=env))
        times["noop_fetch"]["clive"].append(timed(["git", "-C", str(clive_clone), "fetch", "-q", "origin"], env=cenv))

        # One new commit on the branch, pushed to both remotes, then fetched by each clone.
        run(["git", "clone", "-q", "--no-local", "--branch", branch, str(src), str(work / "edit")], env=env)
        edit = work / "edit"
        target = next(p for p in sorted(edit.rglob("*.txt")) if ".git" not in p.parts) if list(edit.rglob("*.txt")) else edit / "new.txt"
        with open(target, "a") as f:
            f.write(f"one more line, run {i}\n")
        run(["git", "-C", str(edit), "commit", "-q", "-am", f"one commit {i}"], env=env)
        run(["git", "-C", str(edit), "push", "-q", git_url, f"HEAD:{branch}"], env=env)
        run(["git", "-C", str(edit), "push", "-q", clive_url, f"HEAD:{branch}"], env=cenv)
        times["one_commit_fetch"]["git"].append(timed(["git", "-C", str(git_clone), "fetch", "-q", "origin"], env=env))
        times["one_commit_fetch"]["clive"].append(timed(["git", "-C", str(clive_clone), "fetch", "-q", "origin"], env=cenv))

        if i == args.runs - 1:
            sizes["clive_store_after_push"] = du(store)
            sizes["git_bare_after_push"] = du(bare / "objects")
            run(["git", "-C", str(bare), "gc", "-q"], env=env)
            sizes["git_gc_pack"] = sum(p.stat().st_size for p in (bare / "objects" / "pack").glob("*.pack"))
            run(["clive", "gc"], env=cenv)
            sizes["clive_store_after_gc"] = du(store)

    medians = {k: {side: statistics.median(v) for side, v in sides.items()} for k, sides in times.items()}
    return {
        "objects": objects,
        "runs": args.runs,
        "seconds": medians,
        "ratios": {k: m["clive"] / m["git"] for k, m in medians.items()},
        "bytes": sizes,
        "size_ratios": {
            "store_after_push_vs_gc_pack": sizes["clive_store_after_push"] / sizes["git_gc_pack"],
            "store_after_gc_vs_gc_pack": sizes["clive_store_after_gc"] / sizes["git_gc_pack"],
        },
    }


def print_table(r):
    print(f"{r['objects']} objects, median of {r['runs']} runs")
    print(f"{'':18} {'git (s)':>10} {'clive (s)':>10} {'ratio':>7}")
    for k, m in r["seconds"].items():
        print(f"{k:18} {m['git']:10.3f} {m['clive']:10.3f} {r['ratios'][k]:7.2f}")
    b = r["bytes"]
    mib = 1024 * 1024
    print(f"git gc pack: {b['git_gc_pack'] / mib:.1f} MiB; clive store after push: {b['clive_store_after_push'] / mib:.1f} MiB "
          f"({r['size_ratios']['store_after_push_vs_gc_pack']:.2f}x); after clive gc: {b['clive_store_after_gc'] / mib:.1f} MiB "
          f"({r['size_ratios']['store_after_gc_vs_gc_pack']:.2f}x)")


if __name__ == "__main__":
    main()
