// Builds the page into web/dist: the bundle (esbuild, from the same src/ kernels and shaders/
// as the Node engine), the static files, and the model. The model is the default built-in one
// (weights/srresnet-x4.safetensors); while none is shipped, the development checkout's PyTorch SRResNet
// is converted into dist (only there — converted weights are never committed).
//   npx tsx web/build.ts        (npm run web builds, then serves)

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
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

/** esbuild plugin: `import shaders from 'vivid:shaders'` → every shaders/*.wgsl, loaded as text. */
const shaderPlugin: esbuild.Plugin = {
  name: 'vivid-shaders',
  setup(build) {
    const dir = join(repoRoot, 'shaders');
    build.onResolve({ filter: /^vivid:shaders$/ }, () => ({ path: 'shaders', namespace: 'vivid-shaders' }));
    build.onLoad({ filter: /.*/, namespace: 'vivid-shaders' }, () => {
      const names = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).sort();
      const lines = names.map((f, i) => `import s${i} from ${JSON.stringify(join(dir, f))};`);
      lines.push(`export default { ${names.map((f, i) => `${JSON.stringify(basename(f, '.wgsl'))}: s${i}`).join(', ')} };`);
      return { contents: lines.join('\n'), resolveDir: dir, watchDirs: [dir], loader: 'js' };
    });
  },
};

function sharedRoot(): string {
  return process.env.VIVID_SHARED ?? resolve(repoRoot, '../shared');
}

/** The model to ship: the default built-in model (weights/), else the converted dev checkpoint. */
function prepareWeights(outDir: string, log: (s: string) => void): { file: string; source: string } {
  const out = join(outDir, 'model.safetensors');
  const shipped = builtinModels();
  if (shipped.length) {
    const src = join(WEIGHTS_DIR, `${shipped[0]!}.safetensors`);
    copyFileSync(src, out);
    return { file: out, source: relative(repoRoot, src) };
  }
  const pth = join(sharedRoot(), 'weights/srresnet8-pytorch/srresnet8_x4.pth');
  if (!existsSync(pth)) {
    throw new Error(`no model to ship: weights/ has no .safetensors and ${pth} does not exist (set VIVID_SHARED)`);
  }
  // Converting takes a few seconds; skip it when dist already holds a newer conversion.
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(pth).mtimeMs) {
    log(`converting ${pth} → ${relative(repoRoot, out)}`);
    execFileSync(process.execPath, [join(repoRoot, 'bin/vivid.js'), 'convert', pth, out], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  }
  return { file: out, source: pth };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB (${bytes.toLocaleString('en')} bytes)`;
}

export async function buildWeb(opts: { outDir?: string; quiet?: boolean } = {}): Promise<BuildResult> {
  const outDir = opts.outDir ?? DIST;
  const log = opts.quiet ? () => undefined : (s: string) => console.log(`[web] ${s}`);
  mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [join(webDir, 'main.ts')],
    outfile: join(outDir, 'main.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    loader: { '.wgsl': 'text' },
    // Node-only branches (Dawn, reading shaders from disk) sit behind dynamic imports that a
    // page never reaches; leave them out of the bundle instead of resolving them.
    external: ['webgpu', 'node:*'],
    plugins: [shaderPlugin],
    metafile: true,
    logLevel: 'warning',
  });
  for (const f of STATIC) copyFileSync(join(webDir, f), join(outDir, f));
  const weights = prepareWeights(outDir, log);
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
