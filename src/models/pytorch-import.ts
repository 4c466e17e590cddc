// Explicit name maps from published PyTorch SRGAN generators to viVID's Generator, with the
// architecture detected from tensor names and shapes. Conv weights go from PyTorch's OIHW to
// our HWIO; batch-norm `num_batches_tracked` counters are dropped.

import type { HostTensor } from '../graph/tensor.ts';
import type { GeneratorConfig } from './generator.ts';

export const PYTORCH_ARCHS = ['leftthomas', 'srresnet-tutorial'] as const;
export type PytorchArch = (typeof PYTORCH_ARCHS)[number];

export function isPytorchArch(v: unknown): v is PytorchArch {
  return (PYTORCH_ARCHS as readonly unknown[]).includes(v);
}

/** One row of a name map: PyTorch key → our key, and whether it is a conv kernel (OIHW). */
type Row = [torch: string, ours: string, conv?: 'conv'];

const bnRows = (torch: string, ours: string): Row[] => [
  [`${torch}.weight`, `${ours}.gamma`],
  [`${torch}.bias`, `${ours}.beta`],
  [`${torch}.running_mean`, `${ours}.running_mean`],
  [`${torch}.running_var`, `${ours}.running_var`],
];

function leftthomasRows(blocks: number, ups: number): Row[] {
  const rows: Row[] = [
    ['block1.0.weight', 'head.conv.w', 'conv'],
    ['block1.0.bias', 'head.conv.b'],
    ['block1.1.weight', 'head.prelu.alpha'],
  ];
  for (let i = 0; i < blocks; i++) {
    const t = `block${i + 2}`, o = `blocks.${i}`;
    rows.push(
      [`${t}.conv1.weight`, `${o}.conv1.w`, 'conv'],
      [`${t}.conv1.bias`, `${o}.conv1.b`],
      ...bnRows(`${t}.bn1`, `${o}.bn1`),
      [`${t}.prelu.weight`, `${o}.prelu.alpha`],
      [`${t}.conv2.weight`, `${o}.conv2.w`, 'conv'],
      [`${t}.conv2.bias`, `${o}.conv2.b`],
      ...bnRows(`${t}.bn2`, `${o}.bn2`),
    );
  }
  const post = `block${blocks + 2}`, up = `block${blocks + 3}`;
  rows.push([`${post}.0.weight`, 'post.conv.w', 'conv'], [`${post}.0.bias`, 'post.conv.b'], [`${post}.1.weight`, 'post.prelu.alpha']);
  for (let j = 0; j < ups; j++) {
    rows.push([`${up}.${j}.conv.weight`, `up.${j}.conv.w`, 'conv'], [`${up}.${j}.conv.bias`, `up.${j}.conv.b`], [`${up}.${j}.prelu.weight`, `up.${j}.prelu.alpha`]);
  }
  rows.push([`${up}.${ups}.weight`, 'tail.conv.w', 'conv'], [`${up}.${ups}.bias`, 'tail.conv.b']);
  return rows;
}

function tutorialRows(blocks: number, ups: number): Row[] {
  const rows: Row[] = [
    ['conv1.weight', 'head.conv.w', 'conv'],
    ['conv1.bias', 'head.conv.b'],
    ['prelu1.weight', 'head.prelu.alpha'],
  ];
  for (let i = 0; i < blocks; i++) {
    const t = `residual_block${i + 1}.0`, o = `blocks.${i}`;
    rows.push(
      [`${t}.conv1.weight`, `${o}.conv1.w`, 'conv'],
      ...bnRows(`${t}.bn1`, `${o}.bn1`),
      [`${t}.prelu.weight`, `${o}.prelu.alpha`],
      [`${t}.conv2.weight`, `${o}.conv2.w`, 'conv'],
      ...bnRows(`${t}.bn2`, `${o}.bn2`),
    );
  }
  rows.push(['skip_conv.weight', 'post.conv.w', 'conv'], ...bnRows('skip_bn', 'post.bn'));
  for (let j = 0; j < ups; j++) {
    const t = `upscale_block${j + 1}.0`;
    rows.push([`${t}.upscaling_conv.weight`, `up.${j}.conv.w`, 'conv'], [`${t}.upscaling_conv.bias`, `up.${j}.conv.b`], [`${t}.upscaling.weight`, `up.${j}.prelu.alpha`]);
  }
  rows.push(['output_conv.weight', 'tail.conv.w', 'conv'], ['output_conv.bias', 'tail.conv.b']);
  return rows;
}

function count(names: string[], re: RegExp): number {
  const seen = new Set<string>();
  for (const n of names) {
    const m = re.exec(n);
    if (m) seen.add(m[1]!);
  }
  return seen.size;
}

/** Recognise a PyTorch generator state_dict and derive its configuration. */
export function detectPytorchGenerator(tensors: Map<string, { shape: readonly number[] }>): { arch: PytorchArch; config: GeneratorConfig } {
  const names = [...tensors.keys()];
  const has = (n: string) => tensors.has(n);
  if (has('block1.0.weight') && has('block2.conv1.weight')) {
    // leftthomas: block1 head, block2..block(B+1) residual, block(B+2) post, block(B+3) upsamplers + tail.
    const blocks = count(names, /^block(\d+)\.conv1\.weight$/);
    const ups = count(names, new RegExp(`^block${blocks + 3}\\.(\\d+)\\.conv\\.weight$`));
    const channels = tensors.get('block1.0.weight')!.shape[0]!;
    return {
      arch: 'leftthomas',
      config: { scale: (2 ** ups) as 2 | 4 | 8, blocks, channels, batchNorm: true, prelu: 'shared', blockBias: true, post: 'conv-prelu', head: 'tanh' },
    };
  }
  if (has('conv1.weight') && has('residual_block1.0.conv1.weight') && has('output_conv.weight')) {
    const blocks = count(names, /^residual_block(\d+)\.0\.conv1\.weight$/);
    const ups = count(names, /^upscale_block(\d+)\.0\.upscaling_conv\.weight$/);
    const channels = tensors.get('conv1.weight')!.shape[0]!;
    const slopes = tensors.get('prelu1.weight')!.shape[0]!;
    return {
      arch: 'srresnet-tutorial',
      config: { scale: (2 ** ups) as 2 | 4 | 8, blocks, channels, batchNorm: true, prelu: slopes === 1 ? 'shared' : 'channel', blockBias: false, post: 'conv-bn', head: 'shift' },
    };
  }
  throw new Error(
    `not a known PyTorch SRGAN generator: expected leftthomas names (block1.0.weight, block2.conv1.weight, …) or the SRResNet tutorial's (conv1.weight, residual_block1.0.conv1.weight, …); found ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}`,
  );
}

/**
 * A conv weight between PyTorch's / ONNX's OIHW and our HWIO layout (one loop for both ways:
 * element (o, i, y, x) of each layout is the same weight).
 */
function convLayout(t: HostTensor, to: 'hwio' | 'oihw'): HostTensor {
  const s = t.shape as [number, number, number, number];
  const [O, I, H, W] = to === 'hwio' ? s : [s[3], s[2], s[0], s[1]];
  const out = new Float32Array(t.data.length);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const oihw = ((o * I + i) * H + y) * W + x, hwio = ((y * W + x) * I + i) * O + o;
          if (to === 'hwio') out[hwio] = t.data[oihw]!;
          else out[oihw] = t.data[hwio]!;
        }
  return { shape: to === 'hwio' ? [H, W, I, O] : [O, I, H, W], data: out };
}

/** OIHW → HWIO. */
export const oihwToHwio = (t: HostTensor): HostTensor => convLayout(t, 'hwio');

/** HWIO → OIHW. */
export const hwioToOihw = (t: HostTensor): HostTensor => convLayout(t, 'oihw');

/** Rename and re-layout a PyTorch generator's tensors for our Generator. */
export function mapPytorchGenerator(tensors: Map<string, HostTensor>, arch: PytorchArch, config: GeneratorConfig): Map<string, HostTensor> {
  const ups = Math.log2(config.scale);
  const rows = arch === 'leftthomas' ? leftthomasRows(config.blocks, ups) : tutorialRows(config.blocks, ups);
  const out = new Map<string, HostTensor>();
  const missing: string[] = [];
  const used = new Set<string>();
  for (const [torch, ours, kind] of rows) {
    const t = tensors.get(torch);
    if (!t) {
      missing.push(torch);
      continue;
    }
    used.add(torch);
    if (kind === 'conv' && t.shape.length !== 4) throw new Error(`${torch}: a conv kernel must be 4-D (OIHW), got [${t.shape}]`);
    out.set(ours, kind === 'conv' ? oihwToHwio(t) : { shape: [...t.shape], data: t.data });
  }
  const unused = [...tensors.keys()].filter((n) => !used.has(n) && !n.endsWith('num_batches_tracked'));
  if (missing.length || unused.length) {
    throw new Error(
      `${arch} generator weights do not match the ${arch} layout:` +
        (missing.length ? `\n  missing: ${missing.join(', ')}` : '') +
        (unused.length ? `\n  unexpected: ${unused.map((n) => `${n} [${tensors.get(n)!.shape}]`).join(', ')}` : ''),
    );
  }
  return out;
}
