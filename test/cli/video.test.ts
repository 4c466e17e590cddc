// `vivid video`: a short clip with audio through the ffmpeg pipeline (size, frame count and
// audio checked with ffprobe), a folder of Vid4 frames to a folder, and an interrupted run
// that must leave nothing at the target path. Needs ffmpeg (CI installs it).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getRuntime } from '../../src/index.ts';
import { quantize8, readImage } from '../../src/io/image.ts';
import { sideBySideImage } from '../../src/cli/video.ts';
import { audioArgs, findExecutable } from '../../src/video/ffmpeg.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';
import { saveTinyModel } from '../helpers/tiny-model.ts';
import { VIVID_FROM_SOURCE } from '../helpers/vivid-source.ts';

const ffmpeg = findExecutable('ffmpeg');
const ffprobe = findExecutable('ffprobe');
const haveTools = Boolean(ffmpeg && ffprobe);
if (!haveTools) console.warn('SKIPPING video tests: ffmpeg/ffprobe not found on PATH (apt-get install ffmpeg)');
const BUNNY = 'data/video/big_buck_bunny_0_30.webm';

function probeStreams(file: string): Array<{ codec_type: string; width?: number; height?: number; nb_read_frames?: string }> {
  const r = spawnSync(ffprobe!, ['-v', 'error', '-count_frames', '-print_format', 'json', '-show_streams', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout).streams;
}

describe.skipIf(!haveTools)('vivid video', () => {
  let dir = '', model = '', clip = '';
  beforeAll(async () => {
    dir = tempDir();
    model = join(dir, 'tiny.safetensors');
    await saveTinyModel(await getRuntime(), model);
    if (hasShared(BUNNY)) {
      clip = join(dir, 'clip.mp4');
      const cut = spawnSync(ffmpeg!, ['-v', 'error', '-y', '-i', sharedPath(BUNNY), '-t', '2', '-vf', 'scale=160:90', clip]);
      expect(cut.status, String(cut.stderr)).toBe(0);
    }
  });

  it.skipIf(!hasShared(BUNNY))('clip.mp4 → out.mp4 --frames 6: 640×360, 6 frames, audio kept', async () => {
    const out = join(dir, 'out.mp4');
    const r = await runCli(['video', clip, '-o', out, '--frames', '6', '--model', model]);
    expect(r.code, r.stderr).toBe(0);
    const streams = probeStreams(out);
    const v = streams.find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([640, 360]);
    expect(Number(v.nb_read_frames)).toBe(6);
    expect(streams.some((s) => s.codec_type === 'audio')).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it.skipIf(!hasShared('data/vid4/calendar/BIx4'))('a folder of PNG frames → a folder, same names', async () => {
    const out = join(dir, 'frames-out');
    const r = await runCli(['video', sharedPath('data/vid4/calendar/BIx4'), '-o', out, '--frames', '3', '--model', model]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['00000000.png', '00000001.png', '00000002.png']);
    const f = await readImage(join(out, '00000001.png'));
    expect([f.width, f.height]).toEqual([720, 576]);
  });

  it.skipIf(!hasShared('data/vid4/calendar/BIx4'))('temporal by default, --no-temporal frame by frame, --side-by-side shows both', async () => {
    const plain = join(dir, 'plain-out'), temporal = join(dir, 'temporal-out'), both = join(dir, 'sbs-out');
    const input = sharedPath('data/vid4/calendar/BIx4');
    const p = await runCli(['video', input, '-o', plain, '--frames', '2', '--model', model, '--no-temporal', '--json']);
    const q = await runCli(['video', input, '-o', temporal, '--frames', '2', '--model', model, '--json']);
    expect([p.code, q.code]).toEqual([0, 0]);
    // --json reports the time spent in the temporal mode, part of the whole.
    const [pj, qj] = [JSON.parse(p.stdout), JSON.parse(q.stdout)];
    expect(pj.temporalSeconds).toBeUndefined();
    expect(qj.temporalSeconds).toBeGreaterThan(0);
    expect(qj.temporalSeconds).toBeLessThan(qj.seconds);
    const r = await runCli(['video', input, '-o', both, '--frames', '2', '--model', model, '--side-by-side']);
    expect(r.code, r.stderr).toBe(0);
    const frame = (d: string) => readImage(join(d, '00000001.png'));
    const [a, t, b] = [await frame(plain), await frame(temporal), await frame(both)];
    expect([b.width, b.height]).toEqual([1440, 576]);
    const row = (img: typeof a, x0: number) => img.data.subarray((300 * img.width + x0) * 3, (300 * img.width + x0 + 720) * 3);
    expect(row(b, 0)).toEqual(row(a, 0));
    expect(row(b, 720)).toEqual(row(t, 0));
    expect(row(t, 0)).not.toEqual(row(a, 0));
    // The two halves are the two outputs, labelled in their top-left corners.
    expect(b.data).toEqual(quantize8(sideBySideImage(a, t)).data);
    const corner = (img: typeof a, x0: number) => img.data.subarray((12 * img.width + x0) * 3, (12 * img.width + x0 + 40) * 3);
    expect(corner(b, 0)).not.toEqual(corner(a, 0));
    expect(corner(b, 720)).not.toEqual(corner(t, 0));
  });

  it.skipIf(!hasShared(BUNNY))('SIGINT mid-run: exit 130, nothing at the target, no temp file left', async () => {
    const out = join(dir, 'interrupted.mp4');
    const child = spawn(process.execPath, [...VIVID_FROM_SOURCE, 'video', clip, '-o', out, '--model', model], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '', armed = false;
    await new Promise<void>((res, rej) => {
      child.stderr.on('data', (d) => {
        err += d;
        // Interrupt once frames are flowing (the size line is printed right before the loop),
        // with one signal: a second one, as with Ctrl-C pressed twice, quits during the clean-up.
        if (/→ .*640×360/.test(err) && !armed) {
          armed = true;
          setTimeout(() => child.kill('SIGINT'), 1500);
        }
      });
      child.on('error', rej);
      child.on('close', () => res());
    });
    expect(child.exitCode, err).toBe(130);
    expect(err).toMatch(/interrupted .*nothing written/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.interrupted'))).toEqual([]);
  });
});

describe('audio handling', () => {
  it('copies what the container takes, re-encodes the rest', () => {
    expect(audioArgs('aac', '.mp4')).toEqual(['-c:a', 'copy']);
    expect(audioArgs('vorbis', '.mp4')).toEqual(['-c:a', 'aac', '-b:a', '192k']);
    expect(audioArgs('vorbis', '.mkv')).toEqual(['-c:a', 'copy']);
    expect(audioArgs('aac', '.webm')).toEqual(['-c:a', 'libopus', '-b:a', '128k']);
  });
});

describe('vivid video without ffmpeg', () => {
  it('says how to install it', async () => {
    const input = join(tempDir(), 'in.mp4');
    writeFileSync(input, 'not really a video');
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const r = await runCli(['video', input, '-o', join(tempDir(), 'out.mp4')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ffmpeg not found on PATH.*apt-get install ffmpeg/);
    } finally {
      process.env.PATH = path;
    }
  });
});
