// `vivid <command>`: one CLI over the public API. Each command lives in its own module and
// is loaded only when used.

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  doctor: { summary: 'show the WebGPU backend, adapter and limits; run a kernel self-check', load: () => import('./doctor.ts') },
  train: { summary: 'train SRResNet / SRGAN from a JSON config (resumable checkpoints)', load: () => import('./train.ts') },
  upscale: { summary: 'upscale images and folders of images (PNG, JPEG)', load: () => import('./upscale.ts') },
  video: { summary: 'upscale a video file or a folder of frames (needs ffmpeg)', load: () => import('./video.ts') },
  eval: { summary: 'PSNR/SSIM of a model on an HR/LR dataset, with the bicubic baseline', load: () => import('./eval.ts') },
  compare: { summary: 'several models on the same pictures: a bicubic | models | HR strip and their PSNR/SSIM', load: () => import('./compare.ts') },
  convert: { summary: 'convert a PyTorch generator checkpoint to viVID safetensors', load: () => import('./convert.ts') },
  demo: { summary: 'upscale a drawn test chart (or --input) and write a bicubic | viVID comparison', load: () => import('./demo.ts') },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: vivid <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun \`vivid <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`vivid: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (e) {
    const err = e as Error;
    console.error(`vivid ${name}: ${err.message}`);
    if (process.env.VIVID_DEBUG) console.error(err.stack);
    return 1;
  }
}
