// TensorFlow.js layers models: model.json lists weight groups; each group's shard files,
// concatenated in order, hold that group's weights back to back (little-endian), possibly
// quantised (uint8/uint16 affine, or float16).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { decodeElements, halfToFloat } from './dtypes.ts';
import { type DType, type NamedTensor, type TensorData, WeightsFormatError, numel } from './types.ts';

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

const TFJS_DTYPES: Record<string, { size: number; dtype: DType }> = {
  float32: { size: 4, dtype: 'F32' },
  int32: { size: 4, dtype: 'I32' },
  bool: { size: 1, dtype: 'BOOL' },
};
const QUANT_SIZES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** Read every weight of a tfjs model. `path` is the model folder or its model.json. */
export function readTfjsLayersModel(path: string): Map<string, NamedTensor> {
  const modelJson = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.json') : path;
  const dir = dirname(modelJson);
  const fail = (msg: string): never => { throw new WeightsFormatError(`${modelJson}: ${msg}`); };
  if (!existsSync(modelJson)) fail('not found');

  let model: unknown;
  try {
    model = JSON.parse(readFileSync(modelJson, 'utf8'));
  } catch (e) {
    fail(`is not valid JSON (${(e as Error).message})`);
  }
  const manifest = (model as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) fail('has no weightsManifest array (not a tfjs model?)');

  const out = new Map<string, NamedTensor>();
  (manifest as unknown[]).forEach((group, g) => {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string') || !Array.isArray(weights)) {
      fail(`weightsManifest[${g}] needs "paths" (strings) and "weights"`);
    }
    const bytes = readShards(dir, paths as string[], fail);
    let pos = 0;
    for (const w of weights as ManifestWeight[]) {
      const spec = parseWeight(w, g, fail);
      if (out.has(spec.name)) fail(`weight ${spec.name} appears twice`);
      const need = numel(spec.shape) * spec.elementSize;
      if (pos + need > bytes.length) {
        fail(`group ${g} (${(paths as string[]).join(', ')}): shards hold ${bytes.length} bytes but the weights up to ${spec.name} need ${pos + need}`);
      }
      out.set(spec.name, { name: spec.name, shape: spec.shape, dtype: spec.dtype, data: decodeWeight(bytes, pos, w, spec), ...(w.quantization ? { sourceDtype: w.quantization.dtype } : {}) });
      pos += need;
    }
    if (pos !== bytes.length) fail(`group ${g} (${(paths as string[]).join(', ')}): shards hold ${bytes.length} bytes but its weights use ${pos}`);
  });
  return out;
}

function readShards(dir: string, paths: string[], fail: (msg: string) => never): Uint8Array {
  const parts = paths.map((p) => {
    // Shard paths come from the file: keep them inside the model folder.
    const full = resolve(dir, p);
    const rel = relative(dir, full);
    if (rel.startsWith('..') || isAbsolute(rel)) fail(`shard path "${p}" points outside the model folder`);
    if (!existsSync(full)) fail(`missing weight shard ${basename(full)} (expected at ${full})`);
    return readFileSync(full);
  });
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

interface WeightSpec { name: string; shape: number[]; dtype: DType; elementSize: number }

function parseWeight(w: ManifestWeight, g: number, fail: (msg: string) => never): WeightSpec {
  if (typeof w?.name !== 'string') fail(`weightsManifest[${g}] has a weight without a name`);
  if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`weight ${w.name} has an invalid shape`);
  const base = TFJS_DTYPES[w.dtype];
  if (!base) fail(`weight ${w.name} has unsupported dtype ${JSON.stringify(w.dtype)}`);
  let elementSize = base!.size;
  let dtype = base!.dtype;
  const q = w.quantization;
  if (q) {
    const qsize = QUANT_SIZES[q.dtype];
    if (!qsize) fail(`weight ${w.name} has unsupported quantization dtype ${JSON.stringify(q.dtype)}`);
    if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number')) fail(`weight ${w.name}: quantization needs scale and min`);
    elementSize = qsize!;
    if (q.dtype === 'float16') dtype = 'F32';
  }
  return { name: w.name, shape: w.shape, dtype, elementSize };
}

function decodeWeight(bytes: Uint8Array, pos: number, w: ManifestWeight, spec: WeightSpec): TensorData {
  const n = numel(spec.shape);
  const q = w.quantization;
  if (!q) return decodeElements(bytes, pos, n, spec.dtype);
  if (q.dtype === 'float16') return halfToFloat(decodeElements(bytes, pos, n, 'U16') as Uint16Array);
  // Affine quantisation: value = q * scale + min (rounded back for int32 originals).
  const raw = decodeElements(bytes, pos, n, q.dtype === 'uint8' ? 'U8' : 'U16') as Uint8Array | Uint16Array;
  const out = spec.dtype === 'I32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = raw[i]! * q.scale! + q.min!;
    out[i] = spec.dtype === 'I32' ? Math.round(v) : v;
  }
  return out;
}
