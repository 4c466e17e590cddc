// Back-projection onto a low-resolution frame (shaders/backproject.wgsl): what an HR image's
// MATLAB bicubic downscale D says differently from the LR frame is put back,
//   x ← x + β·Dᵀ(DDᵀ)⁻¹(lr − D·x).
// β = 1 is the orthogonal projection onto {x : D·x = lr}, the nearest image whose downscale is
// the LR frame: when lr = D·(true frame) it is never farther from the true frame than x was.
// D is separable (Dh ⊗ Dw), hence so are Dᵀ and (DDᵀ)⁻¹ = (DhDhᵀ)⁻¹ ⊗ (DwDwᵀ)⁻¹: every operator
// is two banded 1-D passes.

import { resizeMatrix } from '../data/resize.ts';
import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { axpby } from './elementwise.ts';
import { imageDims } from './pyramid.ts';

const WG = 256;

/** A matrix [rows, cols] on the GPU as a band: per row its first column, then `taps` weights. */
export interface BandMatrix {
  rows: number;
  cols: number;
  taps: number;
  tensor: Tensor;
}

/** Upload dense rows (all of one length) as the narrowest band that holds their nonzeros. */
export function bandMatrix(rt: Runtime, m: Float64Array[]): BandMatrix {
  const cols = m[0]!.length, sp = spans(m);
  const taps = Math.max(...sp.map(([a, b]) => b - a + 1));
  const data = new Float32Array(m.length * (taps + 1));
  m.forEach((row, i) => {
    const first = Math.min(sp[i]![0], cols - taps);
    data[i * (taps + 1)] = first;
    for (let t = 0; t < taps; t++) data[i * (taps + 1) + 1 + t] = row[first + t]!;
  });
  return { rows: m.length, cols, taps, tensor: rt.tensor([m.length, taps + 1], data) };
}

/** M applied along axis 0 (the rows: H → M.rows) or 1 (the columns: W → M.rows) of x [1, H, W, C]. */
export function applyBand(rt: Runtime, x: Tensor, m: BandMatrix, axis: 0 | 1): Tensor {
  const [h, w, c] = imageDims('applyBand', x);
  if ((axis === 0 ? h : w) !== m.cols) throw new Error(`applyBand: a matrix of ${m.cols} columns cannot act on axis ${axis} of [${x.shape}]`);
  const oh = axis === 0 ? m.rows : h, ow = axis === 1 ? m.rows : w;
  const out = rt.empty([1, oh, ow, c]);
  const pixels = oh * ow;
  rt.run(
    { shader: 'backproject', entry: 'band_axis', constants: { WG } },
    { bind: { src: x, band: m.tensor, dst: out }, uniforms: { pixels, w, h, c, ow, oh, axis, taps: m.taps }, workgroups: grid1d(pixels, WG) },
  );
  return out;
}

const transpose = (m: Float64Array[]) => Array.from({ length: m[0]!.length }, (_, j) => Float64Array.from(m, (row) => row[j]!));

/** The first and last nonzero column of each row ([0, −1] for a zero row). */
function spans(m: Float64Array[]): Array<[number, number]> {
  return m.map((row) => {
    let first = 0, last = -1;
    row.forEach((v, j) => {
      if (v !== 0) {
        if (last < 0) first = j;
        last = j;
      }
    });
    return [first, last];
  });
}

/**
 * (M·Mᵀ)⁻¹ in float64. M·Mᵀ is banded (a row of a downscale overlaps only its neighbours'), so
 * it is built from the overlaps and factored by a banded Cholesky, L·Lᵀ, and each column of the
 * inverse is one forward and one backward solve: O(n²·p) for half-bandwidth p instead of the
 * O(n³) of a dense inverse (for a 960-pixel LR row, under a second instead of half a minute).
 */
export function inverseGram(m: Float64Array[]): Float64Array[] {
  const n = m.length, sp = spans(m);
  const g = Array.from({ length: n }, () => new Float64Array(n));
  let p = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const lo = Math.max(sp[i]![0], sp[j]![0]), hi = Math.min(sp[i]![1], sp[j]![1]);
      let v = 0;
      for (let k = lo; k <= hi; k++) v += m[i]![k]! * m[j]![k]!;
      if (v !== 0) p = Math.max(p, i - j);
      g[i]![j] = v;
    }
  const l = g; // factored in place: the lower triangle becomes L
  for (let i = 0; i < n; i++)
    for (let j = Math.max(0, i - p); j <= i; j++) {
      let v = l[i]![j]!;
      for (let k = Math.max(0, i - p); k < j; k++) v -= l[i]![k]! * l[j]![k]!;
      if (i === j) {
        if (!(v > 0)) throw new Error(`inverseGram: the Gram matrix is singular at row ${i} (a zero or repeated row)`);
        l[i]![i] = Math.sqrt(v);
      } else l[i]![j] = v / l[j]![j]!;
    }
  const inv = Array.from({ length: n }, () => new Float64Array(n));
  const y = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    y.fill(0);
    for (let i = c; i < n; i++) {
      let v = i === c ? 1 : 0;
      for (let k = Math.max(c, i - p); k < i; k++) v -= l[i]![k]! * y[k]!;
      y[i] = v / l[i]![i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let v = y[i]!;
      for (let k = i + 1; k <= Math.min(n - 1, i + p); k++) v -= l[k]![i]! * inv[k]![c]!;
      inv[i]![c] = v / l[i]![i]!;
    }
  }
  return inv;
}

/** m with the entries below `tolerance` × their row's largest set to zero. (DDᵀ)⁻¹ decays
 *  exponentially off the diagonal (to 1e-8 of it 16 LR pixels away, for ×4), so its band is
 *  ~33 wide instead of the whole LR row: the dense passes cost 5× less and f32 loses nothing. */
function withoutNegligible(m: Float64Array[], tolerance: number): Float64Array[] {
  return m.map((row) => {
    const max = row.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    return row.map((v) => (Math.abs(v) < tolerance * max ? 0 : v));
  });
}

/** The operators of one frame size: D, (DDᵀ)⁻¹ and Dᵀ per axis, uploaded once. */
export class BackProjector {
  private readonly down: [BandMatrix, BandMatrix];
  private readonly gramInverse: [BandMatrix, BandMatrix];
  private readonly up: [BandMatrix, BandMatrix];

  constructor(
    readonly rt: Runtime,
    readonly lrHeight: number,
    readonly lrWidth: number,
    readonly scale: number,
  ) {
    if (!Number.isInteger(scale) || scale < 1) throw new Error(`BackProjector: scale ${scale} must be a whole number ≥ 1`);
    const d = [lrHeight, lrWidth].map((n) => resizeMatrix(n * scale, n, 1 / scale));
    this.down = [bandMatrix(rt, d[0]!), bandMatrix(rt, d[1]!)];
    this.gramInverse = [bandMatrix(rt, withoutNegligible(inverseGram(d[0]!), 1e-9)), bandMatrix(rt, withoutNegligible(inverseGram(d[1]!), 1e-9))];
    this.up = [bandMatrix(rt, transpose(d[0]!)), bandMatrix(rt, transpose(d[1]!))];
  }

  /** D·x: x [1, H, W, C] downscaled to the LR size (MATLAB bicubic, antialiased). */
  downscale(x: Tensor): Tensor {
    const [h, w] = imageDims('BackProjector', x);
    if (h !== this.lrHeight * this.scale || w !== this.lrWidth * this.scale) throw new Error(`BackProjector: image [${x.shape}] is not ${this.lrWidth}×${this.lrHeight} ×${this.scale}`);
    return this.pass(x, this.down);
  }

  /** x [1, H, W, C] + strength·Dᵀ(DDᵀ)⁻¹(lr − D·x), lr = [1, H/scale, W/scale, C]. */
  project(x: Tensor, lr: Tensor, strength: number): Tensor {
    const [lh, lw, lc] = imageDims('BackProjector', lr);
    if (lh !== this.lrHeight || lw !== this.lrWidth || lc !== x.shape[3]) throw new Error(`BackProjector: image [${x.shape}] and LR [${lr.shape}] are not ${this.lrWidth}×${this.lrHeight} ×${this.scale}`);
    const rt = this.rt;
    const down = this.downscale(x);
    const residual = axpby(rt, lr, down, 1, -1);
    const coefficients = this.pass(residual, this.gramInverse);
    const correction = this.pass(coefficients, this.up);
    const out = axpby(rt, x, correction, 1, strength);
    for (const t of [down, residual, coefficients, correction]) t.dispose();
    return out;
  }

  /** A separable operator: rows, then columns. */
  private pass(t: Tensor, [rows, cols]: [BandMatrix, BandMatrix]): Tensor {
    const a = applyBand(this.rt, t, rows, 0);
    const b = applyBand(this.rt, a, cols, 1);
    a.dispose();
    return b;
  }

  dispose(): void {
    for (const m of [...this.down, ...this.gramInverse, ...this.up]) m.tensor.dispose();
  }
}
