// `vivid eval --model M --data <dir>`: PSNR/SSIM of a generator on an HR/LR folder (any layout
// findPairs knows), per image and on average, next to the bicubic baseline. Sequences (Vid4's
// GT/ + BIx4/) also get the temporal flicker column.

import { parseCommand, type CommandSpec } from './args.ts';
import { defaultModel, getModel, shutdown } from '../index.ts';
import { evaluate, type EvalReport, type ImageResult } from '../eval/evaluate.ts';
import { upscaleTiled } from '../inference/tiling.ts';
import type { PairMetrics } from '../metrics/quality.ts';
import { Progress, within } from '../util/progress.ts';
import type { RgbImage } from '../io/image.ts';
import { findPairs } from '../eval/dataset.ts';
import { archOption, backendOption, describeModel, IMAGES_OPTION, intOption, MODEL_OPTIONS, textTable } from './common.ts';

export const spec = {
  name: 'eval',
  usage: '--data <dir> [options]',
  options: {
    ...MODEL_OPTIONS,
    data: { type: 'string', short: 'd', value: '<dir>', required: true, help: 'name_HR/name_LR pairs, HR/ + LR/ folders, GT/ + BIx4/ (Vid4), or HR images alone' },
    scale: { type: 'string', short: 's', value: '<N>', help: "must match the model (default: the model's)" },
    temporal: { type: 'boolean', help: 'sequences: measure the temporal mode\'s output (what vivid video writes by default),\nwith a frame-by-frame mean of the same SR frames next to it' },
    images: IMAGES_OPTION,
  },
  notes: [
    'Columns: PSNR-Y and SSIM-Y on luma (higher is better), PSNR-RGB, MSE on [0,1] values,',
    'bias R/G/B (mean output − ground truth per channel, 8-bit levels; 0 is best) and ΔE (mean',
    'CIE76 colour difference in CIELAB; lower is better, ~1 is just noticeable).',
    'Sequences (GT/ + BIx4/) also get three temporal columns, from the second frame on:',
    '  flicker     mean |(SR_t − SR_t−1) − (GT_t − GT_t−1)| over the RGB samples, in 8-bit levels',
    '              (0..255): how far the output\'s frame-to-frame change is from the ground truth\'s;',
    '  mc-flicker  the same along the GT motion (our flow kernels), over forward-backward-consistent',
    '              pixels, on Y (0..255);',
    '  tOF         mean |flow(SR) − flow(GT)|, in HR pixels.',
    '  0 means the output moves exactly as the ground truth does. Lower is better for all three.',
    '--images N measures the first N images (frames); a bar follows the model, then the bicubic pass.',
    '--json prints the per-image rows, the mean and the bicubic mean as JSON on stdout.',
  ].join('\n'),
} as const satisfies CommandSpec;

type Row = PairMetrics & { name: string; flicker?: number; mc_flicker?: number; tof?: number };

function table(rows: Row[], means: Row[], flicker: boolean): string {
  const head = ['image', 'PSNR-Y', 'SSIM-Y', 'PSNR-RGB', 'MSE', 'bias R/G/B', 'ΔE', ...(flicker ? ['flicker', 'mc-flicker', 'tOF'] : [])];
  const opt = (v: number | undefined, d: number) => (v === undefined ? '' : v.toFixed(d));
  const fmt = (r: Row) => [
    r.name,
    r.psnr_y.toFixed(2),
    r.ssim_y.toFixed(4),
    r.psnr_rgb.toFixed(2),
    r.mse.toExponential(3),
    r.bias_rgb.map((b) => (b >= 0 ? '+' : '') + b.toFixed(2)).join('/'),
    r.delta_e.toFixed(2),
    ...(flicker ? [opt(r.flicker, 3), opt(r.mc_flicker, 3), opt(r.tof, 4)] : []),
  ];
  return textTable(head, [rows.map(fmt), means.map(fmt)]);
}

/** The JSON written by --json: per-image rows, the mean, the bicubic mean (and with --temporal
 *  the frame-by-frame mean). */
export function reportJson(report: EvalReport, extra: Record<string, unknown> = {}): unknown {
  const row = (r: ImageResult) => ({ name: r.name, psnr_y: r.psnr_y, ssim_y: r.ssim_y, psnr_rgb: r.psnr_rgb, mse: r.mse, bias_rgb: r.bias_rgb, delta_e: r.delta_e, ...(r.flicker !== undefined ? { flicker: r.flicker, mc_flicker: r.mc_flicker, tof: r.tof } : {}) });
  const fbf = report.frameByFrame && { frame_by_frame: { mean: report.frameByFrame.mean, images: report.frameByFrame.images.map(row) } };
  return { ...extra, images: report.images.map(row), mean: report.mean, ...fbf, bicubic: { mean: report.bicubic.mean, images: report.bicubic.images.map(row) } };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommand(spec, args);
  try {
    const images = intOption(values.images, 'images', 1);
    const { model, info } = await getModel(values.model ?? defaultModel(), { arch: archOption(values.arch), backend: backendOption(values.backend) });
    const scale = intOption(values.scale, 'scale', 2) ?? info.config.scale;
    if (scale !== info.config.scale) throw new Error(`--scale ${scale} but the model upscales ×${info.config.scale}`);
    const tileSize = intOption(values.tile, 'tile', 1);
    if (!values.quiet) console.error(`model ${describeModel(info)}`);

    const found = findPairs(values.data, scale);
    const pairs = found.pairs.slice(0, images);
    const sequence = found.sequence;
    // Two bars: the model, then the bicubic baseline (on a sequence its temporal metrics take a
    // while too: about a minute for Vid4 calendar on a CPU).
    const unit = sequence ? 'frames' : 'images';
    const bars = { model: new Progress({ label: 'eval', total: pairs.length, unit, enabled: !values.quiet }), bicubic: new Progress({ label: 'bicubic', total: pairs.length, unit, enabled: !values.quiet }) };
    const t0 = performance.now();
    // Images done so far; the current one's share moves the model bar as its bands finish.
    let modelDone = 0;
    const upscaleOne = (lr: RgbImage) => upscaleTiled(model.rt, model, lr, { tileSize, onProgress: within(bars.model, modelDone) });
    const report = await evaluate({ pairs, sequence }, scale, upscaleOne, (r, pass) => {
      if (pass === 'model') bars.model.update(++modelDone, `${r.name} ${r.psnr_y.toFixed(2)} dB`);
      else bars.bicubic.tick(1, `${r.name} ${r.psnr_y.toFixed(2)} dB`);
      if (pass === 'model' && modelDone === pairs.length) {
        bars.model.done();
        bars.bicubic.startAt(0);
      }
    }, { rt: model.rt, temporal: values.temporal });
    bars.bicubic.done();
    const seconds = (performance.now() - t0) / 1000;

    if (values.json) console.log(JSON.stringify(reportJson(report, { model: info.source, arch: info.arch, data: values.data, scale, seconds }), null, 2));
    else {
      const fbf = report.frameByFrame ? [{ name: 'frame by frame (mean)', ...report.frameByFrame.mean }] : [];
      const means = [{ name: report.frameByFrame ? 'temporal (mean)' : 'mean', ...report.mean }, ...fbf, { name: 'bicubic (mean)', ...report.bicubic.mean }];
      console.log(table(report.images, means, sequence));
    }
    return 0;
  } finally {
    await shutdown();
  }
}
