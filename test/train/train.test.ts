// The training loop with the real GPU step on a tiny model and synthetic data: the loss falls,
// an interrupted-and-resumed run logs exactly the losses of an uninterrupted one, a NaN batch
// is skipped and rolled back (with a learning-rate cut when it repeats), and a truncated newest
// checkpoint is skipped on resume.

import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../src/graph/runtime.ts';
import { checkpointPath, decodeCheckpoint, listCheckpoints } from '../../src/train/checkpoint.ts';
import { exportedStep } from '../../src/train/export.ts';
import { train, type StepFactory, type TrainOptions } from '../../src/train/run.ts';
import { TrainingStep } from '../../src/train/step.ts';
import type { TrainConfig } from '../../src/train/types.ts';
import { loadGenerator } from '../../src/models/load.ts';
import { parseDuration } from '../../src/cli/train.ts';
import { textureFolder, tinyConfig } from './fixtures.ts';

let rt: Runtime;
const data = textureFolder(3, 5, 64);
const validation = textureFolder(4, 2, 48);

beforeAll(async () => {
  rt = await Runtime.create();
});
afterAll(() => rt?.destroy());

interface LogLine { step?: number; g?: number; lr?: number; event?: string; validation?: unknown }

function logLines(config: TrainConfig): LogLine[] {
  return readFileSync(join(config.out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogLine);
}

/** Logged loss per step; a later line for the same step (after a resume or rollback) wins. */
function losses(config: TrainConfig): Map<number, number> {
  const m = new Map<number, number>();
  for (const l of logLines(config)) if (l.event === undefined && l.g !== undefined) m.set(l.step!, l.g);
  return m;
}

/** The real GPU step, with the LR batch of the given calls of run() (counted from 1) filled with NaN. */
function poisoning(calls: Set<number>): StepFactory {
  return async (rt, config, opts) => {
    const real = await TrainingStep.create(rt, config, opts);
    let call = 0;
    return {
      run: (batch, lr) => {
        if (calls.has(++call)) batch.lr.fill(NaN);
        return real.run(batch, lr);
      },
      exportState: () => real.exportState(),
      importState: (state) => real.importState(state),
      generatorWeights: () => real.generatorWeights(),
      upscale: (lr) => real.upscale(lr),
      dispose: () => real.dispose(),
    };
  };
}

const quiet = (messages: string[] = []): TrainOptions => ({ rt, progress: false, worker: false, export: false, set5Dir: '/nonexistent', log: (m) => messages.push(m) });

describe('training loop', () => {
  it('lowers the loss over a short run; validates, draws curves and exports', async () => {
    const config = tinyConfig(data, { steps: 60, lr: 2e-3, checkpointEvery: 30, validation, validateEvery: 30, keepCheckpoints: 2 });
    const r = await train(config, { ...quiet(), export: true });
    expect(r.step).toBe(60);
    const l = [...losses(config).values()];
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    // Patch losses are noisy: compare 10-step means (here about 0.08 → 0.045).
    expect(mean(l.slice(-10))).toBeLessThan(0.7 * mean(l.slice(0, 10)));
    expect(logLines(config).filter((x) => x.validation)).toHaveLength(2);
    expect(existsSync(join(config.out, 'samples/step-60.png'))).toBe(true);
    expect(readFileSync(join(config.out, 'curves.html'), 'utf8')).toContain('<polyline');
    // keepCheckpoints = 2: step 0 pruned, 30 and 60 left.
    expect(listCheckpoints(join(config.out, 'checkpoints')).map((c) => c.step)).toEqual([60, 30]);
    const g = loadGenerator(r.exported!.weightsPath);
    expect(g.config).toEqual(config.generator);
    const card = JSON.parse(readFileSync(r.exported!.cardPath, 'utf8'));
    expect(card.training.steps).toBe(60);
    expect(card.hardware.backend).toBe(rt.gpu.backend);
  });

  it('resumes exactly: 3 steps + stop + resume + 3 steps logs the losses of 6 straight steps', async () => {
    const straight = tinyConfig(data, { steps: 6, checkpointEvery: 3 });
    await train(straight, quiet());
    const split = tinyConfig(data, { steps: 3, checkpointEvery: 3 });
    await train(split, quiet());
    // A fresh process would build everything anew; so does train(): new step, new sampler.
    const messages: string[] = [];
    await train({ ...split, steps: 6 }, { ...quiet(messages), resume: true });
    expect(messages.some((m) => /resuming from .*step-00000003/.test(m))).toBe(true);
    const a = losses(straight), b = losses(split);
    expect([...a.keys()]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...b.entries()]).toEqual([...a.entries()]);
    // And the final weights and optimiser state are bit-identical.
    const ca = decodeCheckpoint(new Uint8Array(readFileSync(checkpointPath(join(straight.out, 'checkpoints'), 6))), 'a');
    const cb = decodeCheckpoint(new Uint8Array(readFileSync(checkpointPath(join(split.out, 'checkpoints'), 6))), 'b');
    expect([...cb.state.keys()].sort()).toEqual([...ca.state.keys()].sort());
    for (const [name, t] of ca.state) expect(cb.state.get(name)!.data, name).toEqual(t.data);
    expect(cb.meta.data).toEqual(ca.meta.data);

    // A truncated newest checkpoint (e.g. a copy cut short) is reported and the previous one used.
    const dir = join(split.out, 'checkpoints');
    const bytes = readFileSync(checkpointPath(dir, 6));
    writeFileSync(checkpointPath(dir, 9), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const resumed: string[] = [];
    const r = await train({ ...split, steps: 7 }, { ...quiet(resumed), resume: true });
    expect(resumed.some((m) => m.includes('skipping unreadable checkpoint') && m.includes('step-00000009') && m.includes('truncated'))).toBe(true);
    expect(resumed.some((m) => /resuming from .*step-00000006/.test(m))).toBe(true);
    expect(r.step).toBe(7);
  });

  it('skips a NaN batch, rolls back to the last checkpoint, halves lr when it repeats', async () => {
    const config = tinyConfig(data, { steps: 8, checkpointEvery: 3 });
    const messages: string[] = [];
    // Step 5's batch is poisoned on its first two tries: calls 1–4 are steps 1–4, call 5 is step
    // 5 (rolled back to 3), call 6 step 4 again, call 7 step 5's second try.
    const r = await train(config, { ...quiet(messages), createStep: poisoning(new Set([5, 7])) });
    expect(r.step).toBe(8);
    expect(r.rollbacks).toBe(2);
    expect(r.backoff).toBe(0.5);
    const events = logLines(config).filter((l) => l.event === 'nonfinite') as Array<LogLine & { rollbackTo: number }>;
    expect(events.map((e) => [e.step, e.rollbackTo])).toEqual([[5, 3], [5, 3]]);
    expect(messages.filter((m) => m.includes('non-finite')).length).toBe(2);
    // The learning rate after the repeat is halved.
    const last = logLines(config).filter((l) => l.step === 8 && l.g !== undefined).at(-1)!;
    expect(last.lr).toBeCloseTo(config.lr * 0.5, 12);
    // Rolled back data position: step 4 replays the same batch on the same weights → same loss.
    const step4 = logLines(config).filter((l) => l.step === 4 && l.g !== undefined && l.event === undefined).map((l) => l.g);
    expect(step4.length).toBe(3);
    expect(new Set(step4).size).toBe(1);
    // No NaN reached the saved weights.
    for (const { path } of listCheckpoints(join(config.out, 'checkpoints'))) {
      const { state } = decodeCheckpoint(new Uint8Array(readFileSync(path)), path);
      for (const [name, t] of state) expect(t.data.every(Number.isFinite), `${path} ${name}`).toBe(true);
    }
    expect(Object.values(losses(config)).every(Number.isFinite)).toBe(true);
  });

  it('refuses to overwrite an existing run without --resume', async () => {
    const config = tinyConfig(data, { steps: 1 });
    await train(config, quiet());
    await expect(train(config, quiet())).rejects.toThrow(/already holds checkpoints/);
    expect(readdirSync(join(config.out, 'checkpoints')).length).toBeGreaterThan(0);
  });

  it('resuming after the data folders changed asks for --new-data-order, which keeps the weights and step', async () => {
    const config = tinyConfig(data, { steps: 2, checkpointEvery: 2 });
    await train(config, quiet());
    const moreData = { ...config, data: [data, textureFolder(5, 2, 64)], steps: 4 };
    await expect(train(moreData, { ...quiet(), resume: true })).rejects.toThrow(/covers 5 images but the data folders now hold 7: pass --new-data-order/);
    const messages: string[] = [];
    const r = await train(moreData, { ...quiet(messages), resume: true, newDataOrder: true });
    expect(messages.some((m) => /fresh data order over 7 images \(the checkpoint's covered 5\)/.test(m))).toBe(true);
    expect(r.step).toBe(4);
    expect([...losses(config).keys()]).toEqual([1, 2, 3, 4]);
  });

  it('--time-limit stops after the step that crosses it, with a checkpoint and the generator of that step', async () => {
    const config = tinyConfig(data, { steps: 50, checkpointEvery: 100 });
    const messages: string[] = [];
    const r = await train(config, { ...quiet(messages), export: true, timeLimitS: 1e-3 });
    expect(r.stopped).toBe(true);
    expect(r.stopReason).toBe('time limit');
    expect(r.step).toBe(1);
    expect(messages.some((m) => /time limit of 0.001 s reached/.test(m))).toBe(true);
    expect(listCheckpoints(join(config.out, 'checkpoints')).map((c) => c.step)).toEqual([1, 0]);
    expect(exportedStep(config.out)).toBe(1);
    expect(JSON.parse(readFileSync(join(config.out, 'model-card.json'), 'utf8')).training.steps).toBe(1);
    expect(messages).toContain(`use it: npx vivid upscale --model ${join(config.out, 'generator.safetensors')} photo.png -o photo-x4.png`);
  });

  it('--resume at the last step says how to continue and keeps the generator current', async () => {
    const config = tinyConfig(data, { steps: 2, checkpointEvery: 2 });
    await train(config, quiet());
    expect(exportedStep(config.out)).toBe(null); // export: false in quiet()
    const messages: string[] = [];
    const r = await train(config, { ...quiet(messages), export: true, resume: true });
    expect(r.step).toBe(2);
    expect(messages.some((m) => /at step 2, the run's last step \(steps 2\): nothing to train\. To continue it, raise the step count, e\.g\. --steps 1002/.test(m)), messages.join('\n')).toBe(true);
    expect(exportedStep(config.out)).toBe(2);
    expect(messages.some((m) => m.startsWith('use it: npx vivid upscale --model '))).toBe(true);
  });

  it('parses --time-limit durations and refuses nonsense', () => {
    expect([parseDuration('90s'), parseDuration('45m'), parseDuration('1.5h'), parseDuration('600')]).toEqual([90, 2700, 5400, 600]);
    for (const bad of ['', '0', '-3m', '5 days', 'm']) expect(() => parseDuration(bad)).toThrow(/--time-limit must be a positive duration/);
  });
});
