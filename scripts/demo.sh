#!/usr/bin/env bash
# The main job on a local store of its own: push a repository to clive::local/demo-… and clone it back,
# mount it, and let the engine build examples/hello from a push.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/install.sh"
if [ "$(id -u)" = 0 ]; then default_prefix=/usr/local; else default_prefix="$HOME/.local"; fi
export PATH="${PREFIX:-$default_prefix}/bin:$PATH"

# The demo works in a store of its own (kept afterwards, so you can look around in it), not in your
# default store: its repos would otherwise be watched by your `clive up --all`. Set CLIVE_STORE to
# choose the store yourself.
if [ -z "${CLIVE_STORE:-}" ]; then
  CLIVE_STORE="$(mktemp -d "${TMPDIR:-/tmp}/clive-demo-store.XXXXXX")"
fi
export CLIVE_STORE
echo "demo: using the store at $CLIVE_STORE"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="demo-$(date +%s)"
cd "$work"
git init -q -b main project
cd project
git config user.name "clive demo" && git config user.email demo@example.com
printf '# demo\n' > README.md && mkdir src && printf 'print("hello")\n' > src/app.py
git add . && git commit -q -m "first commit"
printf 'print("hello, clive")\n' > src/app.py && git commit -q -am "second commit"

echo "== git push clive::local/$repo main"
git push "clive::local/$repo" main
echo "== git clone clive::local/$repo"
cd "$work" && git clone "clive::local/$repo" copy
echo "== the clone's history"
git -C copy log --oneline
echo "== clive refs $repo"
clive refs "$repo"
echo "== clive log $repo"
clive log "$repo"
echo "== clive fsck"
clive fsck
if [ "$(git -C copy rev-parse HEAD)" != "$(git -C project rev-parse HEAD)" ]; then
  echo "demo: FAILED, the clone differs from what was pushed" >&2
  exit 1
fi
echo "demo: OK, the clone matches what was pushed (repo '$repo' in the store at $CLIVE_STORE)"

if [ -e /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; then
  echo "== clive-fs $repo $work/mnt  (the repo as a directory; a saved file becomes a commit)"
  mkdir -p "$work/mnt"
  clive-fs --commit-delay 0.5 "$repo" "$work/mnt"
  trap 'fusermount3 -u "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
  ls -l "$work/mnt" "$work/mnt/src"
  echo 'print("saved through the mount")' > "$work/mnt/src/app.py"
  main() { clive refs "$repo" | awk -F'\t' '$2 == "refs/heads/main" { print $1 }'; }
  pushed="$(git -C project rev-parse HEAD)"
  for _ in $(seq 1 100); do
    [ "$(main)" != "$pushed" ] && break
    sleep 0.1
  done
  clive log "$repo" -n 1
  git -C copy pull -q && git -C copy log --oneline -1 && cat copy/src/app.py
  fusermount3 -u "$work/mnt"
  if [ "$(cat copy/src/app.py)" != 'print("saved through the mount")' ]; then
    echo "demo: FAILED, the file saved in the mount did not arrive as a commit" >&2
    exit 1
  fi
  echo "demo: OK, a file saved in the mount became a commit that git pulled"
fi

echo "== the engine: examples/hello (a C# app and its library) pushed as a repo, built by clive up"
hello="hello-$(date +%s)"
cp -r "$here/examples/hello" "$work/hello" && rm -rf "$work"/hello/*/bin "$work"/hello/*/obj
cd "$work/hello"
git init -q -b main && git config user.name "clive demo" && git config user.email demo@example.com
git add -A && git commit -q -m "the example model" && git push -q "clive::local/$hello" main
clive up --repo "$hello" 2>"$work/up.log" &
engine=$!
trap 'kill $engine 2>/dev/null || true; fusermount3 -u "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do
  clive status "$hello" | grep -q 'hello.run *succeeded' && clive status "$hello" | grep -q 'hello.tarball-linux-x64 *succeeded' && break
  sleep 0.5
done
clive status "$hello"
git fetch -q "clive::local/$hello" 'refs/clive/*:refs/clive/*'
echo "== git show refs/clive/cells/main/hello.run:out/greeting.txt"
greeting="$(git show refs/clive/cells/main/hello.run:out/greeting.txt)"
echo "$greeting"
kill $engine && wait $engine || true
if [ "$greeting" != "hello, world, from a cell" ]; then
  echo "demo: FAILED, the engine did not build and run the example; its log:" >&2
  cat "$work/up.log" >&2
  exit 1
fi
echo "demo: OK, clive up built, published, packed and ran the example; git fetched its outputs"
echo "demo: the demo's store is $CLIVE_STORE; look around with: CLIVE_STORE=$CLIVE_STORE clive repo list"
