#!/usr/bin/env python3
"""Writes a deterministic git history as a fast-import stream on stdout.

Shaped like a real project: files in nested directories, each commit editing a few of them a
little (so deltas matter), with occasional new files. The same arguments always give the same
object ids.
"""
import argparse
import random
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=6000)
    parser.add_argument("--files", type=int, default=1500, help="files in the first commit")
    parser.add_argument("--edits", type=int, default=8, help="files changed per commit")
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    out = sys.stdout.buffer
    words = [f"w{i}" for i in range(4000)]

    def path_for(i: int) -> str:
        return f"src/m{i % 23}/p{(i // 23) % 17}/file{i}.txt"

    files = {}
    for i in range(args.files):
        files[path_for(i)] = [" ".join(rng.choices(words, k=12)) for _ in range(rng.randint(20, 120))]

    def blob_data(lines):
        return ("\n".join(lines) + "\n").encode()

    time0 = 1_700_000_000
    mark = 0
    for c in range(args.commits):
        changed = []
        if c == 0:
            changed = list(files)
        else:
            for _ in range(args.edits):
                path = rng.choice(list(files)) if rng.random() > 0.05 else path_for(len(files))
                lines = files.setdefault(path, [" ".join(rng.choices(words, k=12)) for _ in range(30)])
                for _ in range(rng.randint(1, 4)):
                    at = rng.randrange(len(lines) + 1)
                    if rng.random() < 0.3 and lines:
                        del lines[min(at, len(lines) - 1)]
                    else:
                        lines.insert(at, " ".join(rng.choices(words, k=12)))
                changed.append(path)
        message = f"commit {c}\n".encode()
        when = time0 + c * 600
        out.write(b"commit refs/heads/main\n")
        out.write(f"committer Bench <bench@example.com> {when} +0000\n".encode())
        out.write(f"data {len(message)}\n".encode() + message)
        for path in dict.fromkeys(changed):
            data = blob_data(files[path])
            out.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        out.write(b"\n")


if __name__ == "__main__":
    main()
