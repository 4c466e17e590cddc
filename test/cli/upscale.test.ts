// `vivid upscale`: files and folders, structure kept, existing outputs skipped, and a corrupt
// input reported by name without stopping the others.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createImage, encodeImage, probeImage, readImage, writeImage } from '../../src/io/image.ts';
import { runCli, tempDir, tinyModelDir } from '../helpers/cli.ts';
import { VIVID_FROM_SOURCE } from '../helpers/vivid-source.ts';

function gradient(w: number, h: number, channels: 3 | 4 = 3) {
  const img = createImage(w, h, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = ((i * 7) % 97) / 96;
  return img;
}

describe('vivid upscale', () => {
  let dir = '', model = '';
  beforeAll(async () => ({ dir, model } = await tinyModelDir()));

  it('writes the good image, names the corrupt one, exits 1', async () => {
    const inp = join(dir, 'mixed');
    mkdirSync(inp);
    await writeImage(join(inp, 'good.png'), gradient(12, 10));
    const png = await encodeImage(gradient(12, 10), 'png');
    writeFileSync(join(inp, 'broken.png'), png.subarray(0, png.length - 30)); // cut off
    const out = join(dir, 'mixed-out');
    const r = await runCli(['upscale', join(inp, 'broken.png'), join(inp, 'good.png'), '-o', out, '--model', model]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.png: truncated PNG/);
    const up = await readImage(join(out, 'good.png'));
    expect([up.width, up.height]).toEqual([48, 40]);
    expect(existsSync(join(out, 'broken.png'))).toBe(false);
  });

  it('walks folders keeping their structure, converts formats, keeps alpha, skips existing outputs', async () => {
    const inp = join(dir, 'tree');
    mkdirSync(join(inp, 'a/b'), { recursive: true });
    await writeImage(join(inp, 'top.jpg'), gradient(8, 8));
    await writeImage(join(inp, 'a/b/deep.png'), gradient(10, 6, 4));
    writeFileSync(join(inp, 'a/notes.txt'), 'not an image');
    const out = join(dir, 'tree-out');
    const r = await runCli(['upscale', inp, '-o', out, '--model', model, '--format', 'png']);
    expect(r.code, r.stderr).toBe(0);
    const deep = await readImage(join(out, 'a/b/deep.png'));
    expect([deep.width, deep.height, deep.channels]).toEqual([40, 24, 4]);
    expect((await readImage(join(out, 'top.png'))).width).toBe(32);

    const before = statSync(join(out, 'top.png')).mtimeMs;
    const again = await runCli(['upscale', inp, '-o', out, '--model', model, '--format', 'png']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 written, 2 skipped/);
    expect(statSync(join(out, 'top.png')).mtimeMs).toBe(before);
  });

  it('one file to a named file; 16-bit PNG stays 16-bit', async () => {
    const src = join(dir, 'deep16.png');
    writeFileSync(src, await encodeImage(gradient(6, 5), 'png', { bitDepth: 16 }));
    const dst = join(dir, 'deep16-x4.png');
    const r = await runCli(['upscale', src, '-o', dst, '--model', model, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(dst)[24]).toBe(16); // IHDR bit depth
  });

  it('WebP, AVIF and TIFF round-trip (alpha kept); RGBA to JPEG is composited on --background', async () => {
    const inp = join(dir, 'formats');
    mkdirSync(inp);
    for (const ext of ['webp', 'avif', 'tiff']) await writeImage(join(inp, `a.${ext}`), gradient(9, 7, 4), { quality: 100 });
    const out = join(dir, 'formats-out');
    const r = await runCli(['upscale', inp, '-o', out, '--model', model, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    for (const ext of ['webp', 'avif', 'tiff']) {
      const info = await probeImage(readFileSync(join(out, `a.${ext}`)));
      expect([info.format === 'heif' ? 'avif' : info.format, info.width, info.height, info.hasAlpha]).toEqual([ext, 36, 28, true]);
    }
    const transparent = createImage(6, 6, 4); // all alpha 0: the output is the background
    await writeImage(join(inp, 'clear.png'), transparent);
    const jpg = join(dir, 'clear.jpg');
    const j = await runCli(['upscale', join(inp, 'clear.png'), '-o', jpg, '--model', model, '--background', '#ff0000', '-q', '95', '--quiet']);
    expect(j.code, j.stderr).toBe(0);
    const back = await readImage(jpg);
    expect(Array.from(back.data.subarray(0, 3), (v) => Math.round(v * 10) / 10)).toEqual([1, 0, 0]);
  });

  // Output paths, checked before any compute.

  it('unknown output extension: a clear error, no folder created', async () => {
    const src = join(dir, 'u.png');
    await writeImage(src, gradient(6, 5));
    const r = await runCli(['upscale', src, '-o', join(dir, 'out.bmp'), '-m', model, '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown output extension '\.bmp'/);
    expect(existsSync(join(dir, 'out.bmp'))).toBe(false);
  });

  it('the input as its own output is refused, even with --overwrite', async () => {
    const src = join(dir, 'self.png');
    await writeImage(src, gradient(6, 5));
    const before = readFileSync(src);
    const r = await runCli(['upscale', src, '-o', src, '-m', model, '--overwrite', '--quiet']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is the input itself; refusing to overwrite it/);
    expect(readFileSync(src).equals(before)).toBe(true);
  });

  it('outputs landing in their input\'s folder get _x4 (or --suffix); the inputs stay as they were', async () => {
    const inp = join(dir, 'inplace');
    mkdirSync(inp);
    await writeImage(join(inp, 'a.png'), gradient(6, 5));
    await writeImage(join(inp, 'b.jpg'), gradient(7, 4));
    const before = readdirSync(inp).map((f) => readFileSync(join(inp, f)));
    const r = await runCli(['upscale', inp, '-o', inp, '--model', model, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(inp).sort()).toEqual(['a.png', 'a_x4.png', 'b.jpg', 'b_x4.jpg']);
    expect((await probeImage(readFileSync(join(inp, 'a_x4.png')))).width).toBe(24);
    expect(['a.png', 'b.jpg'].map((f) => readFileSync(join(inp, f)))).toEqual(before);

    // One file into its own folder, another suffix; a format change next to the input is
    // suffixed too, so that it cannot land on another input (b.png here) even with --overwrite.
    const one = await runCli(['upscale', join(inp, 'a.png'), '-o', `${inp}/`, '--suffix=-big', '--model', model, '--quiet']);
    expect(one.code, one.stderr).toBe(0);
    expect((await probeImage(readFileSync(join(inp, 'a-big.png')))).width).toBe(24);
    await writeImage(join(inp, 'b.png'), gradient(3, 3));
    const keep = readFileSync(join(inp, 'b.png'));
    const fmt = await runCli(['upscale', join(inp, 'b.jpg'), '-o', inp, '--format', 'png', '--overwrite', '--model', model, '--quiet']);
    expect(fmt.code, fmt.stderr).toBe(0);
    expect(readFileSync(join(inp, 'b.png')).equals(keep)).toBe(true);
    expect((await probeImage(readFileSync(join(inp, 'b_x4.png')))).width).toBe(28);
  });

  it('an output folder under a file: named before any upscaling, nothing written', async () => {
    const src = join(dir, 'n.png');
    await writeImage(src, gradient(6, 5));
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const r = await runCli(['upscale', src, '-o', join(file, 'sub/'), '--model', model]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write into the folder ${join(file, 'sub')}: part of the path is a file, not a folder (ENOTDIR)`);
    // Refused before the model ran: no model line, no progress bar.
    expect(r.stderr).not.toMatch(/model ×|upscale +\[/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('an unwritable output folder (mode 0555, not root): named before any upscaling, no temp file named', async () => {
    const work = tempDir();
    chmodSync(work, 0o755);
    const src = join(work, 'in.png');
    await writeImage(src, gradient(6, 5));
    const tiny = join(work, 'tiny.safetensors');
    copyFileSync(model, tiny);
    const ro = join(work, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    chmodSync(ro, 0o555);
    for (const f of [src, tiny]) chmodSync(f, 0o644);
    // As root the mode would not stop a write: the CLI runs as `nobody` then.
    const asUser = process.getuid?.() === 0 ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const argv = [...asUser, process.execPath, ...VIVID_FROM_SOURCE, 'upscale', src, '-o', join(ro, 'out.png'), '--model', tiny];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, HOME: work, XDG_RUNTIME_DIR: work } });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cannot write into the folder ${ro}: permission denied (EACCES)`);
    expect(r.stderr).not.toMatch(/\.tmp|\.vivid-write-test|model ×|upscale +\[/);
    expect(readdirSync(ro)).toEqual([]);
  });
});
