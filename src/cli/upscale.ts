// `vivid upscale <files|dirs...> -o <file|dir>`: upscale images and folders of images.
// Folders are walked recursively and their structure is kept under the output folder.
// An input that cannot be read is reported and skipped; the others are still processed and
// the exit code says that something failed. Outputs are written atomically (writeImage), so
// an interrupted run never leaves a half-written image behind.

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { getModel, defaultModel, shutdown } from '../index.ts';
import { upscaleTiled } from '../inference/tiling.ts';
import { decodeImage, IMAGE_EXT, probeImage, writeImage } from '../io/image.ts';
import { Progress } from '../util/progress.ts';
import { archOption, backendOption, describeModel, imagesUnder, intOption, MODEL_OPTIONS } from './common.ts';

const USAGE = `usage: vivid upscale <files|dirs...> -o <file|dir> [options]

  -o, --output <path>   output file (one input file) or folder
  --model <M>           built-in name, .safetensors or PyTorch .pth (default: the shipped srresnet-x4)
  --arch <A>            PyTorch checkpoints: leftthomas | srresnet-tutorial (default: detected)
  --tile <N>            tile size in LR pixels (default: automatic)
  --overlap <N>         LR pixels of context per tile side (default: the receptive field)
  --format png|jpg      output format (default: the input's)
  --overwrite           replace existing outputs (default: skip them)
  --backend <B>         auto | vulkan | opengl
  --quiet               no progress output`;

interface Job {
  input: string;
  output: string;
  label: string;
}

function outputName(rel: string, format: string | undefined): string {
  if (!format) return rel;
  return rel.slice(0, rel.length - extname(rel).length) + '.' + format;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...MODEL_OPTIONS,
      output: { type: 'string', short: 'o' },
      overlap: { type: 'string' },
      format: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!positionals.length || !values.output) {
    console.error(USAGE);
    return 2;
  }
  const format = values.format?.toLowerCase().replace(/^\./, '').replace('jpeg', 'jpg');
  if (format !== undefined && format !== 'png' && format !== 'jpg') throw new Error(`--format must be png or jpg, got '${values.format}'`);
  const tileSize = intOption(values.tile, 'tile', 1);
  const overlap = intOption(values.overlap, 'overlap', 0);
  const arch = archOption(values.arch);
  const backend = backendOption(values.backend);

  // Where do outputs go? One file argument and an image-named -o that is not a folder: a file.
  const out = values.output;
  const single = positionals.length === 1 && existsSync(positionals[0]!) && statSync(positionals[0]!).isFile();
  const fileMode = single && IMAGE_EXT.test(out) && !(existsSync(out) && statSync(out).isDirectory());

  let failed = 0;
  const jobs: Job[] = [];
  const seen = new Set<string>();
  for (const arg of positionals) {
    if (!existsSync(arg)) {
      console.error(`vivid upscale: ${arg}: no such file or folder`);
      failed++;
      continue;
    }
    const found = statSync(arg).isDirectory() ? imagesUnder(arg) : [{ path: arg, rel: basename(arg) }];
    if (statSync(arg).isDirectory() && !found.length) console.error(`vivid upscale: ${arg}: no PNG or JPEG images in this folder`);
    for (const f of found) {
      const output = fileMode ? out : join(out, outputName(f.rel, format));
      if (seen.has(output)) {
        console.error(`vivid upscale: ${f.path}: output ${output} already taken by another input; skipped`);
        failed++;
        continue;
      }
      seen.add(output);
      jobs.push({ input: f.path, output, label: f.rel });
    }
  }

  if (!jobs.length) {
    console.error('vivid upscale: no images to upscale');
    return 1;
  }
  const spec = values.model ?? defaultModel();
  const { model, info } = await getModel(spec, { arch, backend });
  if (!values.quiet) console.error(`model ${describeModel(info)}`);

  const progress = new Progress({ label: 'upscale', total: jobs.length, unit: 'images', enabled: !values.quiet });
  let written = 0, skipped = 0;
  try {
    for (const job of jobs) {
      if (!values.overwrite && existsSync(job.output)) {
        skipped++;
        progress.tick(1, `${job.label} exists, skipped`);
        continue;
      }
      try {
        const bytes = new Uint8Array(await readFile(job.input));
        const { bitDepth } = await probeImage(bytes, job.input); // a 16-bit input keeps 16 bits where the output format can
        const img = await decodeImage(bytes, job.input);
        progress.setStatus(`${job.label} ${img.width}×${img.height}`);
        const sr = await upscaleTiled(model.rt, model, img, {
          tileSize: tileSize,
          overlap,
          onProgress: (d, t) => progress.setStatus(`${job.label} tile ${d}/${t}`),
        });
        mkdirSync(dirname(job.output), { recursive: true });
        await writeImage(job.output, sr, { bitDepth });
        written++;
      } catch (e) {
        failed++;
        const msg = (e as Error).message;
        progress.log(`vivid upscale: ${msg.includes(job.input) ? msg : `${job.input}: ${msg}`}`);
      }
      progress.tick(1);
    }
    progress.done(`${written} written, ${skipped} skipped (exist; --overwrite replaces), ${failed} failed`);
  } finally {
    await shutdown();
  }
  if (values.quiet && failed) console.error(`vivid upscale: ${failed} input(s) failed`);
  return failed ? 1 : 0;
}
