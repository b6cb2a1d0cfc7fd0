#!/usr/bin/env python3
"""Side by side: git-remote-clive against git's own transport to a bare repository on the same disk.

Measures push (every ref, to an empty remote), clone (--mirror, over file:// with --no-local for
git), the same clone again (clive then serves it from the reachability bitmaps the first one
saved), a partial clone (--filter=blob:none), no-op fetch, one-commit fetch, and the size of the
store against `git gc`'s pack of the same objects. With --ssh, both go through one real sshd on 127.0.0.1 instead: git's ssh:// to a
bare repository against clive::host/repo with a forced-command identity. Prints a table of
medians and ratios (clive / git), or JSON with --json.

    scripts/bench/transport.py                 # a generated history of ~156,000 objects
    scripts/bench/transport.py --ssh           # the same over SSH
    scripts/bench/transport.py --repo ~/linux  # any real repository (all its branches and tags)
"""
import argparse
import getpass
import json
import os
import socket
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
    parser.add_argument("--ssh", action="store_true", help="compare over a real sshd on 127.0.0.1 instead of file://")
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
    transport = SshTransport(work, env) if args.ssh else LocalTransport(work, env)
    try:
        results = measure(args, work, env, transport)
        results["transport"] = "ssh" if args.ssh else "local"
    finally:
        transport.close()
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


class LocalTransport:
    """git over file:// against clive::local."""

    def __init__(self, work: Path, env):
        self.work, self.env = work, env

    def git_url(self, bare: Path) -> str:
        return f"file://{bare}"

    def clive_url(self, repo: str) -> str:
        return f"clive::local/{repo}"

    def git_env(self):
        return self.env

    def clive_env(self, store: Path):
        return dict(self.env, CLIVE_STORE=str(store))

    def reset_store(self, store: Path):
        shutil.rmtree(store, ignore_errors=True)

    def close(self):
        pass


class SshTransport:
    """git over ssh:// to a bare repository against clive::host/repo, through one sshd."""

    def __init__(self, work: Path, env):
        self.work, self.env = work, env
        self.dir = work / "ssh"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir()
        for key in ("host_key", "git_key", "clive_key"):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / key)], env=env)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.user = getpass.getuser()
        (self.dir / "sshd_config").write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.dir}/host_key",
            f"PidFile {self.dir}/sshd.pid", f"AuthorizedKeysFile {self.dir}/authorized_keys", "StrictModes no",
            "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
            f"AllowUsers {self.user}", "LogLevel ERROR", ""]))
        self.store = work / "ssh-store"
        self.reset_store(self.store)
        Path("/run/sshd").mkdir(exist_ok=True)
        self.sshd = subprocess.Popen([shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-e", "-f", str(self.dir / "sshd_config")])
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)

    def _ssh(self, key):
        return (f"ssh -i {self.dir / key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
                "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes")

    def git_url(self, bare: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{bare}"

    def clive_url(self, repo: str) -> str:
        return f"clive::{self.user}@127.0.0.1:{self.port}/{repo}"

    def git_env(self):
        return dict(self.env, GIT_SSH_COMMAND=self._ssh("git_key"))

    def clive_env(self, store: Path):
        return dict(self.env, GIT_SSH_COMMAND=self._ssh("clive_key"), CLIVE_STORE=str(self.store))

    def reset_store(self, store: Path):
        # The far side's store: one identity with every right, behind a forced command.
        shutil.rmtree(self.store, ignore_errors=True)
        cenv = dict(self.env, CLIVE_STORE=str(self.store))
        run(["clive", "keys", "add", "bench", str(self.dir / "clive_key.pub")], env=cenv)
        run(["clive", "grant", "bench", "admin", "*"], env=cenv)
        lines = subprocess.run(["clive", "keys", "authorized-keys"], env=cenv, capture_output=True, text=True, check=True).stdout
        git_key = (self.dir / "git_key.pub").read_text()
        (self.dir / "authorized_keys").write_text(git_key + lines)

    def close(self):
        self.sshd.terminate()
        self.sshd.wait()


def measure(args, work: Path, env, transport):
    src = prepare_source(args, work, env)
    branch = subprocess.run(["git", "-C", str(src), "symbolic-ref", "--short", "HEAD"], env=env,
                            capture_output=True, text=True, check=True).stdout.strip()
    objects = int(subprocess.run(["git", "-C", str(src), "rev-list", "--objects", "--count", "--all"], env=env,
                                 capture_output=True, text=True, check=True).stdout.strip() or 0)
    refs = len(subprocess.run(["git", "-C", str(src), "for-each-ref"], env=env,
                              capture_output=True, text=True, check=True).stdout.splitlines())
    load = [os.getloadavg()]
    times = {k: {"git": [], "clive": []} for k in ("push", "clone", "clone_again", "partial_clone", "noop_fetch", "one_commit_fetch")}
    sizes = {}
    for i in range(args.runs):
        progress(f"run {i + 1}/{args.runs}")
        bare, store = work / "bare.git", work / "store"
        git_clone, clive_clone = work / "git-clone.git", work / "clive-clone.git"
        git_partial, clive_partial = work / "git-partial.git", work / "clive-partial.git"
        git_again, clive_again = work / "git-again.git", work / "clive-again.git"
        for p in (bare, store, git_clone, clive_clone, git_again, clive_again, git_partial, clive_partial, work / "edit"):
            shutil.rmtree(p, ignore_errors=True)
        run(["git", "init", "-q", "--bare", str(bare)], env=env)
        # A partial clone needs the server's consent in git (clive always serves filters).
        run(["git", "-C", str(bare), "config", "uploadpack.allowFilter", "true"], env=env)
        transport.reset_store(store)
        genv, cenv = transport.git_env(), transport.clive_env(store)
        git_url, clive_url = transport.git_url(bare), transport.clive_url("bench")

        times["push"]["git"].append(timed(["git", "-C", str(src), "push", "-q", "--mirror", git_url], env=genv))
        times["push"]["clive"].append(timed(["git", "-C", str(src), "push", "-q", "--mirror", clive_url], env=cenv))

        times["clone"]["git"].append(timed(["git", "clone", "-q", "--mirror", "--no-local", git_url, str(git_clone)], env=genv))
        times["clone"]["clive"].append(timed(["git", "clone", "-q", "--mirror", clive_url, str(clive_clone)], env=cenv))
        times["clone_again"]["git"].append(timed(["git", "clone", "-q", "--mirror", "--no-local", git_url, str(git_again)], env=genv))
        times["clone_again"]["clive"].append(timed(["git", "clone", "-q", "--mirror", clive_url, str(clive_again)], env=cenv))
        if i == 0:
            # The clones must hold the same objects, or the times compare different work.
            counts = [subprocess.run(["git", "-C", str(d), "rev-list", "--objects", "--all", "--count"], env=env,
                                     capture_output=True, text=True, check=True).stdout.strip() for d in (git_clone, clive_clone, clive_again)]
            if len(set(counts)) != 1:
                sys.exit(f"transport.py: clones differ: git {counts[0]} objects, clive {counts[1]}, clive again {counts[2]}")

        # Partial clone: commits and trees only (what monorepo users start from).
        times["partial_clone"]["git"].append(timed(["git", "clone", "-q", "--bare", "--filter=blob:none", "--no-local", git_url, str(git_partial)], env=genv))
        times["partial_clone"]["clive"].append(timed(["git", "clone", "-q", "--bare", "--filter=blob:none", clive_url, str(clive_partial)], env=cenv))

        times["noop_fetch"]["git"].append(timed(["git", "-C", str(git_clone), "fetch", "-q", "origin"], env=genv))
        times["noop_fetch"]["clive"].append(timed(["git", "-C", str(clive_clone), "fetch", "-q", "origin"], env=cenv))

        # One new commit on the branch, pushed to both remotes, then fetched by each clone.
        run(["git", "clone", "-q", "--no-local", "--branch", branch, str(src), str(work / "edit")], env=env)
        edit = work / "edit"
        target = next(p for p in sorted(edit.rglob("*.txt")) if ".git" not in p.parts) if list(edit.rglob("*.txt")) else edit / "new.txt"
        with open(target, "a") as f:
            f.write(f"one more line, run {i}\n")
        run(["git", "-C", str(edit), "commit", "-q", "-am", f"one commit {i}"], env=env)
        run(["git", "-C", str(edit), "push", "-q", git_url, f"HEAD:{branch}"], env=genv)
        run(["git", "-C", str(edit), "push", "-q", clive_url, f"HEAD:{branch}"], env=cenv)
        times["one_commit_fetch"]["git"].append(timed(["git", "-C", str(git_clone), "fetch", "-q", "origin"], env=genv))
        times["one_commit_fetch"]["clive"].append(timed(["git", "-C", str(clive_clone), "fetch", "-q", "origin"], env=cenv))

        if i == args.runs - 1:
            store = Path(cenv["CLIVE_STORE"])
            sizes["clive_store_after_push"] = du(store)
            sizes["git_bare_after_push"] = du(bare / "objects")
            run(["git", "-C", str(bare), "gc", "-q"], env=env)
            sizes["git_gc_pack"] = sum(p.stat().st_size for p in (bare / "objects" / "pack").glob("*.pack"))
            run(["clive", "gc"], env=cenv)
            sizes["clive_store_after_gc"] = du(store)

    load.append(os.getloadavg())
    medians = {k: {side: statistics.median(v) for side, v in sides.items()} for k, sides in times.items()}
    return {
        "objects": objects,
        "refs": refs,
        "load_average_start_end": [round(l[0], 2) for l in load],
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
    print(f"{r['objects']} objects, {r['refs']} refs, median of {r['runs']} runs, transport: {r['transport']}, "
          f"load average {r['load_average_start_end'][0]} at start, {r['load_average_start_end'][1]} at end")
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
