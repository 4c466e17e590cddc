// Where video frames come from and where they go: a video file (through ffmpeg) or a folder of
// PNG frames (sorted by name, e.g. Vid4's BIx4/), on either side. A video output is written to
// a temporary file beside the target and renamed only when complete, so an interrupted run
// leaves nothing at the target path.

import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { createImage, quantize, readImage, writeImage, type RgbImage } from '../io/image.ts';
import { audioArgs, FfmpegProcess, FrameReader, videoArgs, writeChunk, type VideoInfo } from './ffmpeg.ts';

export interface Frame {
  /** File name for a folder output (the input's name, or 00000000.png… for a video input). */
  name: string;
  image: RgbImage;
}

export interface FrameSource {
  width: number;
  height: number;
  /** Frames expected (0: unknown). */
  total: number;
  next(): Promise<Frame | null>;
  /** Stop early (kills the decoder). */
  close(): void;
  /** After the last frame: throw if the decoder failed. */
  check(): Promise<void>;
}

export interface FrameSink {
  write(frame: Frame): Promise<void>;
  /** Flush and publish the result at the target path. */
  finish(): Promise<void>;
  /** Throw away everything written so far. */
  abort(): void;
}

export const frameName = (i: number) => `${String(i).padStart(8, '0')}.png`;

export function rgb24ToImage(bytes: Uint8Array, width: number, height: number): RgbImage {
  const img = createImage(width, height, 3);
  for (let i = 0; i < bytes.length; i++) img.data[i] = bytes[i]! / 255;
  return img;
}

export function imageToRgb24(img: RgbImage): Buffer {
  const n = img.width * img.height;
  const out = Buffer.alloc(n * 3);
  const ch = img.channels;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = quantize(img.data[p * ch + c]!, 255);
  }
  return out;
}

/** Frames decoded by ffmpeg as raw rgb24 through a pipe; `limit` stops the decoder early. */
export function videoSource(ffmpeg: string, file: string, info: VideoInfo, limit?: number): FrameSource {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-map', '0:v:0'];
  if (limit !== undefined) args.push('-frames:v', String(limit));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const proc = new FfmpegProcess(ffmpeg, args, 'decoder');
  proc.child.stdin!.end();
  const reader = new FrameReader(proc.child.stdout!, info.width * info.height * 3);
  let index = 0;
  const total = limit !== undefined && info.frames ? Math.min(limit, info.frames) : limit ?? info.frames;
  return {
    width: info.width,
    height: info.height,
    total,
    async next() {
      const bytes = await reader.next();
      return bytes ? { name: frameName(index++), image: rgb24ToImage(bytes, info.width, info.height) } : null;
    },
    close: () => proc.kill(),
    check: () => proc.check({ file, frames: index, expected: total }),
  };
}

/** PNG/JPEG frames of a folder in name order. */
export function folderSource(dir: string, limit?: number): FrameSource & { names: string[] } {
  let names = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f) && !f.startsWith('.') && statSync(join(dir, f)).isFile()).sort();
  if (!names.length) throw new Error(`${dir}: no PNG or JPEG frames in this folder`);
  if (limit !== undefined) names = names.slice(0, limit);
  let index = 0;
  let closed = false;
  return {
    names,
    width: 0,
    height: 0,
    total: names.length,
    async next() {
      if (closed || index >= names.length) return null;
      const name = names[index++]!;
      return { name: name.replace(/\.jpe?g$/i, '.png'), image: await readImage(join(dir, name)) };
    },
    close: () => {
      closed = true;
    },
    check: async () => undefined,
  };
}

/** PNG frames into a folder (created), atomically each. */
export function folderSink(dir: string): FrameSink {
  mkdirSync(dir, { recursive: true });
  return {
    write: (f) => writeImage(join(dir, f.name), f.image),
    finish: async () => undefined,
    abort: () => undefined, // frames already written are complete files; keep them
  };
}

export interface EncoderOptions {
  ffmpeg: string;
  output: string;
  width: number;
  height: number;
  fps: string;
  codec?: string;
  crf?: number;
  /** Copy (or re-encode) the first audio stream of this file. */
  audioFrom?: { file: string; codec: string };
}

/** The temporary name beside the target; the extension stays last so ffmpeg picks the muxer. */
export function tempOutputPath(output: string): string {
  const ext = extname(output);
  return join(dirname(output), `.${basename(output, ext)}.vivid-${process.pid}.tmp${ext}`);
}

/** rgb24 frames piped into an ffmpeg encoder writing a temporary file, renamed at the end. */
export function videoSink(o: EncoderOptions): FrameSink {
  const ext = extname(o.output);
  const tmp = tempOutputPath(o.output);
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`, '-framerate', o.fps, '-i', 'pipe:0');
  if (o.audioFrom) {
    args.push('-i', o.audioFrom.file, '-map', '0:v:0', '-map', '1:a:0', ...audioArgs(o.audioFrom.codec, ext), '-shortest');
  }
  args.push(...videoArgs(ext, o.codec, o.crf), tmp);
  mkdirSync(dirname(o.output), { recursive: true });
  const proc = new FfmpegProcess(o.ffmpeg, args, 'encoder');
  const stdin = proc.child.stdin!;
  stdin.on('error', () => undefined); // a broken pipe surfaces through writeChunk and check()
  const removeTmp = () => {
    try {
      if (existsSync(tmp)) unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  };
  return {
    async write(f) {
      if (f.image.width !== o.width || f.image.height !== o.height) {
        throw new Error(`frame ${f.name} is ${f.image.width}×${f.image.height}, expected ${o.width}×${o.height}`);
      }
      try {
        await writeChunk(stdin, imageToRgb24(f.image));
      } catch (e) {
        await proc.check(); // ffmpeg's own message is the useful one
        throw e;
      }
    },
    async finish() {
      stdin.end();
      try {
        await proc.check();
      } catch (e) {
        removeTmp();
        throw e;
      }
      renameSync(tmp, o.output);
    },
    abort() {
      proc.kill();
      removeTmp();
      // ffmpeg may still be closing the file when killed; remove it again once it is gone.
      void proc.exited.then(removeTmp);
    },
  };
}
