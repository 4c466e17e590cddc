import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPytorch } from '../../src/io/weights/pytorch.ts';
import { type NamedTensor, WeightsFormatError } from '../../src/io/weights/types.ts';
import { Rng } from '../../src/util/rng.ts';
import { PickleBytes, makeZip, tensorEntry } from '../helpers/pickle-bytes.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';

const LEFT = ['weights', 'leftthomas-srgan'];
const SRRESNET = ['weights', 'srresnet8-pytorch', 'srresnet8_x4.pth'];

function formatError(f: () => unknown): WeightsFormatError {
  let caught: unknown;
  try { f(); } catch (e) { caught = e; }
  if (!(caught instanceof WeightsFormatError)) {
    throw new Error(`expected a WeightsFormatError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  }
  return caught;
}

/** Learned parameters are small; BN running statistics can be large (variances up to ~1e4 here). */
function expectPlausible(t: NamedTensor): void {
  const running = /running_(mean|var)$/.test(t.name);
  const limit = running ? 1e6 : 100;
  for (const v of t.data as Float32Array) {
    if (!Number.isFinite(v) || Math.abs(v) > limit) throw new Error(`${t.name}: implausible value ${v}`);
    if (t.name.endsWith('running_var') && !(v > 0)) throw new Error(`${t.name}: non-positive variance ${v}`);
  }
}

function sum(t: NamedTensor): number {
  let s = 0;
  for (const v of t.data) s += Number(v);
  return s;
}

describe.skipIf(!hasShared(...SRRESNET))('PyTorch zip checkpoint (srresnet8_x4.pth)', () => {
  const m = readPytorch(readFileSync(sharedPath(...SRRESNET)), 'srresnet8_x4.pth');

  it('has the 121 documented tensors', () => {
    expect(m.size).toBe(121);
    const f32 = [...m.values()].filter((t) => t.dtype === 'F32');
    const i64 = [...m.values()].filter((t) => t.dtype === 'I64');
    expect(f32.length).toBe(104);
    expect(i64.length).toBe(17);
    for (const t of i64) {
      expect(t.name).toMatch(/\.num_batches_tracked$/);
      expect(t.shape).toEqual([]);
      expect(t.data).toBeInstanceOf(BigInt64Array);
    }
    const shapes: Record<string, number[]> = {
      'conv1.weight': [64, 3, 9, 9], 'conv1.bias': [64], 'prelu1.weight': [64],
      'skip_conv.weight': [64, 64, 3, 3], 'skip_bn.running_var': [64],
      'upscale_block1.0.upscaling_conv.weight': [256, 64, 3, 3], 'upscale_block2.0.upscaling_conv.bias': [256],
      'upscale_block2.0.upscaling.weight': [64], 'output_conv.weight': [3, 64, 9, 9], 'output_conv.bias': [3],
    };
    for (let b = 1; b <= 8; b++) {
      shapes[`residual_block${b}.0.conv1.weight`] = [64, 64, 3, 3];
      shapes[`residual_block${b}.0.conv2.weight`] = [64, 64, 3, 3];
      shapes[`residual_block${b}.0.bn1.running_mean`] = [64];
      shapes[`residual_block${b}.0.prelu.weight`] = [64];
    }
    for (const [k, s] of Object.entries(shapes)) expect(m.get(k)?.shape, k).toEqual(s);
    expect(m.has('conv1.bias') && !m.has('residual_block1.0.conv1.bias')).toBe(true);
  });

  it('has plausible values (checked against Python\'s own unpickler)', () => {
    for (const t of m.values()) if (t.dtype === 'F32') expectPlausible(t);
    const conv1 = m.get('conv1.weight')!;
    expect(conv1.data[0]).toBe(Math.fround(0.0834389179944992));
    expect(sum(conv1)).toBeCloseTo(-45.518635603408256, 3);
    expect(sum(m.get('prelu1.weight')!)).toBeCloseTo(37.451824355870485, 4);
    expect([...m.get('skip_bn.running_var')!.data as Float32Array].every((v) => v > 0)).toBe(true);
    expect([...m.get('residual_block2.0.prelu.weight')!.data as Float32Array].some((v) => v < 0)).toBe(true); // documented
  });
});

describe.skipIf(!hasShared(...LEFT))('PyTorch legacy checkpoints (leftthomas netG_epoch_*_100.pth)', () => {
  const cases = [
    { scale: 2, keys: 76, ups: 1, first: -0.005371627397835255, slope: 0.10470371693372726 },
    { scale: 4, keys: 79, ups: 2, first: -0.00712309405207634, slope: 0.16176535189151764 },
    { scale: 8, keys: 82, ups: 3, first: -0.010814242996275425, slope: 0.012976313941180706 },
  ];
  for (const c of cases) {
    it(`x${c.scale} loads with the documented names and shapes`, () => {
      const m = readPytorch(readFileSync(sharedPath(...LEFT, `netG_epoch_${c.scale}_100.pth`)));
      expect(m.size).toBe(c.keys);
      expect(m.get('block1.0.weight')!.shape).toEqual([64, 3, 9, 9]);
      expect(m.get('block1.0.bias')!.shape).toEqual([64]);
      expect(m.get('block1.1.weight')!.shape).toEqual([1]);
      for (let b = 2; b <= 6; b++) {
        expect(m.get(`block${b}.conv1.weight`)!.shape).toEqual([64, 64, 3, 3]);
        expect(m.get(`block${b}.bn2.running_var`)!.shape).toEqual([64]);
        expect(m.get(`block${b}.prelu.weight`)!.shape).toEqual([1]);
      }
      expect(m.get('block7.0.weight')!.shape).toEqual([64, 64, 3, 3]);
      for (let u = 0; u < c.ups; u++) {
        expect(m.get(`block8.${u}.conv.weight`)!.shape).toEqual([256, 64, 3, 3]);
        expect(m.get(`block8.${u}.prelu.weight`)!.shape).toEqual([1]);
      }
      expect(m.get(`block8.${c.ups}.weight`)!.shape).toEqual([3, 64, 9, 9]);
      expect(m.get(`block8.${c.ups}.bias`)!.shape).toEqual([3]);
      for (const t of m.values()) {
        expect(t.dtype).toBe('F32');
        expectPlausible(t);
      }
      expect(m.get('block1.0.weight')!.data[0]).toBe(Math.fround(c.first));
      expect(m.get('block1.1.weight')!.data[0]).toBe(Math.fround(c.slope));
    });
  }
});

// ---- synthetic checkpoints: strides, offsets, dtypes, compression ----

function legacyHeader(): Uint8Array[] {
  // magic number (LONG1), protocol version 1001, sys info
  const magic = new PickleBytes().proto(2).op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop();
  const proto = new PickleBytes().proto(2).int(1001).stop();
  const sys = new PickleBytes().proto(2).op(0x7d).mark().str('little_endian').op(0x88).op(0x75).stop();
  return [magic, proto, sys];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function f32Bytes(values: number[]): Uint8Array { return new Uint8Array(new Float32Array(values).buffer); }

function syntheticStateDict(): Uint8Array {
  const p = new PickleBytes().proto(2).global('collections', 'OrderedDict').op(0x29, 0x52).mark();
  tensorEntry(p, 'plain', 'FloatStorage', '0', 6, 0, [2, 3], [3, 1]);
  tensorEntry(p, 'transposed', 'FloatStorage', '0', 6, 0, [3, 2], [1, 3]); // .t() of plain
  tensorEntry(p, 'offset', 'FloatStorage', '0', 6, 4, [2], [1]); // a slice sharing the storage
  tensorEntry(p, 'broadcast', 'FloatStorage', '0', 6, 1, [2, 2], [0, 1]); // expand()
  tensorEntry(p, 'half', 'HalfStorage', '1', 2, 0, [2], [1]);
  tensorEntry(p, 'count', 'LongStorage', '2', 1, 0, [], []);
  p.op(0x75); // SETITEMS
  // state_dict._metadata via BUILD, as torch writes it
  p.mark().str('_metadata').global('collections', 'OrderedDict').op(0x29, 0x52).op(0x64).op(0x62);
  return p.stop();
}

const storage0 = f32Bytes([0, 1, 2, 3, 4, 5]);
const storage1 = new Uint8Array([0x00, 0x3c, 0x00, 0xc1]); // half 1.0, -2.5
const storage2 = new Uint8Array(new BigInt64Array([42n]).buffer);

function checkSynthetic(m: Map<string, NamedTensor>): void {
  expect([...m.get('plain')!.data]).toEqual([0, 1, 2, 3, 4, 5]);
  expect(m.get('transposed')!.shape).toEqual([3, 2]);
  expect([...m.get('transposed')!.data]).toEqual([0, 3, 1, 4, 2, 5]);
  expect([...m.get('offset')!.data]).toEqual([4, 5]);
  expect([...m.get('broadcast')!.data]).toEqual([1, 2, 1, 2]);
  expect(m.get('half')!.dtype).toBe('F32');
  expect(m.get('half')!.sourceDtype).toBe('F16');
  expect([...m.get('half')!.data]).toEqual([1, -2.5]);
  expect(m.get('count')!.dtype).toBe('I64');
  expect(m.get('count')!.data).toEqual(new BigInt64Array([42n]));
}

describe('PyTorch synthetic checkpoints', () => {
  it('zip: honours offsets and strides, converts half, keeps int64 (STORED and DEFLATE)', () => {
    for (const deflate of [false, true]) {
      const zip = makeZip([
        { name: 'ck/data.pkl', data: syntheticStateDict(), deflate },
        { name: 'ck/data/0', data: storage0, deflate },
        { name: 'ck/data/1', data: storage1 },
        { name: 'ck/data/2', data: storage2, deflate },
        { name: 'ck/version', data: new TextEncoder().encode('3\n') },
      ]);
      checkSynthetic(readPytorch(zip));
    }
  });

  it('legacy: the same state_dict in the pre-1.6 stream format', () => {
    const keys = new PickleBytes().proto(2).op(0x5d).mark().str('0').str('1').str('2').op(0x65).stop();
    const storage = (count: number, data: Uint8Array): Uint8Array => concat([new Uint8Array(new BigInt64Array([BigInt(count)]).buffer), data]);
    const file = concat([...legacyHeader(), syntheticStateDict(), keys, storage(6, storage0), storage(2, storage1), storage(1, storage2)]);
    checkSynthetic(readPytorch(file));
  });

  it('legacy: storage views (view_metadata in the persistent id) start at their offset', () => {
    const p = new PickleBytes().proto(2).op(0x7d).mark().str('v').global('torch._utils', '_rebuild_tensor').mark();
    p.tuple((q) => q.str('storage'), (q) => q.global('torch', 'FloatStorage'), (q) => q.str('root'), (q) => q.str('cpu'), (q) => q.int(6),
      (q) => q.tuple((r) => r.str('view1'), (r) => r.int(2), (r) => r.int(3)));
    p.op(0x51).int(1).ints(2).ints(1).op(0x74, 0x52, 0x75); // offset 1 inside the view, size [2]
    const keys = new PickleBytes().proto(2).op(0x5d).str('root').op(0x61).stop();
    const file = concat([...legacyHeader(), p.stop(), keys, new Uint8Array(new BigInt64Array([6n]).buffer), storage0]);
    expect([...readPytorch(file).get('v')!.data]).toEqual([3, 4]);
  });

  it('refuses views reaching past their storage and missing storages', () => {
    const dict = (offset: number): Uint8Array => {
      const p = new PickleBytes().proto(2).op(0x7d).mark();
      tensorEntry(p, 'w', 'FloatStorage', '0', 6, offset, [2, 3], [3, 1]);
      return p.op(0x75).stop();
    };
    const bad = makeZip([{ name: 'a/data.pkl', data: dict(2) }, { name: 'a/data/0', data: storage0 }]);
    expect(formatError(() => readPytorch(bad, 'v.pth')).message).toMatch(/v\.pth: tensor w \[2,3\] .* reaches element 7 of a storage with 6 elements/);
    const missing = makeZip([{ name: 'a/data.pkl', data: dict(0) }]);
    expect(formatError(() => readPytorch(missing, 'v.pth')).message).toMatch(/storage 0 is missing \(no a\/data\/0/);
  });
});

// ---- hostile pickles ----

function osSystem(cmd: string): Uint8Array {
  return new PickleBytes().proto(2).global('os', 'system').shortStr(cmd).op(0x85, 0x52).stop(); // TUPLE1, REDUCE
}

function stackGlobal(module: string, name: string, arg: string): Uint8Array {
  return new PickleBytes().proto(4).shortStr(module).op(0x94).shortStr(name).op(0x94).op(0x93)
    .shortStr(arg).op(0x94, 0x85, 0x94, 0x52, 0x94).stop();
}

function inZip(pkl: Uint8Array): Uint8Array {
  return makeZip([{ name: 'evil/data.pkl', data: pkl }, { name: 'evil/version', data: new TextEncoder().encode('3\n') }]);
}

const refusal = (what: string) => new RegExp(`^refusing to load evil\\.pth.*: pickle references ${what.replace('.', '\\.')}, which is not a tensor type \\(only state_dict contents are allowed\\)$`);

describe('PyTorch reader never runs pickled code', () => {
  const marker = join(tmpdir(), `vivid-pwned-${process.pid}`);

  it('refuses GLOBAL os.system (bare pickle, zip, and in the state_dict slot of a legacy file)', () => {
    expect(formatError(() => readPytorch(osSystem(`touch ${marker}`), 'evil.pth')).message).toMatch(refusal('os.system'));
    expect(formatError(() => readPytorch(inZip(osSystem(`touch ${marker}`)), 'evil.pth')).message).toMatch(refusal('os.system'));
    const legacy = concat([...legacyHeader(), osSystem(`touch ${marker}`)]);
    expect(formatError(() => readPytorch(legacy, 'evil.pth')).message).toMatch(refusal('os.system'));
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses STACK_GLOBAL builtins.eval and other dangerous names', () => {
    expect(formatError(() => readPytorch(stackGlobal('builtins', 'eval', 'print(1)'), 'evil.pth')).message).toMatch(refusal('builtins.eval'));
    expect(formatError(() => readPytorch(inZip(stackGlobal('builtins', 'eval', 'print(1)')), 'evil.pth')).message).toMatch(refusal('builtins.eval'));
    for (const [m, n] of [['posix', 'system'], ['subprocess', 'Popen'], ['torch.storage', '_load_from_bytes'], ['builtins', 'getattr'], ['numpy.core.multiarray', '_reconstruct']]) {
      const legacy = concat([...legacyHeader(), stackGlobal(m!, n!, 'x')]);
      expect(formatError(() => readPytorch(legacy, 'evil.pth')).message).toMatch(refusal(`${m}.${n}`));
    }
  });

  it('refuses object-building opcodes and whole pickled modules', () => {
    const inst = new PickleBytes().proto(0).mark().str('x').op(0x69, ...new TextEncoder().encode('os\nsystem\n')).stop();
    expect(formatError(() => readPytorch(inZip(inst), 'evil.pth')).message).toMatch(/opcode INST is not allowed/);
    const module = new PickleBytes().proto(2).tuple((q) => q.str('module'), (q) => q.str('Net'), (q) => q.str('src')).op(0x51).stop();
    expect(formatError(() => readPytorch(inZip(module), 'evil.pth')).message).toMatch(/refusing to load evil\.pth: it pickles a 'module' object/);
  });
});

// ---- damaged files ----

const realFiles = [[...LEFT, 'netG_epoch_4_100.pth'], SRRESNET].filter((f) => hasShared(...f));

describe.skipIf(realFiles.length === 0)('damaged PyTorch checkpoints give clear errors', () => {
  it('truncated at many points', () => {
    for (const f of realFiles) {
      const bytes = readFileSync(sharedPath(...f));
      const cuts = [0, 1, 2, 8, 21, 22, 100, 137, 138, 500, 5000, 8929, 8930, 10597, 10601, 10700, 16300, bytes.length >> 1, bytes.length - 4, bytes.length - 1];
      for (const cut of cuts) {
        const e = formatError(() => readPytorch(bytes.subarray(0, cut), 'cut.pth'));
        expect(e.message, `cut at ${cut}`).toMatch(/cut\.pth/);
      }
    }
  });

  it('random byte corruption either loads or fails with a WeightsFormatError', () => {
    const rng = new Rng(Number(process.env.VIVID_TEST_SEED ?? 1234));
    for (const f of realFiles) {
      const original = readFileSync(sharedPath(...f));
      const isZip = original[0] === 0x50;
      let failures = 0;
      for (let trial = 0; trial < 100; trial++) {
        const bytes = new Uint8Array(original);
        // Legacy: hit the pickles (corrupt float data is undetectable); zip: hit anything (CRC).
        const region = isZip ? bytes.length : 10700;
        for (let k = 0; k < 3; k++) bytes[rng.int(region)] = rng.int(256);
        try { readPytorch(bytes, 'bad.pth'); } catch (e) {
          if (!(e instanceof WeightsFormatError)) throw new Error(`trial ${trial}: ${(e as Error).name}: ${(e as Error).message}`);
          expect(e.message).toMatch(/bad\.pth/);
          failures++;
        }
      }
      expect(failures).toBeGreaterThan(30);
    }
  });

  it('random garbage after a pickle PROTO fails cleanly', () => {
    const rng = new Rng(Number(process.env.VIVID_TEST_SEED ?? 99));
    for (let trial = 0; trial < 2000; trial++) {
      const bytes = new Uint8Array(2 + rng.int(64));
      bytes[0] = 0x80;
      bytes[1] = 2;
      for (let i = 2; i < bytes.length; i++) bytes[i] = rng.int(256);
      expect(() => readPytorch(bytes, 'junk.pth')).toThrow(WeightsFormatError);
    }
    expect(formatError(() => readPytorch(new Uint8Array([1, 2, 3]), 'junk.pth')).message).toMatch(/junk\.pth: not a PyTorch checkpoint/);
  });
});

describe('allowlist matching is exact', () => {
  it('does not resolve a global whose module/name split differs from the allowlisted one', () => {
    const p = new PickleBytes().proto(2).global('torch', '_utils._rebuild_tensor_v2').stop();
    expect(formatError(() => readPytorch(inZip(p), 'evil.pth')).message).toMatch(/pickle references torch\._utils\._rebuild_tensor_v2, which is not a tensor type/);
  });
});
