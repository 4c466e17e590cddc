// The size of a folder on disk (the shader cache that `vivid doctor` reports).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes in the files under dir, recursively (0 when it does not exist yet). */
export function folderBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}
