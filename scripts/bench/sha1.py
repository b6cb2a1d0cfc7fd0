#!/usr/bin/env python3
"""Hashing throughput: clive's collision-detecting SHA-1 (every object id goes through it) against
plain SHA-1 (.NET's SHA1.HashData, OpenSSL underneath, SHA-NI where the CPU has it), side by side
in one process: one large buffer, and many git-sized objects hashed as git objects (header first).
Times are CPU seconds of the benchmark process, best of --runs, so other load on the machine
matters less; the load average is printed with them.

    scripts/bench/sha1.py                 # a table
    scripts/bench/sha1.py --json          # JSON for a script
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=64, help="size of the large buffer")
    parser.add_argument("--objects", type=int, default=200_000, help="number of objects")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (best reported)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    project = HERE / "sha1"
    subprocess.run(["dotnet", "build", str(project), "-c", "Release", "-v", "quiet", "--nologo"],
                   check=True, stdout=subprocess.DEVNULL)
    exe = project / "bin" / "Release" / "net10.0" / "Sha1Bench"
    out = subprocess.run([str(exe), "--megabytes", str(args.megabytes), "--objects", str(args.objects),
                          "--runs", str(args.runs)], check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    result["load_average"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"load average {result['load_average']:.1f}")
    print(f"{'input':<44} {'plain SHA-1':>14} {'detecting':>14} {'ratio':>7}")
    print(f"{str(result['large_buffer_mib']) + ' MiB buffer (MiB/s)':<44} {result['large_plain_mib_s']:>14} "
          f"{result['large_detecting_mib_s']:>14} {result['large_ratio']:>7}")
    print(f"{str(result['objects']) + ' objects, ' + str(result['objects_mib']) + ' MiB (CPU s)':<44} "
          f"{result['objects_plain_cpu_s']:>14} {result['objects_detecting_cpu_s']:>14} {result['objects_ratio']:>7}")


if __name__ == "__main__":
    sys.exit(main())
