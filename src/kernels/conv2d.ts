// 2-D convolution (shaders/conv2d.wgsl): forward with a fused bias + activation epilogue,
// input gradient (a conv of dy with the flipped, transposed kernel over dy dilated by the
// stride) and weight gradient (chunked reduction over pixels + a small sum pass); 3×3 stride-1
// convs with channels in vec4s take Winograd (shaders/conv2d_winograd.wgsl) for all three, and
// stride-1 convs with 3 channels on one side (the 9×9 head and tail) the RGB kernels
// (src/kernels/conv2d_rgb.ts) for all three. The input gradient of a strided conv with Cin % 8
// == 0 runs per output phase (conv_dx4: only the taps that meet real dy pixels).
// NHWC activations, HWIO weights [kh, kw, cin, cout], zero padding, odd or even kernels.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import { shaderSource } from '../graph/shaders.ts';
import type { Shape, Tensor } from '../graph/tensor.ts';
import { rgbConv, rgbSide, rgbWeights } from './conv2d_rgb.ts';
import { sumOfChunks } from './partial-sums.ts';

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
  /** 'auto' (default) picks Winograd for 3×3 stride-1 convs with channels in vec4s, the RGB
   *  kernels for stride-1 convs with 3 input or output channels (kernels up to 9×9), else the
   *  direct kernel; 'direct' forces the direct kernel (tests and benchmarks compare them). */
  algorithm?: 'auto' | 'direct';
}

export interface Conv2dOptions extends ConvOptions {
  epilogue?: Epilogue;
}

/** A `const NAME: u32 = value;` of the WGSL, so the blocking factors are defined once. */
function shaderConst(name: string, shader = 'conv2d'): number {
  const m = new RegExp(`\\bconst\\s+${name}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`).exec(shaderSource(shader));
  if (!m) throw new Error(`shaders/${shader}.wgsl has no 'const ${name}: u32 = <n>;'`);
  return Number(m[1]);
}

let blocking: { PX: number; CV: number; CI: number; CO: number } | undefined;
/** Forward: output pixels (PX) × vec4 channel groups (CV) per thread; weight gradient: input
 *  channels (CI) × vec4 output channel groups (CO) per thread. Read lazily: the shader loader
 *  is ready once a Runtime exists. */
const block = () => (blocking ??= { PX: shaderConst('PX'), CV: shaderConst('CV'), CI: shaderConst('CI'), CO: shaderConst('CO') });
const WG = 64; // forward threads per workgroup
const ACT = { none: 0, relu: 1, leaky: 2, prelu: 3, tanh: 4 } as const;
/** Pixels per chunk of the weight-gradient reduction: enough work per workgroup to hide its
 *  start-up, enough chunks to keep every core busy. */
const CHUNK_PIXELS = 2048;

const dims4 = (what: string, t: Tensor | Shape): [number, number, number, number] => {
  const s = 'shape' in t ? t.shape : t;
  if (s.length !== 4) throw new Error(`conv2d: ${what} must be 4-D, got [${s.join(', ')}]`);
  return s as unknown as [number, number, number, number];
};

export function convOutSize(h: number, k: number, stride: number, pad: number): number {
  return Math.floor((h + 2 * pad - k) / stride) + 1;
}

interface Geometry {
  stride: number;
  padH: number;
  padW: number;
}

function geometry(kh: number, kw: number, opts: ConvOptions): Geometry {
  const stride = opts.stride ?? 1;
  if (stride !== 1 && stride !== 2) throw new Error(`conv2d: stride ${stride} is not 1 or 2`);
  const padH = opts.pad ?? (kh - 1) / 2;
  const padW = opts.pad ?? (kw - 1) / 2;
  if (!Number.isInteger(padH) || !Number.isInteger(padW) || padH < 0) {
    throw new Error(`conv2d: pad must be a non-negative integer (kernel ${kh}×${kw} has no default 'same' pad)`);
  }
  return { stride, padH, padW };
}

/** 2-D grid for `threads` threads past 65535 workgroups; the kernel folds z back into x. */
function foldGrid(threads: number, wg: number, y: number): [number, number, number] {
  const [gx, gz] = grid1d(threads, wg);
  return [gx, y, gz];
}

interface ConvCall {
  x: Tensor;
  w: Tensor; // [KH, KW, cin, cout]
  y: Tensor; // [N, ho, wo, cout]
  bias: Tensor | null;
  epilogue: Epilogue;
  stride: number;
  dilation: number;
  padH: number;
  padW: number;
  algorithm: 'auto' | 'direct';
  /** Return x's Winograd input transform instead of freeing it (see conv2dTrain). */
  keepTransform?: boolean;
}

/** The shared forward launcher (also runs the input gradient with dilation = stride); returns
 *  the kept input transform, if c.keepTransform asked for it and the conv made one. */
function launchConv(rt: Runtime, c: ConvCall): Tensor | null {
  const [N, H, W, cin] = dims4('x', c.x);
  const [KH, KW, , cout] = dims4('w', c.w);
  const [, ho, wo] = dims4('y', c.y);
  const { PX, CV } = block();
  if (useWinograd(rt, c, cin, cout)) return launchWinograd(rt, c);
  const tilesW = Math.ceil(wo / PX);
  const threads = N * ho * tilesW;
  const fast = cout % (4 * CV) === 0;
  const ep = c.epilogue;
  let alphaStride = 0;
  if (ep.kind === 'prelu') {
    if (ep.alpha.size !== 1 && ep.alpha.size !== cout) throw new Error(`conv2d: prelu alpha has ${ep.alpha.size} values for ${cout} channels`);
    alphaStride = ep.alpha.size === 1 ? 0 : 1;
  }
  if (c.bias && c.bias.size !== cout) throw new Error(`conv2d: bias has ${c.bias.size} values for ${cout} channels`);
  // 3 channels on one side (RGB in or out, stride 1): shaders/conv2d_rgb.wgsl.
  if (c.algorithm !== 'direct' && rgbSide(KH, KW, cin, cout, c.stride, c.dilation)) {
    rgbConv(rt, {
      x: c.x, w: c.w, y: c.y, bias: c.bias, act: ACT[ep.kind], slope: ep.kind === 'leaky' ? ep.slope : 0,
      alpha: ep.kind === 'prelu' ? ep.alpha : null, padH: c.padH, padW: c.padW,
    });
    return null;
  }
  // Unused bindings still need a buffer: the weights stand in (read-only, never read).
  const bias = c.bias ?? c.w;
  const alpha = ep.kind === 'prelu' ? ep.alpha : c.w;
  const constants = {
    KH, KW, S: c.stride, D: c.dilation, WG,
    ACT: ACT[ep.kind], HAS_BIAS: c.bias ? 1 : 0,
  };
  const uniforms = {
    n: N, h: H, w: W, cin, ho, wo, cout, pad_h: c.padH, pad_w: c.padW,
    tiles_w: tilesW, threads, slope: ep.kind === 'leaky' ? ep.slope : 0, alpha_stride: alphaStride, w_stride: 0,
  };
  if (fast) {
    rt.run(
      { shader: 'conv2d', entry: 'conv_fwd4', constants },
      { bind: { x: c.x, w4: c.w, bias4: bias, alpha, y4: c.y }, uniforms, workgroups: foldGrid(threads, WG, cout / (4 * CV)) },
    );
  } else {
    rt.run(
      { shader: 'conv2d', entry: 'conv_fwd_any', constants },
      { bind: { x: c.x, w: c.w, bias, alpha, y: c.y }, uniforms, workgroups: foldGrid(threads, WG, Math.ceil(cout / 4)) },
    );
  }
  return null;
}

/** Bytes of one Winograd scratch buffer (V or M) per chunk: small enough for one binding and
 *  for the pool to recycle. */
const WINO_CHUNK_BYTES = 64 << 20;
/** wino_gemm lanes per workgroup: each workgroup copies a 16 KiB U block, so more lanes share
 *  one copy (128 vs 64: [16,48,48,64] → 256 GEMMs 146 → 136 ms; 256 slower at 24 × 24). */
const WINO_GEMM_WG = 128;
let winoBlocking: { GB: number; LT: number } | undefined;
/** shaders/conv2d_winograd.wgsl wino_gemm blocking: GB × GB blocks of U, LT tiles per lane. */
const wino = () => (winoBlocking ??= { GB: shaderConst('GB', 'conv2d_winograd'), LT: shaderConst('LT', 'conv2d_winograd') });

/**
 * Winograd (shaders/conv2d_winograd.wgsl) for 3×3 stride-1 convs with channels in vec4s:
 * F(6×6, 3×3) (5.1× fewer multiplies) with U blocks in workgroup memory when Cout % 16 == 0, else
 * F(2×2, 3×3) (2.25× fewer). On llvmpipe/lavapipe every storage-buffer element load is a
 * per-lane scalar load with a bounds check (~10 instructions, uniform address or not), so the
 * direct kernel is bound by loads per multiply-add; the Winograd GEMMs do far fewer of both,
 * and the transforms cost far less than they save. Other shapes take the direct kernel.
 */
function useWinograd(rt: Runtime, c: ConvCall, cin: number, cout: number): boolean {
  const [KH, KW] = dims4('w', c.w);
  if (c.algorithm === 'direct' || KH !== 3 || KW !== 3 || c.stride !== 1 || c.dilation !== 1) return false;
  if (cin % 4 !== 0 || cout % (4 * block().CV) !== 0) return false;
  const [, ho, wo] = dims4('y', c.y);
  // The larger of the F(2×2) and F(6×6) transformed tensors of one image.
  const perImage = Math.max(16 * Math.ceil(ho / 2) * Math.ceil(wo / 2), 64 * Math.ceil(ho / 6) * Math.ceil(wo / 6)) * Math.max(cin, cout) * 4;
  return perImage <= Math.min(WINO_CHUNK_BYTES, rt.limits.maxStorageBufferBindingSize);
}

function launchWinograd(rt: Runtime, c: ConvCall): Tensor | null {
  const [N, H, W, cin] = dims4('x', c.x);
  const [, , , cout] = dims4('w', c.w);
  const [, ho, wo] = dims4('y', c.y);
  const { PX, CV } = block();
  // The GEMMs: with cout % 16 == 0 F(6×6, 3×3) ('wino6_*' transforms) and its 64 GEMMs on
  // wino_gemm (U in GB × GB blocks), else F(2×2, 3×3) with the 16 GEMMs on conv_fwd4 as a 1×1
  // conv (U in [16, cin, cout]).
  const { GB: WINO_GB, LT: WINO_LT } = wino();
  const blockGemm = cout % 16 === 0;
  const F = blockGemm ? 6 : 2; // output tile edge
  const XI = (F + 2) * (F + 2);
  const pre = F === 6 ? 'wino6' : 'wino';
  const th = Math.ceil(ho / F), tw = Math.ceil(wo / F);
  const perImage = XI * th * tw * Math.max(cin, cout) * 4;
  const imagesPerChunk = Math.max(1, Math.min(N, Math.floor(Math.min(WINO_CHUNK_BYTES, rt.limits.maxStorageBufferBindingSize) / perImage)));
  const ep = c.epilogue;
  const alphaStride = ep.kind === 'prelu' && ep.alpha.size !== 1 ? 1 : 0;
  const bias = c.bias ?? c.w;
  const alpha = ep.kind === 'prelu' ? ep.alpha : c.w;

  const coBlocks = Math.ceil(cout / WINO_GB), ciChunks = Math.ceil(cin / WINO_GB);
  const u = blockGemm ? rt.empty([XI * coBlocks * ciChunks, WINO_GB * WINO_GB], 'conv2d.wino.ublk') : rt.empty([16, cin, cout], 'conv2d.wino.u');
  rt.run(
    { shader: 'conv2d_winograd', entry: `${pre}_weights`, constants: { WG: 256 } },
    {
      bind: { wsrc: c.w, u },
      uniforms: { cin, cout, total: cin * cout, blocked: blockGemm ? 1 : 0, co_blocks: coBlocks, ci_chunks: ciChunks },
      workgroups: grid1d(cin * cout, 256),
    },
  );
  const maxTiles = imagesPerChunk * th * tw;
  const v = rt.empty([XI, maxTiles, cin], 'conv2d.wino.v');
  const m = rt.empty([XI, maxTiles, cout], 'conv2d.wino.m');
  for (let n0 = 0; n0 < N; n0 += imagesPerChunk) {
    const tiles = Math.min(imagesPerChunk, N - n0) * th * tw;
    const inTotal = tiles * (cin / 4);
    rt.run(
      { shader: 'conv2d_winograd', entry: `${pre}_input`, constants: { WG: 64 } },
      {
        bind: { x4: c.x, v4: v },
        uniforms: { h: H, w: W, cin4: cin / 4, n0, th, tw, tiles, pad_h: c.padH, pad_w: c.padW, total: inTotal },
        workgroups: grid1d(inTotal, 64),
      },
    );
    if (blockGemm) {
      for (let k = 0; k < ciChunks; k++) {
        rt.run(
          { shader: 'conv2d_winograd', entry: 'wino_gemm', constants: { WG: WINO_GEMM_WG, KC4: Math.min(WINO_GB, cin - k * WINO_GB) / 4 } },
          {
            bind: { ublk: u, va4: v, mo: m },
            uniforms: { tiles, cin, cout4: cout / 4, co_blocks: coBlocks, ci_chunks: ciChunks, chunk: k, accum: k > 0 ? 1 : 0 },
            workgroups: [Math.ceil(tiles / (WINO_LT * WINO_GEMM_WG)), XI, coBlocks],
          },
        );
      }
    }
    // Else the 16 GEMMs as a 1×1 conv over [16 (ξ), 1, tiles, cin] with weights U[ξ].
    const tilesW = Math.ceil(tiles / PX);
    const threads = 16 * tilesW;
    if (!blockGemm) rt.run(
      { shader: 'conv2d', entry: 'conv_fwd4', constants: { KH: 1, KW: 1, S: 1, D: 1, WG, ACT: 0, HAS_BIAS: 0 } },
      {
        bind: { x: v, w4: u, bias4: u, alpha: u, y4: m },
        uniforms: {
          n: 16, h: 1, w: tiles, cin, ho: 1, wo: tiles, cout, pad_h: 0, pad_w: 0,
          tiles_w: tilesW, threads, slope: 0, alpha_stride: 0, w_stride: (cin * cout) / 4,
        },
        workgroups: foldGrid(threads, WG, cout / (4 * CV)),
      },
    );
    const outTotal = tiles * (cout / 4);
    rt.run(
      { shader: 'conv2d_winograd', entry: `${pre}_output`, constants: { WG: 64, ACT: ACT[ep.kind], HAS_BIAS: c.bias ? 1 : 0 } },
      {
        bind: { m4: m, bias4: bias, alpha, y4: c.y },
        uniforms: {
          ho, wo, cout4: cout / 4, n0, th, tw, tiles, total: outTotal,
          slope: ep.kind === 'leaky' ? ep.slope : 0, alpha_stride: alphaStride,
        },
        workgroups: grid1d(outTotal, 64),
      },
    );
  }
  // V of x in one chunk is what the F(3×3, 6×6) weight gradient transforms again: keep it if
  // asked. The rest is safe to release now: later users are recorded after these dispatches.
  const kept = c.keepTransform && F === 6 && imagesPerChunk >= N ? v : null;
  for (const t of kept ? [u, m] : [u, v, m]) t.dispose();
  return kept;
}

/** y = act(conv(x, w) + bias): x [N,H,W,Cin], w [KH,KW,Cin,Cout] → [N,Ho,Wo,Cout]. */
export function conv2d(rt: Runtime, x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  return forward(rt, x, w, bias, opts, false).y;
}

/**
 * conv2d for training: also returns x's Winograd F(6×6) input transform when the conv made one
 * (in a single image chunk). Passed to conv2dBackwardWeights, it spares the weight gradient the
 * same pass over x; the caller disposes it after the backward.
 */
export function conv2dTrain(rt: Runtime, x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions = {}): { y: Tensor; saved: Tensor | null } {
  return forward(rt, x, w, bias, opts, true);
}

function forward(rt: Runtime, x: Tensor, w: Tensor, bias: Tensor | null, opts: Conv2dOptions, keepTransform: boolean): { y: Tensor; saved: Tensor | null } {
  const [N, H, W, cin] = dims4('x', x);
  const [KH, KW, wcin, cout] = dims4('w', w);
  if (cin !== wcin) throw new Error(`conv2d: x has ${cin} channels, weights expect ${wcin}`);
  const g = geometry(KH, KW, opts);
  const ho = convOutSize(H, KH, g.stride, g.padH);
  const wo = convOutSize(W, KW, g.stride, g.padW);
  if (ho < 1 || wo < 1) throw new Error(`conv2d: ${H}×${W} input is smaller than the ${KH}×${KW} kernel`);
  const y = rt.empty([N, ho, wo, cout], 'conv2d.y');
  const saved = launchConv(rt, {
    x, w, y, bias, epilogue: opts.epilogue ?? { kind: 'none' }, stride: g.stride, dilation: 1, padH: g.padH, padW: g.padW,
    algorithm: opts.algorithm ?? 'auto', keepTransform,
  });
  return { y, saved };
}

/**
 * dx for y = conv(x, w): dx[ih] = Σ_kh dy[(ih + pad − kh) / s] · w[kh] over the taps where the
 * division is exact. That is a stride-1 conv of dy dilated by s (zeros between rows/columns)
 * with the kernel flipped in space and transposed in channels, padded by K − 1 − pad.
 */
export function conv2dBackwardInput(rt: Runtime, dy: Tensor, w: Tensor, xShape: Shape, opts: ConvOptions = {}): Tensor {
  const [N, H, W, cin] = dims4('xShape', xShape);
  const [KH, KW, wcin, cout] = dims4('w', w);
  const [dn, ho, wo, dc] = dims4('dy', dy);
  const g = geometry(KH, KW, opts);
  if (wcin !== cin || dc !== cout || dn !== N || ho !== convOutSize(H, KH, g.stride, g.padH) || wo !== convOutSize(W, KW, g.stride, g.padW)) {
    throw new Error(`conv2dBackwardInput: dy [${dy.shape}] does not fit x [${xShape}] and w [${w.shape}] at stride ${g.stride}, pad ${g.padH}`);
  }
  const wT = rt.empty([KH, KW, cout, cin], 'conv2d.wflip');
  const total = wT.size;
  rt.run(
    { shader: 'conv2d', entry: 'flip_weights', constants: { KH, KW, WG: 256 } },
    { bind: { wsrc: w, wflip: wT }, uniforms: { cin, cout, total }, workgroups: grid1d(total, 256) },
  );
  const dx = rt.empty([N, H, W, cin], 'conv2d.dx');
  if (g.stride > 1 && cin % (4 * block().CV) === 0) {
    launchDxPhases(rt, dy, wT, dx, g.stride, KH - 1 - g.padH, KW - 1 - g.padW);
    wT.dispose();
    return dx;
  }
  launchConv(rt, {
    x: dy, w: wT, y: dx, bias: null, epilogue: { kind: 'none' },
    stride: 1, dilation: g.stride, padH: KH - 1 - g.padH, padW: KW - 1 - g.padW, algorithm: opts.algorithm ?? 'auto',
  });
  // Safe to release now: later users of this buffer are recorded after this dispatch.
  wT.dispose();
  return dx;
}

/**
 * Input gradient of a strided conv without the dilation holes (shaders/conv2d.wgsl conv_dx4):
 * one dispatch per phase (ph, pw) of dx, each running only the taps that meet real dy pixels.
 * wT is the flipped, transposed kernel [KH, KW, Cout, Cin]; pad = K − 1 − the forward's pad.
 */
function launchDxPhases(rt: Runtime, dy: Tensor, wT: Tensor, dx: Tensor, s: number, padH: number, padW: number): void {
  const [N, h, w, cin] = dims4('dy', dy);
  const [KH, KW, , cout] = dims4('wT', wT);
  const [, ho, wo] = dims4('dx', dx);
  const { PX, CV } = block();
  const constants = { KH, KW, D: s, WG };
  for (let ph = 0; ph < s; ph++) {
    for (let pw = 0; pw < s; pw++) {
      const hs = Math.ceil((ho - ph) / s), ws = Math.ceil((wo - pw) / s);
      if (hs <= 0 || ws <= 0) continue;
      const tilesW = Math.ceil(ws / PX);
      const threads = N * hs * tilesW;
      rt.run(
        { shader: 'conv2d', entry: 'conv_dx4', constants },
        {
          bind: { x: dy, w4: wT, y4: dx },
          uniforms: { n: N, h, w, cin, ho, wo, cout, pad_h: padH, pad_w: padW, ph, pw, hs, ws, tiles_w: tilesW, threads },
          workgroups: foldGrid(threads, WG, cout / (4 * CV)),
        },
      );
    }
  }
}

/**
 * dw[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s − pad + kh, ow·s − pad + kw, ci] · dy[n,oh,ow,co].
 * `saved`: the forward's input transform (conv2dTrain), used where the Winograd weight gradient
 * would compute the same tensor.
 */
export function conv2dBackwardWeights(rt: Runtime, x: Tensor, dy: Tensor, wShape: Shape, opts: ConvOptions = {}, saved: Tensor | null = null): Tensor {
  const [N, H, W, cin] = dims4('x', x);
  const [KH, KW, wcin, cout] = dims4('wShape', wShape);
  const [dn, ho, wo, dc] = dims4('dy', dy);
  const g = geometry(KH, KW, opts);
  if (wcin !== cin || dc !== cout || dn !== N || ho !== convOutSize(H, KH, g.stride, g.padH) || wo !== convOutSize(W, KW, g.stride, g.padW)) {
    throw new Error(`conv2dBackwardWeights: dy [${dy.shape}] does not fit x [${x.shape}] and w [${wShape}] at stride ${g.stride}, pad ${g.padH}`);
  }
  if ((opts.algorithm ?? 'auto') !== 'direct' && rgbSide(KH, KW, cin, cout, g.stride)) {
    return rgbWeights(rt, x, dy, KH, KW, g.padH, g.padW);
  }
  if (useWinogradWeights(rt, KH, KW, g.stride, cin, cout, ho, wo, opts.algorithm ?? 'auto')) {
    return winogradWeights(rt, x, dy, cin, cout, g.padH, g.padW, saved);
  }
  const size = KH * KW * cin * cout;
  const pixels = N * ho * wo;
  // Partial sums need chunks · size floats in one binding.
  const maxChunks = Math.max(1, Math.min(65535, Math.floor(rt.limits.maxStorageBufferBindingSize / (size * 4))));
  let chunks = Math.min(maxChunks, Math.max(1, Math.ceil(pixels / CHUNK_PIXELS)));
  const chunk = Math.ceil(pixels / chunks);
  chunks = Math.ceil(pixels / chunk);

  const { CO } = block();
  const fast = cout % (4 * CO) === 0;
  // Lanes run over output channels (CO vec4 groups each on the fast path).
  const lanes = fast ? cout / (4 * CO) : cout;
  const wg = Math.min(16, lanes);
  const coGroups = Math.ceil(lanes / wg);
  const ciBlocks = Math.ceil(cin / block().CI);
  const uniforms = {
    h: H, w: W, cin, ho, wo, cout, pad_h: g.padH, pad_w: g.padW,
    chunk, pixels, size, ci_blocks: ciBlocks, co_groups: coGroups,
  };
  const constants = { KH, KW, S: g.stride, WG: wg };
  const workgroups = [KH * KW * ciBlocks * coGroups, chunks] as const;
  if (workgroups[0] > rt.limits.maxComputeWorkgroupsPerDimension) throw new Error(`conv2dBackwardWeights: ${workgroups[0]} workgroups along x`);
  return sumOfChunks(rt, [KH, KW, cin, cout], chunks, 'conv2d.dw', (parts) => {
    if (fast) rt.run({ shader: 'conv2d', entry: 'conv_bwd_w4', constants }, { bind: { xin: x, dy4: dy, part4: parts }, uniforms, workgroups });
    else rt.run({ shader: 'conv2d', entry: 'conv_bwd_w_any', constants }, { bind: { xin: x, dy, part: parts }, uniforms, workgroups });
  });
}

/** Tiles per chunk of the Winograd weight-gradient reduction (partial sums per chunk). */
const WINO_DW_CHUNK = 512;
/** dy tile edge of the Winograd weight gradient, F(3×3, 6×6). */
const WINO_DW_F = 6;

function useWinogradWeights(rt: Runtime, KH: number, KW: number, stride: number, cin: number, cout: number, ho: number, wo: number, algorithm: 'auto' | 'direct'): boolean {
  if (algorithm === 'direct' || KH !== 3 || KW !== 3 || stride !== 1) return false;
  const { WI, WC } = winoDw();
  if (cin % WI !== 0 || cin % 4 !== 0 || cout % (4 * WC) !== 0) return false;
  const XI = (WINO_DW_F + 2) ** 2;
  const perImage = XI * Math.ceil(ho / WINO_DW_F) * Math.ceil(wo / WINO_DW_F) * Math.max(cin, cout) * 4;
  return perImage <= Math.min(WINO_CHUNK_BYTES, rt.limits.maxStorageBufferBindingSize) && XI * cin * cout * 4 <= rt.limits.maxStorageBufferBindingSize;
}

let winoDwBlocking: { WI: number; WC: number } | undefined;
const winoDw = () => (winoDwBlocking ??= { WI: shaderConst('WI', 'conv2d_winograd'), WC: shaderConst('WC', 'conv2d_winograd') });

/**
 * Weight gradient of a 3×3 stride-1 conv by Winograd F(3×3, 6×6) (shaders/conv2d_winograd.wgsl):
 * the 8×8 input patches of wino6_input and the 6×6 dy tiles transformed by wino6_dy, 64 GEMMs
 * reducing over tiles in chunks (wino_bwd_w_gemm), then wino6_dw_out sums the chunks and
 * transforms back to 3×3: 64 multiply-adds per 36 dy pixels and (ci, co) instead of 324.
 */
function winogradWeights(rt: Runtime, x: Tensor, dy: Tensor, cin: number, cout: number, padH: number, padW: number, saved: Tensor | null): Tensor {
  const [N, H, W] = dims4('x', x);
  const [, ho, wo] = dims4('dy', dy);
  const { WI, WC } = winoDw();
  const F = WINO_DW_F, XI = (F + 2) * (F + 2);
  const pre = 'wino6';
  const th = Math.ceil(ho / F), tw = Math.ceil(wo / F);
  const perImage = XI * th * tw * Math.max(cin, cout) * 4;
  const imagesPerChunk = Math.max(1, Math.min(N, Math.floor(Math.min(WINO_CHUNK_BYTES, rt.limits.maxStorageBufferBindingSize) / perImage)));
  const size = cin * cout;
  const maxParts = Math.max(1, Math.floor(rt.limits.maxStorageBufferBindingSize / (XI * size * 4)));
  const totalTiles = N * th * tw;
  let chunk = WINO_DW_CHUNK;
  const partsFor = (c: number) => {
    let n = 0;
    for (let n0 = 0; n0 < N; n0 += imagesPerChunk) n += Math.ceil((Math.min(imagesPerChunk, N - n0) * th * tw) / c);
    return n;
  };
  while (partsFor(chunk) > maxParts) chunk = Math.max(chunk * 2, Math.ceil(totalTiles / maxParts));
  const parts = rt.empty([partsFor(chunk), XI, size], 'conv2d.wino.dw.parts');
  const maxTiles = imagesPerChunk * th * tw;
  // The forward's V (same 8×8 patches, tiles and pad) when it covered all images in one chunk.
  const reuse = saved !== null && imagesPerChunk >= N && saved.shape.join() === [XI, maxTiles, cin].join();
  const v = reuse ? saved : rt.empty([XI, maxTiles, cin], 'conv2d.wino.v');
  const gd = rt.empty([XI, maxTiles, cout], 'conv2d.wino.gd');
  const coGroups = cout / (4 * WC);
  const lanes = (cin / WI) * coGroups;
  const wg = Math.min(64, Math.ceil(lanes / 8) * 8);
  let part0 = 0;
  for (let n0 = 0; n0 < N; n0 += imagesPerChunk) {
    const tiles = Math.min(imagesPerChunk, N - n0) * th * tw;
    const inTotal = tiles * (cin / 4);
    if (!reuse) rt.run(
      { shader: 'conv2d_winograd', entry: `${pre}_input`, constants: { WG: 64 } },
      {
        bind: { x4: x, v4: v },
        uniforms: { h: H, w: W, cin4: cin / 4, n0, th, tw, tiles, pad_h: padH, pad_w: padW, total: inTotal },
        workgroups: grid1d(inTotal, 64),
      },
    );
    const dyTotal = tiles * (cout / 4);
    rt.run(
      { shader: 'conv2d_winograd', entry: `${pre}_dy`, constants: { WG: 64 } },
      { bind: { dy4: dy, gd4: gd }, uniforms: { ho, wo, cout4: cout / 4, n0, th, tw, tiles, total: dyTotal }, workgroups: grid1d(dyTotal, 64) },
    );
    const chunks = Math.ceil(tiles / chunk);
    rt.run(
      { shader: 'conv2d_winograd', entry: 'wino_bwd_w_gemm', constants: { WG: wg } },
      {
        bind: { vb4: v, gb4: gd, pb4: parts },
        uniforms: { tiles, cin, cout4: cout / 4, chunk, chunks, part0, co_groups: coGroups, lanes, nxi: XI },
        workgroups: [XI * chunks, Math.ceil(lanes / wg)],
      },
    );
    part0 += chunks;
  }
  const dw = rt.empty([3, 3, cin, cout], 'conv2d.dw');
  rt.run(
    { shader: 'conv2d_winograd', entry: `${pre}_dw_out`, constants: { WG: 64 } },
    { bind: { pw: parts, dw }, uniforms: { size, parts: part0 }, workgroups: grid1d(size, 64) },
  );
  // Safe to release now: later users of these buffers are recorded after these dispatches.
  for (const t of reuse ? [parts, gd] : [parts, v, gd]) t.dispose();
  return dw;
}
