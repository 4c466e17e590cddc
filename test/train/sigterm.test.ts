// `vivid train` in a child process: SIGTERM finishes the step, writes a valid checkpoint and the
// generator of that step, and exits 143; --resume then continues from that checkpoint. SIGINT
// while the run is still starting (before any step) is not lost: it stops the run, exit 130.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, listCheckpoints } from '../../src/train/checkpoint.ts';
import { exportedStep } from '../../src/train/export.ts';
import { VIVID_FROM_SOURCE } from '../helpers/vivid-source.ts';
import { textureFolder, tinyConfig } from './fixtures.ts';

function vivid(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  // No shared folder: the final export then skips its Set5 evaluation (time).
  const env = { ...process.env, VIVID_PROGRESS: '0', VIVID_SHARED: '/nonexistent' };
  const child = spawn(process.execPath, [...VIVID_FROM_SOURCE, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, done };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('vivid train under signals', () => {
  it('SIGTERM: checkpoint and generator written, exit code 143; --resume continues from it', async () => {
    const config = tinyConfig(textureFolder(8, 3, 64), { steps: 100000, checkpointEvery: 100000 });
    const file = join(config.out, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    const log = join(config.out, 'log.jsonl');
    const stepsLogged = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('{"step"')).length : 0);

    const { child, done } = vivid(['train', '--config', file]);
    await until(() => stepsLogged() >= 2, 90_000);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/SIGTERM: finishing the current step/);
    const [newest] = listCheckpoints(join(config.out, 'checkpoints'));
    expect(newest!.step).toBeGreaterThanOrEqual(2);
    expect(exportedStep(config.out)).toBe(newest!.step);
    expect(r.stderr).toContain(`use it: npx vivid upscale --model ${join(config.out, 'generator.safetensors')}`);
    const ck = decodeCheckpoint(new Uint8Array(readFileSync(newest!.path)), newest!.path);
    expect(ck.meta.step).toBe(newest!.step);
    expect(readFileSync(log, 'utf8')).toContain('"event":"stop"');

    const resumed = vivid(['train', '--config', file, '--resume', '--steps', String(newest!.step + 1)]);
    const r2 = await resumed.done;
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toContain(`resuming from ${newest!.path}`);
    expect(listCheckpoints(join(config.out, 'checkpoints'))[0]!.step).toBe(newest!.step + 1);
  });

  it('SIGINT during start-up (before the GPU is up) stops the run: exit 130, step-0 checkpoint, no generator', async () => {
    const config = tinyConfig(textureFolder(9, 3, 64), { steps: 100000, checkpointEvery: 100000 });
    const file = join(config.out, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    const { child, done } = vivid(['train', '--config', file]);
    // train() creates the checkpoint folder before it creates the GPU runtime.
    await until(() => existsSync(join(config.out, 'checkpoints')), 60_000);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: finishing the current step/);
    expect(r.stderr).toContain('nothing trained yet: no generator written');
    expect(listCheckpoints(join(config.out, 'checkpoints')).map((c) => c.step)).toEqual([0]);
    expect(existsSync(join(config.out, 'generator.safetensors'))).toBe(false);
  });
});
