import fs from 'node:fs';
import path from 'node:path';

/** The repository's root, wherever the compiled test runs from (dist/test/<tier>/...). */
export const REPO_ROOT = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'nodes'))) return dir;
  }
  throw new Error(`no repository root above ${__dirname}`);
})();

export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
