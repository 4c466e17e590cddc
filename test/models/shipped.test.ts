// The models shipped in weights/ are what their cards say: each has a card, loads, and
// reproduces the card's Set5 ×4 figures (and its colour figures, where it has them) through our
// kernels; the default one beats bicubic.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.ts';
import { defaultModel } from '../../src/index.ts';
import { upscaleTiled } from '../../src/inference/tiling.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import { builtinModels, DEFAULT_BUILTIN, loadGenerator, WEIGHTS_DIR } from '../../src/models/load.ts';
import { gpu } from '../helpers/gpu.ts';
import { sharedPath } from '../helpers/shared.ts';

interface Card {
  file: string;
  architecture: { generator: Record<string, unknown> };
  evaluation: { set5_x4: { psnr_y: number; ssim_y: number; bicubic_psnr_y: number; bias_rgb?: number[]; delta_e?: number } };
}

describe('shipped models', () => {
  it('the default is the PSNR-trained srresnet-x4, listed first', () => {
    expect(builtinModels()[0]).toBe(DEFAULT_BUILTIN);
    expect(defaultModel()).toBe(DEFAULT_BUILTIN);
  });

  for (const name of builtinModels()) {
    it(`${name}: its card's Set5 ×4 figures (PSNR-Y, SSIM-Y, colour) are reproduced`, async () => {
      const cardPath = join(WEIGHTS_DIR, `${name}.json`);
      expect(existsSync(cardPath), `${cardPath} (model card) is missing`).toBe(true);
      const card = JSON.parse(readFileSync(cardPath, 'utf8')) as Card;
      expect(card.file).toBe(`${name}.safetensors`);
      const loaded = loadGenerator(name);
      expect(loaded.config).toMatchObject(card.architecture.generator);

      const rt = await gpu();
      rt.poisonAllocations = false;
      const model = new InferenceGenerator(rt, loaded.config, loaded.weights);
      const report = await evaluate(sharedPath('data/set5/x4'), 4, (lr) => upscaleTiled(rt, model, lr));
      model.dispose();
      const want = card.evaluation.set5_x4;
      console.log(`${name}: Set5 ${report.mean.psnr_y.toFixed(3)} dB / ${report.mean.ssim_y.toFixed(4)} (card ${want.psnr_y.toFixed(3)} / ${want.ssim_y.toFixed(4)})`);
      // Card figures were measured on other adapters (H200, llvmpipe): f32 rounding differs, 8-bit output hides most of it.
      expect(Math.abs(report.mean.psnr_y - want.psnr_y)).toBeLessThanOrEqual(0.005);
      expect(Math.abs(report.mean.ssim_y - want.ssim_y)).toBeLessThanOrEqual(1e-4);
      expect(report.bicubic.mean.psnr_y).toBeCloseTo(want.bicubic_psnr_y, 6);
      if (want.delta_e !== undefined) expect(Math.abs(report.mean.delta_e - want.delta_e)).toBeLessThanOrEqual(0.01);
      want.bias_rgb?.forEach((b, c) => expect(Math.abs(report.mean.bias_rgb[c]! - b), `bias of channel ${'RGB'[c]}`).toBeLessThanOrEqual(0.01));
      if (name === DEFAULT_BUILTIN) expect(report.mean.psnr_y).toBeGreaterThan(report.bicubic.mean.psnr_y + 1);
    });
  }
});
