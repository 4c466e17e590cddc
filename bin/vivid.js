#!/usr/bin/env node
// The `vivid` command. viVID ships TypeScript sources; tsx compiles them on the fly.
// Unless --verbose, the command runs in a child whose stderr drops Dawn's adapter-limit
// notices (bin/quiet-stderr.js says why a child is needed).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { runQuiet, wantsFilter } from './quiet-stderr.js';

const args = process.argv.slice(2);
if (wantsFilter(args)) {
  process.exitCode = await runQuiet(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args]);
} else {
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(args);
}
