// Activation kernels (shaders/activation.wgsl): relu, leaky relu, PReLU, sigmoid, tanh and
// their backward passes. Backward of sigmoid and tanh takes the forward OUTPUT y (the
// derivative is y(1−y) resp. 1−y², cheaper than recomputing from x); relu, leaky relu and
// PReLU take the forward INPUT x. At x = 0 the slope branch is used (as PyTorch).

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

const WG = 256;
const SHADER = 'activation';
/** The activation codes of every shader's ACT override, the ACT_* constants of
 *  shaders/lib/act.wgsl (activation.wgsl and the conv epilogues include it; PReLU's per-channel
 *  slope only in the conv epilogue). test/kernels/activation-codes.test.ts holds the two to one. */
export const ACT = { none: 0, relu: 1, leaky: 2, prelu: 3, tanh: 4, sigmoid: 5 } as const;
type Act = (typeof ACT)[keyof typeof ACT];

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ in size`);
}

function forward(rt: Runtime, act: Act, x: Tensor, slope = 0): Tensor {
  const y = rt.empty(x.shape);
  rt.run(
    { shader: SHADER, entry: 'act_forward', constants: { WG, ACT: act } },
    { bind: { x, y }, uniforms: { n: x.size, slope }, workgroups: grid1d(x.size, WG) },
  );
  return y;
}

function backward(rt: Runtime, op: string, act: Act, saved: Tensor, dy: Tensor, slope = 0): Tensor {
  sameSize(op, saved, dy);
  const dx = rt.empty(saved.shape);
  rt.run(
    { shader: SHADER, entry: 'act_backward', constants: { WG, ACT: act } },
    { bind: { saved, dy, dx }, uniforms: { n: dx.size, slope }, workgroups: grid1d(dx.size, WG) },
  );
  return dx;
}

export const relu = (rt: Runtime, x: Tensor): Tensor => forward(rt, ACT.relu, x);
/** dx = dy where x > 0, else 0. */
export const reluBackward = (rt: Runtime, x: Tensor, dy: Tensor): Tensor => backward(rt, 'reluBackward', ACT.relu, x, dy);

/** y = x for x > 0, slope·x otherwise. Any slope, negative included. */
export const leakyRelu = (rt: Runtime, x: Tensor, slope: number): Tensor => forward(rt, ACT.leaky, x, slope);
export const leakyReluBackward = (rt: Runtime, x: Tensor, dy: Tensor, slope: number): Tensor =>
  backward(rt, 'leakyReluBackward', ACT.leaky, x, dy, slope);

export const sigmoid = (rt: Runtime, x: Tensor): Tensor => forward(rt, ACT.sigmoid, x);
/** Takes the forward output y = sigmoid(x): dx = dy·y·(1−y). */
export const sigmoidBackward = (rt: Runtime, y: Tensor, dy: Tensor): Tensor => backward(rt, 'sigmoidBackward', ACT.sigmoid, y, dy);

export const tanh = (rt: Runtime, x: Tensor): Tensor => forward(rt, ACT.tanh, x);
/** Takes the forward output y = tanh(x): dx = dy·(1−y²). */
export const tanhBackward = (rt: Runtime, y: Tensor, dy: Tensor): Tensor => backward(rt, 'tanhBackward', ACT.tanh, y, dy);

// ---- PReLU ----

function preluShape(op: string, x: Tensor, alpha: Tensor): { channels: number; na: number } {
  const channels = x.shape[x.shape.length - 1] ?? 1;
  if (alpha.size !== channels && alpha.size !== 1) {
    throw new Error(`${op}: alpha has ${alpha.size} values; need ${channels} (one per channel) or 1 (shared)`);
  }
  return { channels, na: alpha.size };
}

// The PReLU workgroup: 32 channels × 8 row lanes (constants CT, RT in the WGSL).
const CT = 32;
const RT = 8;
/** Rows one workgroup covers: 64 per lane keeps the backward's partials few and its f32 runs short. */
const ROWS_PER_CHUNK = RT * 64;

/** x as [rows, channels] in chunks of rows, one workgroup row per chunk. */
function rowChunks(rt: Runtime, x: Tensor, channels: number): { rows: number; rowsPerChunk: number; chunks: number } {
  const rows = channels ? x.size / channels : 0;
  const maxWg = rt.limits.maxComputeWorkgroupsPerDimension;
  // Grow the chunk (a multiple of RT) only if there would be more chunks than one grid dimension holds.
  const rowsPerChunk = Math.max(ROWS_PER_CHUNK, Math.ceil(rows / maxWg / RT) * RT);
  const chunks = Math.max(1, Math.ceil(rows / rowsPerChunk));
  return { rows, rowsPerChunk, chunks };
}

/** y = x for x > 0, alpha[c]·x otherwise; alpha is [C] (per channel, C = last dim) or [1]. */
export function prelu(rt: Runtime, x: Tensor, alpha: Tensor): Tensor {
  const { channels, na } = preluShape('prelu', x, alpha);
  const { rows, rowsPerChunk, chunks } = rowChunks(rt, x, channels);
  const y = rt.empty(x.shape);
  rt.run(
    { shader: SHADER, entry: 'prelu_forward' },
    { bind: { x, alpha, y }, uniforms: { n: x.size, channels, na, rows, rows_per_chunk: rowsPerChunk }, workgroups: [Math.ceil(channels / CT), chunks] },
  );
  return y;
}

/**
 * dx = dy where x > 0, alpha·dy otherwise; dalpha[c] = Σ over N,H,W of dy·x where x < 0
 * (summed over all channels too when alpha is shared). dalpha has alpha's shape.
 */
export function preluBackward(rt: Runtime, x: Tensor, alpha: Tensor, dy: Tensor): { dx: Tensor; dalpha: Tensor } {
  sameSize('preluBackward', x, dy);
  const { channels, na } = preluShape('preluBackward', x, alpha);
  const { rows, rowsPerChunk, chunks } = rowChunks(rt, x, channels);
  const dx = rt.empty(x.shape);
  const partial = rt.empty([chunks, channels], 'prelu partials');
  rt.run(
    { shader: SHADER, entry: 'prelu_backward' },
    {
      bind: { x, alpha, dy, dx, partial },
      uniforms: { n: x.size, channels, na, rows, rows_per_chunk: rowsPerChunk },
      workgroups: [Math.ceil(channels / CT), chunks],
    },
  );
  // A shared slope sums every partial: view them as one column.
  const cols = na === 1 ? 1 : channels;
  const dalpha = rt.empty(alpha.shape);
  rt.run(
    { shader: SHADER, entry: 'reduce_partials' },
    { bind: { parts: partial, sums: dalpha }, uniforms: { rows: partial.size / cols, cols }, workgroups: [cols] },
  );
  partial.dispose();
  return { dx, dalpha };
}
