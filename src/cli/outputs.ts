// Where `vivid upscale` writes: every output path resolved and checked in one place, before any
// image is upscaled. Refuses what would lose data or surprise (an unknown extension, an output
// that is its own input); suffixes outputs that would land next to their input or on another
// input; checks that each output folder exists or can be made and is writable, with messages
// naming the user's path.

import { closeSync, existsSync, mkdirSync, openSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { IMAGE_EXT, SUPPORTED_EXTENSIONS, type ImageFormat } from '../io/image.ts';
import { writeErrorMessage } from '../io/atomic.ts';
import type { FoundImage } from './common.ts';

export interface Job {
  input: string;
  output: string;
  label: string;
}

export interface PlanOptions {
  output: string;
  format?: ImageFormat;
  /** Added before the extension when an output would land in its input's folder. */
  suffix: string;
}

const real = (p: string) => (existsSync(p) ? realpathSync(p) : resolve(p));

function samePath(a: string, b: string): boolean {
  return real(a) === real(b);
}

function withFormat(rel: string, format: ImageFormat | undefined): string {
  return format ? rel.slice(0, rel.length - extname(rel).length) + '.' + format : rel;
}

/** Outputs for the found inputs; throws for a problem with the whole command line. */
export function planOutputs(found: FoundImage[], fileArgument: boolean, opts: PlanOptions): { jobs: Job[]; problems: string[] } {
  const out = opts.output;
  const outIsDir = existsSync(out) && statSync(out).isDirectory();
  const ext = extname(out);
  const fileMode = !outIsDir && ext !== '' && !out.endsWith('/');
  if (fileMode && !IMAGE_EXT.test(out)) throw new Error(`-o ${out}: unknown output extension '${ext}' (use ${SUPPORTED_EXTENSIONS}, or a folder name without an extension)`);
  if (fileMode && (!fileArgument || found.length !== 1)) throw new Error(`-o ${out} names one file, but there are ${found.length} inputs: give a folder`);
  const jobs: Job[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const inputs = new Set(found.map((f) => real(f.path)));
  for (const f of found) {
    let output = fileMode ? out : join(out, withFormat(f.rel, opts.format));
    if (fileMode && samePath(output, f.path)) throw new Error(`-o ${out} is the input itself; refusing to overwrite it (even with --overwrite)`);
    // Next to its input (whatever its format), or on another input: suffixed, so that no input is
    // overwritten or taken for an existing output. A file named with -o is the user's choice.
    if (!fileMode && (samePath(dirname(output), dirname(f.path)) || inputs.has(real(output)))) {
      const e = extname(output);
      output = output.slice(0, output.length - e.length) + opts.suffix + e;
    }
    if (!fileMode && inputs.has(real(output))) {
      problems.push(`${f.path}: its output ${output} is another input; skipped (--suffix S names outputs differently)`);
      continue;
    }
    if (seen.has(resolve(output))) {
      problems.push(`${f.path}: output ${output} already taken by another input; skipped`);
      continue;
    }
    seen.add(resolve(output));
    jobs.push({ input: f.path, output, label: f.rel });
  }
  return { jobs, problems };
}

/** Make each output folder and prove it writable now, not after minutes of compute. */
export function checkWritable(jobs: ReadonlyArray<{ output: string }>): void {
  for (const dir of new Set(jobs.map((j) => dirname(j.output)))) {
    const probe = join(dir, `.vivid-write-test-${process.pid}`);
    try {
      mkdirSync(dir, { recursive: true });
      closeSync(openSync(probe, 'wx'));
      unlinkSync(probe);
    } catch (e) {
      throw new Error(writeErrorMessage(e, dir, 'write into the folder'));
    }
  }
}
