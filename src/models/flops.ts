// Floating-point operation counts of the networks' convolutions and dense layers (2 per
// multiply-add), the figures behind every GFLOP/s we report. Elementwise work (batch norm,
// activations, pixel shuffle) is left out: it is a few percent and not what GFLOP/s measures.

import type { DiscriminatorConfig } from './discriminator.ts';
import type { GeneratorConfig } from './generator.ts';
import { VGG19_LAYERS } from './vgg19.ts';

export const convFlops = (n: number, ho: number, wo: number, cin: number, cout: number, k: number): number => 2 * n * ho * wo * cin * cout * k * k;

/** Generator forward on n images of h×w LR pixels. */
export function generatorFlops(c: GeneratorConfig, n: number, h: number, w: number): number {
  const ch = c.channels;
  let f = convFlops(n, h, w, 3, ch, 9) + (2 * c.blocks + 1) * convFlops(n, h, w, ch, ch, 3);
  let s = 1;
  for (let j = 0; j < Math.log2(c.scale); j++, s *= 2) f += convFlops(n, h * s, w * s, ch, 4 * ch, 3);
  return f + convFlops(n, h * c.scale, w * c.scale, ch, 3, 9);
}

/** Discriminator forward on n images. */
export function discriminatorFlops(c: DiscriminatorConfig, n: number): number {
  let f = 0, size = c.size, cin = 3;
  for (const { n: cout, s } of c.convs) {
    size = Math.ceil(size / s);
    f += convFlops(n, size, size, cin, cout, 3);
    cin = cout;
  }
  return f + 2 * n * (size * size * cin * c.dense + c.dense);
}

/** VGG19 forward up to and including `layer`, on n images of h×w. */
export function vggFlops(layer: string, n: number, h: number, w: number): number {
  let f = 0;
  for (const l of VGG19_LAYERS) {
    f += convFlops(n, h, w, l.cin, l.cout, 3);
    if (l.name === layer) break;
    if (l.poolAfter) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  }
  return f;
}

/**
 * A training step: forward + backward to inputs and weights ≈ 3 × forward, less the first
 * conv's input gradient (the LR batch needs none).
 */
export function generatorStepFlops(c: GeneratorConfig, n: number, h: number, w: number): number {
  return 3 * generatorFlops(c, n, h, w) - convFlops(n, h, w, 3, c.channels, 9);
}
