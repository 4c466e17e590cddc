import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/graph/runtime.ts';
import type { Tensor } from '../../src/graph/tensor.ts';
import * as K from '../../src/kernels/conv2d/index.ts';
import * as R from '../../src/reference/conv2d.ts';
import type { Rng } from '../../src/util/rng.ts';
import { expectGradient } from '../helpers/finite-diff.ts';
import { dispatched, expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

interface Case {
  N: number;
  H: number;
  W: number;
  cin: number;
  cout: number;
  k: number;
  stride?: 1 | 2;
  pad?: number;
  algorithm?: 'direct';
  /** Exactly the shaders/conv2d_rgb.wgsl entry points the case must dispatch (forward, input
   *  and weight gradient together); [] = none. Unset: not checked. */
  rgb?: string[];
  /** Exactly the shaders/conv2d_winograd.wgsl entry points the case must dispatch (forward,
   *  input and weight gradient together). Unset: not checked. */
  wino?: string[];
}

// Winograd routing of a 3×3 stride-1 conv with Cin % 8 == 0 and Cout % 16 == 0: F(6×6) forward
// (wino_gemm), F(3×3, 6×6) weight gradient; the input gradient (a conv with Cin output
// channels) on F(6×6) too when Cin % 16 == 0, else on F(2×2) (its GEMMs on conv_fwd4).
const WINO6_FWD = ['wino6_weights', 'wino6_input', 'wino_gemm', 'wino6_output'];
const WINO2_FWD = ['wino_weights', 'wino_input', 'wino_output'];
const WINO6_DW = ['wino6_input', 'wino6_dy', 'wino_bwd_w_gemm', 'wino6_dw_out'];
const WINO_MIXED = [...new Set([...WINO6_FWD, ...WINO2_FWD, ...WINO6_DW])];

// The RGB kernels' routing: 3 → C takes the wide forward and weight gradient, and its input
// gradient (a C → 3 conv of dy) the narrow forward; C → 3 the other way round.
const RGB_IN = ['rgb_bwd_w_wide', 'rgb_fwd_narrow', 'rgb_fwd_wide', 'rgb_pack_narrow', 'rgb_pack_wide'];
const RGB_OUT = ['rgb_bwd_w_narrow', 'rgb_fwd_narrow', 'rgb_fwd_wide', 'rgb_pack_narrow', 'rgb_pack_wide'];

const f32 = (a: Float64Array) => Float32Array.from(a);
const name = (c: Case) => `${c.N}×${c.H}×${c.W}×${c.cin} → ${c.cout}, ${c.k}×${c.k}, stride ${c.stride ?? 1}${c.pad !== undefined ? `, pad ${c.pad}` : ''}${c.algorithm ? `, ${c.algorithm}` : ''}`;

function outSize(c: Case): { ho: number; wo: number } {
  const stride = c.stride ?? 1, pad = c.pad ?? (c.k - 1) / 2;
  return { ho: K.convOutSize(c.H, c.k, stride, pad), wo: K.convOutSize(c.W, c.k, stride, pad) };
}

function inputs(rng: Rng, c: Case) {
  const xs: R.Shape4 = [c.N, c.H, c.W, c.cin];
  const ws: R.Shape4 = [c.k, c.k, c.cin, c.cout];
  const x = randn(rng, c.N * c.H * c.W * c.cin);
  // Scaled so outputs are O(1) (tanh not saturated everywhere).
  const w = randn(rng, c.k * c.k * c.cin * c.cout, 1 / Math.sqrt(c.k * c.k * c.cin));
  const g = { stride: c.stride ?? 1, pad: c.pad ?? (c.k - 1) / 2 };
  return { xs, ws, x, w, g };
}

/** Forward (every epilogue, with and without bias), input gradient and weight gradient. */
async function checkCase(rt: Runtime, rng: Rng, c: Case, epilogues: boolean): Promise<void> {
  const specs = await dispatched(rt, () => checkValues(rt, rng, c, epilogues));
  const entries = (shader: string) => new Set(specs.filter((s) => s.shader === shader).map((s) => s.entry));
  const used = entries('conv2d_rgb'), wino = entries('conv2d_winograd');
  const dilated = specs.some((s) => s.shader === 'conv2d' && (s.constants?.D ?? 1) > 1 && s.entry.startsWith('conv_fwd'));
  const phases = specs.filter((s) => s.shader === 'conv2d' && s.entry === 'conv_dx4').length;
  if (c.rgb) expect([...used].sort(), `${name(c)}: RGB kernels dispatched`).toEqual([...c.rgb].sort());
  if (c.wino) expect([...wino].sort(), `${name(c)}: Winograd kernels dispatched`).toEqual([...c.wino].sort());
  // The router's input gradient per output phase (conv_dx4) is one dispatch per phase that
  // has pixels; a strided one otherwise runs on the dilated forward kernel.
  const { ho, wo } = outSize(c);
  const shape = { h: c.H, w: c.W, kh: c.k, kw: c.k, cin: c.cin, cout: c.cout, ho, wo, stride: c.stride ?? 1 };
  const byPhase = K.chooseConvAlgorithm('inputGradient', shape, c, rt) === 'phases';
  const expected = byPhase ? (c.H > 1 ? 2 : 1) * (c.W > 1 ? 2 : 1) : 0;
  expect({ phases, dilated }, `${name(c)}: input gradient kernels`).toEqual({ phases: expected, dilated: (c.stride ?? 1) === 2 && !byPhase });
}

async function checkValues(rt: Runtime, rng: Rng, c: Case, epilogues: boolean): Promise<void> {
  const { xs, ws, x, w, g } = inputs(rng, c);
  const tx = rt.tensor(xs, f32(x)), tw = rt.tensor(ws, f32(w));
  const opts = { stride: c.stride, pad: c.pad, algorithm: c.algorithm };
  const ref = R.conv2d(x, xs, w, ws, g);
  const y = K.conv2d(rt, tx, tw, null, opts);
  expectClose(await y.read(), ref.y, `${name(c)}: forward`);
  y.dispose();

  if (epilogues) {
    const bias = randn(rng, c.cout, 0.5), tb = rt.tensor([c.cout], f32(bias));
    const alphaC = randn(rng, c.cout, 0.3), taC = rt.tensor([c.cout], f32(alphaC));
    const alpha1 = randn(rng, 1, 0.3), ta1 = rt.tensor([1], f32(alpha1));
    const cases: Array<[K.Epilogue, R.RefEpilogue]> = [
      [{ kind: 'none' }, { kind: 'none' }],
      [{ kind: 'relu' }, { kind: 'relu' }],
      [{ kind: 'leaky', slope: 0.2 }, { kind: 'leaky', slope: 0.2 }],
      [{ kind: 'prelu', alpha: taC }, { kind: 'prelu', alpha: alphaC }],
      [{ kind: 'prelu', alpha: ta1 }, { kind: 'prelu', alpha: alpha1 }],
      [{ kind: 'tanh' }, { kind: 'tanh' }],
    ];
    for (const [ep, rep] of cases) {
      const yb = K.conv2d(rt, tx, tw, tb, { ...opts, epilogue: ep });
      const what = `${name(c)}: forward + bias + ${ep.kind}${ep.kind === 'prelu' ? `[${ep.alpha.size}]` : ''}`;
      expectClose(await yb.read(), R.biasActivation(ref.y, c.cout, bias, rep), what);
      yb.dispose();
    }
    for (const t of [tb, taC, ta1]) t.dispose();
  }

  const [, ho, wo] = ref.shape;
  const dy = randn(rng, c.N * ho * wo * c.cout);
  const tdy = rt.tensor(ref.shape, f32(dy));
  const dx = K.conv2dBackwardInput(rt, tdy, tw, xs, opts);
  expectClose(await dx.read(), R.conv2dBackwardInput(dy, w, ws, xs, g), `${name(c)}: input gradient`);
  const dw = K.conv2dBackwardWeights(rt, tx, tdy, ws, opts);
  const refDw = R.conv2dBackwardWeights(x, xs, dy, ws, g);
  expectClose(await dw.read(), refDw, `${name(c)}: weight gradient`);

  // conv2dTrain keeps x's transform exactly when the forward ran F(6×6) (wino_gemm); the
  // weight gradient then uses it instead of transforming x again.
  let train!: { y: Tensor; saved: Tensor | null };
  const fwd = (await dispatched(rt, () => (train = K.conv2dTrain(rt, tx, tw, null, opts)))).map((s) => s.entry);
  expect(train.saved !== null, `${name(c)}: conv2dTrain keeps the transform`).toBe(fwd.includes('wino_gemm'));
  expectClose(await train.y.read(), ref.y, `${name(c)}: conv2dTrain forward`);
  let dws!: Tensor;
  const bwd = (await dispatched(rt, () => (dws = K.conv2dBackwardWeights(rt, tx, tdy, ws, opts, train.saved)))).map((s) => s.entry);
  if (train.saved && bwd.includes('wino_bwd_w_gemm')) expect(bwd, `${name(c)}: weight gradient reuses x's transform`).not.toContain('wino6_input');
  expectClose(await dws.read(), refDw, `${name(c)}: weight gradient with the forward's transform`);
  for (const t of [tx, tw, tdy, dx, dw, train.y, dws, ...(train.saved ? [train.saved] : [])]) t.dispose();
}

// [case, test every epilogue]. Each epilogue is its own pipeline (an override constant) and
// pipeline compiles dominate this file's runtime on software drivers, so epilogues are
// checked on one fast-path and one channel-guarded shape only.
const CASES: Array<[Case, boolean]> = [
  // Odd everything; Cout = 7 takes the channel-guarded path.
  [{ N: 2, H: 13, W: 11, cin: 5, cout: 7, k: 3 }, true],
  // Cout = 8: the vec4 fast path, same odd spatial shape.
  [{ N: 2, H: 13, W: 11, cin: 5, cout: 8, k: 3 }, true],
  // Generator's first and last layers: 3 channels on one side (shaders/conv2d_rgb.wgsl). The
  // forward of 3 → C, the input gradient of C → 3 and the weight gradient of 3 → C take the
  // 'wide' kernels; the forward of C → 3, the input gradient of 3 → C and the weight gradient
  // of C → 3 the 'narrow' ones. Also on the generic direct kernels ('direct').
  [{ N: 1, H: 11, W: 10, cin: 3, cout: 64, k: 9, rgb: RGB_IN }, false],
  [{ N: 1, H: 10, W: 11, cin: 64, cout: 3, k: 9, rgb: RGB_OUT }, false],
  [{ N: 1, H: 11, W: 10, cin: 3, cout: 64, k: 9, algorithm: 'direct', rgb: [] }, false],
  [{ N: 1, H: 10, W: 11, cin: 64, cout: 3, k: 9, algorithm: 'direct', rgb: [] }, false],
  // RGB kernels: Cout 20 (a partial 16-channel window and vec4 group), odd sizes, partial pixel
  // tiles, several row chunks of the weight gradient, every epilogue; Cin 37 (three input
  // windows of 16, the last partial, accumulated; the epilogue on the last).
  [{ N: 3, H: 13, W: 17, cin: 3, cout: 20, k: 9, rgb: RGB_IN }, true],
  [{ N: 2, H: 9, W: 19, cin: 37, cout: 3, k: 9, rgb: RGB_OUT }, true],
  // 3 → 3 (the wide kernels), other kernel sizes and pads, more lanes than one workgroup on
  // the weight gradients (260 and 150 wide channels).
  [{ N: 2, H: 9, W: 7, cin: 3, cout: 3, k: 9, rgb: ['rgb_bwd_w_wide', 'rgb_fwd_wide', 'rgb_pack_wide'] }, false],
  [{ N: 2, H: 8, W: 9, cin: 3, cout: 8, k: 3, pad: 0, rgb: RGB_IN }, false],
  [{ N: 1, H: 7, W: 12, cin: 19, cout: 3, k: 5, pad: 1, rgb: RGB_OUT }, false],
  [{ N: 1, H: 6, W: 7, cin: 3, cout: 260, k: 3, rgb: RGB_IN }, false],
  [{ N: 1, H: 7, W: 6, cin: 150, cout: 3, k: 1, rgb: RGB_OUT }, false],
  // Routing boundaries: larger than the RGB kernels' 9×9 (direct); stride 2 with 3 output
  // channels (direct: its input gradient is a conv of the 3-channel dy dilated by 2); and 3×3
  // 3 → 5 at stride 2 further below.
  [{ N: 1, H: 12, W: 13, cin: 3, cout: 4, k: 11, rgb: [] }, false],
  [{ N: 2, H: 9, W: 10, cin: 6, cout: 3, k: 3, stride: 2, rgb: [] }, false],
  // Residual block conv on a small spatial size; more pixels than one weight-gradient chunk.
  [{ N: 2, H: 7, W: 9, cin: 64, cout: 64, k: 3 }, false],
  [{ N: 3, H: 29, W: 31, cin: 8, cout: 16, k: 3 }, false],
  // Winograd F(2×2, 3×3) (3×3, stride 1, Cin % 4 == 0, Cout % 8 == 0; the input gradient too):
  // odd sizes (partial 2×2 tiles), every epilogue, pad 0 (input gradient pad 2), more images
  // than one chunk never happens at test sizes; and the direct kernel on the same shapes.
  [{ N: 2, H: 13, W: 11, cin: 8, cout: 16, k: 3, wino: WINO_MIXED }, true],
  [{ N: 2, H: 13, W: 11, cin: 8, cout: 16, k: 3, algorithm: 'direct' }, false],
  [{ N: 1, H: 9, W: 7, cin: 4, cout: 8, k: 3, pad: 0 }, false],
  [{ N: 2, H: 7, W: 9, cin: 64, cout: 64, k: 3, algorithm: 'direct' }, false],
  // Winograd F(6×6, 3×3) GEMMs on uniform windows of U (wino_gemm, Cout % 16 == 0): several
  // 64-channel input chunks (accumulated) and output blocks, a partial last block, partial 6×6
  // tiles; the input gradient of the first is direct (Cout' = 132 is not a multiple of 8), of
  // the second on the uniform GEMM (144 → 48).
  [{ N: 1, H: 7, W: 5, cin: 132, cout: 80, k: 3 }, false],
  [{ N: 2, H: 5, W: 9, cin: 48, cout: 144, k: 3, wino: [...new Set([...WINO6_FWD, ...WINO6_DW])] }, true],
  // Winograd F(3×3, 6×6) weight gradient (3×3 stride 1, Cin % 8 == 0, Cout % 16 == 0): the
  // shapes above with 8 → 16, 64 → 64 and 48 → 144 take it (partial 6×6 dy tiles); pad 0 here,
  // several tile chunks of partial sums below; 'direct' cases check the direct weight gradient.
  [{ N: 1, H: 9, W: 8, cin: 8, cout: 16, k: 3, pad: 0 }, false],
  // 72 input channels: a full and a partial 64-channel chunk in the forward GEMM (accumulated).
  [{ N: 1, H: 7, W: 8, cin: 72, cout: 16, k: 3 }, false],
  [{ N: 3, H: 29, W: 31, cin: 8, cout: 16, k: 3, algorithm: 'direct', wino: [] }, false],
  [{ N: 3, H: 80, W: 77, cin: 8, cout: 16, k: 3, wino: WINO_MIXED }, false], // 546 dy tiles: two chunks
  // Stride 2 with odd and even sizes (the discriminator).
  [{ N: 2, H: 13, W: 11, cin: 6, cout: 8, k: 3, stride: 2 }, false],
  [{ N: 2, H: 12, W: 10, cin: 8, cout: 16, k: 3, stride: 2 }, false],
  [{ N: 1, H: 9, W: 8, cin: 5, cout: 7, k: 3, stride: 2 }, false],
  // Strided input gradient by phase (conv_dx4, Cin % 8 == 0): odd sizes, several channel
  // blocks, pad 0 (phase pad 2), an even kernel, pad 3 > K − 1 (a negative phase pad), a row
  // with a single phase, and 'direct' (the phase kernel is a direct kernel).
  [{ N: 2, H: 13, W: 11, cin: 16, cout: 12, k: 3, stride: 2 }, false],
  [{ N: 1, H: 9, W: 14, cin: 8, cout: 5, k: 3, pad: 0, stride: 2 }, false],
  [{ N: 2, H: 10, W: 9, cin: 24, cout: 8, k: 4, pad: 1, stride: 2 }, false],
  [{ N: 1, H: 7, W: 8, cin: 8, cout: 4, k: 3, pad: 3, stride: 2 }, false],
  [{ N: 3, H: 1, W: 17, cin: 8, cout: 16, k: 3, stride: 2 }, false],
  [{ N: 2, H: 12, W: 10, cin: 8, cout: 16, k: 3, stride: 2, algorithm: 'direct' }, false],
  // 1×1 (with pad 0 by default) and a 1×1 at stride 2.
  [{ N: 2, H: 5, W: 7, cin: 12, cout: 20, k: 1 }, false],
  [{ N: 1, H: 7, W: 6, cin: 16, cout: 8, k: 1, stride: 2 }, false],
  // Explicit pad other than 'same'.
  [{ N: 1, H: 8, W: 9, cin: 4, cout: 8, k: 3, pad: 0 }, false],
  [{ N: 1, H: 6, W: 5, cin: 3, cout: 5, k: 5, pad: 3, stride: 2, rgb: [] }, false],
];

describe('conv2d kernels', () => {
  for (const [c, epilogues] of CASES) {
    it(name(c), () =>
      seeded(`conv2d ${name(c)}`, async (rng) => {
        await checkCase(await gpu(), rng, c, epilogues);
      }));
  }

  it('the router follows its table on the SRGAN shapes', async () => {
    const rt = await gpu();
    const conv = (cin: number, cout: number, k: number, stride = 1, size = 24) => ({ h: size, w: size, kh: k, kw: k, cin, cout, ho: size / stride, wo: size / stride, stride });
    const route = (s: K.ConvShape, algorithm?: 'direct') =>
      (['forward', 'inputGradient', 'weightGradient'] as const).map((pass) => K.chooseConvAlgorithm(pass, s, { algorithm }, rt));
    expect(route(conv(3, 64, 9)), 'generator head').toEqual(['rgb', 'rgb', 'rgb']);
    expect(route(conv(64, 3, 9)), 'generator tail').toEqual(['rgb', 'rgb', 'rgb']);
    expect(route(conv(64, 64, 3)), 'residual block').toEqual(['winograd-f6', 'winograd-f6', 'winograd-f6']);
    expect(route(conv(8, 8, 3)), 'Cout % 16 != 0').toEqual(['winograd-f2', 'winograd-f2', 'direct']);
    expect(route(conv(64, 256, 3)), 'upsampling conv').toEqual(['winograd-f6', 'winograd-f6', 'winograd-f6']);
    expect(route(conv(64, 128, 3, 2)), 'discriminator, stride 2').toEqual(['direct', 'phases', 'direct']);
    expect(route(conv(6, 3, 3, 2)), 'stride 2, Cin % 8 != 0').toEqual(['direct', 'direct', 'direct']);
    expect(route(conv(64, 64, 3), 'direct'), "'direct'").toEqual(['direct', 'direct', 'direct']);
    expect(route(conv(64, 128, 3, 2), 'direct'), "'direct' keeps the phase kernel").toEqual(['direct', 'phases', 'direct']);
  });

  for (const stride of [1, 2] as const) {
    it(`reference gradients match finite differences, stride ${stride}`, () =>
      seeded(`conv2d-fd-s${stride}`, (rng) => {
        const c: Case = { N: 2, H: 6, W: 5, cin: 3, cout: 4, k: 3, stride };
        const { xs, ws, x, w, g } = inputs(rng, c);
        const { y } = R.conv2d(x, xs, w, ws, g);
        const dy = randn(rng, y.length);
        expectGradient('conv2d dx', (v) => R.conv2d(v, xs, w, ws, g).y, x, dy, R.conv2dBackwardInput(dy, w, ws, xs, g), rng);
        expectGradient('conv2d dw', (v) => R.conv2d(x, xs, v, ws, g).y, w, dy, R.conv2dBackwardWeights(x, xs, dy, ws, g), rng);
      }));
  }
});
