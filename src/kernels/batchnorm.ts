// Batch normalisation over the last axis of [..., C] (shaders/batchnorm.wgsl, statistics from
// shaders/reduce.wgsl). Training mode normalises with the batch mean and biased variance and
// updates the running statistics in place, PyTorch-style; eval mode uses the running ones.
// batchNormPreluTrain / batchNormPreluBackward are training-mode BN followed by PReLU, fused.

import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { channelMoments, channelSum, columnTile, reduceColumns } from './reduce.ts';

const WG = 256;
/** Rows one thread walks in the per-element maps: on llvmpipe 16 → 59 ms, 64 → 45 ms,
 *  256 → 53 ms for bn_apply on [16,96,96,64]. */
const ROWS_PER_THREAD = 64;

export interface BatchNormTrainOptions {
  eps?: number;
  momentum?: number;
  /** [C], updated in place when given (both or neither). */
  runningMean?: Tensor;
  runningVar?: Tensor;
}

function channelsOf(op: string, x: Tensor, ...perChannel: Tensor[]): number {
  const C = x.shape[x.shape.length - 1];
  if (C === undefined || C === 0) throw new Error(`${op}: [${x.shape}] has no channel axis`);
  for (const t of perChannel) if (t.size !== C) throw new Error(`${op}: per-channel tensor [${t.shape}] does not match C=${C}`);
  return C;
}

function perChannel(rt: Runtime, entry: string, C: number, bind: Record<string, Tensor>, o: { eps?: number; momentum?: number; unbias?: number } = {}): void {
  rt.run(
    { shader: 'batchnorm', entry },
    { bind, uniforms: { cols: C, eps: o.eps ?? 0, momentum: o.momentum ?? 0, unbias: o.unbias ?? 1 }, workgroups: [Math.ceil(C / 64)] },
  );
}

interface RowPass {
  /** 1 / rows, for the backward's means. */
  invRows?: number;
  rowsPerThread?: number;
}

/** Workgroups along the rows of a per-element map over [rows, C] (see the WGSL header). */
function rowGroups(rt: Runtime, rows: number, C: number, rowsPerThread = ROWS_PER_THREAD): { groups: number; rowsPerGroup: number } {
  const rowsPerGroup = (WG / columnTile(C)) * rowsPerThread;
  const groups = Math.ceil(rows / rowsPerGroup);
  if (groups > rt.limits.maxComputeWorkgroupsPerDimension) throw new Error(`batch norm: ${rows} rows is too many`);
  return { groups, rowsPerGroup };
}

/** A per-element map over [rows, C], in row blocks (see the WGSL header). */
function elementwise(rt: Runtime, entry: string, C: number, bind: Record<string, Tensor>, rows: number, { invRows = 0, rowsPerThread }: RowPass = {}): void {
  const tc = columnTile(C);
  const { groups, rowsPerGroup } = rowGroups(rt, rows, C, rowsPerThread);
  rt.run(
    { shader: 'batchnorm', entry, constants: { WG, TC: tc } },
    { bind, uniforms: { rows, cols: C, rows_per_group: rowsPerGroup, inv_rows: invRows, na: 1 }, workgroups: [groups, Math.ceil(C / tc)] },
  );
}

function invStdOf(rt: Runtime, variance: Tensor, eps: number): Tensor {
  const C = variance.size;
  const invStd = rt.empty([C], 'bn invStd');
  perChannel(rt, 'bn_inv_std', C, { variance, inv_std_out: invStd }, { eps });
  return invStd;
}

function apply(rt: Runtime, x: Tensor, mean: Tensor, invStd: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  const y = rt.empty(x.shape, 'bn y');
  elementwise(rt, 'bn_apply', mean.size, { x, mean, inv_std: invStd, gamma, beta, y }, x.size / mean.size);
  return y;
}

/**
 * Training-mode forward. Returns y and the batch mean and 1/√(var + eps) per channel, which the
 * backward needs; the caller owns all three.
 */
export function batchNormTrain(rt: Runtime, x: Tensor, gamma: Tensor, beta: Tensor, opts: BatchNormTrainOptions = {}): { y: Tensor; mean: Tensor; invStd: Tensor } {
  const { mean, invStd } = batchStatistics(rt, 'batchNormTrain', x, gamma, beta, opts);
  return { y: apply(rt, x, mean, invStd, gamma, beta), mean, invStd };
}

/** Batch mean and 1/√(var + eps), and the running statistics' update. */
function batchStatistics(
  rt: Runtime,
  op: string,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  { eps = 1e-5, momentum = 0.1, runningMean, runningVar }: BatchNormTrainOptions,
): { mean: Tensor; invStd: Tensor } {
  const C = channelsOf(op, x, gamma, beta, ...[runningMean, runningVar].filter((t): t is Tensor => !!t));
  if (!runningMean !== !runningVar) throw new Error(`${op}: give both runningMean and runningVar, or neither`);
  const rows = x.size / C;
  // As in PyTorch: one value per channel has no variance (and no unbiased estimate).
  if (rows < 2) throw new Error(`${op}: need more than one value per channel, got [${x.shape}]`);
  const { mean, var: variance } = channelMoments(rt, x, C);
  const invStd = invStdOf(rt, variance, eps);
  if (runningMean && runningVar) {
    perChannel(rt, 'bn_update_running', C, { mean, variance, running_mean: runningMean, running_var: runningVar }, { momentum, unbias: rows / (rows - 1) });
  }
  variance.dispose();
  return { mean, invStd };
}

/** Eval-mode forward: y = (x − runningMean)/√(runningVar + eps)·gamma + beta. */
export function batchNormEval(rt: Runtime, x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, eps = 1e-5): Tensor {
  channelsOf('batchNormEval', x, gamma, beta, runningMean, runningVar);
  const invStd = invStdOf(rt, runningVar, eps);
  const y = apply(rt, x, runningMean, invStd, gamma, beta);
  invStd.dispose();
  return y;
}

/** Training-mode backward through the batch statistics (mean and invStd from batchNormTrain). */
export function batchNormBackward(
  rt: Runtime,
  x: Tensor,
  dy: Tensor,
  gamma: Tensor,
  mean: Tensor,
  invStd: Tensor,
): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const C = channelsOf('batchNormBackward', x, gamma, mean, invStd);
  if (dy.size !== x.size) throw new Error(`batchNormBackward: dy [${dy.shape}] and x [${x.shape}] differ in size`);
  const rows = x.size / C;
  // [2C]: Σ dy, then Σ dy·(x − mean).
  const sums = reduceColumns(rt, { entry: 'dot_dev_rows', bind: { x, y: dy, center: mean }, outputs: 2 }, rows, C);
  const dx = rt.empty(x.shape, 'bn dx');
  elementwise(rt, 'bn_backward_dx', C, { x, dy, mean, inv_std: invStd, gamma, sums, y: dx }, rows, { invRows: 1 / rows });
  const dgamma = rt.empty([C], 'bn dgamma');
  const dbeta = rt.empty([C], 'bn dbeta');
  perChannel(rt, 'bn_backward_params', C, { sums, inv_std: invStd, dgamma, dbeta });
  sums.dispose();
  return { dx, dgamma, dbeta };
}

// ---- BN → PReLU fused ----

/** The fused maps' per-channel constants [C, 4] (see the WGSL): one dispatch over C. */
function affineOf(rt: Runtime, op: string, mean: Tensor, invStd: Tensor, gamma: Tensor, beta: Tensor, alpha: Tensor): { affine: Tensor; na: number } {
  const C = mean.size;
  if (alpha.size !== C && alpha.size !== 1) throw new Error(`${op}: alpha has ${alpha.size} values; need ${C} (one per channel) or 1 (shared)`);
  const affine = rt.empty([C, 4], 'bn-prelu affine');
  channelPass(rt, 'bn_prelu_affine', C, { mean, inv_std: invStd, gamma, beta, alpha, affine_out: affine }, alpha.size);
  return { affine, na: alpha.size };
}

/** A one-thread-per-channel entry of the fused family (they read RowParams); na is the number
 *  of PReLU slopes, 1 (shared) or C. */
function channelPass(rt: Runtime, entry: string, C: number, bind: Record<string, Tensor>, na: number, invRows = 0): void {
  rt.run({ shader: 'batchnorm', entry }, { bind, uniforms: { rows: 0, cols: C, rows_per_group: 0, inv_rows: invRows, na }, workgroups: [Math.ceil(C / 64)] });
}

/**
 * Training-mode batch norm, then PReLU with slopes alpha ([C] or [1]), in one pass over x after
 * the statistics: y = PReLU((x − mean)·invStd·gamma + beta). Same statistics and running update
 * as batchNormTrain; the caller owns y, mean and invStd.
 */
export function batchNormPreluTrain(rt: Runtime, x: Tensor, gamma: Tensor, beta: Tensor, alpha: Tensor, opts: BatchNormTrainOptions = {}): { y: Tensor; mean: Tensor; invStd: Tensor } {
  const { mean, invStd } = batchStatistics(rt, 'batchNormPreluTrain', x, gamma, beta, opts);
  const { affine } = affineOf(rt, 'batchNormPreluTrain', mean, invStd, gamma, beta, alpha);
  const y = rt.empty(x.shape, 'bn-prelu y');
  elementwise(rt, 'bn_prelu_apply', mean.size, { x, affine, y }, x.size / mean.size);
  affine.dispose();
  return { y, mean, invStd };
}

/** Rows one thread sums in bn_prelu_backward_sums: reduce.ts's SERIAL, so few partial rows. */
const SUM_ROWS_PER_THREAD = 256;

/**
 * Backward of batchNormPreluTrain. The BN output is recomputed from x rather than kept, and the
 * PReLU backward rides along the BN backward's two passes over (x, dy): sums, then dx.
 * dalpha has alpha's shape.
 */
export function batchNormPreluBackward(
  rt: Runtime,
  x: Tensor,
  dy: Tensor,
  gamma: Tensor,
  beta: Tensor,
  alpha: Tensor,
  mean: Tensor,
  invStd: Tensor,
): { dx: Tensor; dgamma: Tensor; dbeta: Tensor; dalpha: Tensor } {
  const C = channelsOf('batchNormPreluBackward', x, gamma, beta, mean, invStd);
  if (dy.size !== x.size) throw new Error(`batchNormPreluBackward: dy [${dy.shape}] and x [${x.shape}] differ in size`);
  const rows = x.size / C;
  const { affine, na } = affineOf(rt, 'batchNormPreluBackward', mean, invStd, gamma, beta, alpha);
  const partial = rt.empty([rowGroups(rt, rows, C, SUM_ROWS_PER_THREAD).groups, 3 * C], 'bn-prelu partials');
  elementwise(rt, 'bn_prelu_backward_sums', C, { x, dy, affine, partial }, rows, { rowsPerThread: SUM_ROWS_PER_THREAD });
  // [3C]: Σ g, Σ g·(x − mean), then the slope gradient per channel.
  const sums = channelSum(rt, partial, 3 * C);
  partial.dispose();
  const dgamma = rt.empty([C], 'bn dgamma');
  const dbeta = rt.empty([C], 'bn dbeta');
  const dalpha = rt.empty(alpha.shape, 'prelu dalpha');
  const coef = rt.empty([2 * C], 'bn-prelu dx coefficients');
  channelPass(rt, 'bn_prelu_backward_params', C, { sums, inv_std: invStd, dgamma, dbeta, dalpha, coef_out: coef }, na, 1 / rows);
  sums.dispose();
  const dx = rt.empty(x.shape, 'bn-prelu dx');
  elementwise(rt, 'bn_prelu_backward_dx', C, { x, dy, affine, coef, y: dx }, rows);
  affine.dispose();
  coef.dispose();
  return { dx, dgamma, dbeta, dalpha };
}
