#!/usr/bin/env bash
# Installs the real Temporal toolchain into an ignored folder of the repo, idempotently:
#   - the Temporal CLI (dev server + Web UI), built from the Go module proxy;
#   - the Java time-skipping test server, from Maven Central, plus a wrapper executable that
#     WorkflowEnvironment.start_time_skipping(test_server_existing_path=...) can start;
#   - Chromium from Debian's packages, for the browser test of the Temporal UI (tests/e2e);
#   - (`production` only) the Temporal server, its SQL schema tool and the Web UI server.
# Every path can be overridden by an environment variable (see below). Nothing is faked: a
# missing Go/Java/Maven is an error that names the fix.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${SA_TOOLS_DIR:-$ROOT/.tools}"
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$TOOLS_DIR/bin/temporal}"
TEMPORAL_TEST_SERVER_PATH="${TEMPORAL_TEST_SERVER_PATH:-$TOOLS_DIR/bin/temporal-test-server}"
TEST_SERVER_LIB="${TEMPORAL_TEST_SERVER_LIB:-$TOOLS_DIR/temporal-test-server/lib}"
# The production engine (`make run-production`, infra/prodstack.py): the Temporal server and its SQL
# schema tool (same version as the CLI's dev server and the compose image) and the Web UI server.
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
TEMPORAL_UI_SERVER_VERSION="${TEMPORAL_UI_SERVER_VERSION:-v2.42.1}"
TEMPORAL_SERVER_PATH="${TEMPORAL_SERVER_PATH:-$TOOLS_DIR/bin/temporal-server}"
TEMPORAL_SQL_TOOL_PATH="${TEMPORAL_SQL_TOOL_PATH:-$TOOLS_DIR/bin/temporal-sql-tool}"
TEMPORAL_UI_SERVER_PATH="${TEMPORAL_UI_SERVER_PATH:-$TOOLS_DIR/bin/temporal-ui-server}"
# Bump when the wrapper changes so cached copies are rewritten.
WRAPPER_VERSION="sa-test-server-wrapper v2"

die() { printf '\n[toolchain] 错误 / ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf '[toolchain] %s\n' "$*" >&2; }

need() {
  local cmd="$1" fix="$2"
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found. Fix: $fix"
}

install_temporal_cli() {
  if [ -x "$TEMPORAL_CLI_PATH" ]; then
    say "temporal CLI cached: $TEMPORAL_CLI_PATH"
    return
  fi
  need go "apt-get update && apt-get install -y golang-go (Go >= 1.23), or put Go from the Go distribution on PATH; or set TEMPORAL_CLI_PATH to an existing temporal binary"
  mkdir -p "$(dirname "$TEMPORAL_CLI_PATH")"
  local gobin
  gobin="$(mktemp -d)"
  say "building temporal CLI $TEMPORAL_CLI_VERSION with 'go install' (first run only, several minutes)"
  if ! GOBIN="$gobin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}"; then
    die "go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION} failed (see the output above). Check that the Go module proxy is reachable (go env GOPROXY), or set TEMPORAL_CLI_PATH to a prebuilt temporal binary."
  fi
  mv "$gobin/temporal" "$TEMPORAL_CLI_PATH"
  rmdir "$gobin" 2>/dev/null || true
  say "temporal CLI installed: $TEMPORAL_CLI_PATH"
}

# go install <package>@<version> into a temporary GOBIN, then move the binary (`server`, `sql`:
# both the server and the UI server name theirs `server`) to its cached path.
go_install_as() {
  local package="$1" built="$2" target="$3"
  if [ -x "$target" ]; then
    say "cached: $target"
    return
  fi
  need go "apt-get update && apt-get install -y golang-go (Go >= 1.23), or put Go from the Go distribution on PATH; or set the override variable of $target to a prebuilt binary"
  mkdir -p "$(dirname "$target")"
  local gobin
  gobin="$(mktemp -d)"
  say "building $package with 'go install' (first run only, several minutes)"
  if ! GOBIN="$gobin" GOFLAGS=-mod=mod go install "$package"; then
    rm -rf "$gobin"
    die "go install $package failed (see the output above). Check that the Go module proxy is reachable (go env GOPROXY), or point the override variable (TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH, TEMPORAL_UI_SERVER_PATH) at a prebuilt binary."
  fi
  mv "$gobin/$built" "$target"
  rm -rf "$gobin"
  say "installed: $target"
}

install_production_engine() {
  go_install_as "go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}" server "$TEMPORAL_SERVER_PATH"
  go_install_as "go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}" sql "$TEMPORAL_SQL_TOOL_PATH"
  go_install_as "github.com/temporalio/ui-server/v2/cmd/server@${TEMPORAL_UI_SERVER_VERSION}" server "$TEMPORAL_UI_SERVER_PATH"
}

find_faketime_lib() {
  FAKETIME_LIB="${FAKETIME_LIB:-}"
  if [ -z "$FAKETIME_LIB" ]; then
    FAKETIME_LIB="$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1 2>/dev/null | head -n1 || true)"
  fi
  if [ -z "$FAKETIME_LIB" ]; then
    say "installing libfaketime (Debian package 'faketime') for dated workflow tests"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q faketime) >&2 || true
    fi
    FAKETIME_LIB="$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1 2>/dev/null | head -n1 || true)"
  fi
  [ -n "$FAKETIME_LIB" ] || die "libfaketime not found. Fix: apt-get update && apt-get install -y faketime (or set FAKETIME_LIB to libfaketimeMT.so.1)"
}

# Chromium (Debian's package) for the browser tests (the staff pages, the Temporal UI's decrypted
# view); Playwright drives it via executable_path, as Playwright's own browser download cannot reach
# the internet here. A CJK font (fonts-wqy-zenhei) so the pages' screenshots show Chinese, not boxes.
find_cjk_font() {
  if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
    return
  fi
  say "installing a Chinese font (Debian package 'fonts-wqy-zenhei') for the pages' screenshots"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-zenhei fontconfig) >&2 || true
  fi
  [ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ] \
    || die "No Chinese font found. Fix: apt-get update && apt-get install -y fonts-wqy-zenhei"
}

find_chromium() {
  CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
  if [ -z "$CHROMIUM_PATH" ]; then
    say "installing Chromium (Debian package 'chromium') for the Temporal UI browser test"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-zenhei) >&2 || true
    fi
    CHROMIUM_PATH="$(command -v chromium || command -v chromium-browser || true)"
  fi
  [ -n "$CHROMIUM_PATH" ] || die "Chromium not found. Fix: apt-get update && apt-get install -y chromium fonts-wqy-zenhei (or set CHROMIUM_PATH to a Chromium/Chrome executable)"
  say "chromium: $CHROMIUM_PATH"
  find_cjk_font
}

install_test_server() {
  find_faketime_lib
  if [ -x "$TEMPORAL_TEST_SERVER_PATH" ] && grep -qF "$FAKETIME_LIB" "$TEMPORAL_TEST_SERVER_PATH" \
      && grep -qF "$WRAPPER_VERSION" "$TEMPORAL_TEST_SERVER_PATH" \
      && compgen -G "$TEST_SERVER_LIB/temporal-test-server-*.jar" >/dev/null; then
    say "time-skipping test server cached: $TEMPORAL_TEST_SERVER_PATH"
    return
  fi
  need java "apt-get update && apt-get install -y default-jre-headless (Java >= 11); or set TEMPORAL_TEST_SERVER_PATH to an existing test-server executable"
  need mvn "apt-get update && apt-get install -y maven; or set TEMPORAL_TEST_SERVER_PATH to an existing test-server executable"
  mkdir -p "$TEST_SERVER_LIB" "$(dirname "$TEMPORAL_TEST_SERVER_PATH")"
  say "fetching io.temporal:temporal-test-server from Maven Central"
  compgen -G "$TEST_SERVER_LIB/temporal-test-server-*.jar" >/dev/null || if ! mvn -q -B -f "$ROOT/toolchain/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$TEST_SERVER_LIB" -DincludeScope=runtime; then
    die "mvn dependency:copy-dependencies for io.temporal:temporal-test-server failed (see above). Check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml)."
  fi
  # The SDK starts the executable as `<path> <port> --enable-time-skipping`. With
  # TEMPORAL_TEST_SERVER_FAKE_START="2026-09-28 01:00:00" (UTC) the same real server starts its clock at
  # that instant (libfaketime), so workflow tests can run on dates around past holidays.
  # FORCE_MONOTONIC_FIX=0: with the fix on, the JVM's timed waits spin a whole core.
  cat >"$TEMPORAL_TEST_SERVER_PATH" <<WRAP
#!/usr/bin/env bash
# $WRAPPER_VERSION
if [ -n "\${TEMPORAL_TEST_SERVER_FAKE_START:-}" ]; then
  export TZ=UTC LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@\${TEMPORAL_TEST_SERVER_FAKE_START}" FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0
fi
exec java \${TEMPORAL_TEST_SERVER_JAVA_OPTS:--Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC} -cp "$TEST_SERVER_LIB/*" io.temporal.testserver.TestServer "\$@"
WRAP
  chmod +x "$TEMPORAL_TEST_SERVER_PATH"
  say "time-skipping test server installed: $TEMPORAL_TEST_SERVER_PATH"
}

case "${1:-all}" in
  all) install_temporal_cli; install_test_server; find_chromium ;;
  cli) install_temporal_cli ;;
  test-server) install_test_server ;;
  browser) find_chromium ;;
  # Not part of `all`: only `make run-production` and its tests need the production engine.
  production) install_temporal_cli; install_production_engine ;;
  *) die "usage: $0 [all|cli|test-server|browser|production]" ;;
esac
