// The fuzz cases: valid seed files of each format, the public function each goes through, and
// case i of a seeded run (format, seed file and mutation all drawn from (seed, i), so any case
// can be replayed alone).

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from '../../src/io/image.ts';
import { readPytorch } from '../../src/io/weights/pytorch.ts';
import { writeSafetensors } from '../../src/io/weights/safetensors.ts';
import type { NamedTensor } from '../../src/io/weights/types.ts';
import type { GeneratorConfig } from '../../src/models/generator.ts';
import { loadGenerator, parseGeneratorFile } from '../../src/models/load.ts';
import { generatorTensorShapes } from '../../src/models/validate-config.ts';
import { Rng } from '../../src/util/rng.ts';
import { PickleBytes, makeZip, tensorEntry } from '../helpers/pickle-bytes.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';
import { mutate, type Format } from './mutate.ts';

/** 'selftest' seeds misbehave on purpose: the runner's own test checks that it catches them. */
export type CaseFormat = Format | 'selftest';

export interface Seed {
  name: string;
  format: CaseFormat;
  bytes: Uint8Array;
  /** Run the input through the public API; `label` is the name errors must mention. */
  run: (bytes: Uint8Array, label: string) => Promise<unknown>;
}

const SEED_DIR = fileURLToPath(new URL('./seeds/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'vivid-fuzz-'));

const decode = async (bytes: Uint8Array, label: string) => decodeImage(bytes, label);
const parseGenerator = async (bytes: Uint8Array, label: string) => parseGeneratorFile(bytes, label);
/** .pth files are loaded from disk, the way `--model x.pth` is. */
const loadPth = async (bytes: Uint8Array, label: string) => {
  const path = join(work, label);
  writeFileSync(path, bytes);
  return loadGenerator(path);
};
const readPth = async (bytes: Uint8Array, label: string) => readPytorch(bytes, label);

/** A small generator file built from the config's own tensor list (no GPU needed). */
function generatorFile(config: GeneratorConfig, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const tensors: NamedTensor[] = [...generatorTensorShapes(config)].map(([name, shape]) => ({
    name, shape, dtype: 'F32', data: rng.fill(shape.reduce((a, b) => a * b, 1), (r) => r.uniform(-0.5, 0.5)),
  }));
  return writeSafetensors(tensors, { 'vivid.kind': 'generator', 'vivid.config': JSON.stringify(config) });
}

/** A state_dict zip as torch.save writes it: data.pkl, one storage per tensor, version. */
function syntheticPth(): Uint8Array {
  const p = new PickleBytes().proto(2).global('collections', 'OrderedDict').op(0x29, 0x52).mark();
  tensorEntry(p, 'conv.weight', 'FloatStorage', '0', 12, 0, [2, 3, 2, 1], [6, 2, 1, 1]);
  tensorEntry(p, 'conv.bias', 'FloatStorage', '1', 2, 0, [2], [1]);
  tensorEntry(p, 'bn.num_batches_tracked', 'LongStorage', '2', 1, 0, [], []);
  p.op(0x75);
  const f32 = (n: number) => new Uint8Array(Float32Array.from({ length: n }, (_, i) => i / 4).buffer);
  return makeZip([
    { name: 'ck/data.pkl', data: p.stop(), deflate: true },
    { name: 'ck/data/0', data: f32(12) },
    { name: 'ck/data/1', data: f32(2), deflate: true },
    { name: 'ck/data/2', data: new Uint8Array(new BigInt64Array([3n]).buffer) },
    { name: 'ck/version', data: new TextEncoder().encode('3\n') },
  ]);
}

export function loadSeeds(): Seed[] {
  const seeds: Seed[] = [];
  for (const f of readdirSync(SEED_DIR).sort()) {
    const format: Format = f.endsWith('.png') ? 'png' : 'jpeg';
    seeds.push({ name: f, format, bytes: new Uint8Array(readFileSync(join(SEED_DIR, f))), run: decode });
  }
  const small: GeneratorConfig = { scale: 2, blocks: 1, channels: 4, batchNorm: true, prelu: 'channel', blockBias: false, post: 'conv-bn', head: 'shift' };
  const left: GeneratorConfig = { scale: 4, blocks: 2, channels: 3, batchNorm: false, prelu: 'shared', blockBias: true, post: 'conv-prelu', head: 'tanh', skip: 'bicubic' };
  seeds.push({ name: 'generator-x2.safetensors', format: 'safetensors', bytes: generatorFile(small, 1), run: parseGenerator });
  seeds.push({ name: 'generator-x4.safetensors', format: 'safetensors', bytes: generatorFile(left, 2), run: parseGenerator });
  seeds.push({ name: 'state-dict.pth', format: 'pth', bytes: syntheticPth(), run: readPth });
  const real = ['weights', 'srresnet8-pytorch', 'srresnet8_x4.pth'];
  if (hasShared(...real)) seeds.push({ name: basename(sharedPath(...real)), format: 'pth', bytes: new Uint8Array(readFileSync(sharedPath(...real))), run: loadPth });
  seeds.push(...selftestSeeds());
  return seeds;
}

function selftestSeeds(): Seed[] {
  const busy = (ms: number) => { for (const end = Date.now() + ms; Date.now() < end; ); };
  return [
    { name: 'hang.bin', format: 'selftest', bytes: new Uint8Array(1), run: async () => { for (;;) busy(1000); } },
    { name: 'hog.bin', format: 'selftest', bytes: new Uint8Array(1), run: async () => { const b = Buffer.alloc(1 << 30, 1); busy(2000); return b.length; } },
    { name: 'raw.bin', format: 'selftest', bytes: new Uint8Array(1), run: async () => { throw new TypeError('Cannot read properties of undefined'); } },
  ];
}

export interface Case {
  index: number;
  seed: Seed;
  mutation: string;
  bytes: Uint8Array;
  label: string;
}

export const FORMATS: readonly Format[] = ['png', 'jpeg', 'safetensors', 'pth'];

/** Case `index` of run `runSeed`: formats and their seed files take turns; the mutation is drawn. */
export function makeCase(seeds: Seed[], runSeed: number, index: number, formats: readonly CaseFormat[] = FORMATS): Case {
  const rng = new Rng([0x6675_7a7a, runSeed >>> 0, index >>> 0, 0x9e3779b9]);
  for (let i = 0; i < 8; i++) rng.nextU32();
  const format = formats[index % formats.length]!;
  const pool = seeds.filter((s) => s.format === format);
  const seed = pool[Math.floor(index / formats.length) % pool.length]!;
  const m = format === 'selftest' ? { name: 'none', bytes: seed.bytes } : mutate(rng, format, seed.bytes);
  const ext = seed.name.slice(seed.name.lastIndexOf('.'));
  return { index, seed, mutation: m.name, bytes: m.bytes, label: `fuzz-${runSeed}-${index}${ext}` };
}
