// Training checkpoints: one safetensors file per saved step, written atomically (temp file +
// fsync + rename, src/io/atomic.ts), so a kill -9 at any moment leaves either the previous
// set of files or the new complete one. The tensors are TrainingStep.exportState() (G, D,
// Adam moments and step counters); the metadata holds everything else a resume needs to
// continue bit for bit: step, data-sampler state, config, loss history, NaN back-off.

import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { readSafetensors, writeSafetensors } from '../io/weights/safetensors.ts';
import type { NamedTensor } from '../io/weights/types.ts';
import type { SamplerState } from '../data/patches.ts';
import type { HistoryJSON } from './history.ts';
import type { TrainConfig, TrainState } from './types.ts';

export interface CheckpointMeta {
  step: number;
  data: SamplerState;
  config: TrainConfig;
  history: HistoryJSON;
  /** Learning-rate factor from NaN back-offs (1 when none happened). */
  backoff: number;
  /** Training wall time so far (ms), summed over resumed sessions. */
  wallMs: number;
}

const NAME = /^step-(\d+)\.safetensors$/;

export function checkpointPath(dir: string, step: number): string {
  return join(dir, `step-${String(step).padStart(8, '0')}.safetensors`);
}

/** Checkpoint files in `dir`, newest (highest step) first. */
export function listCheckpoints(dir: string): Array<{ step: number; path: string }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => ({ m: NAME.exec(f), f }))
    .filter((x) => x.m)
    .map((x) => ({ step: Number(x.m![1]), path: join(dir, x.f) }))
    .sort((a, b) => b.step - a.step);
}

export function encodeCheckpoint(state: TrainState, meta: CheckpointMeta): Uint8Array {
  const tensors: NamedTensor[] = [...state].map(([name, t]) => ({ name, shape: [...t.shape], dtype: 'F32', data: t.data }));
  return writeSafetensors(tensors, {
    'vivid.kind': 'checkpoint',
    'vivid.step': String(meta.step),
    'vivid.data': JSON.stringify(meta.data),
    'vivid.config': JSON.stringify(meta.config),
    'vivid.history': JSON.stringify(meta.history),
    'vivid.backoff': String(meta.backoff),
    'vivid.wallMs': String(meta.wallMs),
  });
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): { state: TrainState; meta: CheckpointMeta } {
  const { tensors, metadata } = readSafetensors(bytes, source);
  if (metadata['vivid.kind'] !== 'checkpoint') throw new Error(`${source}: not a viVID training checkpoint`);
  const json = (key: string): unknown => {
    const raw = metadata[key];
    if (raw === undefined) throw new Error(`${source}: metadata lacks ${key}`);
    try {
      return JSON.parse(raw);
    } catch {
      throw new Error(`${source}: metadata ${key} is not valid JSON`);
    }
  };
  const state: TrainState = new Map();
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array)) throw new Error(`${source}: tensor ${name} is ${t.dtype}, expected F32`);
    state.set(name, { shape: t.shape, data: t.data });
  }
  const meta: CheckpointMeta = {
    step: json('vivid.step') as number,
    data: json('vivid.data') as SamplerState,
    config: json('vivid.config') as TrainConfig,
    history: json('vivid.history') as HistoryJSON,
    backoff: json('vivid.backoff') as number,
    wallMs: json('vivid.wallMs') as number,
  };
  if (!Number.isInteger(meta.step) || meta.step < 0) throw new Error(`${source}: bad step ${metadata['vivid.step']}`);
  return { state, meta };
}

/** Write a checkpoint atomically, then delete all but the newest `keep`. Returns its path. */
export function saveCheckpoint(dir: string, state: TrainState, meta: CheckpointMeta, keep: number): string {
  const path = checkpointPath(dir, meta.step);
  writeFileAtomic(path, encodeCheckpoint(state, meta));
  for (const old of listCheckpoints(dir).slice(keep)) {
    try {
      unlinkSync(old.path);
    } catch {
      /* already gone: another cleanup got there first */
    }
  }
  return path;
}

/**
 * The newest checkpoint that reads back whole. A damaged newer one (truncated copy, disk
 * trouble) is reported through `warn` and the next older one is tried.
 */
export function loadNewestCheckpoint(dir: string, warn: (msg: string) => void): { path: string; state: TrainState; meta: CheckpointMeta } | null {
  for (const { path } of listCheckpoints(dir)) {
    try {
      return { path, ...decodeCheckpoint(new Uint8Array(readFileSync(path)), path) };
    } catch (e) {
      warn(`skipping unreadable checkpoint ${path}: ${(e as Error).message}`);
    }
  }
  return null;
}
