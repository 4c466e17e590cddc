// A damaged video must fail, not come out as a silently truncated result: ffmpeg exits 0 on a
// faststart MP4 cut short after decoding what it can, and only its stderr tells. The clip is
// made here with ffmpeg from a shared one (small, faststart) and cut at 15%.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getRuntime } from '../../src/index.ts';
import { findExecutable } from '../../src/video/ffmpeg.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';
import { saveTinyModel } from '../helpers/tiny-model.ts';

const ffmpeg = findExecutable('ffmpeg');
const CLIP = 'data/video/tears_of_steel_clip01.mp4';
const ready = Boolean(ffmpeg && findExecutable('ffprobe')) && hasShared(CLIP);
if (!ready) console.warn('SKIPPING damaged-video tests: ffmpeg/ffprobe or the shared clip missing');

describe.skipIf(!ready)('vivid video on a damaged file', () => {
  let dir = '', model = '', whole = '', cut = '';
  beforeAll(async () => {
    dir = tempDir();
    model = join(dir, 'tiny.safetensors');
    await saveTinyModel(await getRuntime(), model);
    whole = join(dir, 'whole.mp4');
    // 96 frames; 15% of the file holds the index and the first couple of frames.
    const made = spawnSync(ffmpeg!, ['-v', 'error', '-y', '-i', sharedPath(CLIP), '-t', '4', '-an', '-vf', 'scale=64:28,fps=24',
      '-c:v', 'libx264', '-g', '6', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', whole]);
    expect(made.status, String(made.stderr)).toBe(0);
    const bytes = readFileSync(whole);
    cut = join(dir, 'cut.mp4');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.15)));
  });

  it('the intact clip upscales whole (exit 0, every frame)', async () => {
    const out = join(dir, 'whole-x4.mp4');
    const r = await runCli(['video', whole, '-o', out, '--model', model, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote .*: 96 frames/);
  });

  it('the clip cut at 15% fails naming the file and ffmpeg\'s errors; nothing is written', async () => {
    const out = join(dir, 'cut-x4.mp4');
    const r = await runCli(['video', cut, '-o', out, '--model', model, '--quiet']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cut\.mp4: damaged or cut-off video: ffmpeg decoded \d+ frames? of the 96 the container announces and reported:/);
    expect(r.stderr).toMatch(/partial file|Invalid NAL|Error/);
    expect(existsSync(out)).toBe(false);
  });
});
