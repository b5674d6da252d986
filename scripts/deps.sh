#!/usr/bin/env bash
# Installs what the project needs and the machine lacks: Go modules, Java 17 (for DynamoDB
# Local), DynamoDB Local itself, and the Node packages of the tools that need them. Safe to run
# again: every step checks before it acts. Usage: scripts/deps.sh [base|node|all]
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

ensure_dynamodb_local() {
  go run ./internal/dynamolocal/ensure
}

case "$what" in
  base)
    ensure_go_modules; ensure_node; ensure_java; ensure_dynamodb_local ;;
  *)
    log "unknown target: $what"; exit 2 ;;
esac
