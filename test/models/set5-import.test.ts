// End-to-end proof: independently trained PyTorch generators, imported and run through our
// kernels, reproduce their published Set5 ×4 quality.

import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.ts';
import { upscaleTiled } from '../../src/inference/tiling.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import { loadGenerator } from '../../src/models/load.ts';
import { gpu } from '../helpers/gpu.ts';
import { referenceFor } from '../helpers/reference-table.ts';
import { sharedPath } from '../helpers/shared.ts';

const CASES = [
  { file: 'weights/leftthomas-srgan/netG_epoch_4_100.pth', row: /^leftthomas/, arch: 'leftthomas' },
  { file: 'weights/srresnet8-pytorch/srresnet8_x4.pth', row: /^SRResNet x4, 8 blocks/, arch: 'srresnet-tutorial' },
];

describe('imported PyTorch generators on Set5 ×4', () => {
  for (const c of CASES) {
    it(`${c.file} reproduces its reference Y-PSNR`, async () => {
      const rt = await gpu();
      rt.poisonAllocations = false;
      const loaded = loadGenerator(sharedPath(c.file));
      expect(loaded.arch).toBe(c.arch);
      const model = new InferenceGenerator(rt, loaded.config, loaded.weights);
      const report = await evaluate(sharedPath('data/set5/x4'), 4, (lr) => upscaleTiled(rt, model, lr));
      model.dispose();
      const ref = referenceFor(c.row);
      const got = report.images.map((r) => r.psnr_y);
      console.log(`${c.file}: Y-PSNR ${got.map((v) => v.toFixed(2)).join(' / ')}, mean ${report.mean.psnr_y.toFixed(3)} (reference ${ref.mean}); SSIM ${report.mean.ssim_y.toFixed(4)}; bicubic ${report.bicubic.mean.psnr_y.toFixed(3)}`);
      got.forEach((v, i) => expect(Math.abs(v - ref.perImage[i]!), `image ${i + 1}: ${v} vs ${ref.perImage[i]}`).toBeLessThanOrEqual(0.05));
      expect(Math.abs(report.mean.psnr_y - ref.mean)).toBeLessThanOrEqual(0.02);
      const bicubic = referenceFor(/^bicubic/);
      expect(Math.abs(report.bicubic.mean.psnr_y - bicubic.mean)).toBeLessThanOrEqual(0.05);
    });
  }
});
