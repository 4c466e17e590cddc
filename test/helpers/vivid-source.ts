// `vivid` run from the TypeScript sources in a child process (bin/vivid.js runs the compiled
// dist/, which a test of the sources must not depend on):
//   spawn(process.execPath, [...VIVID_FROM_SOURCE, 'train', …])

import { resolve } from 'node:path';

export const VIVID_FROM_SOURCE = ['--import', 'tsx', resolve(import.meta.dirname, 'vivid-source-main.ts')];
