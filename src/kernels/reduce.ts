// Reductions (shaders/reduce.wgsl): sums, means, per-channel sums and per-channel moments.
// A tensor [..., C] is viewed as a row-major [rows, C] matrix; column sums are computed as a
// tree of passes (see the WGSL header), each thread adding at most SERIAL values serially.

import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

const WG = 256;
/** Values one thread adds serially per pass; the rest of each sum is pairwise. channelSum of
 *  [16,96,96,64] on llvmpipe (2 cores, busy machine, best of 10): 16 → 35 ms, 64 → 38 ms,
 *  256 → 15 ms, 1024 → 14 ms: fewer workgroups and barriers win. 256 keeps the serial f32
 *  error at that of a 256-term sum (≲ 1e-6 relative in the tests); [16,96,96,64] takes two
 *  passes. */
const SERIAL = 256;

/** A first pass: which entry, which inputs, and how many sums per column it produces. */
export interface FirstPass {
  entry: 'sum_rows' | 'sqdev_rows' | 'dot_dev_rows' | 'sqdiff_rows';
  bind: Record<string, Tensor>;
  /** Sums per column: 2 for sqdev_rows / dot_dev_rows. */
  outputs: 1 | 2;
  centerScale?: number;
}

/** Columns per workgroup: the next power of two ≥ cols, at most 64 (shared with batch norm's maps). */
export function columnTile(cols: number): number {
  let tc = 1;
  while (tc < cols && tc < 64) tc *= 2;
  return tc;
}

function groupsFor(rows: number, cols: number): number {
  return Math.max(1, Math.ceil(rows / ((WG / columnTile(cols)) * SERIAL)));
}

/** One pass over [rows, cols]: returns [groups, outputs·cols] partial sums, or the final
 *  [outputs·cols] sums when one group covers all rows. */
function pass(rt: Runtime, entry: string, bind: Record<string, Tensor>, rows: number, cols: number, outputs: number, scale: number, centerScale: number): Tensor {
  const tc = columnTile(cols);
  const rowsPerGroup = (WG / tc) * SERIAL;
  const groups = groupsFor(rows, cols);
  if (groups > rt.limits.maxComputeWorkgroupsPerDimension) throw new Error(`reduce: ${rows} rows is too many`);
  const out = rt.empty(groups === 1 ? [outputs * cols] : [groups, outputs * cols], groups === 1 ? 'reduce result' : 'reduce partials');
  rt.run(
    { shader: 'reduce', entry, constants: { WG, TC: tc } },
    {
      bind: { ...bind, out },
      uniforms: { rows, cols, rows_per_group: rowsPerGroup, scale, center_scale: centerScale },
      workgroups: [groups, Math.ceil(cols / tc)],
    },
  );
  return out;
}

/**
 * Column sums of a [rows, cols] problem: the first pass reads the inputs, later `sum_rows`
 * passes fold the partials until one row is left. Returns [outputs·cols], times `scale`.
 */
export function reduceColumns(rt: Runtime, first: FirstPass, rows: number, cols: number, scale = 1): Tensor {
  const width = first.outputs * cols;
  let groups = groupsFor(rows, cols);
  let part = pass(rt, first.entry, first.bind, rows, cols, first.outputs, groups === 1 ? scale : 1, first.centerScale ?? 1);
  while (groups > 1) {
    const next = groupsFor(groups, width);
    const folded = pass(rt, 'sum_rows', { x: part }, groups, width, 1, next === 1 ? scale : 1, 1);
    // The pool may hand this buffer out again; anything that writes it runs after this pass.
    part.dispose();
    part = folded;
    groups = next;
  }
  return part;
}

function channels(op: string, x: Tensor, C: number): number {
  if (!Number.isInteger(C) || C < 1 || x.size % C !== 0) throw new Error(`${op}: [${x.shape}] is not [..., ${C}]`);
  if (x.shape.length && x.shape[x.shape.length - 1] !== C) throw new Error(`${op}: last axis of [${x.shape}] is not ${C}`);
  return x.size / C;
}

/** Σ over all leading axes of an [..., C] tensor → [C] (bias and PReLU slope gradients). */
export function channelSum(rt: Runtime, x: Tensor, C: number): Tensor {
  const rows = channels('channelSum', x, C);
  return reduceColumns(rt, { entry: 'sum_rows', bind: { x }, outputs: 1 }, rows, C);
}

/** Σ of all elements → [1]. */
export function sum(rt: Runtime, x: Tensor): Tensor {
  return reduceColumns(rt, { entry: 'sum_rows', bind: { x }, outputs: 1 }, x.size, 1);
}

/** Mean of all elements → [1]. */
export function mean(rt: Runtime, x: Tensor): Tensor {
  if (x.size === 0) throw new Error('mean of an empty tensor');
  return reduceColumns(rt, { entry: 'sum_rows', bind: { x }, outputs: 1 }, x.size, 1, 1 / x.size);
}

/**
 * Per-channel mean and biased variance of an [..., C] tensor, by the corrected two-pass
 * algorithm (mean first, then Σ(x − mean)² and Σ(x − mean)), so large means lose no accuracy.
 */
export function channelMoments(rt: Runtime, x: Tensor, C: number): { mean: Tensor; var: Tensor } {
  const rows = channels('channelMoments', x, C);
  if (rows === 0) throw new Error('channelMoments of an empty tensor');
  const sums = channelSum(rt, x, C);
  const dev = reduceColumns(rt, { entry: 'sqdev_rows', bind: { x, center: sums }, outputs: 2, centerScale: 1 / rows }, rows, C);
  const m = rt.empty([C], 'channel mean');
  const v = rt.empty([C], 'channel var');
  rt.run(
    { shader: 'reduce', entry: 'moments_finalize' },
    { bind: { sums, dev, mean: m, variance: v }, uniforms: { cols: C, inv_n: 1 / rows }, workgroups: [Math.ceil(C / 64)] },
  );
  sums.dispose();
  dev.dispose();
  return { mean: m, var: v };
}
