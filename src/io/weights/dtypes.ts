// Decoding raw little-endian element bytes into the typed arrays a NamedTensor carries.
// All weight formats here store little-endian data; we copy (never view) the bytes because
// offsets inside a file are not necessarily aligned to the element size.

import { type DType, type TensorData, WeightsFormatError } from './types.ts';

/** Element types as they appear in files (a superset of DType: F16/BF16/F64 get converted). */
export type FileDType = DType | 'F64' | 'F16' | 'BF16';

export const FILE_DTYPE_SIZE: Record<FileDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

export function isFileDType(s: unknown): s is FileDType {
  return typeof s === 'string' && Object.hasOwn(FILE_DTYPE_SIZE, s);
}

/** The dtype a file dtype becomes after loading. */
export function loadedDType(t: FileDType): DType {
  return t === 'F64' || t === 'F16' || t === 'BF16' ? 'F32' : t;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Copy `count` elements of type `t` starting at byte `start` of `bytes` into a fresh typed array. */
export function decodeElements(bytes: Uint8Array, start: number, count: number, t: FileDType): TensorData {
  if (!hostIsLittleEndian) throw new WeightsFormatError('weights loading needs a little-endian host');
  const size = FILE_DTYPE_SIZE[t];
  const end = start + count * size;
  if (start < 0 || end > bytes.length) {
    throw new WeightsFormatError(`internal: element range ${start}..${end} outside ${bytes.length} bytes`);
  }
  // Copy into a fresh, aligned ArrayBuffer (not bytes.slice(): on a Node Buffer that is a view).
  const copy = new Uint8Array(end - start);
  copy.set(bytes.subarray(start, end));
  const buf = copy.buffer;
  switch (t) {
    case 'F32': return new Float32Array(buf);
    case 'F64': return Float32Array.from(new Float64Array(buf));
    case 'F16': return halfToFloat(new Uint16Array(buf));
    case 'BF16': {
      const src = new Uint16Array(buf);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = src[i]! << 16; // bf16 is the top half of an f32
      return new Float32Array(bits.buffer);
    }
    case 'I64': return new BigInt64Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'I16': return new Int16Array(buf);
    case 'I8': return new Int8Array(buf);
    case 'U64': return new BigUint64Array(buf);
    case 'U32': return new Uint32Array(buf);
    case 'U16': return new Uint16Array(buf);
    case 'U8': case 'BOOL': return new Uint8Array(buf);
  }
}

/** IEEE half → float, including subnormals, infinities and NaN. */
export function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    const sign = v & 0x8000 ? -1 : 1;
    const exp = (v >> 10) & 0x1f;
    const frac = v & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** A fresh typed array of the same kind as `like`. */
export function allocLike(like: TensorData, n: number): TensorData {
  const ctor = like.constructor as new (n: number) => TensorData;
  return new ctor(n);
}

/** Raw little-endian bytes of a typed array (a view, no copy). */
export function bytesOf(data: TensorData): Uint8Array {
  if (!hostIsLittleEndian) throw new WeightsFormatError('weights writing needs a little-endian host');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The typed-array class each loaded dtype must use (checked by writers). */
export const ARRAY_TYPE: Record<DType, abstract new (...args: never[]) => TensorData> = {
  F32: Float32Array, I64: BigInt64Array, I32: Int32Array, I16: Int16Array, I8: Int8Array,
  U64: BigUint64Array, U32: Uint32Array, U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array,
};
