// Plain float64 SRResNet forward (eval-mode batch norm), written from the definitions in
// srresnet.ts with no tfjs at all, so check-model.ts can tell a tfjs mistake (weight
// permutation, BN folding, pixel-shuffle order) from a viVID one. Tiny sizes only.
import type { SrResNetConfig, WeightMap } from './srresnet.ts';

interface T {
  shape: [number, number, number, number];
  data: Float64Array;
}

function w(weights: WeightMap, name: string): Float64Array | undefined {
  const t = weights.get(name);
  return t ? Float64Array.from(t.data) : undefined;
}

function conv(x: T, k: Float64Array, kshape: readonly number[], bias?: Float64Array): T {
  const [n, h, wd, cin] = x.shape;
  const [kh, kw, , cout] = kshape as [number, number, number, number];
  const pt = Math.floor((kh - 1) / 2);
  const pl = Math.floor((kw - 1) / 2);
  const out = new Float64Array(n * h * wd * cout);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < wd; xx++)
        for (let o = 0; o < cout; o++) {
          let s = bias ? bias[o]! : 0;
          for (let i = 0; i < kh; i++) {
            const yy = y + i - pt;
            if (yy < 0 || yy >= h) continue;
            for (let j = 0; j < kw; j++) {
              const xj = xx + j - pl;
              if (xj < 0 || xj >= wd) continue;
              const xo = ((b * h + yy) * wd + xj) * cin;
              const ko = (i * kw + j) * cin * cout + o;
              for (let c = 0; c < cin; c++) s += x.data[xo + c]! * k[ko + c * cout]!;
            }
          }
          out[((b * h + y) * wd + xx) * cout + o] = s;
        }
  return { shape: [n, h, wd, cout], data: out };
}

function map(x: T, f: (v: number, c: number) => number): T {
  const C = x.shape[3];
  return { shape: x.shape, data: x.data.map((v, i) => f(v, i % C)) };
}

function add(a: T, b: T): T {
  return { shape: a.shape, data: a.data.map((v, i) => v + b.data[i]!) };
}

/** out[n, 2y+i, 2x+j, c] = in[n, y, x, 4c+2i+j] (PyTorch order). */
function pixelShuffle(x: T): T {
  const [n, h, wd, c4] = x.shape;
  const c = c4 / 4;
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < wd; xx++)
        for (let k = 0; k < c; k++)
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 2; j++)
              out[((b * 2 * h + 2 * y + i) * 2 * wd + 2 * xx + j) * c + k] = x.data[((b * h + y) * wd + xx) * c4 + 4 * k + 2 * i + j]!;
  return { shape: [n, 2 * h, 2 * wd, c], data: out };
}

export function referenceForward(weights: WeightMap, x: Float32Array, shape: [number, number, number, number], cfg: SrResNetConfig): Float64Array {
  const convL = (name: string, h: T) => conv(h, w(weights, `${name}.w`)!, weights.get(`${name}.w`)!.shape, w(weights, `${name}.b`));
  const bn = (name: string, h: T) => {
    const [g, be, m, v] = ['gamma', 'beta', 'mean', 'var'].map((s) => w(weights, `${name}.${s}`)!) as [Float64Array, Float64Array, Float64Array, Float64Array];
    return map(h, (val, c) => ((val - m[c]!) / Math.sqrt(v[c]! + cfg.bnEps)) * g[c]! + be[c]!);
  };
  const prelu = (name: string, h: T) => {
    const a = w(weights, `${name}.alpha`)!;
    return map(h, (val, c) => (val >= 0 ? val : val * a[a.length === 1 ? 0 : c]!));
  };
  const head = prelu('head.prelu', convL('head.conv', { shape, data: Float64Array.from(x) }));
  let r = head;
  for (let i = 0; i < cfg.blocks; i++) {
    const b = `blocks.${i}`;
    const t = prelu(`${b}.prelu`, bn(`${b}.bn1`, convL(`${b}.conv1`, r)));
    r = add(r, bn(`${b}.bn2`, convL(`${b}.conv2`, t)));
  }
  r = add(head, bn('trunk.bn', convL('trunk.conv', r)));
  for (let j = 0; j < cfg.upsamples; j++) r = prelu(`up.${j}.prelu`, pixelShuffle(convL(`up.${j}.conv`, r)));
  const y = convL('tail.conv', r);
  return y.data.map((v) => ((cfg.output === 'tanh' ? Math.tanh(v) : v) + 1) / 2);
}
