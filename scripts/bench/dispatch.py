#!/usr/bin/env python3
"""Cells dispatched to another store's engine over SSH, against running them here.

Two stores on this machine, A and B; B's `clive up` is reached through a private sshd on loopback
(the forced command of `clive keys authorized-keys`, an identity with the run right on B), A's
`clive up --remote` keeps one engine session open to it. Both "hosts" share this machine's cores.

  overhead  a chain of N cells (each reads the previous one's output, so they run one after the
            other): wall time with every cell dispatched to B, against the same chain run by A
            itself; (dispatched - local) / N is the cost of a dispatch over an established session.
  spread    200 independent cells: A and B together (A runs a cell itself whenever B is busy)
            against A alone; the wall-time ratio.
  reuse     a cell whose output is 100 MB, computed on B for A; then a third store C with the same
            model asks B for a claim and stores the signed result without running the cell,
            against C running it itself.

    scripts/bench/dispatch.py [--only overhead|spread|reuse] [--cells N] [--bin DIR] [--json]
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


def progress(message):
    print(message, file=sys.stderr, flush=True)


def sh(cmd, cwd=None, env=None, check=True, stdin=None):
    return subprocess.run(cmd, cwd=cwd, env=env, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, input=stdin)


class Store:
    """A store with its own environment (CLIVE_STORE) and a work tree to push from."""

    def __init__(self, root, name, path):
        self.dir = root / name
        self.dir.mkdir()
        self.env = dict(os.environ, CLIVE_STORE=str(self.dir / "store"), PATH=path, HOME=str(self.dir),
                        GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@x")
        self.engine = None

    def clive(self, *args, stdin=None):
        return sh(["clive", *args], env=self.env, stdin=stdin).stdout

    def push(self, files):
        work = self.dir / "work"
        if not work.exists():
            sh(["git", "init", "-q", "-b", "main", str(work)], env=self.env)
        for path, text in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_text(text)
        sh(["git", "add", "-A"], cwd=work, env=self.env)
        sh(["git", "commit", "-q", "-m", "bench", "--allow-empty"], cwd=work, env=self.env)
        sh(["git", "push", "-q", "-f", "clive::local/demo", "main"], cwd=work, env=self.env)

    def up(self, *options):
        self.log_path = self.dir / f"engine-{time.time_ns()}.log"
        log = open(self.log_path, "w")
        self.engine = subprocess.Popen(["clive", "up", "--repo", "demo", "--jobs", "2", *options], env=self.env, stdout=log, stderr=log)
        self.wait_log(r"clive up: watching")

    def log(self):
        return self.log_path.read_text()

    def wait_log(self, pattern, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.log(), re.M):
                return
            if self.engine.poll() is not None:
                raise SystemExit(f"engine exited:\n{self.log()}")
            time.sleep(0.05)
        raise SystemExit(f"timed out waiting for {pattern}:\n{self.log()[-3000:]}")

    def wait_cells(self, cells, timeout=1200):
        """Until every named cell succeeded; the time that took, from the call."""
        start = time.time()
        deadline = start + timeout
        while time.time() < deadline:
            status = json.loads(self.clive("status", "demo", "--json"))
            states = {c["name"]: c["state"] for r in status["refs"] for c in r["cells"]}
            if all(states.get(c) == "succeeded" for c in cells):
                return time.time() - start
            failed = [c for c in cells if states.get(c) == "failed"]
            if failed:
                raise SystemExit(f"cells failed: {failed[:5]}\n{self.log()[-3000:]}")
            time.sleep(0.05)
        raise SystemExit(f"timed out: {self.log()[-3000:]}")

    def down(self):
        if self.engine and self.engine.poll() is None:
            self.engine.terminate()
            self.engine.wait(60)
        self.engine = None


class Sshd:
    """A private sshd on loopback whose authorized_keys is B's `clive keys authorized-keys`."""

    def __init__(self, root, store_b, path):
        self.dir = root / "sshd"
        self.dir.mkdir()
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.dir / "host_key")])
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", str(self.dir / "id_bench")])
        store_b.clive("keys", "add", "bench", str(self.dir / "id_bench.pub"))
        store_b.clive("grant", "bench", "run", "demo")
        (self.dir / "authorized_keys").write_text(store_b.clive("keys", "authorized-keys"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        (self.dir / "sshd_config").write_text(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.dir}/host_key
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.dir}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
PubkeyAuthentication yes
AllowUsers {os.environ.get('USER', 'root')}
LogLevel ERROR
SetEnv SHLVL=1 PATH={path}
""")
        os.makedirs("/run/sshd", exist_ok=True)
        self.process = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(self.dir / "sshd_config")], env=store_b.env)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self.ssh = (f"ssh -i {self.dir}/id_bench -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                    "-o LogLevel=ERROR -o BatchMode=yes")

    def remote(self):
        return f"{os.environ.get('USER', 'root')}@127.0.0.1:{self.port}/demo"

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


def chain_model(n, label):
    lines = [f'var c0 = Cells.Command("c0").Files("seed").On("{label}").Run("cat seed > $CLIVE_OUT/v");']
    for i in range(1, n):
        lines.append(f'var c{i} = Cells.Command("c{i}").From(c{i-1}).On("{label}").Run("cat c{i-1}/v > $CLIVE_OUT/v; echo {i} >> $CLIVE_OUT/v");')
    return "\n".join(lines) + "\n"


def wide_model(n, label):
    return "".join(f'Cells.Command("w{i}").Files("in/{i}").On("{label}").Run("sha256sum in/{i} > $CLIVE_OUT/h; sleep 0.2");\n' for i in range(n))


def setup(root, path):
    a, b = Store(root, "a", path), Store(root, "b", path)
    b.push({"README": "b\n"})
    sshd = Sshd(root, b, path)
    (a.dir / "b.pub").write_text(b.clive("trust", "key"))
    host = socket.gethostname()
    host = re.sub(r"[^A-Za-z0-9._-]", "-", host).lstrip(".") or "localhost"
    a.clive("trust", "add", host, str(a.dir / "b.pub"), "demo")
    a.env["GIT_SSH_COMMAND"] = sshd.ssh
    b.up("--label", "far")
    return a, b, sshd


def overhead(root, path, n):
    a, b, sshd = setup(root, path)
    results = {}
    try:
        for mode in ("local", "dispatched"):
            seed = f"seed {mode} {time.time_ns()}\n"
            a.push({"clive.csx": chain_model(n, "far"), "seed": seed})
            options = ("--label", "far") if mode == "local" else ("--remote", sshd.remote())
            # The model is compiled and the session opened before the clock starts: a warm engine, an established connection.
            a.up(*options)
            a.wait_cells([f"c{i}" for i in range(n)])
            a.push({"seed": seed + "again\n"})
            results[mode] = a.wait_cells([f"c{i}" for i in range(n)])
            a.down()
            progress(f"overhead: {mode}: {n} chained cells in {results[mode]:.2f} s")
    finally:
        a.down(); b.down(); sshd.stop()
    return {"cells": n, "local_s": results["local"], "dispatched_s": results["dispatched"],
            "overhead_ms_per_cell": (results["dispatched"] - results["local"]) / n * 1000}


def spread(root, path, n):
    a, b, sshd = setup(root, path)
    results = {}
    try:
        for mode in ("one engine", "two engines"):
            files = {"clive.csx": wide_model(n, "far")}
            files.update({f"in/{i}": f"{mode} {i} {time.time_ns()}\n" for i in range(n)})
            a.push(files)
            options = ("--label", "far") if mode == "one engine" else ("--label", "far", "--remote", sshd.remote())
            start = time.time()
            a.up(*options)
            a.wait_cells([f"w{i}" for i in range(n)])
            results[mode] = time.time() - start
            a.down()
            progress(f"spread: {mode}: {n} cells in {results[mode]:.2f} s")
    finally:
        a.down(); b.down(); sshd.stop()
    return {"cells": n, "one_engine_s": results["one engine"], "two_engines_s": results["two engines"],
            "ratio": results["two engines"] / results["one engine"]}


def reuse(root, path):
    a, b, sshd = setup(root, path)
    model = 'Cells.Command("big").Files("seed").On("far").Run("head -c 100000000 /dev/urandom > $CLIVE_OUT/big; cat seed > $CLIVE_OUT/seed");\n'
    seed = f"{time.time_ns()}\n"
    others = []
    try:
        a.push({"clive.csx": model, "seed": seed})
        a.up("--remote", sshd.remote())
        first = a.wait_cells(["big"])
        a.down()
        progress(f"reuse: computed on B and fetched by A in {first:.2f} s")
        timings = {}
        for mode in ("claim", "local"):
            c = Store(root, f"c-{mode}", path)
            others.append(c)
            c.env["GIT_SSH_COMMAND"] = sshd.ssh
            (c.dir / "b.pub").write_text(b.clive("trust", "key"))
            host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()).lstrip(".") or "localhost"
            c.clive("trust", "add", host, str(c.dir / "b.pub"), "demo")
            c.push({"clive.csx": model, "seed": seed})
            start = time.time()
            c.up("--label", "far", *(("--remote", sshd.remote()) if mode == "claim" else ()))
            c.wait_cells(["big"])
            timings[mode] = time.time() - start
            # B ran the cell once, for A: C's answer came from B's result, with B's signed claim.
            if mode == "claim" and (b.log().count("running for another engine") != 1 or "claim verified" not in c.log()):
                raise SystemExit("C did not reuse B's claim:\n" + c.log()[-3000:] + "\nB:\n" + b.log()[-3000:])
            c.down()
            progress(f"reuse: C by {mode}: {timings[mode]:.2f} s (engine start included)")
    finally:
        for c in others:
            c.down()
        a.down(); b.down(); sshd.stop()
    return {"output_mb": 100, "first_dispatch_s": first, "claim_reuse_s": timings["claim"], "local_run_s": timings["local"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["overhead", "spread", "reuse"])
    parser.add_argument("--cells", type=int, default=20, help="cells in the overhead chain (default 20)")
    parser.add_argument("--wide", type=int, default=200, help="independent cells for spread (default 200)")
    parser.add_argument("--bin", help="a directory holding clive, clive-engine and git-remote-clive (default: PATH)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    path = (str(Path(args.bin).resolve()) + os.pathsep if args.bin else "") + os.environ["PATH"]
    if not shutil.which("clive", path=path):
        raise SystemExit("no clive on PATH (install.sh, or --bin DIR)")
    report = {"load": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="clive-dispatch-") as tmp:
        root = Path(tmp)
        for name in ("overhead", "spread", "reuse"):
            if args.only and args.only != name:
                continue
            part = root / name
            part.mkdir()
            if name == "overhead":
                report[name] = overhead(part, path, args.cells)
            elif name == "spread":
                report[name] = spread(part, path, args.wide)
            else:
                report[name] = reuse(part, path)
    report["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
