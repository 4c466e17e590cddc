// Set-up phase: where a run starts — from scratch, or from the newest readable checkpoint
// (weights, optimiser, data position, history, back-off) — and whether the checkpoint's data
// order still fits the data folders.

import type { SamplerState } from '../data/patches.ts';
import { listCheckpoints, loadNewestCheckpoint } from './checkpoint.ts';
import { History } from './history.ts';
import type { Position, Session } from './session.ts';
import type { TrainConfig } from './types.ts';

/** Config fields that may change between a checkpoint and its resume without a warning. */
const RESUMABLE_CHANGES = new Set(['steps', 'out', 'validateEvery', 'validation', 'checkpointEvery', 'keepCheckpoints']);

function changedFields(now: TrainConfig, then: TrainConfig): string[] {
  const a = now as unknown as Record<string, unknown>, b = then as unknown as Record<string, unknown>;
  return Object.keys({ ...a, ...b }).filter((k) => !RESUMABLE_CHANGES.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/**
 * The starting position; with `resume` (or `exportOnly`) the newest readable checkpoint is
 * loaded into the session's step. A fresh run refuses a folder that already holds checkpoints.
 */
export function startingPosition(session: Session, mode: { resume?: boolean; exportOnly?: boolean }): Position {
  const { config, ckDir, say } = session;
  const fresh: Position = { step: 0, history: new History(), backoff: 1, wallBaseMs: 0, checkpoint: null };
  if (!mode.resume && !mode.exportOnly) {
    if (listCheckpoints(ckDir).length) throw new Error(`${config.out} already holds checkpoints: pass --resume to continue that run, or choose another --out`);
    return fresh;
  }
  const ck = loadNewestCheckpoint(ckDir, say);
  if (!ck) {
    if (mode.exportOnly) throw new Error(`no readable checkpoint in ${ckDir} to export`);
    say(`no checkpoint in ${ckDir}: starting from scratch`);
    return fresh;
  }
  session.step.importState(ck.state);
  const changed = changedFields(config, ck.meta.config);
  if (changed.length) say(`warning: config differs from the checkpoint's in ${changed.join(', ')}; continuing with the new values`);
  say(`resuming from ${ck.path} (step ${ck.meta.step})`);
  session.record({ event: 'resume', step: ck.meta.step, checkpoint: ck.path });
  return { step: ck.meta.step, history: History.fromJSON(ck.meta.history), backoff: ck.meta.backoff, wallBaseMs: ck.meta.wallMs, data: ck.meta.data, checkpoint: ck.path };
}

/**
 * The sampler state to continue from: the checkpoint's, or none (a fresh order) when asked for
 * one. A checkpoint whose order covers another number of images than the folders now hold
 * cannot continue without that request.
 */
export function continuedDataOrder(data: SamplerState | undefined, imageCount: number, newDataOrder: boolean, say: (m: string) => void): SamplerState | undefined {
  if (!data) return undefined;
  if (newDataOrder) {
    say(`fresh data order over ${imageCount} images (the checkpoint's covered ${data.order.length}); weights, optimiser and step kept`);
    return undefined;
  }
  if (data.order.length !== imageCount) {
    throw new Error(`the checkpoint's data order covers ${data.order.length} images but the data folders now hold ${imageCount}: pass --new-data-order to continue with a fresh order over the new data (weights, optimiser and step are kept), or restore the data`);
  }
  return data;
}
