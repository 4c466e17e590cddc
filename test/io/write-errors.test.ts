// Write failures a test cannot make for real on every machine (a read-only filesystem, a full
// disk), injected at the fs boundary: the messages name the user's path and the reason, never a
// hidden temp or probe file; the temp file is gone; the output folder is checked before any work.

import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import { checkWritable } from '../../src/cli/outputs.ts';
import { tempDir } from '../helpers/cli.ts';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, openSync: vi.fn(real.openSync), writeSync: vi.fn(real.writeSync), mkdirSync: vi.fn(real.mkdirSync) };
});

/** An error as Node's fs raises it, naming the (hidden) file it was about. */
function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const text: Record<string, string> = { EROFS: 'read-only file system', ENOSPC: 'no space left on device' };
  return Object.assign(new Error(`${code}: ${text[code]}, ${syscall} '${path}'`), { code, syscall, path });
}

function failOnce(fn: 'openSync' | 'writeSync' | 'mkdirSync', code: string): void {
  vi.mocked(fs[fn]).mockImplementationOnce(((p: unknown) => {
    throw errno(code, fn.replace('Sync', ''), String(p));
  }) as never);
}

describe('write errors name the user path', () => {
  it('read-only filesystem while writing: the output named, not the temp file', () => {
    const dir = tempDir();
    const out = join(dir, 'out.png');
    failOnce('openSync', 'EROFS');
    expect(() => writeFileAtomic(out, new Uint8Array(8))).toThrow(`cannot write ${out}: the filesystem is read-only (EROFS)`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('disk full mid-write: the output named, the old file kept, the temp file removed', () => {
    const dir = tempDir();
    const out = join(dir, 'out.png');
    fs.writeFileSync(out, 'old');
    failOnce('writeSync', 'ENOSPC');
    let message = '';
    try {
      writeFileAtomic(out, new Uint8Array(1024));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(`cannot write ${out}: no space left on the device (ENOSPC)`);
    expect(fs.readdirSync(dir)).toEqual(['out.png']);
    expect(fs.readFileSync(out, 'utf8')).toBe('old');
  });

  it('checkWritable: a read-only or full output folder is named before any work', () => {
    const dir = tempDir();
    failOnce('openSync', 'EROFS');
    expect(() => checkWritable([{ output: join(dir, 'a.png') }])).toThrow(`cannot write into the folder ${dir}: the filesystem is read-only (EROFS)`);
    const missing = join(dir, 'new', 'deeper');
    failOnce('mkdirSync', 'EROFS');
    expect(() => checkWritable([{ output: join(missing, 'a.png') }])).toThrow(`cannot write into the folder ${missing}: the filesystem is read-only (EROFS)`);
    failOnce('openSync', 'ENOSPC');
    expect(() => checkWritable([{ output: join(dir, 'b.png') }])).toThrow(`cannot write into the folder ${dir}: no space left on the device (ENOSPC)`);
    expect(fs.readdirSync(dir)).toEqual([]);
    // Without a failure it passes and leaves no probe file behind.
    checkWritable([{ output: join(dir, 'c.png') }]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
