#!/bin/sh
# Runs pjdfstest (the POSIX file system test suite, github.com/pjd/pjdfstest) from a checkout
# given on the command line against a directory (a clive-fs mount, a fuse-overlayfs mount, a
# native directory) and reports passed checks per category. Builds pjdfstest in the checkout
# first (autoconf, automake, a C compiler). pjdfstest wants root: it switches users and makes
# device nodes.
#
#   scripts/pjdfstest.sh [--json] <pjdfstest-checkout> <directory> [<category>...]
#
# Each category (chmod, chown, link, …) runs with `prove -r` inside a fresh subdirectory of
# <directory>; a line per category gives passed/total checks, then the total. --json prints one
# object instead: {"categories": {"chmod": {"passed": n, "total": m}, …}, "passed": …, "total": …}.
set -eu

json=false
case "${1:-}" in
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --json) json=true; shift ;;
esac
if [ $# -lt 2 ]; then
    echo "usage: scripts/pjdfstest.sh [--json] <pjdfstest-checkout> <directory> [<category>...]" >&2
    exit 129
fi
checkout=$(cd "$1" && pwd)
target=$(cd "$2" && pwd)
shift 2
[ -f "$checkout/pjdfstest.c" ] || { echo "fatal: $checkout is not a pjdfstest checkout (no pjdfstest.c)" >&2; exit 128; }
[ "$(id -u)" = 0 ] || { echo "fatal: pjdfstest must run as root" >&2; exit 128; }
command -v prove >/dev/null || { echo "fatal: prove (perl) is missing: apt-get install perl" >&2; exit 128; }

if [ ! -x "$checkout/pjdfstest" ]; then
    command -v autoreconf >/dev/null || { echo "fatal: autoreconf is missing: apt-get install autoconf automake" >&2; exit 128; }
    (cd "$checkout" && autoreconf -ifs && ./configure && make pjdfstest) >"$checkout/build.log" 2>&1 \
        || { echo "fatal: building pjdfstest failed (see $checkout/build.log)" >&2; exit 128; }
fi

if [ $# -eq 0 ]; then
    set -- $(cd "$checkout/tests" && for d in */; do echo "${d%/}"; done)
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for category in "$@"; do
    [ -d "$checkout/tests/$category" ] || { echo "fatal: no category '$category' in $checkout/tests" >&2; exit 128; }
    work="$target/pjdfstest-$category.$$"
    mkdir "$work"
    # prove -v prints every check; a check is a line "ok N" or "not ok N" (a skip or todo is an ok).
    counts=$(cd "$work" && prove -v -r "$checkout/tests/$category" 2>/dev/null \
        | awk '/^ok /{p++} /^(ok|not ok) /{t++} END{printf "%d %d", p, t}') || true
    rm -rf "$work" 2>/dev/null || true
    echo "$category $counts" >>"$results"
done

if $json; then
    awk 'BEGIN{printf "{\"categories\": {"} {printf "%s\"%s\": {\"passed\": %d, \"total\": %d}", (NR > 1 ? ", " : ""), $1, $2, $3; p+=$2; t+=$3}
         END{printf "}, \"passed\": %d, \"total\": %d}\n", p, t}' "$results"
else
    awk '{printf "%-18s %6d / %-6d\n", $1, $2, $3; p+=$2; t+=$3} END{printf "%-18s %6d / %-6d\n", "total", p, t}' "$results"
fi
