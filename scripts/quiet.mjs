// `node scripts/quiet.mjs CMD ARGS…`: CMD with Dawn's adapter-limit notices dropped from its
// stderr and its children's (bin/quiet-stderr.js); how `npm test` runs vitest, whose test
// workers enumerate adapters in every file. VIVID_VERBOSE=1 shows everything.
import { spawnSync } from 'node:child_process';
import { runQuiet, wantsFilter } from '../bin/quiet-stderr.js';

const [command, ...args] = process.argv.slice(2);
if (wantsFilter([])) process.exitCode = await runQuiet(command, args);
else process.exitCode = spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
