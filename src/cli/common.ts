// Pieces shared by the CLI commands: option parsing helpers, finding image files, model
// loading with a one-line description.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isNodeBackend, type Backend } from '../graph/device.ts';
import { DEFAULT_MAX_PIXELS, IMAGE_EXT } from '../io/image.ts';
import type { OptionTable } from './args.ts';
import { isPytorchArch, type PytorchArch } from '../models/pytorch-import.ts';

export function intOption(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

export function archOption(value: string | undefined): PytorchArch | undefined {
  if (value === undefined) return undefined;
  if (!isPytorchArch(value)) throw new Error(`--arch must be leftthomas or srresnet-tutorial, got '${value}'`);
  return value;
}

export function backendOption(value: string | undefined): Backend | undefined {
  if (value === undefined) return undefined;
  if (!isNodeBackend(value)) throw new Error(`--backend must be auto, vulkan or opengl, got '${value}'`);
  return value;
}

export interface FoundImage {
  path: string;
  /** Path relative to the folder it was found in (just the file name for a file argument). */
  rel: string;
}

/** Image files under a folder, recursively, sorted; hidden files and folders skipped. */
export function imagesUnder(dir: string): FoundImage[] {
  const out: FoundImage[] = [];
  const walk = (d: string) => {
    const names = readdirSync(d).filter((n) => !n.startsWith('.')).sort();
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && IMAGE_EXT.test(n)) out.push({ path: p, rel: relative(dir, p) });
    }
  };
  walk(dir);
  return out;
}

/** "SRResNet ×4, 8 blocks, 64 channels (srresnet-tutorial) from path" for messages. */
export function describeModel(info: { config: { scale: number; blocks: number; channels: number }; arch: string; source: string }): string {
  const c = info.config;
  return `×${c.scale}, ${c.blocks} blocks, ${c.channels} channels (${info.arch}) from ${info.source}`;
}

/** The options every model-running command takes (spread into its parseArgs table). */
export const MODEL_OPTIONS = {
  model: { type: 'string', short: 'm', aliases: ['n'], value: '<M>', help: 'built-in name, .safetensors or PyTorch .pth (default: the shipped srresnet-x4)' },
  arch: { type: 'string', value: '<A>', help: 'PyTorch checkpoints: leftthomas | srresnet-tutorial (default: detected)' },
  tile: { type: 'string', short: 't', value: '<N>', help: 'low-resolution region size in LR pixels (default: the whole image when it fits)' },
  'max-pixels': { type: 'string', value: '<N>', help: `refuse input images over N pixels, read from the header (default ${DEFAULT_MAX_PIXELS / 1e6} MP)` },
} as const satisfies OptionTable;

/** `--images N` of the commands that read an evaluation folder. */
export const IMAGES_OPTION = { type: 'string', value: '<N>', help: 'only the first N pictures (of a sequence: its first N frames)' } as const;

/** --max-pixels as a number (accepts 2e8 or 200000000). */
export function maxPixelsOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) throw new Error(`--max-pixels must be a positive number of pixels, got '${value}'`);
  return Math.floor(n);
}

/**
 * A plain-text table: the first column left-aligned, the others right-aligned, a rule under the
 * header and between `sections` (groups of rows, e.g. per-image rows, then the means).
 */
export function textTable(head: string[], sections: string[][][]): string {
  const rows = sections.flat();
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), ...sections.flatMap((rows) => [rule, ...rows.map(line)])].join('\n');
}
