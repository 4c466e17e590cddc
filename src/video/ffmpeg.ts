// ffmpeg plumbing for video upscaling: finding the executables, probing a file (size, frame
// rate, frame count, audio codec), a decoder that hands out raw rgb24 frames from a pipe, and
// an encoder fed rgb24 frames through a pipe. Both sides are separate ffmpeg processes, so
// decoding the next frame and encoding the previous one overlap with upscaling the current one.
// Pipes give natural back-pressure: nothing reads ahead more than a frame or so.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return p;
      }
    } catch {
      /* not here */
    }
  }
  return null;
}

/** ffmpeg from --ffmpeg or PATH; ffprobe beside it or on PATH (optional). */
export function locateFfmpeg(explicit?: string): { ffmpeg: string; ffprobe: string | null } {
  let ffmpeg: string | null;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`--ffmpeg ${explicit}: no such file`);
    ffmpeg = explicit;
  } else {
    ffmpeg = findExecutable('ffmpeg');
  }
  if (!ffmpeg) {
    throw new Error('ffmpeg not found on PATH. Video needs it: on Debian/Ubuntu run `apt-get install ffmpeg` (as root), or pass --ffmpeg /path/to/ffmpeg.');
  }
  const sibling = join(dirname(ffmpeg), 'ffprobe');
  const ffprobe = existsSync(sibling) ? sibling : findExecutable('ffprobe');
  return { ffmpeg, ffprobe };
}

export interface VideoInfo {
  width: number;
  height: number;
  /** As ffmpeg writes it ('24/1', '30000/1001'), passed back to the encoder unchanged. */
  fps: string;
  fpsValue: number;
  /** Frame count when the container says so, else estimated from the duration; 0 if unknown. */
  frames: number;
  /** Codec of the first audio stream, or null when there is none. */
  audio: string | null;
}

function rational(s: string | undefined): number {
  if (!s) return NaN;
  const [a, b] = s.split('/').map(Number);
  return b === undefined ? a! : a! / b;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
}

export function probe(tools: { ffmpeg: string; ffprobe: string | null }, file: string): VideoInfo {
  if (tools.ffprobe) {
    const r = spawnSync(tools.ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${file}: ffprobe failed: ${(r.stderr || r.error?.message || '').trim()}`);
    const j = JSON.parse(r.stdout) as { streams?: ProbeStream[]; format?: { duration?: string } };
    const v = j.streams?.find((s) => s.codec_type === 'video');
    if (!v || !v.width || !v.height) throw new Error(`${file}: no video stream`);
    const a = j.streams?.find((s) => s.codec_type === 'audio');
    const fps = v.avg_frame_rate && rational(v.avg_frame_rate) > 0 ? v.avg_frame_rate : v.r_frame_rate ?? '24/1';
    const duration = Number(v.duration ?? j.format?.duration);
    const counted = Number(v.nb_frames);
    const frames = counted > 0 ? counted : duration > 0 ? Math.round(duration * rational(fps)) : 0;
    return { width: v.width, height: v.height, fps, fpsValue: rational(fps), frames, audio: a?.codec_name ?? null };
  }
  // No ffprobe: `ffmpeg -i` prints the stream summary on stderr (and exits 1: no output given).
  const r = spawnSync(tools.ffmpeg, ['-hide_banner', '-nostdin', '-i', file], { encoding: 'utf8' });
  const text = r.stderr ?? '';
  const video = /Stream #\d+:\d+.*?: Video: .*?(\d{2,5})x(\d{2,5})/.exec(text);
  if (!video) throw new Error(`${file}: ffmpeg found no video stream:\n${text.trim().split('\n').slice(-3).join('\n')}`);
  const fpsMatch = /([\d.]+) fps/.exec(text) ?? /([\d.]+) tbr/.exec(text);
  const fpsValue = fpsMatch ? Number(fpsMatch[1]) : 24;
  const d = /Duration: (\d+):(\d+):([\d.]+)/.exec(text);
  const duration = d ? Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]) : 0;
  const audio = /Stream #\d+:\d+.*?: Audio: (\w+)/.exec(text);
  return {
    width: Number(video[1]),
    height: Number(video[2]),
    fps: String(fpsValue),
    fpsValue,
    frames: Math.round(duration * fpsValue),
    audio: audio ? audio[1]! : null,
  };
}

/** A child process whose stderr is kept (last few KB) for error messages. */
export class FfmpegProcess {
  readonly child: ChildProcess;
  private stderr = '';
  private killed = false;
  readonly exited: Promise<number | null>;

  constructor(
    ffmpeg: string,
    args: string[],
    readonly role: string,
  ) {
    this.child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.stderr += `\n${e.message}`;
        resolve(-1);
      });
      this.child.on('close', (code) => resolve(code));
    });
  }

  /**
   * Throw with ffmpeg's own message when it exited with an error (unless we killed it). For a
   * decoder, `decoded` says how it went: ffmpeg exits 0 on a cut-off or damaged file after
   * decoding what it could, so errors on its stderr (it runs at -loglevel error) together with
   * fewer frames than the container announced (or an unknown count) mean a damaged input —
   * never a silently truncated result. Errors with every frame decoded are benign stream quirks.
   */
  async check(decoded?: { file: string; frames: number; expected: number }): Promise<void> {
    const code = await this.exited;
    if (this.killed) return;
    if (code !== 0) {
      const what = decoded ? `${decoded.file}: ffmpeg could not decode the video (exit code ${code}, after ${decoded.frames} frames)` : `ffmpeg (${this.role}) failed with exit code ${code}`;
      throw new Error(`${what}:\n${this.stderr.trim()}`);
    }
    const errors = this.stderr.trim();
    if (decoded && errors && (decoded.expected === 0 || decoded.frames < decoded.expected)) {
      const of = decoded.expected ? ` of the ${decoded.expected} the container announces` : '';
      throw new Error(
        `${decoded.file}: damaged or cut-off video: ffmpeg decoded ${decoded.frames} frame${decoded.frames === 1 ? '' : 's'}${of} and reported:\n` +
          `${errors.split('\n').slice(0, 8).join('\n')}\nNothing was written; repair or re-download the file (or pass --frames ${decoded.frames} to keep the frames that decode).`,
      );
    }
  }

  kill(): void {
    this.killed = true;
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Reads fixed-size frames from a stream. Flowing mode with our own queue, paused once two
 * frames are buffered: the pipe then fills and ffmpeg blocks, which bounds memory. (Waiting on
 * 'readable' instead spins: it re-fires on every listener while a partial frame is buffered.)
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private ended = false;
  private error: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(
    private readonly stream: Readable,
    private readonly frameBytes: number,
  ) {
    const notify = () => {
      const w = this.wake;
      this.wake = null;
      w?.();
    };
    stream.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.have += c.length;
      if (this.have >= 2 * frameBytes) stream.pause();
      notify();
    });
    stream.on('end', () => {
      this.ended = true;
      notify();
    });
    stream.on('close', () => {
      this.ended = true;
      notify();
    });
    stream.on('error', (e) => {
      this.error = e;
      notify();
    });
  }

  /** The next frame, or null at the end of the stream (a cut-off last frame is dropped). */
  async next(): Promise<Buffer | null> {
    while (this.have < this.frameBytes && !this.ended && !this.error) {
      this.stream.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.error) throw this.error;
    if (this.have < this.frameBytes) return null;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const frame = all.subarray(0, this.frameBytes);
    const rest = all.subarray(this.frameBytes);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    if (this.have < 2 * this.frameBytes && !this.ended) this.stream.resume();
    return frame;
  }
}

/**
 * Write a chunk; resolve once the pipe has room again, so at most about one frame waits in
 * memory. Rejects when the pipe breaks (the encoder died: its own message comes from check()).
 */
export function writeChunk(stream: Writable, chunk: Uint8Array): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.reject(new Error('encoder pipe is closed'));
  if (stream.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (e?: Error) => {
      stream.off('drain', onDrain).off('error', settle).off('close', onClose);
      if (e) reject(new Error(`encoder pipe: ${e.message}`));
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('closed'));
    stream.on('drain', onDrain).on('error', settle).on('close', onClose);
  });
}

/** Audio codecs each container takes as is; others are re-encoded (aac, or opus for webm). */
const AUDIO_COPY: Record<string, string[] | 'any'> = {
  '.mp4': ['aac', 'mp3', 'ac3', 'eac3', 'alac'],
  '.m4v': ['aac', 'mp3', 'ac3', 'eac3', 'alac'],
  '.mov': ['aac', 'mp3', 'ac3', 'eac3', 'alac', 'pcm_s16le', 'pcm_s24le'],
  '.mkv': 'any',
  '.webm': ['opus', 'vorbis'],
};

export function audioArgs(codec: string, ext: string): string[] {
  const ok = AUDIO_COPY[ext.toLowerCase()];
  if (ok === 'any' || ok?.includes(codec)) return ['-c:a', 'copy'];
  return ext.toLowerCase() === '.webm' ? ['-c:a', 'libopus', '-b:a', '128k'] : ['-c:a', 'aac', '-b:a', '192k'];
}

/** Default video codec and quality by container. */
export function videoArgs(ext: string, codec?: string, crf?: number): string[] {
  const c = codec ?? (ext.toLowerCase() === '.webm' ? 'libvpx-vp9' : 'libx264');
  const args = ['-c:v', c];
  if (c === 'libx264' || c === 'libx265') args.push('-crf', String(crf ?? 18), '-preset', 'medium');
  else if (c.startsWith('libvpx')) args.push('-crf', String(crf ?? 32), '-b:v', '0');
  else if (crf !== undefined) args.push('-crf', String(crf));
  // 4:2:0 plays everywhere; the upscaled sizes are even for every scale we have.
  if (c !== 'png' && c !== 'ffv1' && c !== 'libx264rgb') args.push('-pix_fmt', 'yuv420p');
  return args;
}
