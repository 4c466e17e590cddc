// safetensors: u64 little-endian header length N, N bytes of JSON header, then the data area.
// Header: { "__metadata__"?: {str: str}, name: { dtype, shape, data_offsets: [begin, end] } }
// with offsets relative to the data area. The reader validates everything before it touches
// the data so a damaged or hostile file fails with a message that says what is wrong.

import { ARRAY_TYPE, FILE_DTYPE_SIZE, bytesOf, decodeElements, isFileDType, loadedDType, type FileDType } from './dtypes.ts';
import { type NamedTensor, WeightsFormatError, numel } from './types.ts';

/** Headers are small (a few KB per thousand tensors); a huge value means a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsContents {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

interface Entry { name: string; dtype: FileDType; shape: number[]; begin: number; end: number }

export function readSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsContents {
  const fail = (msg: string): never => { throw new WeightsFormatError(`${source}: ${msg}`); };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) fail(`truncated: header says its JSON is ${n} bytes but only ${bytes.length - 8} bytes follow`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) fail('header JSON is not an object');

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!isPlainObject(value)) fail('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.push(parseEntry(name, value, fail));
  }

  // Spans must tile the data area exactly: sorted, no gaps, no overlaps, ending at its end.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const maxEnd = sorted.reduce((m, e) => Math.max(m, e.end), 0);
  if (maxEnd > dataLen) fail(`truncated: header says ${maxEnd} bytes of data but the file has ${dataLen}`);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) {
      const prev = sorted[sorted.indexOf(e) - 1]!;
      fail(`tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${e.name}" [${e.begin}, ${e.end}) overlap`);
    }
    if (e.begin > pos) fail(`data bytes [${pos}, ${e.begin}) before "${e.name}" belong to no tensor`);
    pos = e.end;
  }
  if (pos < dataLen) fail(`${dataLen - pos} trailing data bytes after the last tensor belong to no tensor`);

  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) {
    const t: NamedTensor = {
      name: e.name,
      shape: e.shape,
      dtype: loadedDType(e.dtype),
      data: decodeElements(bytes, dataStart + e.begin, numel(e.shape), e.dtype),
    };
    if (t.dtype !== e.dtype) t.sourceDtype = e.dtype;
    tensors.set(e.name, t);
  }
  return { tensors, metadata };
}

function parseEntry(name: string, value: unknown, fail: (msg: string) => never): Entry {
  if (!isPlainObject(value)) fail(`entry "${name}" is not an object`);
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (k !== 'dtype' && k !== 'shape' && k !== 'data_offsets') fail(`entry "${name}" has unknown field "${k}"`);
  }
  const { dtype, shape, data_offsets: offs } = v;
  if (!isFileDType(dtype)) fail(`entry "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`entry "${name}" has an invalid shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isIndex) || offs[0] > offs[1]) {
    fail(`entry "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
  }
  const [begin, end] = offs as [number, number];
  const t = dtype as FileDType;
  const dims = shape as number[];
  const want = numel(dims) * FILE_DTYPE_SIZE[t];
  if (end - begin !== want) {
    fail(`entry "${name}": shape [${dims}] of ${t} needs ${want} bytes but data_offsets span ${end - begin}`);
  }
  return { name, dtype: t, shape: dims, begin, end };
}

/** Serialise tensors (in map order) and string metadata. The header is padded with spaces to a
 *  multiple of 8 bytes so the data area, and thus every 8-byte element, starts aligned. */
export function writeSafetensors(tensors: Map<string, NamedTensor> | Iterable<NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const list = tensors instanceof Map ? [...tensors.values()] : [...tensors];
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`writeSafetensors: metadata "${k}" is not a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const t of list) {
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) {
      throw new TypeError(`writeSafetensors: tensor name "${t.name}" is reserved or repeated`);
    }
    if (!(t.data instanceof ARRAY_TYPE[t.dtype])) {
      throw new TypeError(`writeSafetensors: "${t.name}" is ${t.dtype} but holds a ${t.data.constructor.name}`);
    }
    if (t.data.length !== numel(t.shape)) {
      throw new TypeError(`writeSafetensors: "${t.name}" has ${t.data.length} elements but shape [${t.shape}]`);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const t of list) {
    out.set(bytesOf(t.data), pos);
    pos += t.data.byteLength;
  }
  return out;
}

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
