#!/usr/bin/env python3
"""Side by side: a clive-fs mount against the same tree checked out on the native disk.

A deterministic tree of 10,000 files (100 directories of 100 files, 1-4 KiB each) and, in a
second repo, one 1 GiB file. Measures `find`+`stat` of everything cold (page cache dropped, fresh
mount) and warm, reading every file, a sequential read of the 1 GiB file, writing 1,000 small
files until they are committed, and a `git status` scan of the whole tree. Prints a table of
medians and ratios (clive / native), or JSON with --json. Needs root (to drop the page cache).

    scripts/bench/fs.py [--runs 3] [--big-mib 1024] [--json]
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd, env=None, cwd=None, stdin=None, check=True):
    return subprocess.run(cmd, env=env, cwd=cwd, stdin=stdin, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def progress(message):
    print(message, file=sys.stderr, flush=True)


def drop_caches():
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def find_stat(root):
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            os.lstat(os.path.join(dirpath, name))
            count += 1
    return count


def read_all(root):
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as f:
                total += len(f.read())
    return total


def sequential_read(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 20):
            pass


def make_tree(root: Path):
    rng = random.Random(20261125)
    for d in range(100):
        sub = root / f"pkg{d // 10}" / f"mod{d}"
        sub.mkdir(parents=True, exist_ok=True)
        for i in range(100):
            (sub / f"file{i}.txt").write_bytes(bytes(rng.choice(b"abcdefghij klmnop\n") for _ in range(rng.randint(1024, 4096))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big-mib", type=int, default=1024, help="size of the sequential-read file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for tool in ("git", "clive", "clive-fs", "fusermount3"):
        if shutil.which(tool) is None:
            sys.exit(f"fs.py: '{tool}' is not on PATH (run ./install.sh)")
    if os.geteuid() != 0:
        sys.exit("fs.py: run as root (cold-cache figures drop the page cache)")

    work = Path(tempfile.mkdtemp(prefix="clive-fsbench-"))
    env = dict(os.environ, CLIVE_STORE=str(work / "store"), HOME=str(work / "home"), GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
    (work / "home").mkdir()
    mounts = []
    try:
        results = measure(args, work, env, mounts)
    finally:
        for m in mounts:
            subprocess.run(["fusermount3", "-u", "-z", str(m)], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


def measure(args, work, env, mounts):
    native = work / "native"
    progress("making a tree of 10,000 files and a big file")
    native.mkdir()
    run(["git", "init", "-q", "-b", "main", str(native)], env=env)
    make_tree(native)
    run(["git", "-C", str(native), "add", "."], env=env)
    run(["git", "-C", str(native), "commit", "-q", "-m", "tree"], env=env)
    run(["git", "-C", str(native), "push", "-q", "clive::local/tree", "main"], env=env)
    big = work / "big"
    big.mkdir()
    run(["git", "init", "-q", "-b", "main", str(big)], env=env)
    with open(big / "big.bin", "wb") as f:
        rng = random.Random(7)
        for _ in range(args.big_mib):
            f.write(rng.randbytes(1 << 20))
    run(["git", "-C", str(big), "add", "."], env=env)
    run(["git", "-C", str(big), "commit", "-q", "-m", "big"], env=env)
    run(["git", "-C", str(big), "push", "-q", "clive::local/big", "main"], env=env)

    def mount(repo, name, *options):
        path = work / name
        if path.exists():
            subprocess.run(["fusermount3", "-u", "-z", str(path)], stderr=subprocess.DEVNULL)
            time.sleep(0.2)
        path.mkdir(exist_ok=True)
        run(["clive-fs", *options, repo, str(path)], env=env)
        mounts.append(path)
        return path

    keys = ["find_stat_cold", "find_stat_warm", "read_all", "seq_read_1gib", "seq_read_1gib_warm", "write_1000_committed", "git_status",
            "push_to_visible"]
    times = {k: {"native": [], "clive": []} for k in keys}
    for i in range(args.runs):
        progress(f"run {i + 1}/{args.runs}")
        drop_caches()
        times["find_stat_cold"]["native"].append(timed(lambda: find_stat(native)))
        mnt = mount("tree", "mnt")
        drop_caches()
        times["find_stat_cold"]["clive"].append(timed(lambda: find_stat(mnt)))
        times["find_stat_warm"]["native"].append(timed(lambda: find_stat(native)))
        times["find_stat_warm"]["clive"].append(timed(lambda: find_stat(mnt)))
        times["read_all"]["native"].append(timed(lambda: read_all(native)))
        times["read_all"]["clive"].append(timed(lambda: read_all(mnt)))

        bigmnt = mount("big", "bigmnt")
        drop_caches()
        times["seq_read_1gib"]["native"].append(timed(lambda: sequential_read(big / "big.bin")))
        drop_caches()
        times["seq_read_1gib"]["clive"].append(timed(lambda: sequential_read(bigmnt / "big.bin")))
        times["seq_read_1gib_warm"]["native"].append(timed(lambda: sequential_read(big / "big.bin")))
        times["seq_read_1gib_warm"]["clive"].append(timed(lambda: sequential_read(bigmnt / "big.bin")))

        # A push from elsewhere until the mount shows it; native: the same file written by a process.
        marker = f"pushed in run {i}\n"
        (native / "pkg0" / "mod0" / "file0.txt").write_text(marker)
        run(["git", "-C", str(native), "commit", "-q", "-am", "push"], env=env)
        start = time.perf_counter()
        # Forced: an earlier run's writes through the mount moved the ref past this clone.
        run(["git", "-C", str(native), "push", "-q", "--force", "clive::local/tree", "main"], env=env)
        pushed = time.perf_counter()
        target = mnt / "pkg0" / "mod0" / "file0.txt"
        while target.read_text() != marker and time.perf_counter() - pushed < 10:
            time.sleep(0.001)
        times["push_to_visible"]["clive"].append(time.perf_counter() - pushed)
        times["push_to_visible"]["native"].append(pushed - start)  # for scale: the push itself

        # git status over the whole tree: for clive, git's own index against the mount as work tree.
        status_env = dict(env, GIT_DIR=str(native / ".git"), GIT_WORK_TREE=str(mnt))
        run(["git", "status", "--porcelain"], env=status_env)  # refresh the index's stat data once
        times["git_status"]["clive"].append(timed(lambda: run(["git", "status", "--porcelain"], env=status_env)))
        run(["git", "-C", str(native), "status", "--porcelain"], env=env)
        times["git_status"]["native"].append(timed(lambda: run(["git", "-C", str(native), "status", "--porcelain"], env=env)))

        # 1,000 small files until committed: native is write + git add + git commit.
        def native_write():
            d = native / f"new{i}"
            d.mkdir()
            for n in range(1000):
                (d / f"n{n}.txt").write_text(f"new file {n}\n")
            run(["git", "-C", str(native), "add", "-A"], env=env)
            run(["git", "-C", str(native), "commit", "-q", "-m", "new"], env=env)
        times["write_1000_committed"]["native"].append(timed(native_write))
        wmnt = mount("tree", "wmnt", "--commit-delay", "0.1")
        before = run(["clive", "refs", "tree"], env=env).stdout

        def clive_write():
            d = wmnt / f"new{i}"
            d.mkdir()
            for n in range(1000):
                (d / f"n{n}.txt").write_text(f"new file {n}\n")
            deadline = time.time() + 60
            while run(["clive", "refs", "tree"], env=env).stdout == before and time.time() < deadline:
                time.sleep(0.01)
        times["write_1000_committed"]["clive"].append(timed(clive_write))

    medians = {k: {side: statistics.median(v) for side, v in sides.items()} for k, sides in times.items()}
    return {
        "files": 10_000,
        "big_mib": args.big_mib,
        "runs": args.runs,
        "seconds": medians,
        "ratios": {k: m["clive"] / m["native"] for k, m in medians.items()},
        "seq_read_gb_per_s": {side: args.big_mib * (1 << 20) / medians["seq_read_1gib"][side] / 1e9 for side in ("native", "clive")},
        "seq_read_warm_gb_per_s": {side: args.big_mib * (1 << 20) / medians["seq_read_1gib_warm"][side] / 1e9 for side in ("native", "clive")},
    }


def print_table(r):
    print(f"{r['files']} files, {r['big_mib']} MiB sequential file, median of {r['runs']} runs")
    print(f"{'':22} {'native (s)':>11} {'clive (s)':>11} {'ratio':>7}")
    for k, m in r["seconds"].items():
        print(f"{k:22} {m['native']:11.3f} {m['clive']:11.3f} {r['ratios'][k]:7.2f}")
    g, w = r["seq_read_gb_per_s"], r["seq_read_warm_gb_per_s"]
    print(f"sequential read, cold: native {g['native']:.2f} GB/s, clive {g['clive']:.2f} GB/s; warm: native {w['native']:.2f} GB/s, clive {w['clive']:.2f} GB/s")
    print(f"push to visible in the mount: {r['seconds']['push_to_visible']['clive'] * 1000:.0f} ms after the push returned")


if __name__ == "__main__":
    main()
