// What the conv2d modules share: shapes and geometry, the epilogue (bias + activation) and its
// WGSL codes, and the blocking constants read from the shaders.

import { grid1d } from '../../graph/grid.ts';
import { shaderSource } from '../../graph/shaders.ts';
import type { Shape, Tensor } from '../../graph/tensor.ts';
import { ACT } from '../activation.ts';

export type Epilogue =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'leaky'; slope: number }
  | { kind: 'prelu'; alpha: Tensor /* [Cout] or [1] */ }
  | { kind: 'tanh' };

export interface ConvOptions {
  stride?: 1 | 2;
  /** Zero padding on every side; default (K − 1) / 2 ('same' for odd K at stride 1). */
  pad?: number;
  /** 'auto' (default): chooseConvAlgorithm (router.ts) picks; 'direct' forces the direct
   *  kernels (tests and benchmarks compare them). */
  algorithm?: 'auto' | 'direct';
}

/** Zero padding per side; a negative side crops that many input rows or columns. */
export interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export interface Conv2dOptions extends ConvOptions {
  epilogue?: Epilogue;
  /** Per-side padding instead of `pad` (forward only): the tiled inference computes exactly the
   *  rows and columns a band needs, with zeros only where the image ends. */
  padding?: Padding;
  /** Pixel-shuffle the output by this factor as it is stored (PyTorch order): y is
   *  [N, Ho·r, Wo·r, Cout / r²]. The epilogue acts on the conv's channels before. */
  shuffle?: number;
}

/** The `const NAME: u32 = value;` constants of a WGSL file, so blocking factors are defined
 *  once, there. Read lazily (the shader loader is ready once a Runtime exists) and cached. */
export function shaderConsts<K extends string>(shader: string, names: readonly K[]): () => Record<K, number> {
  let cached: Record<K, number> | undefined;
  return () => {
    if (cached) return cached;
    const src = shaderSource(shader);
    const out = {} as Record<K, number>;
    for (const name of names) {
      const m = new RegExp(`\\bconst\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`).exec(src);
      if (!m) throw new Error(`shaders/${shader}.wgsl has no 'const ${name}: u32 = <n>;'`);
      out[name] = Number(m[1]);
    }
    return (cached = out);
  };
}

/** shaders/conv2d.wgsl blocking. Forward: output pixels (PX) × vec4 channel groups (CV) per
 *  thread; weight gradient: input channels (CI) × vec4 output channel groups (CO) per thread. */
export const block = shaderConsts('conv2d', ['PX', 'CV', 'CI', 'CO']);
/** Forward threads per workgroup of the direct kernels. */
export const WG = 64;

export type Dims4 = [number, number, number, number];

export const dims4 = (what: string, t: Tensor | Shape): Dims4 => {
  const s = 'shape' in t ? t.shape : t;
  if (s.length !== 4) throw new Error(`conv2d: ${what} must be 4-D, got [${s.join(', ')}]`);
  return s as unknown as Dims4;
};

export function convOutSize(h: number, k: number, stride: number, pad: number): number {
  return Math.floor((h + 2 * pad - k) / stride) + 1;
}

export interface Geometry {
  stride: number;
  padH: number;
  padW: number;
}

export function geometry(kh: number, kw: number, opts: ConvOptions): Geometry {
  const stride = opts.stride ?? 1;
  if (stride !== 1 && stride !== 2) throw new Error(`conv2d: stride ${stride} is not 1 or 2`);
  const padH = opts.pad ?? (kh - 1) / 2;
  const padW = opts.pad ?? (kw - 1) / 2;
  if (!Number.isInteger(padH) || !Number.isInteger(padW) || padH < 0) {
    throw new Error(`conv2d: pad must be a non-negative integer (kernel ${kh}×${kw} has no default 'same' pad)`);
  }
  return { stride, padH, padW };
}

/** The forward's padding per side: `padding` when given, else `pad` (default 'same') all round. */
export function forwardPadding(kh: number, kw: number, opts: Conv2dOptions): Padding {
  if (!opts.padding) {
    const g = geometry(kh, kw, opts);
    return { top: g.padH, bottom: g.padH, left: g.padW, right: g.padW };
  }
  const p = opts.padding;
  if (![p.top, p.bottom, p.left, p.right].every(Number.isInteger)) throw new Error(`conv2d: padding sides must be integers, got ${JSON.stringify(p)}`);
  return p;
}

/** 2-D grid for `threads` threads past 65535 workgroups; the kernel folds z back into x. */
export function foldGrid(threads: number, wg: number, y: number): [number, number, number] {
  const [gx, gz] = grid1d(threads, wg);
  return [gx, y, gz];
}

/** One forward launch: y = act(conv(x, w) + bias), x dilated by `dilation` (the input
 *  gradient runs as such a conv). */
export interface ConvCall {
  x: Tensor;
  w: Tensor; // [KH, KW, cin, cout]
  y: Tensor; // [N, ho, wo, cout]
  bias: Tensor | null;
  epilogue: Epilogue;
  stride: number;
  dilation: number;
  padH: number;
  padW: number;
  /** Pixel-shuffle factor of the stored output (1: none). */
  shuffle: number;
  /** Return x's Winograd input transform instead of freeing it (see conv2dTrain). */
  keepTransform?: boolean;
}

/** The epilogue as the shaders' `act()` takes it: code (ACT), leaky slope, PReLU alpha
 *  binding and its stride (0: one shared slope). Checked against Cout. */
export function epilogueParams(ep: Epilogue, cout: number): { act: number; slope: number; alpha: Tensor | null; alphaStride: number } {
  if (ep.kind === 'prelu' && ep.alpha.size !== 1 && ep.alpha.size !== cout) {
    throw new Error(`conv2d: prelu alpha has ${ep.alpha.size} values for ${cout} channels`);
  }
  return {
    act: ACT[ep.kind],
    slope: ep.kind === 'leaky' ? ep.slope : 0,
    alpha: ep.kind === 'prelu' ? ep.alpha : null,
    alphaStride: ep.kind === 'prelu' && ep.alpha.size !== 1 ? 1 : 0,
  };
}
