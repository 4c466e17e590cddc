// viVID as a user gets it: `npm pack`, the tarball installed into a fresh project, then
// (a) README's Node examples (an image; three video frames) under plain `node` give the in-repo
// results, (b) a strict nodenext TypeScript consumer type-checks with zero errors, (c) README's
// web example bundled by esbuild runs in headless chromium (WebGPU on SwiftShader) and matches
// Node (≥ 45 dB), (d) `npx vivid --help` works. 16×16 images through the shipped srresnet-x4
// keep it to about a minute.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStabilizer, upscale, shutdown } from '../../src/index.ts';
import { decodeImage, encodeImage, quantize8, type RgbImage } from '../../src/io/image.ts';
import { psnr } from '../../src/metrics/quality.ts';
import { Rng } from '../../src/util/rng.ts';
import { serveStatic } from '../../web/serve.ts';
import { CHROMIUM_ARGS } from '../helpers/chromium.ts';
import { scene } from '../helpers/scenes.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.VIVID_CHROMIUM ?? '/usr/bin/chromium';
const SIZE = 16;

/** The code block README.md marks with `<!-- packaging-test: NAME -->`. */
export function readmeExample(name: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- packaging-test: ${name.replace('.', '\\.')} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no example marked packaging-test: ${name}`);
  return m[1]! + '\n';
}

/** A smooth gradient with seeded noise: something for the generator to work on. */
function testImage(): RgbImage {
  const rng = new Rng(13);
  const data = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0, i = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++, i += 3) {
      data[i] = x / SIZE;
      data[i + 1] = y / SIZE;
      data[i + 2] = Math.min(1, Math.max(0, 0.5 + 0.3 * Math.sin(x + y) + 0.1 * rng.uniform(-0.5, 0.5)));
    }
  }
  return quantize8({ width: SIZE, height: SIZE, channels: 3, data });
}

function run(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

const typecheckConsumer = `import { readImage, upscale, shutdown, Runtime, createStabilizer as createNodeStabilizer, type ImageLike, type UpscaleOptions, type Stabilizer as NodeStabilizer, type StabilizedImage } from 'vivid-sr';
import { createStabilizer, createUpscaler, GpuUnavailableError, type Stabilizer, type TemporalOptions, type Upscaler, type UpscalerOptions } from 'vivid-sr/web';

const image = await readImage('input.png');
const options: UpscaleOptions = { model: 'srresnet-x4', tileSize: 64, onProgress: (done: number, total: number) => void [done, total] };
const big: ImageLike<Float32Array> = await upscale(image, options);
const bytes: ImageLike<Uint8Array> = await upscale({ width: 1, height: 1, data: new Uint8Array(3) });
// @ts-expect-error tileSize is a number (this line proves the declarations are real types, not any)
await upscale(image, { tileSize: 'large' });
const rt: Runtime = await Runtime.create('auto');
rt.destroy();
const webOptions: UpscalerOptions = { weightsUrl: 'model.safetensors' };
const make: (device: GPUDevice | undefined, o: UpscalerOptions) => Promise<Upscaler> = createUpscaler;
const stabilize: (device: GPUDevice | undefined, o?: Partial<TemporalOptions>) => Promise<Stabilizer> = createStabilizer;
// @ts-expect-error alpha is a number
void createStabilizer(undefined, { alpha: 'strong' });
const nodeStabilizer: NodeStabilizer = await createNodeStabilizer({ alpha: 0.8, backend: 'auto' });
const steady: StabilizedImage<Uint8Array> = await nodeStabilizer.process(bytes, bytes);
// @ts-expect-error sigma is a number
void createNodeStabilizer({ sigma: 'wide' });
nodeStabilizer.dispose();
console.log(big.width, bytes.data.length, webOptions, make, stabilize, steady.reset, new GpuUnavailableError('x').name);
await shutdown();
`;

describe('the npm package, installed from its tarball', () => {
  let work: string;
  let app: string;
  let input: RgbImage;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'vivid-pack-'));
    // npm pack runs prepack: the build (dist/) from these sources.
    run('npm', ['pack', '--silent', '--pack-destination', work], repoRoot);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tarball, 'npm pack wrote no tarball').toBeDefined();
    expect(statSync(join(work, tarball!)).size).toBeLessThan(12 * 1024 * 1024);
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const typesNode = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['@types/node']!;
    // The local npm cache serves what it holds; the registry only what is missing.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, tarball!), `@types/node@${typesNode}`], app);
    input = testImage();
    writeFileSync(join(app, 'input.png'), await encodeImage(input, 'png'));
  }, 300_000);

  afterAll(async () => {
    await shutdown();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships dist/, bin/, the shipped models and their cards, README and LICENSE; no sources, tests or checkpoints', () => {
    const pkg = join(app, 'node_modules/vivid-sr');
    expect(readdirSync(pkg).sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'package.json', 'weights']);
    expect(readdirSync(join(pkg, 'weights')).sort()).toEqual(readdirSync(join(repoRoot, 'weights')).filter((f) => /\.(safetensors|json)$/.test(f)).sort());
    expect(existsSync(join(pkg, 'dist/index.d.ts')) && existsSync(join(pkg, 'dist/web.d.ts'))).toBe(true);
    // Nothing in the installed package reads shaders/ (there is none) or needs tsx.
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
  });

  it("(a) README's Node example under plain node equals the in-repo result", async () => {
    writeFileSync(join(app, 'upscale.mjs'), readmeExample('upscale.mjs'));
    run(process.execPath, ['upscale.mjs'], app);
    const installed = await decodeImage(new Uint8Array(readFileSync(join(app, 'output.png'))));
    const inRepo = quantize8(await upscale(input));
    expect([installed.width, installed.height, installed.channels]).toEqual([SIZE * 4, SIZE * 4, 3]);
    expect(installed.data).toEqual(inRepo.data);
  }, 180_000);

  it("(a) README's Node video example under plain node equals the in-repo temporal mode", async () => {
    writeFileSync(join(app, 'video.mjs'), readmeExample('video.mjs'));
    const pan = scene(new Rng(13), SIZE, SIZE);
    const frames = [0, 1, 2].map((t) => quantize8(pan(t, 1)));
    for (const [t, f] of frames.entries()) writeFileSync(join(app, `frame${t}.png`), await encodeImage(f, 'png'));
    const log = run(process.execPath, ['video.mjs'], app);
    expect(log).toBe('frame0.png starts a scene\n');
    const st = await createStabilizer();
    for (const [t, f] of frames.entries()) {
      const installed = await decodeImage(new Uint8Array(readFileSync(join(app, `big-frame${t}.png`))));
      const inRepo = quantize8((await st.process(f, await upscale(f))).image);
      expect(installed.data, `frame ${t}`).toEqual(inRepo.data);
    }
    st.dispose();
  }, 180_000);

  it('(b) a strict nodenext TypeScript consumer type-checks with zero errors', () => {
    writeFileSync(join(app, 'use.ts'), typecheckConsumer);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: ['node'] }, include: ['use.ts'] }),
    );
    let out = '';
    try {
      out = run(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', '.'], app);
    } catch (e) {
      out = `${(e as { stdout?: string }).stdout ?? ''}${(e as Error).message}`;
    }
    expect(out).toBe('');
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))("(c) README's web example, bundled by esbuild, runs in chromium and matches Node (≥ 45 dB)", async () => {
    const site = join(app, 'site');
    mkdirSync(site);
    writeFileSync(join(app, 'page.js'), readmeExample('page.js'));
    await esbuild.build({ entryPoints: [join(app, 'page.js')], absWorkingDir: app, outfile: join(site, 'page.bundle.js'), bundle: true, format: 'esm', platform: 'browser', logLevel: 'error' });
    const bundle = readFileSync(join(site, 'page.bundle.js'), 'utf8');
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
    writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><body><script type="module" src="page.bundle.js"></script></body>');
    copyFileSync(join(app, 'node_modules/vivid-sr/weights/srresnet-x4.safetensors'), join(site, 'srresnet-x4.safetensors'));
    copyFileSync(join(app, 'input.png'), join(site, 'input.png'));
    const server = await serveStatic(site, 0);
    const profile = mkdtempSync(join(tmpdir(), 'vivid-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--headless'] });
    try {
      const page = await context.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
      await page.goto(server.url);
      await page
        .waitForFunction((w) => document.querySelector('canvas')?.width === w || document.title === 'error', SIZE * 4, { timeout: 150_000 })
        .catch((e: Error) => {
          throw new Error(`${e.message}\n${logs.join('\n')}`);
        });
      const rgba = await page.evaluate(() => {
        const c = document.querySelector('canvas')!;
        return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
      });
      expect(logs.filter((l) => l.startsWith('pageerror'))).toEqual([]);
      expect(logs).toContain('log: 100%'); // the README's onProgress line, at the end of the run
      const node = quantize8(await upscale(input));
      const rgb = new Float32Array(node.data.length);
      for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
        for (let c = 0; c < 3; c++) rgb[i + c] = rgba[j + c]! / 255;
        expect(rgba[j + 3]).toBe(255);
      }
      const db = psnr({ ...node, data: rgb }, node);
      console.log(`[packaging] browser vs Node: ${db.toFixed(2)} dB`);
      expect(db).toBeGreaterThanOrEqual(45);
    } finally {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 240_000);

  it('(d) `npx vivid --help` runs the installed command', () => {
    const out = run('npx', ['--no-install', 'vivid', '--help'], app);
    expect(out).toMatch(/^usage: vivid <command>/);
    expect(out).toMatch(/upscale/);
  }, 60_000);
});
