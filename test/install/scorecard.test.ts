/**
 * What the Flow Library scorecard (`node-red-dev validate`) checks, checked here
 * because the tool itself needs the online catalogue; plus the editor's limits,
 * which must be the runtime's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { REPO_ROOT } from '../support/paths';

const root = REPO_ROOT;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

/** The newest Node-RED release this suite knows of, and the Node.js it needs. */
const CURRENT_NODE_RED = '5.0.7';
const NODE_FOR_CURRENT_NODE_RED = '22.9.0';

describe('Flow Library scorecard', () => {
  it('has a license, a repository and bugs URL, a README', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8').includes('Apache License'));
    assert.match(pkg.repository.url, /^git\+https:\/\/github\.com\//);
    assert.match(pkg.bugs.url, /^https:\/\//);
    assert.ok(fs.statSync(path.join(root, 'README.md')).size > 1000);
  });

  it('has a node-red-contrib- name and the node-red keyword', () => {
    assert.match(pkg.name, /^node-red-contrib-/);
    assert.ok(pkg.keywords.includes('node-red'));
  });

  it('declares a Node-RED version range covering the current release and 4.x, and a Node.js range it needs', () => {
    assert.ok(semver.satisfies(CURRENT_NODE_RED, pkg['node-red'].version));
    assert.ok(semver.satisfies('4.0.0', pkg['node-red'].version));
    assert.ok(semver.satisfies(NODE_FOR_CURRENT_NODE_RED, pkg.engines.node));
    assert.ok(semver.satisfies('20.0.0', pkg.engines.node));
  });

  it('has at most 6 runtime dependencies, each installed within its declared range', () => {
    const deps = Object.entries(pkg.dependencies as Record<string, string>);
    assert.ok(deps.length <= 6, `${deps.length} dependencies`);
    for (const [name, range] of deps) {
      const installed = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
      assert.ok(semver.satisfies(installed, range), `${name} ${installed} not in ${range}`);
    }
  });

  it('uses every non-config node type in some example flow', () => {
    const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
    const used = new Set(examples.flatMap((f) => JSON.parse(fs.readFileSync(path.join(root, 'examples', f), 'utf8')).map((n: { type: string }) => n.type)));
    for (const [type, file] of Object.entries(pkg['node-red'].nodes as Record<string, string>)) {
      assert.ok(file.startsWith('dist/nodes/') && fs.existsSync(path.join(root, file)), `${type} → ${file}`);
      const html = fs.readFileSync(path.join(root, 'nodes', `${type}.html`), 'utf8');
      const isConfig = /category:\s*["']config["']/.test(html);
      if (!isConfig) assert.ok(used.has(type), `${type} is in no example`);
    }
  });

  it('registers each type with a literal name and an inline definition', () => {
    for (const type of Object.keys(pkg['node-red'].nodes)) {
      const html = fs.readFileSync(path.join(root, 'nodes', `${type}.html`), 'utf8');
      assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\(\\s*["']${type}["']\\s*,\\s*\\{`));
    }
  });
});
