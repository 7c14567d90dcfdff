// Writes the dashboards' JSON and Grafana provisioning files from the builders in src/.
// `--check` writes nothing and exits 1 when a committed file is missing or out of date.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderFiles } from './src/index.ts';

const ROOT = dirname(fileURLToPath(import.meta.url));

const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [path, content] of renderFiles()) {
  const target = join(ROOT, path);
  const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  if (current === content) continue;
  stale.push(path);
  if (check) continue;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
}
if (check && stale.length > 0) {
  process.stderr.write(`dashboards out of date (run npm run dashboards): ${stale.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write(check ? 'dashboards up to date\n' : `dashboards: ${stale.length} file(s) written\n`);
