// Builds the page into web/dist: the bundle (esbuild, from the same src/ kernels and shaders/
// as the Node engine, through src/web.ts: what `vivid-sr/web` exports), the static files, and
// the default built-in model (weights/srresnet-x4.safetensors).
//   npx tsx web/build.ts        (npm run web builds, then serves)

import { copyFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { generateShaderModule } from '../scripts/generate-shaders.ts';
import { builtinModels, WEIGHTS_DIR } from '../src/models/load.ts';

const webDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(webDir, '..');
export const DIST = join(webDir, 'dist');
const STATIC = ['index.html', 'style.css'];

export interface BuildResult {
  outDir: string;
  bundleBytes: number;
  /** The model file inside outDir and where it came from. */
  weightsFile: string;
  weightsBytes: number;
  weightsSource: string;
}

/** The model to ship: the default built-in one (weights/). */
function prepareWeights(outDir: string): { file: string; source: string } {
  const shipped = builtinModels();
  if (!shipped.length) throw new Error(`no model to ship: ${WEIGHTS_DIR} holds no generator .safetensors`);
  const src = join(WEIGHTS_DIR, `${shipped[0]!}.safetensors`);
  const out = join(outDir, 'model.safetensors');
  copyFileSync(src, out);
  return { file: out, source: relative(repoRoot, src) };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB (${bytes.toLocaleString('en')} bytes)`;
}

export async function buildWeb(opts: { outDir?: string; quiet?: boolean } = {}): Promise<BuildResult> {
  const outDir = opts.outDir ?? DIST;
  const log = opts.quiet ? () => undefined : (s: string) => console.log(`[web] ${s}`);
  mkdirSync(outDir, { recursive: true });
  generateShaderModule();
  const result = await esbuild.build({
    entryPoints: [join(webDir, 'main.ts')],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  for (const f of STATIC) copyFileSync(join(webDir, f), join(outDir, f));
  const weights = prepareWeights(outDir);
  const bundleBytes = statSync(join(outDir, 'main.js')).size;
  const weightsBytes = statSync(weights.file).size;
  writeFileSync(join(outDir, 'model.json'), JSON.stringify({ file: basename(weights.file), bytes: weightsBytes, source: basename(weights.source) }, null, 2));
  const inputs = Object.keys(result.metafile.inputs).length;
  log(`bundle  ${relative(repoRoot, join(outDir, 'main.js'))}: ${mib(bundleBytes)} from ${inputs} inputs`);
  log(`weights ${relative(repoRoot, weights.file)}: ${mib(weightsBytes)} (from ${weights.source})`);
  return { outDir, bundleBytes, weightsFile: weights.file, weightsBytes, weightsSource: weights.source };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWeb();
}
