// Crash-safe file replacement: readers see either the old file or the complete new one,
// never a half-written file (important for checkpoints written during long training runs).

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Write `bytes` to a temp file in the same folder (so rename stays on one filesystem),
 *  fsync it, then rename it over `path`. The temp file is removed if anything fails. */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw new Error(writeErrorMessage(e, path, 'write'), { cause: e });
  }
  syncDir(dir);
}

/** Persist the rename itself. Not supported on every platform (e.g. Windows), hence best effort. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const WRITE_ERRORS: Record<string, string> = {
  EROFS: 'the filesystem is read-only',
  ENOENT: 'the folder does not exist (or cannot be made here)',
  ENOTDIR: 'part of the path is a file, not a folder',
  EEXIST: 'a file is in the way of the folder',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/** "cannot write out/a.png: the filesystem is read-only": the user's path, never a temp file's. */
export function writeErrorMessage(e: unknown, path: string, what: string): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const reason = WRITE_ERRORS[code] ?? ((e as Error).message ?? String(e)).replace(/, \w+ '[^']*'$/, '');
  return `cannot ${what} ${path}: ${reason}${code && WRITE_ERRORS[code] ? ` (${code})` : ''}`;
}
