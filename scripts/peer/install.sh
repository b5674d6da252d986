#!/usr/bin/env bash
# Installs the peer Step Functions interpreter (the npm package aws-local-stepfunctions) and a
# Node 22 binary for it (the npm package node@22) into .cache/peer, never into the repository
# tree proper. Safe to run again: it does nothing when both are present.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=.cache/peer
peer_version=3.0.0
node_version=22.23.3
if [ -x "$prefix/node_modules/.bin/node" ] &&
  [ -f "$prefix/node_modules/aws-local-stepfunctions/package.json" ] &&
  grep -q "\"version\": \"$peer_version\"" "$prefix/node_modules/aws-local-stepfunctions/package.json"; then
  exit 0
fi
command -v npm >/dev/null || { echo "peer: npm is needed (scripts/deps.sh installs it)" >&2; exit 1; }
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
  "aws-local-stepfunctions@$peer_version" "node@$node_version" >&2
