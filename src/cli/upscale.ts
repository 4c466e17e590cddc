// `vivid upscale <files|dirs...> -o <file|dir>`: upscale images and folders of images.
// Folders are walked recursively and their structure is kept under the output folder.
// An input that cannot be read is reported and skipped; the others are still processed and
// the exit code says that something failed. Outputs are written atomically (writeImage), so
// an interrupted run never leaves a half-written image behind.

import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { getModel, defaultModel, shutdown } from '../index.ts';
import { upscaleTiled } from '../inference/tiling.ts';
import { decodeImage, IMAGE_FORMATS, probeImage, writeImage, type ImageFormat, type Rgb } from '../io/image.ts';
import { Progress, within } from '../util/progress.ts';
import { parseCommand, UsageError, type CommandSpec } from './args.ts';
import { archOption, backendOption, describeModel, imagesUnder, intOption, maxPixelsOption, MODEL_OPTIONS, type FoundImage } from './common.ts';
import { checkWritable, planOutputs } from './outputs.ts';

export const spec = {
  name: 'upscale',
  usage: '<files|dirs...> -o <file|dir> [options]',
  positionals: { name: 'the images or folders to upscale (or -i)', min: 0 },
  options: {
    input: { type: 'string', short: 'i', multiple: true, value: '<path>', help: 'an input file or folder (same as a positional argument; repeatable)' },
    output: { type: 'string', short: 'o', value: '<path>', required: true, help: 'output file (one input file) or folder' },
    ...MODEL_OPTIONS,
    scale: { type: 'string', short: 's', value: '<N>', help: "must match the model's scale (default: the model's, ×4)" },
    overlap: { type: 'string', value: '<N>', help: 'LR pixels of context per tile side (default: the receptive field)' },
    format: { type: 'string', short: 'f', value: '<F>', help: "png | jpg | webp | avif | tiff (default: the input's)" },
    quality: { type: 'string', short: 'q', value: '<N>', help: 'JPEG / WebP / AVIF quality 1..100 (default 90)' },
    background: { type: 'string', value: '<#rrggbb>', help: 'colour transparent pixels are composited on for JPEG (default #ffffff)' },
    suffix: { type: 'string', value: '<S>', help: "added to the name of an output that would land in its input's folder\n(default _x<scale>)" },
    overwrite: { type: 'boolean', help: 'replace existing outputs (default: skip them); never the input itself' },
  },
} as const satisfies CommandSpec;

function formatOption(v: string | undefined): ImageFormat | undefined {
  if (v === undefined) return undefined;
  const f = v.toLowerCase().replace(/^\./, '');
  const format = (Object.keys(IMAGE_FORMATS) as ImageFormat[]).find((k) => k === f || (IMAGE_FORMATS[k] as readonly string[]).includes(`.${f}`));
  if (!format) throw new Error(`--format must be one of ${Object.keys(IMAGE_FORMATS).join(', ')}, got '${v}'`);
  return format;
}

function colourOption(v: string | undefined): Rgb | undefined {
  if (v === undefined) return undefined;
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(v);
  if (!m) throw new Error(`--background must be a colour #rrggbb, got '${v}'`);
  return [parseInt(m[1]!, 16) / 255, parseInt(m[2]!, 16) / 255, parseInt(m[3]!, 16) / 255];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Output megapixels of an input image, from its header (0 if unreadable: it fails later, with its own message). */
async function outputMegapixels(path: string, scale: number): Promise<number> {
  try {
    const { width, height } = await probeImage(new Uint8Array(await readFile(path)), path);
    return (width * height * scale * scale) / 1e6;
  } catch {
    return 0;
  }
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals: rest } = parseCommand(spec, args);
  const positionals = [...values.input ?? [], ...rest];
  if (!positionals.length) throw new UsageError('missing input: give image files or folders (or -i <path>)', 'upscale');
  const format = formatOption(values.format);
  const quality = intOption(values.quality, 'quality', 1);
  if (quality !== undefined && quality > 100) throw new Error(`--quality must be an integer 1..100, got '${values.quality}'`);
  const background = colourOption(values.background);
  const maxPixels = maxPixelsOption(values['max-pixels']);
  const tileSize = intOption(values.tile, 'tile', 1);
  const overlap = intOption(values.overlap, 'overlap', 0);
  const arch = archOption(values.arch);
  const backend = backendOption(values.backend);

  const single = positionals.length === 1 && existsSync(positionals[0]!) && statSync(positionals[0]!).isFile();
  let failed = 0;
  const found: FoundImage[] = [];
  for (const arg of positionals) {
    if (!existsSync(arg)) {
      console.error(`vivid upscale: ${arg}: no such file or folder`);
      failed++;
      continue;
    }
    const inDir = statSync(arg).isDirectory() ? imagesUnder(arg) : [{ path: arg, rel: basename(arg) }];
    if (statSync(arg).isDirectory() && !inDir.length) console.error(`vivid upscale: ${arg}: no images in this folder`);
    found.push(...inDir);
  }
  const { model, info } = await getModel(values.model ?? defaultModel(), { arch, backend });
  let plan;
  try {
    const wantScale = intOption(values.scale, 'scale', 1);
    if (wantScale !== undefined && wantScale !== info.config.scale) throw new Error(`--scale ${wantScale}, but the model upscales ×${info.config.scale}`);
    plan = planOutputs(found, single, { output: values.output, format, suffix: values.suffix ?? `_x${info.config.scale}` });
    checkWritable(plan.jobs);
  } catch (e) {
    await shutdown();
    throw e;
  }
  const { jobs, problems } = plan;
  for (const p of problems) console.error(`vivid upscale: ${p}`);
  failed += problems.length;
  if (!jobs.length) {
    console.error('vivid upscale: no images to upscale');
    await shutdown();
    return 1;
  }
  if (!values.quiet) console.error(`model ${describeModel(info)}`);

  // Progress by work: output megapixels, each image's moving as its bands finish.
  const megapixels = await Promise.all(jobs.map((j) => outputMegapixels(j.input, info.config.scale)));
  const progress = new Progress({ label: 'upscale', total: sum(megapixels), unit: 'Mpx', decimals: 2, enabled: !values.quiet });
  let base = 0;
  const results: Array<{ input: string; output: string; status: 'written' | 'skipped' | 'failed'; error?: string }> = [];
  let written = 0, skipped = 0;
  try {
    for (const [i, job] of jobs.entries()) {
      const units = megapixels[i]!;
      if (!values.overwrite && existsSync(job.output)) {
        skipped++;
        results.push({ input: job.input, output: job.output, status: 'skipped' });
        progress.update((base += units), `${job.label} exists, skipped`);
        continue;
      }
      try {
        const bytes = new Uint8Array(await readFile(job.input));
        const { bitDepth } = await probeImage(bytes, job.input); // a 16-bit input keeps 16 bits where the output format can
        const img = await decodeImage(bytes, job.input, { maxPixels });
        progress.setStatus(`${job.label} ${img.width}×${img.height}`);
        const sr = await upscaleTiled(model.rt, model, img, { tileSize, overlap, onProgress: within(progress, base, units) });
        await writeImage(job.output, sr, { bitDepth, quality, background });
        written++;
        results.push({ input: job.input, output: job.output, status: 'written' });
      } catch (e) {
        failed++;
        const msg = (e as Error).message;
        results.push({ input: job.input, output: job.output, status: 'failed', error: msg });
        progress.log(`vivid upscale: ${msg.includes(job.input) ? msg : `${job.input}: ${msg}`}`);
      }
      progress.update((base += units));
    }
    progress.done(`${written} written, ${skipped} skipped (exist; --overwrite replaces), ${failed} failed`);
  } finally {
    await shutdown();
  }
  if (values.json) console.log(JSON.stringify({ written, skipped, failed, outputs: results }, null, 2));
  if (values.quiet && failed) console.error(`vivid upscale: ${failed} input(s) failed`);
  return failed ? 1 : 0;
}
