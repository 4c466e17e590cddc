// The shader cache (src/graph/shader-cache.ts): where Mesa is pointed, and that a second
// process reuses what the first compiled. Counted in bytes on disk, not timed.

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configureShaderCache, shaderCache } from '../../src/graph/shader-cache.ts';
import { folderBytes } from '../../src/io/folder.ts';
import { tempDir } from '../helpers/cli.ts';
import { VIVID_FROM_SOURCE } from '../helpers/vivid-source.ts';

describe('shader cache location', () => {
  it("is viVID's folder under XDG_CACHE_HOME, else ~/.cache, unless the user chose one", () => {
    expect(shaderCache({ HOME: '/h', XDG_CACHE_HOME: '/x' })).toEqual({ dir: '/x/vivid/mesa', owner: 'vivid' });
    expect(shaderCache({ HOME: '/h' })).toEqual({ dir: '/h/.cache/vivid/mesa', owner: 'vivid' });
    expect(shaderCache({ HOME: '/h', MESA_SHADER_CACHE_DIR: '/mine' })).toEqual({ dir: '/mine', owner: 'user' });
    expect(shaderCache({})).toBeNull();
  });

  it("follows Mesa's reading of MESA_SHADER_CACHE_DISABLE", () => {
    for (const off of ['1', 'true', 'yes', '']) expect(shaderCache({ HOME: '/h', MESA_SHADER_CACHE_DISABLE: off })).toBeNull();
    for (const on of ['0', 'false', 'no', 'n', 'F']) expect(shaderCache({ HOME: '/h', MESA_SHADER_CACHE_DISABLE: on })?.dir).toBe('/h/.cache/vivid/mesa');
  });

  it('sets MESA_SHADER_CACHE_DIR only when the user has not', () => {
    const env: Record<string, string> = { HOME: '/h' };
    configureShaderCache(env);
    expect(env.MESA_SHADER_CACHE_DIR).toBe('/h/.cache/vivid/mesa');
    expect(shaderCache(env)?.owner).toBe('vivid');
    const mine: Record<string, string> = { HOME: '/h', MESA_SHADER_CACHE_DIR: '/mine' };
    configureShaderCache(mine);
    expect(mine.MESA_SHADER_CACHE_DIR).toBe('/mine');
  });
});

describe('shader cache across processes', () => {
  const home = tempDir('vivid-cache-');
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: home };
  delete env.MESA_SHADER_CACHE_DIR;
  delete env.MESA_SHADER_CACHE_DISABLE;
  const dir = join(home, 'vivid/mesa');
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout;
  };
  const doctor = (...args: string[]) => run([...VIVID_FROM_SOURCE, 'doctor', ...args]);

  it('is filled by one process, reused by the next, grows for new shaders and is removable', () => {
    const report = JSON.parse(doctor('--json'));
    expect(report.shaderCache).toMatchObject({ dir, owner: 'vivid' });
    const first = folderBytes(dir);
    expect(first).toBeGreaterThan(0);

    doctor('--json'); // the same kernels: found in the cache, nothing new written
    expect(folderBytes(dir)).toBe(first);

    run(['--import', 'tsx', resolve(import.meta.dirname, '../helpers/mul-probe.ts')]);
    expect(folderBytes(dir)).toBeGreaterThan(first);

    expect(doctor('--clear-cache')).toContain(`removed ${dir}`);
    expect(existsSync(dir)).toBe(false);
  }, 300_000);
});
