// `vivid compare --models A,B --data <dir> -o strip.png`: several models on the same pictures,
// side by side. Each row is one picture of the folder (any layout `vivid eval` reads), cut to
// the same region: bicubic | model A | model B | … | HR, each column named above it and each tile's
// whole-image PSNR-Y / SSIM-Y drawn under it (also printed as a table, or as JSON with --json),
// because a GAN's sharper crop and its lower PSNR are both part of the answer.

import { basename, extname } from 'node:path';
import { parseCommand, UsageError, type CommandSpec } from './args.ts';
import { imresize } from '../data/resize.ts';
import { findPairs } from '../eval/dataset.ts';
import { loadPair } from '../eval/evaluate.ts';
import { centredCrop, cropRgb, tileStrip, type CropBox } from '../eval/strip.ts';
import { getModel, shutdown } from '../index.ts';
import { upscaleTiled } from '../inference/tiling.ts';
import { outputFormatOf, writeImage, type RgbImage } from '../io/image.ts';
import { evaluatePair } from '../metrics/quality.ts';
import { checkWritable } from './outputs.ts';
import { Progress } from '../util/progress.ts';
import { archOption, backendOption, describeModel, IMAGES_OPTION, intOption, MODEL_OPTIONS, textTable } from './common.ts';

export const spec = {
  name: 'compare',
  usage: '--models <A,B,...> --data <dir> -o <strip.png> [options]',
  options: {
    ...MODEL_OPTIONS,
    models: { type: 'string', value: '<list>', help: 'comma-separated: built-in names, .safetensors or PyTorch .pth files\n(or one model with -m/--model)' },
    data: { type: 'string', short: 'd', value: '<dir>', required: true, help: 'pictures, in any layout `vivid eval` reads (name_HR/name_LR, HR/ + LR/, HR alone)' },
    output: { type: 'string', short: 'o', value: '<file>', required: true, help: 'the strip to write: a row per picture, columns bicubic | each model | HR' },
    crop: { type: 'string', value: '<N>', help: 'side of the cut region in HR pixels (default 128)' },
    at: { type: 'string', value: '<x,y>', help: 'top-left corner of the region in HR pixels (default: the centre)' },
    images: IMAGES_OPTION,
  },
  notes: [
    'Above each column its name; under each tile PSNR-Y (dB) and SSIM-Y of the whole picture',
    'against HR (higher is better). --json prints per column its per-picture figures and mean.',
  ].join('\n'),
} as const satisfies CommandSpec;

function parseAt(v: string | undefined): { x: number; y: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+),(\d+)$/.exec(v);
  if (!m) throw new Error(`--at must be x,y in HR pixels, got '${v}'`);
  return { x: Number(m[1]), y: Number(m[2]) };
}

interface Figures {
  psnr_y: number;
  ssim_y: number;
}

/** --json: per column (bicubic, then each model) its figures on each picture and their mean. */
function compareJson(names: string[], specs: string[], images: Array<{ name: string; crop: CropBox }>, figures: Figures[][], output: string): unknown {
  const columns = names.map((name, c) => {
    const per = images.map((img, i) => ({ name: img.name, ...figures[i]![c]! }));
    const mean = (k: keyof Figures) => per.reduce((s, f) => s + f[k], 0) / per.length;
    return { name, model: c ? specs[c - 1] : null, mean: { psnr_y: mean('psnr_y'), ssim_y: mean('ssim_y') }, images: per };
  });
  return { output, strip: [...names, 'HR'], images, columns };
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommand(spec, args);
  const specs = (values.models ?? values.model ?? '').split(',').filter(Boolean); // --model: one model, as elsewhere
  if (!specs.length) throw new UsageError('missing --models <list> (or -m/--model <M>): the models to compare', 'compare');
  try {
    const size = intOption(values.crop, 'crop', 8) ?? 128;
    const at = parseAt(values.at);
    const tileSize = intOption(values.tile, 'tile', 1);
    const models = [];
    for (const spec of specs) models.push(await getModel(spec, { arch: archOption(values.arch), backend: backendOption(values.backend) }));
    const scale = models[0]!.info.config.scale;
    for (const m of models) {
      if (m.info.config.scale !== scale) throw new Error(`all models must share one scale: ${m.info.source} is ×${m.info.config.scale}, ${models[0]!.info.source} ×${scale}`);
      if (!values.quiet) console.error(`model ${describeModel(m.info)}`);
    }

    const pairs = findPairs(values.data, scale).pairs.slice(0, intOption(values.images, 'images', 1));
    if (!pairs.length) throw new Error(`${values.data} holds no pictures`);
    outputFormatOf(values.output);
    checkWritable([{ output: values.output }]);
    const names = ['bicubic', ...specs.map((s) => basename(s, extname(s)))];
    const progress = new Progress({ label: 'compare', total: pairs.length * models.length, unit: 'images', enabled: !values.quiet });
    const rows: RgbImage[][] = [];
    const figures: Figures[][] = []; // [picture][column]
    const boxes: CropBox[] = [];
    for (const p of pairs) {
      const { hr, lr } = await loadPair(p, scale);
      const versions = [imresize(lr, scale)];
      for (const m of models) {
        versions.push(await upscaleTiled(m.model.rt, m.model, lr, { tileSize }));
        progress.tick(1, p.name);
      }
      const box = centredCrop(hr, size, scale, at);
      boxes.push(box);
      rows.push([...versions, hr].map((img) => cropRgb(img, box.x, box.y, box.width, box.height)));
      figures.push(versions.map((v) => {
        const q = evaluatePair(v, hr, scale);
        return { psnr_y: q.psnr_y, ssim_y: q.ssim_y };
      }));
    }
    progress.done();
    const captions = figures.map((row) => [...row.map((f) => [`${f.psnr_y.toFixed(2)} dB`, f.ssim_y.toFixed(4)]), ['PSNR-Y', 'SSIM-Y']]);
    await writeImage(values.output, tileStrip(rows, { columns: [...names, 'HR'], captions }));

    if (values.json) console.log(JSON.stringify(compareJson(names, specs, pairs.map((p, i) => ({ name: p.name, crop: boxes[i]! })), figures, values.output), null, 2));
    else {
      console.log(`PSNR-Y / SSIM-Y of the whole pictures; strip columns: ${[...names, 'HR'].join(' | ')}`);
      console.log(textTable(['image', ...names], [pairs.map((p, i) => [p.name, ...figures[i]!.map((f) => `${f.psnr_y.toFixed(2)} / ${f.ssim_y.toFixed(4)}`)])]));
    }
    if (!values.quiet) console.error(`wrote ${values.output}`);
    return 0;
  } finally {
    await shutdown();
  }
}
