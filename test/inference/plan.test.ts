// The tile plan, without a GPU: exact FLOPs against src/models/flops.ts, the ≤ 1.1× bound for
// 480×270 → 1080p under llvmpipe's 128 MiB storage binding for the shipped and the paper
// model, every tensor within the limit, and bands that produce every output pixel once.

import { describe, expect, it } from 'vitest';
import { bucketSize } from '../../src/graph/pool.ts';
import { type Band, planTiles, receptiveRadius, rectH, rectW, trunkBytes, trunkRadius, tailRadius, type TilePlan } from '../../src/inference/plan.ts';
import { generatorFlops } from '../../src/models/flops.ts';
import { PAPER_SRRESNET, type GeneratorConfig } from '../../src/models/generator.ts';
import { TINY_CONFIG } from '../helpers/tiny-model.ts';

const SHIPPED: GeneratorConfig = { scale: 4, blocks: 8, channels: 64, batchNorm: true, prelu: 'channel', blockBias: false, post: 'conv-bn', head: 'linear', skip: 'bicubic' };
const LLVMPIPE = 128 << 20;
const MODELS: Array<[string, GeneratorConfig]> = [['shipped srresnet-x4 (8 blocks, bicubic skip)', SHIPPED], ['paper SRResNet (16 blocks)', PAPER_SRRESNET]];

/** Bytes of every tensor a band stores: each tail conv's shuffled output and the RGB output. */
function bandTensors(b: Band): number[] {
  return [3 * rectW(b.out) * rectH(b.out), ...b.steps.map((s) => (rectW(s.out) * rectH(s.out) * s.stage.cout) / (s.stage.shuffle ? 4 : 1))].map((n) => bucketSize(4 * n));
}

/** How many bands produce each output pixel. */
function coverage(plan: TilePlan, W: number, H: number, s: number): Uint8Array {
  const seen = new Uint8Array(W * s * H * s);
  for (const r of plan.regions) for (const b of r.bands) for (let y = b.out.y0; y < b.out.y1; y++) for (let x = b.out.x0; x < b.out.x1; x++) seen[y * W * s + x]!++;
  return seen;
}

describe('planTiles', () => {
  for (const [name, c] of MODELS) {
    it(`${name}: 480×270 → 1080p within 1.1× of the whole-image FLOPs, every tensor ≤ 128 MiB`, () => {
      const plan = planTiles(c, 480, 270, { limit: LLVMPIPE });
      const whole = generatorFlops(c, 1, 270, 480);
      expect(plan.flops / whole, `planned ${(plan.flops / 1e9).toFixed(1)} vs whole ${(whole / 1e9).toFixed(1)} GFLOP`).toBeLessThanOrEqual(1.1);
      // The trunk is not recomputed: one region holds the image, so the excess is the tail's band edges.
      expect(plan.regions).toHaveLength(1);
      const bands = plan.regions[0]!.bands;
      expect(bands.length, 'the ×4 tail does not fit whole: it runs in bands').toBeGreaterThan(1);
      for (const r of plan.regions) expect(trunkBytes(c, rectW(r.input), rectH(r.input))).toBeLessThanOrEqual(LLVMPIPE);
      for (const b of bands) expect(Math.max(...bandTensors(b))).toBeLessThanOrEqual(LLVMPIPE);
      expect(coverage(plan, 480, 270, 4).every((n) => n === 1)).toBe(true);
    });
  }

  it('an image that fits whole is planned at exactly flops.ts\'s whole-image count', () => {
    for (const [, c] of MODELS) expect(planTiles(c, 37, 23, { limit: 1 << 30 }).flops).toBe(generatorFlops(c, 1, 23, 37));
  });

  it('960×540 → 4K: the trunk still whole under 128 MiB, within 1.1×', () => {
    const plan = planTiles(SHIPPED, 960, 540, { limit: LLVMPIPE });
    expect(plan.regions).toHaveLength(1);
    expect(plan.flops / generatorFlops(SHIPPED, 1, 540, 960)).toBeLessThanOrEqual(1.1);
  });

  it('small limits and fixed tiles: many regions and bands, each output pixel made once, every tensor within the limit', () => {
    const limit = 48 << 10;
    for (const opts of [{ limit }, { limit, tileSize: 10 }, { limit: 1 << 30, tileSize: 16 }]) {
      const plan = planTiles(TINY_CONFIG, 37, 23, opts);
      expect(coverage(plan, 37, 23, 4).every((n) => n === 1), JSON.stringify(opts)).toBe(true);
      for (const r of plan.regions) {
        if (opts.limit === limit) for (const b of r.bands) expect(Math.max(...bandTensors(b))).toBeLessThanOrEqual(limit);
        // Each band reads only features its region computed exactly (inside the region by the tail's radius).
        for (const b of r.bands) {
          const f = b.steps[0]!.in;
          expect(f.x0 >= r.input.x0 && f.y0 >= r.input.y0 && f.x1 <= r.input.x1 && f.y1 <= r.input.y1).toBe(true);
        }
      }
      if (!opts.tileSize) expect(plan.regions[0]!.bands.length).toBeGreaterThan(4);
      else expect(plan.regions.length).toBe(Math.ceil(37 / opts.tileSize) * Math.ceil(23 / opts.tileSize));
    }
  });

  it('the receptive radius is the trunk\'s convs plus the tail\'s reach into the features', () => {
    // 9×9 head, 2 convs per block, post conv; the ×4 tail reads 3 LR pixels beyond a band (3×3
    // at ×1, 3×3 at ×2 rounded to whole shuffle blocks, 9×9 at ×4).
    expect(trunkRadius(TINY_CONFIG)).toBe(4 + 2 * 2 + 1);
    expect(tailRadius(TINY_CONFIG)).toBe(3);
    expect(receptiveRadius(PAPER_SRRESNET)).toBe(4 + 2 * 16 + 1 + 3);
  });
});
