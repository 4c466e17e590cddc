// Losses (shaders/loss.wgsl, sums by shaders/reduce.wgsl). Each loss is the mean over all
// elements and returns a [1] tensor; each backward returns d(scale·loss)/d(input).

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { reduceColumns } from './reduce.ts';

const WG = 256;

function run(rt: Runtime, entry: string, bind: Record<string, Tensor>, n: number, target: number, coef: number): void {
  rt.run({ shader: 'loss', entry, constants: { WG } }, { bind, uniforms: { n, label: target, coef }, workgroups: grid1d(n, WG) });
}

function nonEmpty(op: string, a: Tensor, b?: Tensor): number {
  if (b && a.size !== b.size) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ in size`);
  if (a.size === 0) throw new Error(`${op}: empty input`);
  return a.size;
}

/** mean((a − b)²) → [1]; the square is fused into the first reduction pass. */
export function mseLoss(rt: Runtime, a: Tensor, b: Tensor): Tensor {
  const n = nonEmpty('mseLoss', a, b);
  return reduceColumns(rt, { entry: 'sqdiff_rows', bind: { x: a, y: b }, outputs: 1 }, n, 1, 1 / n);
}

/** d/da of scale·mean((a − b)²) = 2·scale·(a − b)/n. */
export function mseBackward(rt: Runtime, a: Tensor, b: Tensor, scale = 1): Tensor {
  const n = nonEmpty('mseBackward', a, b);
  const y = rt.empty(a.shape, 'mse grad');
  run(rt, 'mse_backward', { a, b, y }, n, 0, (2 * scale) / n);
  return y;
}

/** mean(max(z, 0) − z·t + log(1 + e^(−|z|))) → [1]: binary cross-entropy of logits z against one label t. */
export function bceWithLogits(rt: Runtime, logits: Tensor, target: number): Tensor {
  const n = nonEmpty('bceWithLogits', logits);
  const terms = rt.empty([n], 'bce terms');
  run(rt, 'bce_elem', { a: logits, y: terms }, n, target, 0);
  const loss = reduceColumns(rt, { entry: 'sum_rows', bind: { x: terms }, outputs: 1 }, n, 1, 1 / n);
  terms.dispose();
  return loss;
}

/** d/dz of scale·bceWithLogits = scale·(σ(z) − t)/n. */
export function bceWithLogitsBackward(rt: Runtime, logits: Tensor, target: number, scale = 1): Tensor {
  const n = nonEmpty('bceWithLogitsBackward', logits);
  const y = rt.empty(logits.shape, 'bce grad');
  run(rt, 'bce_backward', { a: logits, y }, n, target, scale / n);
  return y;
}
