#!/usr/bin/env bash
# Installs clive, git-remote-clive and clive-fs into $PREFIX/bin (default /usr/local as root, ~/.local
# otherwise). Safe to run again: it rebuilds and replaces what an earlier run installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$(id -u)" = 0 ]; then default_prefix=/usr/local; else default_prefix="$HOME/.local"; fi
PREFIX_FROM_USER="${PREFIX:-}"
PREFIX="${PREFIX:-$default_prefix}"
libdir="$PREFIX/lib/clive"
bindir="$PREFIX/bin"

say() { printf 'install.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [ -n "${PREFIX_FROM_USER:-}" ]; then why="PREFIX"; elif [ "$(id -u)" = 0 ]; then why="default as root"; else why="default for a user"; fi
say "installing into $PREFIX ($why): programs in $bindir, the rest in $libdir"
say "  (choose another place with PREFIX=/some/dir ./install.sh)"

if ! command -v dotnet >/dev/null 2>&1 || ! dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; then
  die "the .NET 10 SDK is required (https://dot.net): 'dotnet --list-sdks' shows no 10.x SDK"
fi

# Runtime needs: git itself, and the system zlib that the pack parser calls.
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v fusermount3 >/dev/null 2>&1 || missing+=(fuse3)
# The engine runs every cell and every model's code under bubblewrap (see docs/security.md).
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -e /usr/lib/x86_64-linux-gnu/libz.so.1 ] || [ -e /lib/x86_64-linux-gnu/libz.so.1 ] || ldconfig -p 2>/dev/null | grep -q 'libz.so.1 ' || missing+=(zlib1g)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; } \
      || die "could not install ${missing[*]}"
  else
    die "please install: ${missing[*]}"
  fi
fi

say "building"
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# git starts the helper for every fetch and push, and sshd starts `clive serve` for every SSH
# connection: compiled ahead of time they start in ~5 ms instead of ~80 ms. That needs a C
# toolchain; without one the JIT build works the same, only slower to start.
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) rid="" ;;
esac
publish() { # project name
  local project="$here/$1" name="$2"
  if [ -n "$rid" ] && { command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; } \
     && dotnet publish "$project" -c Release -r "$rid" -p:PublishAot=true -o "$staging" --nologo -v quiet >"$staging/aot.log" 2>&1; then
    say "$name: native (ahead-of-time compiled)"
  else
    say "$name: native build unavailable, using the JIT build (slower to start). The native build said:"
    tail -n 5 "$staging/aot.log" >&2 || true
    dotnet publish "$project" -c Release -o "$staging" --nologo -v quiet >/dev/null \
      || die "build of $name failed (run: dotnet publish $1 -c Release)"
  fi
}
publish engine/clive/clive.csproj clive
publish git-remote-clive/git-remote-clive.csproj git-remote-clive
publish clive-fs/clive-fs.csproj clive-fs
rm -f "$staging/aot.log" "$staging"/*.dbg
# The engine compiles models with Roslyn and loads them at run time: it needs the JIT, so it is a
# framework-dependent build in its own directory, where `clive up` and `clive run` find it.
dotnet publish "$here/engine/clive-engine/clive-engine.csproj" -c Release -o "$staging/engine" --nologo -v quiet >/dev/null \
  || die "build of clive-engine failed (run: dotnet publish engine/clive-engine -c Release)"
say "clive-engine: JIT (it compiles clive.csx models at run time)"
[ -x "$staging/engine/clive-slot" ] \
  || say "clive-slot was not built (no clang or cc): every cell will get a sandbox of its own, which is slower"
# The model API, for editors: a clive.csx that says #r "<this path>" gets completion and errors.
cp "$staging/engine/Clive.Model.dll" "$staging/engine/Clive.Model.xml" "$staging/" 2>/dev/null || true

mkdir -p "$bindir" "$PREFIX/lib"
rm -rf "$libdir.new" && mv "$staging" "$libdir.new" && chmod 755 "$libdir.new"
rm -rf "$libdir" && mv "$libdir.new" "$libdir"
for exe in clive git-remote-clive clive-fs; do
  ln -sfn "$libdir/$exe" "$bindir/$exe"
done

case ":$PATH:" in
  *":$bindir:"*) ;;
  *) say "note: $bindir is not on your PATH; add it: export PATH=\"$bindir:\$PATH\"" ;;
esac
say "installed clive, git-remote-clive and clive-fs in $bindir (the model API for editors: $libdir/Clive.Model.dll)"
