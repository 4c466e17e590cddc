// `npm test`'s pretest step (scripts/test-tools.sh): with ffmpeg, ffprobe and chromium present
// it passes silently; with any missing, a non-root user gets the exact commands and a failure,
// never a suite that passes with the video or web tests skipped. (The root branch installs
// through scripts/setup.sh, so it is not run here.) Run as `nobody` when the suite runs as root.

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.ts';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/test-tools.sh');

/** A folder of executables that only exit 0, standing in for the real tools. */
function fakeTools(names: string[]): string {
  const dir = join(tempDir(), 'bin');
  mkdirSync(dir);
  chmodSync(join(dir, '..'), 0o755);
  for (const n of names) writeFileSync(join(dir, n), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return dir;
}

/** The script under bash as a non-root user, with only `path` on PATH. */
function runScript(path: string, chromium: string) {
  const env = { PATH: path, VIVID_CHROMIUM: chromium };
  const asUser = process.getuid?.() === 0 ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  const [cmd, ...args] = [...asUser, '/bin/bash', SCRIPT];
  return spawnSync(cmd!, args, { env, encoding: 'utf8' });
}

describe('npm test pretest: ffmpeg, ffprobe, chromium', () => {
  it('passes silently when all are there', () => {
    const bin = fakeTools(['ffmpeg', 'ffprobe', 'chromium']);
    const r = runScript(bin, join(bin, 'chromium'));
    expect(r.error).toBeUndefined();
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });

  it('fails with the commands to run when one is missing (not root)', () => {
    const bin = fakeTools(['ffmpeg', 'ffprobe']);
    const r = runScript(bin, join(bin, 'chromium'));
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/need: chromium\.\nAs root, run:\n {2}apt-get update && apt-get install -y --no-install-recommends chromium\n/);
    const none = runScript(fakeTools([]), '/nonexistent/chromium');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/apt-get install -y --no-install-recommends ffmpeg chromium\n/);
    expect(none.stderr).toMatch(/VIVID_SETUP_EXTRAS="ffmpeg chromium" npm run setup/);
  });
});
