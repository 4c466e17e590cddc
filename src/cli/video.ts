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
import { parseCommand, type CommandSpec } from './args.ts';
import { defaultModel, getModel, shutdown } from '../index.ts';
import { abortError, upscaleTiled } from '../inference/tiling.ts';
import { Progress, formatDuration, within } from '../util/progress.ts';
import { locateFfmpeg, probe } from '../video/ffmpeg.ts';
import { folderSink, folderSource, videoSink, videoSource, type Frame, type FrameSink, type FrameSource } from '../video/frames.ts';
import { createImage, type RgbImage } from '../io/image.ts';
import { TemporalStabilizer } from '../video/temporal.ts';
import { drawLabel } from '../eval/font.ts';
import { archOption, backendOption, describeModel, intOption, MODEL_OPTIONS } from './common.ts';

export const spec = {
  name: 'video',
  usage: '<in> -o <out> [options]',
  positionals: { name: 'the input video or folder of frames', min: 1, max: 1 },
  options: {
    ...MODEL_OPTIONS,
    output: { type: 'string', short: 'o', value: '<out>', required: true, help: 'a video file (.mp4, .mkv, .webm, .mov), or a folder for PNG frames' },
    codec: { type: 'string', value: '<C>', help: 'ffmpeg video encoder (default libx264; libvpx-vp9 for .webm)' },
    crf: { type: 'string', value: '<N>', help: 'encoder quality (default 18 for x264, 32 for vp9)' },
    frames: { type: 'string', value: '<N>', help: 'only the first N frames' },
    fps: { type: 'string', value: '<R>', help: 'frame rate for a folder input (default 24)' },
    overlap: { type: 'string', value: '<N>', help: 'LR pixels of context per tile side' },
    ffmpeg: { type: 'string', value: '<path>', help: 'ffmpeg executable (default: ffmpeg on PATH)' },
    temporal: { type: 'boolean', help: 'stabilise texture across frames (motion-compensated blend of the previous\noutput, back-projected onto each LR frame, reset at scene cuts; README "Temporal mode"); on by default' },
    'no-temporal': { type: 'boolean', help: 'frame by frame: every frame upscaled on its own' },
    'side-by-side': { type: 'boolean', help: 'write frame by frame | temporal next to each other, labelled (twice as wide)' },
    overwrite: { type: 'boolean', help: 'replace an existing output file' },
  },
  notes: '<in> is a video file, or a folder of PNG/JPEG frames (sorted by name).',
} as const satisfies CommandSpec;

/** Frame by frame | temporal, two frames of one height next to each other, each labelled in its
 *  top-left corner (the label's font pixel grows with the frame: 2 at 576 rows, 4 at 1080). */
export function sideBySideImage(plain: RgbImage, temporal: RgbImage): RgbImage {
  const out = createImage(plain.width + temporal.width, plain.height, plain.channels);
  const ch = plain.channels;
  for (let y = 0; y < plain.height; y++) {
    out.data.set(plain.data.subarray(y * plain.width * ch, (y + 1) * plain.width * ch), y * out.width * ch);
    out.data.set(temporal.data.subarray(y * temporal.width * ch, (y + 1) * temporal.width * ch), (y * out.width + plain.width) * ch);
  }
  const scale = Math.max(1, Math.floor(plain.height / 240)), margin = 4 * scale;
  drawLabel(out, 'frame by frame', margin, margin, scale);
  drawLabel(out, 'temporal', plain.width + margin, margin, scale);
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
  const { values, positionals } = parseCommand(spec, args);
  const input = positionals[0]!;
  const output = values.output;
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
    // On by default: on Vid4 calendar it cuts motion-compensated flicker by 16.5% (srgan-x4) and
    // 11.3% (srresnet-x4) and raises PSNR-Y by 0.3–0.4 dB (README "Temporal mode").
    if (values.temporal && values['no-temporal']) throw new Error('--temporal and --no-temporal contradict each other: give one of them');
    const temporal = !values['no-temporal'];
    const stabilizer = temporal || sideBySide ? new TemporalStabilizer(model.rt) : null;
    // Time spent in the temporal mode: its share of the time per frame (README: at most 20%).
    let temporalSeconds = 0;
    const frames = await pump(
      source,
      sink,
      async (f) => {
        // Frames done so far, and this one's share as its bands finish.
        const sr = await upscaleTiled(model.rt, model, f.image, { tileSize, overlap, signal: ac.signal, onProgress: within(progress, progress.value) });
        const t = performance.now();
        const out = stabilizer ? (await stabilizer.process(f.image, sr)).image : sr;
        temporalSeconds += (performance.now() - t) / 1000;
        return { name: f.name, image: sideBySide ? sideBySideImage(sr, out) : out };
      },
      ac.signal,
      (n) => progress.update(n, ''),
    );
    await source.check();
    await sink.finish();
    stabilizer?.dispose();
    const seconds = (performance.now() - started) / 1000;
    const perFrame = (t: number) => `${(t / Math.max(1, frames)).toFixed(2)} s/frame`;
    progress.done(perFrame(seconds) + (stabilizer ? `, of which temporal mode ${perFrame(temporalSeconds)} (${((100 * temporalSeconds) / seconds).toFixed(1)}%)` : ''));
    if (frames === 0) throw new Error(`${input}: no frames decoded`);
    console.error(`wrote ${output}: ${frames} frames ${W}×${H} in ${formatDuration(seconds)}`);
    if (values.json) console.log(JSON.stringify({ output, frames, width: W, height: H, seconds, ...(stabilizer ? { temporalSeconds } : {}) }));
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
