#!/usr/bin/env bash
# Installs the benchmark peer, the npm package aws-local-stepfunctions, and a Node 22 binary for
# it (the npm package node@22: the peer needs Promise.withResolvers) into .cache/peer-bench,
# never into the repository tree proper. Safe to run again: it does nothing when both are there
# at the pinned versions. Prints nothing on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=.cache/peer-bench
peer_version=3.0.0
node_version=22.23.3
installed() {
  [ -x "$prefix/node_modules/.bin/node" ] &&
    grep -q "\"version\": \"$peer_version\"" "$prefix/node_modules/aws-local-stepfunctions/package.json" 2>/dev/null &&
    [ "$("$prefix/node_modules/.bin/node" --version 2>/dev/null)" = "v$node_version" ]
}
if installed; then
  exit 0
fi
command -v npm >/dev/null || { echo "peer-bench: npm is needed (scripts/deps.sh installs it)" >&2; exit 1; }
echo "peer-bench: installing aws-local-stepfunctions@$peer_version and node@$node_version into $prefix" >&2
mkdir -p "$prefix"
[ -f "$prefix/package.json" ] || printf '{"private":true}\n' >"$prefix/package.json"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error --save-exact \
  "aws-local-stepfunctions@$peer_version" "node@$node_version" >&2
installed || { echo "peer-bench: the install did not produce node v$node_version and the peer $peer_version" >&2; exit 1; }
