// Elementwise kernels (shaders/elementwise.wgsl): scaled sums, products, clamp, fill.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

const WG = 64;
/** Elements per thread (PER in the WGSL). */
const PER = 64;

function run(rt: Runtime, entry: string, bind: Record<string, Tensor>, n: number, alpha: number, beta: number): void {
  rt.run({ shader: 'elementwise', entry, constants: { WG } }, { bind, uniforms: { n, alpha, beta }, workgroups: grid1d(n, WG * PER) });
}

function sameSize(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ in size`);
}

/** y = alpha·a + beta·b */
export function axpby(rt: Runtime, a: Tensor, b: Tensor, alpha = 1, beta = 1): Tensor {
  sameSize('axpby', a, b);
  const y = rt.empty(a.shape);
  run(rt, 'axpby', { a, b, y }, a.size, alpha, beta);
  return y;
}

export const add = (rt: Runtime, a: Tensor, b: Tensor) => axpby(rt, a, b, 1, 1);
export const sub = (rt: Runtime, a: Tensor, b: Tensor) => axpby(rt, a, b, 1, -1);

/** y = alpha·a·b */
export function mul(rt: Runtime, a: Tensor, b: Tensor, alpha = 1): Tensor {
  sameSize('mul', a, b);
  const y = rt.empty(a.shape);
  run(rt, 'mul', { a, b, y }, a.size, alpha, 0);
  return y;
}

/** y = alpha·a + beta */
export function affine(rt: Runtime, a: Tensor, alpha: number, beta = 0): Tensor {
  const y = rt.empty(a.shape);
  run(rt, 'affine', { a, y }, a.size, alpha, beta);
  return y;
}

/** y = alpha·a·s[0], s a one-element tensor (a scalar kept on the GPU). */
export function scaleByScalar(rt: Runtime, a: Tensor, s: Tensor, alpha = 1): Tensor {
  if (s.size !== 1) throw new Error(`scaleByScalar: scalar tensor has shape [${s.shape}]`);
  const y = rt.empty(a.shape);
  run(rt, 'scale_by_scalar', { a, b: s, y }, a.size, alpha, 0);
  return y;
}

/** y += alpha·a, in place. */
export function accumulate(rt: Runtime, y: Tensor, a: Tensor, alpha = 1): void {
  sameSize('accumulate', a, y);
  run(rt, 'accumulate', { a, y }, a.size, alpha, 0);
}

export function clamp(rt: Runtime, x: Tensor, lo: number, hi: number): Tensor {
  const y = rt.empty(x.shape);
  run(rt, 'clamp_forward', { a: x, y }, x.size, lo, hi);
  return y;
}

/** dx = dy where lo < x < hi, else 0. */
export function clampBackward(rt: Runtime, x: Tensor, dy: Tensor, lo: number, hi: number): Tensor {
  sameSize('clampBackward', x, dy);
  const y = rt.empty(x.shape);
  run(rt, 'clamp_backward', { a: x, b: dy, y }, x.size, lo, hi);
  return y;
}

export function fill(rt: Runtime, y: Tensor, value: number): Tensor {
  run(rt, 'fill', { y }, y.size, value, 0);
  return y;
}
