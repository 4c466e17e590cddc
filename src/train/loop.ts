// The step loop: batch, learning rate, GPU step; then the log line and the progress bar, the
// time limit, and the checkpoint and validation phases when they are due. A rejected step
// (non-finite) rolls back instead (src/train/rollback.ts) and the loop goes on from there.

import type { BatchSource } from '../data/patches.ts';
import type { Progress } from '../util/progress.ts';
import { learningRate } from './config.ts';
import type { DataFeed } from './feed.ts';
import { formatLosses, LOSS_KEYS } from './history.ts';
import type { Checkpoints } from './rollback.ts';
import type { Position, Session } from './session.ts';
import type { StopRequest } from './stop.ts';
import type { StepLosses } from './types.ts';
import { validateAt, validationDue } from './validate.ts';

/** Where this session's step time went. */
export class StepTiming {
  waitMs = 0;
  totalMs = 0;

  add(waitMs: number, stepMs: number): void {
    this.waitMs += waitMs;
    this.totalMs += waitMs + stepMs;
  }

  /** Share of the step time spent waiting for data (0 before any step). */
  get waitShare(): number {
    return this.totalMs ? this.waitMs / this.totalMs : 0;
  }
}

export interface LoopParts {
  session: Session;
  pos: Position;
  feed: DataFeed;
  checkpoints: Checkpoints;
  stop: StopRequest;
  progress: Progress;
  /** Stop once this many seconds of training have passed (checked after each step). */
  timeLimitS?: number;
}

function logStep(session: Session, s: number, res: StepLosses, lr: number, ms: number, waitMs: number): void {
  const entry: Record<string, unknown> = { step: s };
  for (const k of LOSS_KEYS) if (res[k] !== undefined) entry[k] = res[k];
  session.record({ ...entry, lr, ms: Math.round(ms * 10) / 10, waitMs: Math.round(waitMs * 10) / 10 });
}

/** Train from `pos` with batches from `source` until the last step or a stop; `pos` follows. */
export async function stepLoop(parts: LoopParts, source: BatchSource, timing = new StepTiming()): Promise<StepTiming> {
  const { session, pos, feed, checkpoints, stop, progress, timeLimitS } = parts;
  const { config, step } = session;
  const deadline = timeLimitS === undefined ? Infinity : performance.now() + 1000 * timeLimitS;
  while (pos.step < config.steps && !stop.requested) {
    const next = pos.step + 1;
    const { batch, state, waitMs } = await source.next();
    const lr = learningRate(config, next, pos.backoff);
    const t0 = performance.now();
    const res = await step.run(batch, lr);
    const ms = performance.now() - t0;
    timing.add(waitMs, ms);

    if (!res.finite) {
      checkpoints.rollback(pos, next, res);
      source = feed.source(pos.data);
      progress.update(pos.step);
      continue;
    }

    pos.step = next;
    pos.data = state;
    pos.history.add(next, res, lr);
    logStep(session, next, res, lr, ms, waitMs);
    progress.update(next, `${formatLosses(res)}  lr ${lr.toExponential(1)}  data wait ${((100 * timing.waitMs) / timing.totalMs).toFixed(0)}%`);
    if (performance.now() >= deadline && !stop.requested) {
      stop.request('time limit');
      session.say(`time limit of ${timeLimitS} s reached: saving a checkpoint and the generator`);
    }
    if (checkpoints.due(next, stop.requested)) await checkpoints.save(pos);
    if (validationDue(config, next)) await validateAt(session, pos);
  }
  return timing;
}
