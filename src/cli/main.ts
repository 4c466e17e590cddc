// `vivid <command>`: one CLI over the public API. Each command lives in its own module and
// is loaded only when used; its option table (src/cli/args.ts) gives its parse and its help.

import { packageVersion } from '../util/version.ts';
import { helpText, nearestFlag, UsageError, type CommandSpec } from './args.ts';

interface CommandModule {
  spec: CommandSpec;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  doctor: { summary: 'show the WebGPU backend, adapter, limits and shader cache; run a kernel self-check', load: () => import('./doctor.ts') },
  train: { summary: 'train SRResNet / SRGAN from a JSON config (resumable checkpoints)', load: () => import('./train.ts') },
  upscale: { summary: 'upscale images and folders of images (PNG, JPEG, WebP, AVIF, TIFF)', load: () => import('./upscale.ts') },
  video: { summary: 'upscale a video file or a folder of frames (needs ffmpeg)', load: () => import('./video.ts') },
  eval: { summary: 'PSNR/SSIM of a model on an HR/LR dataset, with the bicubic baseline', load: () => import('./eval.ts') },
  compare: { summary: 'several models on the same pictures: a bicubic | models | HR strip and their PSNR/SSIM', load: () => import('./compare.ts') },
  convert: { summary: 'convert a PyTorch generator checkpoint to viVID safetensors', load: () => import('./convert.ts') },
  export: { summary: 'write a generator (shipped, trained or PyTorch) as an ONNX model for other runtimes', load: () => import('./export.ts') },
  demo: { summary: 'upscale a drawn test chart (or --input) and write a bicubic | viVID comparison', load: () => import('./demo.ts') },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: vivid <command> [options]', '', 'commands:', ...rows, `  ${'help'.padEnd(10)} vivid help <command>: that command's options`, '',
    'options: -V, --version  the version;  -h, --help  this list', 'Run `vivid help <command>` or `vivid <command> --help` for a command\'s options.',
  ].join('\n');
}

function nearestCommand(name: string): string | undefined {
  const table = Object.fromEntries(Object.keys(COMMANDS).map((c) => [c, { type: 'boolean' as const, help: '' }]));
  return nearestFlag(name, table)?.slice(2);
}

function unknownCommand(name: string): number {
  const near = nearestCommand(name);
  console.error(`vivid: unknown command '${name}'${near ? `; did you mean '${near}'?` : ''}\n\n${usage()}`);
  return 2;
}

async function printHelp(name: string | undefined): Promise<number> {
  if (!name) {
    console.log(usage());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) return unknownCommand(name);
  console.log(helpText((await command.load()).spec, command.summary));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    console.error(usage());
    return 1;
  }
  if (name === '--help' || name === '-h') return printHelp(undefined);
  if (name === 'help') return printHelp(rest[0]);
  if (name === '--version' || name === '-V') {
    console.log(packageVersion());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) return unknownCommand(name);
  if (rest.includes('--help') || rest.includes('-h')) return printHelp(name);
  try {
    return await (await command.load()).run(rest);
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError) {
      console.error(`vivid ${name}: ${err.message}\nRun 'vivid help ${name}' for its options.`);
      return 2;
    }
    console.error(`vivid ${name}: ${err.message}`);
    if (process.env.VIVID_DEBUG) console.error(err.stack);
    return 1;
  }
}
