// Entry point of VIVID_FROM_SOURCE (vivid-source.ts): the CLI's main() on the process arguments.

import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
