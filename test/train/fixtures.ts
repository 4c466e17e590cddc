// Small synthetic training data for the training tests: smooth colour textures (sums of
// random sinusoids), written as 8-bit PNGs into a temporary folder (with pngjs, synchronously,
// so the tests can build their folders at module level).

import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { createImage, quantize, type RgbImage } from '../../src/io/image.ts';
import { writeFileAtomic } from '../../src/io/atomic.ts';
import { Rng } from '../../src/util/rng.ts';
import type { TrainConfig } from '../../src/train/types.ts';
import { parseConfig } from '../../src/train/config.ts';

export function texture(rng: Rng, width: number, height: number): RgbImage {
  const img = createImage(width, height, 3);
  const waves = Array.from({ length: 4 }, () => ({
    fx: rng.uniform(-0.4, 0.4), fy: rng.uniform(-0.4, 0.4), phase: rng.uniform(0, 6.28), amp: rng.uniform(0.1, 0.3),
    color: [rng.next(), rng.next(), rng.next()],
  }));
  const base = [rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let v = base[c]!;
        for (const w of waves) v += w.amp * w.color[c]! * Math.sin(w.fx * x + w.fy * y + w.phase);
        img.data[(y * width + x) * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255) / 255;
      }
    }
  }
  return img;
}

function png8(img: RgbImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(Array.from(img.data, (v) => quantize(v, 255)));
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** A temp folder with `count` PNG textures (sizes vary a little; one in a subfolder). */
export function textureFolder(seed: number, count: number, size = 64): string {
  const dir = mkdtempSync(join(tmpdir(), 'vivid-train-data-'));
  mkdirSync(join(dir, 'sub'));
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const img = texture(rng, size + 4 * (i % 3), size + 4 * ((i + 1) % 3) + 1);
    writeFileAtomic(join(dir, i === count - 1 ? 'sub' : '.', `t${i}.png`), png8(img));
  }
  return dir;
}

/** The tiny model of configs/tiny.json on synthetic data, writing to a fresh temp folder. */
export function tinyConfig(data: string, over: Partial<TrainConfig> = {}): TrainConfig {
  return parseConfig({
    stage: 'mse',
    generator: { scale: 4, blocks: 2, channels: 16 },
    data: [data],
    batchSize: 4,
    patchSize: 32,
    patchesPerImage: 4,
    steps: 6,
    lr: 1e-3,
    seed: 7,
    validateEvery: 0,
    checkpointEvery: 3,
    keepCheckpoints: 3,
    out: mkdtempSync(join(tmpdir(), 'vivid-train-out-')),
    ...over,
  }, 'test config');
}
