// Export phase: the generator and its model card written from the step's current weights
// (src/train/export.ts), when the run ends, when asked for alone (--export), or when a resume
// finds nothing left to train.

import { resolve } from 'node:path';
import { exportModel, type ExportInput, type ExportResult } from './export.ts';
import type { Position, Session } from './session.ts';
import type { TrainConfig } from './types.ts';

/** What the export needs besides the session and its position. */
export interface HandOver {
  gpu: ExportInput['gpu'];
  imageCount: number;
  /** Share of this session's step time spent waiting for data, when steps ran. */
  dataWaitShare?: number;
  /** The Set5 ×4 folder the model card's scores come from. */
  set5Dir: string;
}

/** How to use what a run handed over. */
export function useLine(weightsPath: string, config: TrainConfig): string {
  return `use it: npx vivid upscale --model ${weightsPath} photo.png -o photo-x${config.generator.scale}.png`;
}

/** Write generator + card for `pos.step`; `evaluate`: measure Set5 unless validation at this step already did. */
export async function exportAt(session: Session, pos: Position, h: HandOver, evaluate = true): Promise<ExportResult> {
  const { config, step } = session;
  const v = pos.history.validation.at(-1);
  // Validation on Set5 at this very step already measured what the model card wants.
  const known = v && v.step === pos.step && config.validation && resolve(config.validation) === resolve(h.set5Dir) ? v : undefined;
  const r = await exportModel(config.out, {
    config,
    step: pos.step,
    wallMs: session.wallMs(pos),
    imageCount: h.imageCount,
    weights: await step.generatorWeights(),
    upscale: (lr) => step.upscale(lr),
    gpu: h.gpu,
    lastLosses: pos.history.drawable().at(-1),
    dataWaitShare: h.dataWaitShare,
    set5Dir: evaluate ? h.set5Dir : undefined,
    set5Known: known && { psnr_y: known.psnr_y, ssim_y: known.ssim_y, bicubic_psnr_y: known.bicubic_psnr_y, bicubic_ssim_y: known.bicubic_ssim_y },
  });
  session.say(`wrote ${r.weightsPath} and ${r.cardPath}${r.set5 ? ` (Set5 PSNR-Y ${r.set5.psnr_y.toFixed(2)} dB, SSIM-Y ${r.set5.ssim_y.toFixed(4)}; bicubic ${r.set5.bicubic_psnr_y.toFixed(2)} dB)` : ''}`);
  session.record({ event: 'export', step: pos.step, weights: r.weightsPath, card: r.cardPath, set5: r.set5 });
  return r;
}
