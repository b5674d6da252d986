#!/usr/bin/env bash
# Installs what the project needs and the machine lacks: Go modules, Java 17 (for DynamoDB
# Local), DynamoDB Local itself, Chromium (for the console's browser tests), and the Node
# packages of the tools that need them. Safe to run again: every step checks before it acts.
# Usage: scripts/deps.sh [base|cdk]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-base}

log() { printf 'deps: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

apt_install() {
  log "installing $* with apt-get"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_go_modules() {
  go mod download
}

ensure_java() {
  if command -v java >/dev/null && java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
    return
  fi
  apt_install openjdk-17-jre-headless
}

ensure_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return; fi
  apt_install nodejs npm
}

# Debian's Chromium (and a font, which it only recommends) for the console's browser tests.
ensure_chromium() {
  if [ -n "${FASTTRACK_CHROMIUM:-}" ] || command -v chromium >/dev/null; then return; fi
  apt_install chromium fonts-liberation
}

ensure_dynamodb_local() {
  go run ./internal/dynamolocal/ensure
}

# The CDK CLI and the CloudFormation Guard validator, pinned, in .cache/cdk (never in the
# repository). The CLI must understand the cloud assembly schema of the Go module
# github.com/aws/aws-cdk-go/awscdk/v2 in go.mod. --legacy-peer-deps: the validator names
# aws-cdk-lib as a peer for its types only; the app's aws-cdk-lib is the one inside the Go module.
cdk_prefix=.cache/cdk
cdk_cli_version=2.1148.1
cdk_guard_version=0.0.62
ensure_cdk() {
  local have_cli have_guard
  have_cli=$(node -p "require('./$cdk_prefix/node_modules/aws-cdk/package.json').version" 2>/dev/null || true)
  have_guard=$(node -p "require('./$cdk_prefix/node_modules/@cdklabs/cdk-validator-cfnguard/package.json').version" 2>/dev/null || true)
  if [ "$have_cli" = "$cdk_cli_version" ] && [ "$have_guard" = "$cdk_guard_version" ]; then return; fi
  log "installing aws-cdk@$cdk_cli_version and @cdklabs/cdk-validator-cfnguard@$cdk_guard_version into $cdk_prefix"
  mkdir -p "$cdk_prefix"
  [ -f "$cdk_prefix/package.json" ] || printf '{"private":true}\n' >"$cdk_prefix/package.json"
  npm install --prefix "$cdk_prefix" --no-audit --no-fund --loglevel=error --legacy-peer-deps \
    "aws-cdk@$cdk_cli_version" "@cdklabs/cdk-validator-cfnguard@$cdk_guard_version" >&2
}

case "$what" in
  base)
    ensure_go_modules; ensure_node; ensure_java; ensure_dynamodb_local; ensure_chromium ;;
  cdk)
    ensure_go_modules; ensure_node; ensure_cdk ;;
  *)
    log "unknown target: $what"; exit 2 ;;
esac
