// The service stack as a process of its own, so tests can kill it (SIGKILL) or stop it
// (SIGTERM) mid-run and start it again on the same home. Usage:
//   node --import tsx service/test-support/service-process.ts '<ServiceStackOptions JSON>'
// Writes `<home>/service-ready.json` ({ baseUrl, pid }) once it serves. Test support only.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServiceStack, type ServiceStackOptions } from './stack.ts';

import { READY_FILE } from './child.ts';

const options = JSON.parse(process.argv[2] ?? '') as ServiceStackOptions;
const stack = await startServiceStack(options);
writeFileSync(join(options.home, READY_FILE), JSON.stringify({ baseUrl: stack.baseUrl, pid: process.pid }));
process.stdout.write(`service ready at ${stack.baseUrl}\n`);
process.once('SIGTERM', () => {
  stack.stop().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`stop failed: ${err.message}\n`);
      process.exit(1);
    },
  );
});
