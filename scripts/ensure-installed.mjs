// `npm start` / `npm test` on a fresh clone: install the locked dependencies first when
// node_modules is missing or older than package-lock.json. Plain Node, no dependencies.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  // `npm install` installs the locked tree (see .ci/run for why not `npm ci`).
  process.stderr.write('flowtrace: installing dependencies from package-lock.json…\n');
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
}
