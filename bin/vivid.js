#!/usr/bin/env node
// The `vivid` command, from the compiled dist/ (`npm run build`; npm pack builds it first).
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
