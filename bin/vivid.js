#!/usr/bin/env node
// The `vivid` command, from the compiled dist/ (`npm run build`; npm pack builds it first).
// Unless --verbose, the command runs in a child whose stderr drops Dawn's adapter-limit
// notices (bin/quiet-stderr.js says why a child is needed).
import { fileURLToPath } from 'node:url';
import { runQuiet, wantsFilter } from './quiet-stderr.js';

const args = process.argv.slice(2);
if (wantsFilter(args)) {
  process.exitCode = await runQuiet(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args]);
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(args);
}
