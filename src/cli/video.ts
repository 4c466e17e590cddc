// `vivid video <in> -o <out>`: upscale a video (or a folder of frames) frame by frame.
//
// Pipeline: an ffmpeg decoder process → rgb24 frames through a pipe → upscaled here → rgb24
// through a pipe → an ffmpeg encoder process. The next frame is fetched while the current one
// is upscaled, and the previous one is still being taken by the encoder; at most about three
// frames exist at once, whatever the video's length. The output keeps the frame rate and the
// input's audio (copied, or re-encoded when the container cannot hold the codec). It goes to a
// temporary file renamed at the end: Ctrl-C (SIGINT) leaves nothing at the target path.

import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultModel, getModel, shutdown } from '../index.ts';
import { abortError, upscaleTiled } from '../inference/tiling.ts';
import { Progress, formatDuration } from '../util/progress.ts';
import { locateFfmpeg, probe } from '../video/ffmpeg.ts';
import { folderSink, folderSource, videoSink, videoSource, type Frame, type FrameSink, type FrameSource } from '../video/frames.ts';
import { createImage, type RgbImage } from '../io/image.ts';
import { TemporalStabilizer } from '../video/temporal.ts';
import { archOption, backendOption, describeModel, intOption, MODEL_OPTIONS } from './common.ts';

const USAGE = `usage: vivid video <in> -o <out> [options]

  <in>                a video file, or a folder of PNG/JPEG frames (sorted by name)
  -o, --output <out>  a video file (.mp4, .mkv, .webm, .mov), or a folder for PNG frames
  --model <M>         built-in name, .safetensors or PyTorch .pth (default: the shipped srresnet-x4)
  --arch <A>          PyTorch checkpoints: leftthomas | srresnet-tutorial
  --codec <C>         ffmpeg video encoder (default libx264; libvpx-vp9 for .webm)
  --crf <N>           encoder quality (default 18 for x264, 32 for vp9)
  --frames <N>        only the first N frames
  --fps <R>           frame rate for a folder input (default 24)
  --tile <N>          tile size in LR pixels;  --overlap <N> context per tile side
  --ffmpeg <path>     ffmpeg executable (default: ffmpeg on PATH)
  --temporal          stabilise detail across frames (motion-compensated blend of the previous
                      output's detail, reset at scene cuts; see README "Temporal mode"). Off by default
  --side-by-side      write frame-by-frame | temporal next to each other (twice as wide)
  --overwrite         replace an existing output file
  --backend <B>       auto | vulkan | opengl
  --quiet             no progress output`;

/** a | b, two images of one height next to each other. */
function sideBySideImage(a: RgbImage, b: RgbImage): RgbImage {
  const out = createImage(a.width + b.width, a.height, a.channels);
  const ch = a.channels;
  for (let y = 0; y < a.height; y++) {
    out.data.set(a.data.subarray(y * a.width * ch, (y + 1) * a.width * ch), y * out.width * ch);
    out.data.set(b.data.subarray(y * b.width * ch, (y + 1) * b.width * ch), (y * out.width + a.width) * ch);
  }
  return out;
}

const isFolderTarget = (p: string) => (existsSync(p) && statSync(p).isDirectory()) || p.endsWith('/') || extname(p) === '';

/** Runs the frame loop: fetch ahead one frame, upscale, hand the previous result to the sink. */
async function pump(
  source: FrameSource,
  sink: FrameSink,
  upscaleFrame: (f: Frame) => Promise<Frame>,
  signal: AbortSignal,
  onFrame: (n: number) => void,
): Promise<number> {
  const quiet = <T>(p: Promise<T>) => {
    p.catch(() => undefined); // awaited below; this only silences "unhandled" while it waits
    return p;
  };
  let pending = quiet(source.next());
  let writing: Promise<void> = Promise.resolve();
  let n = 0;
  for (;;) {
    const frame = await pending;
    if (signal.aborted) throw abortError(signal);
    if (!frame) break;
    pending = quiet(source.next()); // decode the next frame while this one is upscaled
    const sr = await upscaleFrame(frame);
    await writing; // at most one frame waits for the encoder
    writing = quiet(sink.write(sr));
    onFrame(++n);
  }
  await writing;
  if (signal.aborted) throw abortError(signal);
  return n;
}

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...MODEL_OPTIONS,
      output: { type: 'string', short: 'o' },
      codec: { type: 'string' },
      crf: { type: 'string' },
      frames: { type: 'string' },
      fps: { type: 'string' },
      overlap: { type: 'string' },
      ffmpeg: { type: 'string' },
      overwrite: { type: 'boolean', default: false },
      temporal: { type: 'boolean', default: false },
      'side-by-side': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const input = positionals[0];
  const output = values.output;
  if (!input || !output || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  if (!existsSync(input)) throw new Error(`${input}: no such file or folder`);
  const limit = intOption(values.frames, 'frames', 1);
  const crf = intOption(values.crf, 'crf', 0);
  const tileSize = intOption(values.tile, 'tile', 1);
  const overlap = intOption(values.overlap, 'overlap', 0);
  const folderIn = statSync(input).isDirectory();
  const folderOut = isFolderTarget(output);
  if (!folderOut && existsSync(output) && !values.overwrite) throw new Error(`${output} exists (--overwrite replaces it)`);
  // ffmpeg is needed unless both sides are folders; find it before loading anything.
  const tools = folderIn && folderOut ? null : locateFfmpeg(values.ffmpeg);

  const { model, info } = await getModel(values.model ?? defaultModel(), { arch: archOption(values.arch), backend: backendOption(values.backend) });
  const scale = info.config.scale;
  if (!values.quiet) console.error(`model ${describeModel(info)}`);

  const ac = new AbortController();
  const onSignal = (sig: string) => () => ac.abort(new DOMException(`interrupted (${sig})`, 'AbortError'));
  const onInt = onSignal('SIGINT'), onTerm = onSignal('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);

  let source: FrameSource | null = null;
  let sink: FrameSink | null = null;
  const started = performance.now();
  try {
    let fps = values.fps ?? '24';
    let audio: { file: string; codec: string } | undefined;
    if (folderIn) {
      const s = folderSource(input, limit);
      // Every frame must have the first frame's size; take it from the first file.
      const first = await folderSource(input, 1).next();
      s.width = first!.image.width;
      s.height = first!.image.height;
      source = s;
    } else {
      const vi = probe(tools!, input);
      fps = vi.fps;
      if (vi.audio) audio = { file: input, codec: vi.audio };
      source = videoSource(tools!.ffmpeg, input, vi, limit);
    }
    const sideBySide = values['side-by-side'];
    const W = source.width * scale * (sideBySide ? 2 : 1), H = source.height * scale;
    sink = folderOut
      ? folderSink(output)
      : videoSink({ ffmpeg: tools!.ffmpeg, output, width: W, height: H, fps, codec: values.codec, crf, audioFrom: audio });
    if (!values.quiet) {
      console.error(`${input}: ${source.width}×${source.height}${folderIn ? '' : ` @ ${fps} fps`}${audio ? `, audio ${audio.codec}` : ''} → ${output}: ${W}×${H}`);
    }

    const progress = new Progress({ label: 'video', total: source.total, unit: 'frames', enabled: !values.quiet });
    const stabilizer = values.temporal || sideBySide ? new TemporalStabilizer(model.rt) : null;
    const frames = await pump(
      source,
      sink,
      async (f) => {
        const sr = await upscaleTiled(model.rt, model, f.image, {
          tileSize: tileSize,
          overlap,
          signal: ac.signal,
          onProgress: (d, t) => t > 1 && progress.setStatus(`tile ${d}/${t}`),
        });
        const out = stabilizer ? (await stabilizer.process(f.image, sr)).image : sr;
        return { name: f.name, image: sideBySide ? sideBySideImage(sr, out) : out };
      },
      ac.signal,
      (n) => progress.update(n, ''),
    );
    await source.check();
    await sink.finish();
    stabilizer?.dispose();
    const seconds = (performance.now() - started) / 1000;
    progress.done(`${(seconds / Math.max(1, frames)).toFixed(2)} s/frame`);
    if (frames === 0) throw new Error(`${input}: no frames decoded`);
    console.error(`wrote ${output}: ${frames} frames ${W}×${H} in ${formatDuration(seconds)}`);
    return 0;
  } catch (e) {
    source?.close();
    sink?.abort();
    if (ac.signal.aborted) {
      console.error(`vivid video: ${(ac.signal.reason as Error).message}; ${folderOut ? 'frames written so far are kept' : `nothing written to ${output}`}`);
      return 130;
    }
    throw e;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    await shutdown();
  }
}
