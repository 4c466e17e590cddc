// The upsampler's fused conv → pixel shuffle → PReLU (Conv2dOptions.shuffle) and the per-side
// padding the tiled inference runs its bands with (Conv2dOptions.padding; negative sides crop),
// against the float64 references composed in that order: conv, + bias, pixel shuffle, then
// PReLU with one slope per OUTPUT channel (the fused kernel applies the slope of output channel
// c / r² to conv channel c). Allocations are poisoned (test/helpers/gpu.ts): an output element
// a kernel does not store reads NaN and fails the comparison.

import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/conv2d/index.ts';
import * as R from '../../src/reference/conv2d.ts';
import { pixelShuffle } from '../../src/reference/pixelshuffle.ts';
import { prelu } from '../../src/reference/activation.ts';
import { dispatched, expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

interface Case {
  H: number;
  W: number;
  cin: number;
  cout: number;
  k: number;
  r: number;
  padding?: K.Padding;
  algorithm?: 'direct';
  /** The forward entry point that must store the output. */
  entry: string;
}

const f32 = (a: Float64Array) => Float32Array.from(a);

const CASES: Case[] = [
  // The generator's upsampler shape class (Cout = 4·C, C % 4 == 0): F(6×6)'s output transform,
  // odd sizes (partial 6×6 tiles), and the same on the direct vec4 kernel.
  { H: 7, W: 11, cin: 8, cout: 32, k: 3, r: 2, entry: 'wino6_output' },
  { H: 7, W: 11, cin: 8, cout: 32, k: 3, r: 2, algorithm: 'direct', entry: 'conv_fwd4' },
  // Cout % 16 != 0 would take F(2×2), which has no shuffled store: the router sends it direct.
  { H: 9, W: 5, cin: 4, cout: 8, k: 3, r: 2, entry: 'conv_fwd4' },
  // Cout = 12 (3 output channels): the channel-guarded kernel; r = 3 on it too.
  { H: 5, W: 7, cin: 5, cout: 12, k: 3, r: 2, entry: 'conv_fwd_any' },
  { H: 6, W: 5, cin: 4, cout: 18, k: 3, r: 3, entry: 'conv_fwd_any' },
  // A band of the tiled inference: rows cropped on one side and zero-padded on the other.
  { H: 13, W: 10, cin: 8, cout: 32, k: 3, r: 2, padding: { top: -2, bottom: 1, left: 1, right: -1 }, entry: 'wino6_output' },
  { H: 13, W: 10, cin: 8, cout: 32, k: 3, r: 2, padding: { top: 1, bottom: -3, left: 0, right: 1 }, algorithm: 'direct', entry: 'conv_fwd4' },
];

// Per-side padding without a shuffle on every forward kernel family: F(2×2), the RGB kernels
// (the 9×9 head and tail, the bicubic skip's 5×5) and the channel-guarded direct kernel.
const PADDED: Array<Omit<Case, 'r'>> = [
  { H: 11, W: 9, cin: 4, cout: 8, k: 3, padding: { top: 0, bottom: -2, left: 1, right: 1 }, entry: 'wino_output' },
  { H: 17, W: 12, cin: 3, cout: 16, k: 9, padding: { top: 4, bottom: -1, left: -3, right: 4 }, entry: 'rgb_fwd_wide' },
  { H: 16, W: 13, cin: 8, cout: 3, k: 9, padding: { top: -4, bottom: 4, left: 2, right: 0 }, entry: 'rgb_fwd_narrow' },
  { H: 9, W: 8, cin: 5, cout: 7, k: 5, padding: { top: -1, bottom: 2, left: 2, right: -2 }, entry: 'conv_fwd_any' },
];

const label = (c: Omit<Case, 'r'> & { r?: number }) =>
  `${c.H}×${c.W}×${c.cin} → ${c.cout}, ${c.k}×${c.k}${c.r ? `, shuffle ${c.r}` : ''}${c.padding ? `, padding ${JSON.stringify(c.padding)}` : ''}${c.algorithm ? ', direct' : ''}`;

describe('conv2d with a pixel-shuffled output (fused conv → shuffle → PReLU)', () => {
  for (const c of CASES) {
    it(label(c), async () => {
      const rt = await gpu();
      await seeded('conv-shuffle', async (rng) => {
        const { H, W, cin, cout, k, r } = c;
        const C = cout / (r * r);
        const x = randn(rng, H * W * cin), w = randn(rng, k * k * cin * cout, 1 / Math.sqrt(k * k * cin));
        const bias = randn(rng, cout, 0.5), slopes = randn(rng, C, 0.3);
        const pad = (k - 1) / 2;
        const ref = R.conv2d(x, [1, H, W, cin], w, [k, k, cin, cout], { stride: 1, pad, padding: c.padding });
        const [, ho, wo] = ref.shape;
        const expected = prelu(pixelShuffle(R.biasActivation(ref.y, cout, bias, { kind: 'none' }), 1, ho, wo, C, r), slopes, C);

        const tx = rt.tensor([1, H, W, cin], f32(x)), tw = rt.tensor([k, k, cin, cout], f32(w)), tb = rt.tensor([cout], f32(bias));
        // The kernel's slopes are per conv channel: output channel c / r² for conv channel c.
        const ta = rt.tensor([cout], Float32Array.from({ length: cout }, (_, i) => slopes[Math.floor(i / (r * r))]!));
        let y!: ReturnType<typeof K.conv2d>;
        const specs = await dispatched(rt, () => {
          y = K.conv2d(rt, tx, tw, tb, { epilogue: { kind: 'prelu', alpha: ta }, shuffle: r, padding: c.padding, algorithm: c.algorithm });
        });
        expect(y.shape).toEqual([1, ho * r, wo * r, C]);
        expect(specs.map((s) => s.entry), `${label(c)}: stored by ${c.entry}`).toContain(c.entry);
        expectClose(await y.read(), expected, label(c));
        for (const t of [tx, tw, tb, ta, y]) t.dispose();
      });
    });
  }

  for (const c of PADDED) {
    it(`per-side padding: ${label(c)}`, async () => {
      const rt = await gpu();
      await seeded('conv-padding', async (rng) => {
        const { H, W, cin, cout, k } = c;
        const x = randn(rng, H * W * cin), w = randn(rng, k * k * cin * cout, 1 / Math.sqrt(k * k * cin));
        const ref = R.conv2d(x, [1, H, W, cin], w, [k, k, cin, cout], { stride: 1, pad: 0, padding: c.padding });
        const tx = rt.tensor([1, H, W, cin], f32(x)), tw = rt.tensor([k, k, cin, cout], f32(w));
        let y!: ReturnType<typeof K.conv2d>;
        const specs = await dispatched(rt, () => (y = K.conv2d(rt, tx, tw, null, { padding: c.padding })));
        expect(y.shape).toEqual(ref.shape);
        expect(specs.map((s) => s.entry), `${label(c)}: computed by ${c.entry}`).toContain(c.entry);
        expectClose(await y.read(), ref.y, label(c));
        for (const t of [tx, tw, y]) t.dispose();
      });
    });
  }

  it('refuses a shuffle that does not divide the channels', async () => {
    const rt = await gpu();
    const x = rt.empty([1, 4, 4, 4]), w = rt.empty([3, 3, 4, 6]);
    expect(() => K.conv2d(rt, x, w, null, { shuffle: 2 })).toThrow(/shuffle 2 needs .* Cout \(6\) divisible by r²/);
    x.dispose();
    w.dispose();
  });
});
