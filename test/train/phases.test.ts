// The trainer's phases one at a time, on the CPU: a fake step whose whole state is one number
// (the count of updates applied) stands in for the GPU step, so a test sees exactly what a
// phase restored. Set-up/resume, checkpoint/rollback, the step loop around a rejected step,
// and validation; test/train/train.test.ts runs them together with the real step.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listImages } from '../../src/data/patches.ts';
import { imresize } from '../../src/data/resize.ts';
import { Progress } from '../../src/util/progress.ts';
import { DataFeed } from '../../src/train/feed.ts';
import { History } from '../../src/train/history.ts';
import { stepLoop } from '../../src/train/loop.ts';
import { continuedDataOrder, startingPosition } from '../../src/train/resume.ts';
import { Checkpoints, MAX_ROLLBACKS } from '../../src/train/rollback.ts';
import { Session, type Position, type StepLike } from '../../src/train/session.ts';
import { StopRequest } from '../../src/train/stop.ts';
import type { Batch, TrainState } from '../../src/train/types.ts';
import { validateAt, validationDue } from '../../src/train/validate.ts';
import { textureFolder, tinyConfig } from './fixtures.ts';

const data = textureFolder(11, 3, 40);
const validation = textureFolder(12, 2, 40);

/** A step that adds 1 to its one weight per applied update; the calls in `reject` come back non-finite. */
class CountingStep implements StepLike {
  w = 0;
  calls = 0;
  /** A checksum of each call's HR batch, to see which data a step was given. */
  seen: number[] = [];
  constructor(private readonly reject = new Set<number>()) {}
  async run(batch: Batch, _lr: number) {
    this.seen.push(batch.hr.reduce((s, v, i) => s + v * ((i % 7) + 1), 0));
    const finite = !this.reject.has(++this.calls);
    if (finite) this.w++;
    return { g: finite ? 1 / this.w : NaN, finite };
  }
  async exportState(): Promise<TrainState> {
    return new Map([['w', { shape: [1], data: Float32Array.of(this.w) }]]);
  }
  importState(state: TrainState): void {
    this.w = state.get('w')!.data[0]!;
  }
  async generatorWeights() {
    return new Map();
  }
  async upscale(lr: Parameters<StepLike['upscale']>[0]) {
    return imresize(lr, 4);
  }
  dispose(): void {}
}

function session(step: StepLike, over: Parameters<typeof tinyConfig>[1] = {}, messages: string[] = []): Session {
  const config = tinyConfig(data, over);
  Session.makeFolders(config);
  return new Session(config, step, (m) => messages.push(m));
}

function events(s: Session): Array<Record<string, unknown>> {
  return readFileSync(join(s.config.out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const fakeData = { seed: 1, order: [0, 1, 2] } as unknown as Position['data'];
const at = (step: number): Position => ({ step, history: new History(), backoff: 1, wallBaseMs: 0, data: fakeData, checkpoint: null });

describe('trainer phases', () => {
  it('set-up: a fresh run refuses a folder with checkpoints; a resume restores the position and warns of config changes', async () => {
    const step = new CountingStep();
    const s = session(step);
    expect(startingPosition(s, {})).toMatchObject({ step: 0, backoff: 1, checkpoint: null });
    step.w = 5;
    const saved = { ...at(4), backoff: 0.25, wallBaseMs: 1234 };
    saved.history.add(4, { g: 0.5 }, 1e-3);
    await new Checkpoints(s, saved).save(saved);
    expect(() => startingPosition(s, {})).toThrow(/already holds checkpoints: pass --resume/);

    step.w = 0;
    const messages: string[] = [];
    const changed = new Session({ ...s.config, lr: 2e-3, steps: 99 }, step, (m) => messages.push(m));
    const pos = startingPosition(changed, { resume: true });
    expect(step.w).toBe(5);
    expect(pos).toMatchObject({ step: 4, backoff: 0.25, data: fakeData, checkpoint: saved.checkpoint });
    expect(pos.wallBaseMs).toBeGreaterThanOrEqual(1234);
    expect(pos.history.toJSON()).toEqual(saved.history.toJSON());
    // steps may change freely; lr is reported.
    expect(messages[0]).toBe('warning: config differs from the checkpoint\'s in lr; continuing with the new values');
    expect(events(s).at(-1)).toMatchObject({ event: 'resume', step: 4 });
  });

  it('set-up: --export needs a checkpoint; --resume without one starts from scratch', () => {
    const messages: string[] = [];
    const s = session(new CountingStep(), {}, messages);
    expect(() => startingPosition(s, { exportOnly: true })).toThrow(/no readable checkpoint in .* to export/);
    expect(startingPosition(s, { resume: true }).step).toBe(0);
    expect(messages).toEqual([`no checkpoint in ${s.ckDir}: starting from scratch`]);
  });

  it('set-up: the data order continues, restarts on request, or stops the run when the image count changed', () => {
    const said: string[] = [];
    expect(continuedDataOrder(undefined, 3, false, (m) => said.push(m))).toBeUndefined();
    expect(continuedDataOrder(fakeData, 3, false, (m) => said.push(m))).toBe(fakeData);
    expect(() => continuedDataOrder(fakeData, 4, false, (m) => said.push(m))).toThrow(/covers 3 images but the data folders now hold 4: pass --new-data-order/);
    expect(continuedDataOrder(fakeData, 4, true, (m) => said.push(m))).toBeUndefined();
    expect(said).toEqual(["fresh data order over 4 images (the checkpoint's covered 3); weights, optimiser and step kept"]);
  });

  it('checkpoint and rollback: back to the saved state; the second rejection halves lr; too many give up', async () => {
    const step = new CountingStep();
    const messages: string[] = [];
    const s = session(step, { checkpointEvery: 3, steps: 8 }, messages);
    expect([1, 2, 3, 6, 7, 8].map((n) => new Checkpoints(s, at(0)).due(n, false))).toEqual([false, false, true, true, false, true]);
    expect(new Checkpoints(s, at(0)).due(1, true)).toBe(true);

    const pos = at(3);
    const checkpoints = new Checkpoints(s, pos);
    step.w = 3;
    await checkpoints.save(pos);
    expect(pos.checkpoint).toMatch(/step-00000003\.safetensors$/);
    // Two more steps, then step 6 is rejected.
    step.w = 5;
    pos.step = 5;
    pos.history.add(4, { g: 1 }, 1e-3);
    pos.data = { ...fakeData!, seed: 99 } as Position['data'];
    checkpoints.rollback(pos, 6, { g: NaN });
    expect([step.w, pos.step, pos.backoff, checkpoints.savedStep]).toEqual([3, 3, 1, 3]);
    expect(pos.data).toEqual(fakeData);
    expect(pos.history.drawable()).toEqual([]);
    checkpoints.rollback(pos, 4, { g: NaN });
    expect(pos.backoff).toBe(0.5);
    expect(messages).toEqual([
      'step 6: non-finite loss (g NaN); update skipped, rolled back to step 3',
      'step 4: non-finite loss (g NaN); update skipped, rolled back to step 3, learning rate ×0.5',
    ]);
    expect(events(s).filter((e) => e.event === 'nonfinite').map((e) => [e.step, e.rollbackTo, e.backoff])).toEqual([[6, 3, 1], [4, 3, 0.5]]);
    for (let i = 2; i < MAX_ROLLBACKS; i++) checkpoints.rollback(pos, 4, { g: NaN });
    expect(() => checkpoints.rollback(pos, 4, { g: NaN })).toThrow(`step 4: non-finite losses after ${MAX_ROLLBACKS} rollbacks and learning-rate cuts; giving up`);
    expect(checkpoints.rollbacks).toBe(MAX_ROLLBACKS + 1);
  });

  it('step loop: a rejected step rolls back and replays the same batches from the checkpoint', async () => {
    // Calls 1–4 are steps 1–4; call 5 (step 5) is rejected → back to step 3; calls 6, 7 are steps 4, 5 again.
    const step = new CountingStep(new Set([5]));
    const s = session(step, { steps: 6, checkpointEvery: 3 });
    const feed = new DataFeed(listImages(s.config.data), s.config, { worker: false }, s.say);
    try {
      const pos = at(0);
      const source = feed.source(undefined, 0);
      pos.data = source.sampler.state;
      const checkpoints = new Checkpoints(s, pos);
      await checkpoints.save(pos);
      const progress = new Progress({ label: 'test', total: 6, unit: 'steps', enabled: false });
      const timing = await stepLoop({ session: s, pos, feed, checkpoints, stop: new StopRequest(), progress }, source);
      expect([pos.step, step.w, step.calls, checkpoints.rollbacks]).toEqual([6, 6, 8, 1]);
      // Steps 4 and 5 after the rollback got the batches they got before it.
      expect(step.seen.slice(5, 7)).toEqual(step.seen.slice(3, 5));
      expect(step.seen[7]).not.toBe(step.seen[5]);
      expect(timing.totalMs).toBeGreaterThan(0);
      const stepLines = events(s).filter((e) => e.event === undefined).map((e) => e.step);
      expect(stepLines).toEqual([1, 2, 3, 4, 4, 5, 6]);
      expect(checkpoints.savedStep).toBe(6);
    } finally {
      await feed.close();
    }
  });

  it('resume: 3 steps, a new session from the checkpoint, 3 more steps see the batches of 6 straight steps', async () => {
    /** Run a session from its starting position up to `steps`; returns the step's HR checksums. */
    const runTo = async (s: Session, resume: boolean): Promise<number[]> => {
      const step = s.step as CountingStep;
      const feed = new DataFeed(listImages(s.config.data), s.config, { worker: false }, s.say);
      try {
        const pos = startingPosition(s, { resume });
        const source = feed.source(continuedDataOrder(pos.data, feed.files.length, false, s.say), pos.step);
        pos.data = source.sampler.state;
        const checkpoints = new Checkpoints(s, pos);
        if (!pos.checkpoint) await checkpoints.save(pos);
        await stepLoop({ session: s, pos, feed, checkpoints, stop: new StopRequest(), progress: new Progress({ label: 't', total: s.config.steps, enabled: false }) }, source);
        return step.seen;
      } finally {
        await feed.close();
      }
    };
    const straight = await runTo(session(new CountingStep(), { steps: 6, checkpointEvery: 3 }), false);
    const first = session(new CountingStep(), { steps: 3, checkpointEvery: 3 });
    const before = await runTo(first, false);
    const resumedStep = new CountingStep();
    const after = await runTo(new Session({ ...first.config, steps: 6 }, resumedStep, first.say), true);
    expect(resumedStep.w).toBe(6);
    expect([...before, ...after]).toEqual(straight);
  });

  it('validation: due every validateEvery steps and at the last; a point in the history, the log, the curves and a strip', async () => {
    const s = session(new CountingStep(), { validation, validateEvery: 4, steps: 10 });
    expect([3, 4, 8, 9, 10].map((n) => validationDue(s.config, n))).toEqual([false, true, true, false, true]);
    expect(validationDue({ ...s.config, validateEvery: 0 }, 4)).toBe(false);
    expect(validationDue({ ...s.config, validation: undefined }, 4)).toBe(false);
    const pos = at(4);
    const v = await validateAt(s, pos);
    // The fake step upscales bicubically: validation measures the bicubic baseline itself.
    expect(v.psnr_y).toBeCloseTo(v.bicubic_psnr_y, 6);
    expect(pos.history.validation).toEqual([v]);
    expect(events(s).at(-1)).toMatchObject({ step: 4, validation: { psnr_y: v.psnr_y } });
    expect(existsSync(join(s.samplesDir, 'step-4.png'))).toBe(true);
    expect(readFileSync(join(s.config.out, 'curves.html'), 'utf8')).toContain('viVID training');
  });
});
