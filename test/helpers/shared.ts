// Location of the shared, read-only data folder (weights, reference images). Tests read from it
// in place; nothing from it is copied into the repository.

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const sharedRoot = process.env.VIVID_SHARED ?? resolve(repoRoot, '../shared');

export function sharedPath(...parts: string[]): string {
  return resolve(sharedRoot, ...parts);
}

/** True when the shared file or folder exists (lets tests skip cleanly on machines without it). */
export function hasShared(...parts: string[]): boolean {
  return existsSync(sharedPath(...parts));
}
