// Periodic validation: PSNR/SSIM on a held-out folder with the evaluation conventions of
// src/eval/evaluate.ts (Y channel, scale-pixel shave, bicubic baseline), and a strip of
// sample crops — bicubic | SR | HR side by side, one row per image — for eyeballing progress.

import { imresize } from '../data/resize.ts';
import { findPairs } from '../eval/dataset.ts';
import { evaluate } from '../eval/evaluate.ts';
import { createImage, readImage, writeImage, type RgbImage } from '../io/image.ts';
import type { ValidationPoint } from './history.ts';

const CROP = 128;
const GAP = 4;

function cropRgb(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const out = createImage(w, h, 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) out.data[(y * w + x) * 3 + c] = img.data[((y0 + y) * img.width + x0 + x) * img.channels + c]!;
    }
  }
  return out;
}

/** Rows of equal-sized tiles on a white background. */
export function tileStrip(rows: RgbImage[][]): RgbImage {
  const tw = Math.max(...rows.flat().map((t) => t.width)), th = Math.max(...rows.flat().map((t) => t.height));
  const cols = Math.max(...rows.map((r) => r.length));
  const out = createImage(cols * tw + (cols + 1) * GAP, rows.length * th + (rows.length + 1) * GAP, 3);
  out.data.fill(1);
  rows.forEach((row, r) => row.forEach((t, c) => {
    const ox = GAP + c * (tw + GAP), oy = GAP + r * (th + GAP);
    for (let y = 0; y < t.height; y++) {
      for (let x = 0; x < t.width; x++) {
        for (let k = 0; k < 3; k++) out.data[((oy + y) * out.width + ox + x) * 3 + k] = t.data[(y * t.width + x) * t.channels + k]!;
      }
    }
  }));
  return out;
}

export async function validate(
  dir: string,
  scale: number,
  upscale: (lr: RgbImage) => Promise<RgbImage>,
  opts: { step: number; samplePath?: string; maxSamples?: number },
): Promise<ValidationPoint> {
  const maxSamples = opts.maxSamples ?? 4;
  const kept: Array<{ lr: RgbImage; sr: RgbImage }> = [];
  const report = await evaluate(dir, scale, async (lr) => {
    const sr = await upscale(lr);
    if (kept.length < maxSamples) kept.push({ lr, sr });
    return sr;
  });
  if (opts.samplePath && kept.length) {
    const pairs = findPairs(dir, scale).pairs;
    const rows: RgbImage[][] = [];
    for (let i = 0; i < kept.length; i++) {
      const { lr, sr } = kept[i]!;
      const hr = await readImage(pairs[i]!.hr);
      const bic = imresize(lr, scale);
      // A centred crop in LR pixels times the scale, so all three tiles show the same region.
      const cw = Math.min(CROP, sr.width), ch = Math.min(CROP, sr.height);
      const x0 = Math.floor((sr.width - cw) / 2 / scale) * scale, y0 = Math.floor((sr.height - ch) / 2 / scale) * scale;
      rows.push([cropRgb(bic, x0, y0, cw, ch), cropRgb(sr, x0, y0, cw, ch), cropRgb(hr, x0, y0, cw, ch)]);
    }
    await writeImage(opts.samplePath, tileStrip(rows));
  }
  return {
    step: opts.step,
    psnr_y: report.mean.psnr_y,
    ssim_y: report.mean.ssim_y,
    bicubic_psnr_y: report.bicubic.mean.psnr_y,
    bicubic_ssim_y: report.bicubic.mean.ssim_y,
  };
}
