// Float64 CPU references for shaders/conv2d.wgsl: forward, backward to input, backward to
// weights. Plain loops straight from the definition
//   y[n,oh,ow,co] = Σ_{kh,kw,ci} x[n, oh·s − pad + kh, ow·s − pad + kw, ci] · w[kh,kw,ci,co]
// with zero padding. NHWC activations, HWIO weights.

export type F64 = Float64Array;
export type Shape4 = readonly [number, number, number, number];

export interface ConvGeom {
  stride: number;
  pad: number;
  /** Per-side padding instead of `pad` (negative: that many rows or columns cropped). */
  padding?: { top: number; bottom: number; left: number; right: number };
}

export function outSize(h: number, k: number, { stride, pad }: ConvGeom): number {
  return Math.floor((h + 2 * pad - k) / stride) + 1;
}

/** The padding of each side: `padding` when given, else `pad` all round. */
const sides = (g: ConvGeom) => g.padding ?? { top: g.pad, bottom: g.pad, left: g.pad, right: g.pad };

/** Output height and width for per-side padding. */
function outSizes(H: number, W: number, KH: number, KW: number, g: ConvGeom): [number, number] {
  const p = sides(g);
  return [Math.floor((H + p.top + p.bottom - KH) / g.stride) + 1, Math.floor((W + p.left + p.right - KW) / g.stride) + 1];
}

/**
 * Every product of the forward sum: `visit(xi, wo, yo)` for each input element x[xi] (in bounds:
 * zero padding adds nothing) and the weight row w[wo .. wo+CO) / output row y[yo .. yo+CO) it
 * meets. The forward and both backwards are this loop with another accumulation.
 */
function forEachProduct(xs: Shape4, ws: Shape4, g: ConvGeom, visit: (xi: number, wo: number, yo: number) => void): void {
  const [N, H, W, C] = xs;
  const [KH, KW, , CO] = ws;
  const [HO, WO] = outSizes(H, W, KH, KW, g);
  const p = sides(g);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < HO; oh++)
      for (let ow = 0; ow < WO; ow++)
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * g.stride - p.top + kh;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * g.stride - p.left + kw;
            if (iw < 0 || iw >= W) continue;
            for (let ci = 0; ci < C; ci++) visit(((n * H + ih) * W + iw) * C + ci, ((kh * KW + kw) * C + ci) * CO, ((n * HO + oh) * WO + ow) * CO);
          }
        }
}

export function conv2d(x: F64, xs: Shape4, w: F64, ws: Shape4, g: ConvGeom): { y: F64; shape: Shape4 } {
  const [N, H, W, C] = xs;
  const [KH, KW, C2, CO] = ws;
  if (C !== C2) throw new Error(`conv2d reference: Cin ${C} vs weights ${C2}`);
  const [HO, WO] = outSizes(H, W, KH, KW, g);
  const y = new Float64Array(N * HO * WO * CO);
  forEachProduct(xs, ws, g, (xi, wo, yo) => {
    const xv = x[xi]!;
    for (let co = 0; co < CO; co++) y[yo + co] += xv * w[wo + co]!;
  });
  return { y, shape: [N, HO, WO, CO] };
}

/** dx for L = Σ y·dy: every forward product x·w sends dy·w back to its x. */
export function conv2dBackwardInput(dy: F64, w: F64, ws: Shape4, xs: Shape4, g: ConvGeom): F64 {
  const CO = ws[3];
  const dx = new Float64Array(xs[0] * xs[1] * xs[2] * xs[3]);
  forEachProduct(xs, ws, g, (xi, wo, yo) => {
    let s = 0;
    for (let co = 0; co < CO; co++) s += dy[yo + co]! * w[wo + co]!;
    dx[xi] += s;
  });
  return dx;
}

/** dw for L = Σ y·dy: each weight collects x·dy over every pixel it touched. */
export function conv2dBackwardWeights(x: F64, xs: Shape4, dy: F64, ws: Shape4, g: ConvGeom): F64 {
  const CO = ws[3];
  const dw = new Float64Array(ws[0] * ws[1] * ws[2] * CO);
  forEachProduct(xs, ws, g, (xi, wo, yo) => {
    const xv = x[xi]!;
    for (let co = 0; co < CO; co++) dw[wo + co] += xv * dy[yo + co]!;
  });
  return dw;
}

export type RefEpilogue =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'leaky'; slope: number }
  | { kind: 'prelu'; alpha: F64 }
  | { kind: 'tanh' };

/** y ← act(y + bias) per output channel (the last axis, of size cout). */
export function biasActivation(y: F64, cout: number, bias: F64 | null, ep: RefEpilogue): F64 {
  return y.map((v, i) => {
    const c = i % cout;
    const z = v + (bias ? bias[c]! : 0);
    switch (ep.kind) {
      case 'none':
        return z;
      case 'relu':
        return Math.max(z, 0);
      case 'leaky':
        return z > 0 ? z : ep.slope * z;
      case 'prelu':
        return z > 0 ? z : ep.alpha[ep.alpha.length === 1 ? 0 : c]! * z;
      case 'tanh':
        return Math.tanh(z);
    }
  });
}
