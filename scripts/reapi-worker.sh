#!/usr/bin/env bash
# Bazel's reference Remote Execution API v2 server (RemoteWorker), built from Debian's packages:
# its sources from bazel-bootstrap-source, its dependencies (gRPC, protobuf, the REAPI classes,
# Bazel's libraries) from the server jar of bazel-bootstrap-data. javac compiles the worker's ten
# files in seconds; the classes are cached by a hash of the sources and the jar.
#
#   scripts/reapi-worker.sh build [--json]            compile (idempotent), print the class path
#   scripts/reapi-worker.sh start PORT DIR [--jobs N] run it on 127.0.0.1:PORT, CAS and work dirs under DIR
#                                                     (foreground: the caller owns the process)
#
# The upstream worker binds every interface (NettyServerBuilder.forPort): it runs any command a
# client sends, so the copy built here is changed to bind 127.0.0.1 only; the build fails if that
# line is not found, rather than build a worker open to the network.
set -euo pipefail

SOURCES=/usr/src/bazel-bootstrap/src/tools/remote/src/main/java/com/google/devtools/build/remote/worker
SERVER_JAR=/usr/share/bazel/A-server.jar
CACHE_ROOT="${CLIVE_REAPI_WORKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clive/reapi-worker}"

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

fail() {
  echo "fatal: $*" >&2
  exit 1
}

check_packages() {
  [[ -d "$SOURCES" ]] || fail "no RemoteWorker sources at $SOURCES: apt-get install bazel-bootstrap-source"
  [[ -f "$SERVER_JAR" ]] || fail "no $SERVER_JAR: apt-get install bazel-bootstrap-data"
  command -v javac >/dev/null || fail "no javac: apt-get install default-jdk-headless"
  command -v java >/dev/null || fail "no java: apt-get install default-jre-headless"
}

# Prints the directory holding the compiled classes, building them first when absent.
build() {
  check_packages
  local stamp
  stamp=$( (find "$SOURCES" -name '*.java' -print0 | sort -z | xargs -0 sha256sum; stat -c '%s %Y' "$SERVER_JAR"; sha256sum "${BASH_SOURCE[0]}") | sha256sum | cut -c1-16)
  local out="$CACHE_ROOT/$stamp"
  if [[ ! -f "$out/built" ]]; then
    mkdir -p "$CACHE_ROOT"
    local work
    work=$(mktemp -d "$CACHE_ROOT/build.XXXXXX")
    trap 'rm -rf "$work"' RETURN
    cp -r "$SOURCES" "$work/src"
    local main="$work/src/RemoteWorker.java"
    grep -q 'NettyServerBuilder.forPort(workerOptions.listenPort)' "$main" \
      || fail "RemoteWorker.java no longer binds with forPort(listenPort): cannot restrict it to loopback"
    sed -i 's|NettyServerBuilder.forPort(workerOptions.listenPort)|NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", workerOptions.listenPort))|' "$main"
    mkdir -p "$work/classes"
    javac -nowarn -encoding UTF-8 -d "$work/classes" -cp "$SERVER_JAR" $(find "$work/src" -name '*.java') >"$work/javac.log" 2>&1 \
      || { cat "$work/javac.log" >&2; fail "javac could not compile the RemoteWorker"; }
    touch "$work/classes/built"
    # Renamed into place whole, so a concurrent build or a kill leaves no half-built cache.
    rm -rf "$out.tmp"; mv "$work/classes" "$out.tmp"; mv -T "$out.tmp" "$out" 2>/dev/null || rm -rf "$out.tmp"
  fi
  echo "$out"
}

start() {
  local port="${1:?start PORT DIR}" dir="${2:?start PORT DIR}"
  shift 2
  local jobs=4
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --jobs) jobs="${2:?--jobs N}"; shift 2 ;;
      *) fail "unknown option $1" ;;
    esac
  done
  [[ "$port" =~ ^[0-9]+$ ]] || fail "not a port: $port"
  local classes
  classes=$(build)
  mkdir -p "$dir/cas" "$dir/work"
  exec java -cp "$classes:$SERVER_JAR" com.google.devtools.build.remote.worker.RemoteWorker \
    --listen_port="$port" --cas_path="$dir/cas" --work_path="$dir/work" --pid_file="$dir/pid" --jobs="$jobs"
}

case "${1:-}" in
  build)
    classes=$(build)
    if [[ "${2:-}" == "--json" ]]; then printf '{"classes":"%s","jar":"%s"}\n' "$classes" "$SERVER_JAR"; else echo "$classes"; fi ;;
  start) shift; start "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
