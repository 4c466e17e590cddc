// Dense layers (shaders/dense.wgsl): y = x·w + b with x [N, in], w [in, out], b [out].
// x may have any rank ≥ 2: its first dimension is the batch and the rest are flattened in
// NHWC order (a [N, 6, 6, 512] feature map is [N, 18432]); dx comes back in x's shape.
// All three products run on one register-blocked, strided matrix-product kernel.

import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

/** C[m, n] = A[m, k]·B[k, n], A(i, l) = a[i·aMs + l·aKs], B(l, j) = b[l·bKs + j·bNs]. */
interface Product {
  m: number;
  n: number;
  k: number;
  aMs: number;
  aKs: number;
  bKs: number;
  bNs: number;
}

const TILE = 4; // outputs per thread along each axis (the WGSL's 4×4 register tile)

function gemm(rt: Runtime, a: Tensor, b: Tensor, c: Tensor, pr: Product, bias: Tensor | null): void {
  // 256 threads; few rows (a small batch) get a wide workgroup so no thread rows sit idle.
  const WY = Math.min(16, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(pr.m / TILE)))));
  const WX = 256 / WY;
  const bind: Record<string, Tensor> = { a, b, c };
  if (bias) bind.bias = bias;
  rt.run(
    { shader: 'dense', entry: bias ? 'gemm_bias' : 'gemm', constants: { WX, WY } },
    {
      bind,
      uniforms: { m: pr.m, n: pr.n, k: pr.k, a_ms: pr.aMs, a_ks: pr.aKs, b_ks: pr.bKs, b_ns: pr.bNs },
      workgroups: [Math.ceil(pr.n / (TILE * WX)), Math.ceil(pr.m / (TILE * WY))],
    },
  );
}

function dims(op: string, x: Tensor, w: Tensor): { n: number; fin: number; fout: number } {
  if (x.shape.length < 2 || w.shape.length !== 2) throw new Error(`${op}: need x [N, in...] and w [in, out], got [${x.shape}] and [${w.shape}]`);
  const n = x.shape[0]!;
  const fin = x.size / Math.max(n, 1);
  const [win, fout] = w.shape as [number, number];
  if (win !== fin) throw new Error(`${op}: x [${x.shape}] has ${fin} features per item, w [${w.shape}] expects ${win}`);
  return { n, fin, fout };
}

/** y [N, out] = x·w + b (b may be null). */
export function dense(rt: Runtime, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const { n, fin, fout } = dims('dense', x, w);
  if (b && b.size !== fout) throw new Error(`dense: bias has ${b.size} values, need ${fout}`);
  const y = rt.empty([n, fout]);
  gemm(rt, x, w, y, { m: n, n: fout, k: fin, aMs: fin, aKs: 1, bKs: fout, bNs: 1 }, b);
  return y;
}

/** dx = dy·wᵀ (x's shape), dw = xᵀ·dy [in, out], db = Σ_N dy [out]. */
export function denseBackward(rt: Runtime, x: Tensor, w: Tensor, dy: Tensor): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { n, fin, fout } = dims('denseBackward', x, w);
  if (dy.shape.length !== 2 || dy.shape[0] !== n || dy.shape[1] !== fout) {
    throw new Error(`denseBackward: dy is [${dy.shape}], expected [${n}, ${fout}]`);
  }
  const dx = rt.empty(x.shape);
  gemm(rt, dy, w, dx, { m: n, n: fin, k: fout, aMs: fout, aKs: 1, bKs: 1, bNs: fout }, null);
  const dw = rt.empty([fin, fout]);
  gemm(rt, x, dy, dw, { m: fin, n: fout, k: n, aMs: 1, aKs: fin, bKs: fout, bNs: 1 }, null);
  const db = rt.empty([fout]);
  rt.run(
    { shader: 'dense', entry: 'column_sum' },
    { bind: { g: dy, colsum: db }, uniforms: { rows: n, cols: fout }, workgroups: [Math.ceil(fout / 256)] },
  );
  return { dx, dw, db };
}
