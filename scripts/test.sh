#!/usr/bin/env bash
# Installs clive, then builds and runs the whole test suite against real git, sshd and FUSE.
# Shows each test as it finishes, numbered and timed, and a closing "N passed, N failed, N skipped"
# line.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/install.sh" || exit 1
# The tests run the programs install.sh just built from this tree, as users run them: compiled
# ahead of time, clive, git-remote-clive and clive-fs start in a tenth of the CPU the JIT builds
# next to the tests take, and the suite starts thousands of them. (Plain `dotnet test` uses the
# builds next to the tests.)
if [ "$(id -u)" = 0 ]; then prefix="${PREFIX:-/usr/local}"; else prefix="${PREFIX:-$HOME/.local}"; fi
export CLIVE_TEST_BINARIES="$prefix/lib/clive"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "test.sh: building, then running the suite (about 10 minutes on 2 cores); each test is listed as it finishes" >&2
SECONDS=0
passed=0 failed=0 skipped=0
# The console logger at "normal" prints one "Passed|Failed|Skipped <name> [time]" line per test as it
# finishes (and a failure's message and stack after its line).
dotnet test "$here/Clive.sln" -c Release --nologo --logger "console;verbosity=normal" 2>&1 | tee "$log" |
  while IFS= read -r line; do
    case "$line" in
      "  Passed "*)  passed=$((passed + 1)) ;;
      "  Failed "*)  failed=$((failed + 1)) ;;
      "  Skipped "*) skipped=$((skipped + 1)) ;;
      *) printf '%s\n' "$line"; continue ;;
    esac
    printf '[%2d:%02d %4d done, %d failed] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) \
      $((passed + failed + skipped)) "$failed" "${line#  }"
  done
status=${PIPESTATUS[0]}

passed=$(grep -c '^  Passed ' "$log")
failed=$(grep -c '^  Failed ' "$log")
skipped=$(grep -c '^  Skipped ' "$log")
if [ "$failed" -gt 0 ]; then
  echo "failed tests:"
  grep '^  Failed ' "$log" | sed 's/^  Failed /  /'
fi
echo "tests: $passed passed, $failed failed, $skipped skipped ($((SECONDS / 60)) min $((SECONDS % 60)) s)"
exit "$status"
