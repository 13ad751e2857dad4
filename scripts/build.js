#!/usr/bin/env node
// Node-RED looks for a node's editor HTML, locales/ and icons/ beside its JS file,
// so the build type-checks and compiles to dist/ and then lays those files next to
// the compiled nodes.
//   node scripts/build.js            everything: the nodes, the demo server, scripts, tests, bench
//   node scripts/build.js --package  only what the package ships (npm's prepare)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'nodes');
const packageOnly = process.argv.includes('--package');

// The package build (npm pack's prepare) replaces only what the package ships, so a
// pack in the middle of a test run leaves the compiled tests and scripts in place.
fs.rmSync(packageOnly ? out : path.join(root, 'dist'), { recursive: true, force: true });
const project = path.join(root, packageOnly ? 'tsconfig.build.json' : 'tsconfig.json');
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
  if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(out, file));
}
for (const folder of ['icons', 'locales']) {
  const from = path.join(root, folder);
  if (fs.existsSync(from)) fs.cpSync(from, path.join(out, folder), { recursive: true });
}
