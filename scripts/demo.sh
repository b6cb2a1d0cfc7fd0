#!/usr/bin/env bash
# The main job on the default local store: push a repository to clive::local/demo and clone it back.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/install.sh"
if [ "$(id -u)" = 0 ]; then default_prefix=/usr/local; else default_prefix="$HOME/.local"; fi
export PATH="${PREFIX:-$default_prefix}/bin:$PATH"

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
store="${CLIVE_STORE:-${XDG_DATA_HOME:-$HOME/.local/share}/clive}"
if [ "$(git -C copy rev-parse HEAD)" = "$(git -C project rev-parse HEAD)" ]; then
  echo "demo: OK, the clone matches what was pushed (repo '$repo' in the store at $store)"
else
  echo "demo: FAILED, the clone differs from what was pushed" >&2
  exit 1
fi
