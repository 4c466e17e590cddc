// Hand-assembled pickles and zip archives for the weight-reader tests (so hostile and unusual
// inputs can be built byte by byte without Python).

import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../src/io/weights/zip.ts';

export class PickleBytes {
  private out: number[] = [];

  op(...codes: number[]): this { this.out.push(...codes); return this; }
  proto(n: number): this { return this.op(0x80, n); }
  u32le(v: number): number[] { return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff]; }
  /** BINUNICODE (works at any protocol ≥ 1). */
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58, ...this.u32le(b.length), ...b);
  }
  shortStr(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x8c, b.length, ...b);
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.op(0x4b, v);
    if (v >= 0 && v < 65536) return this.op(0x4d, v & 0xff, v >> 8);
    return this.op(0x4a, ...this.u32le(v));
  }
  /** GLOBAL 'module\nname\n' */
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  tuple(...items: Array<(p: this) => void>): this {
    this.op(0x28);
    for (const f of items) f(this);
    return this.op(0x74);
  }
  ints(...v: number[]): this { return this.tuple(...v.map((x) => (p: this) => { p.int(x); })); }
  mark(): this { return this.op(0x28); }
  stop(): Uint8Array { this.op(0x2e); return new Uint8Array(this.out); }
}

/** A torch-style tensor entry: key, then _rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict()). */
export function tensorEntry(p: PickleBytes, key: string, storageType: string, storageKey: string, numel: number,
  offset: number, size: number[], stride: number[]): void {
  p.str(key).global('torch._utils', '_rebuild_tensor_v2');
  p.mark();
  p.tuple((q) => q.str('storage'), (q) => q.global('torch', storageType), (q) => q.str(storageKey), (q) => q.str('cpu'), (q) => q.int(numel));
  p.op(0x51); // BINPERSID
  p.int(offset).ints(...size).ints(...stride).op(0x89); // NEWFALSE
  p.global('collections', 'OrderedDict').op(0x29, 0x52); // OrderedDict()
  p.op(0x74, 0x52); // TUPLE, REDUCE
}

export interface ZipInput { name: string; data: Uint8Array; deflate?: boolean }

/** A plain zip archive (local headers, central directory, end record). */
export function makeZip(entries: ZipInput[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const body = e.deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = crc32(e.data);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, e.deflate ? 8 : 0, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, e.deflate ? 8 : 0, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, body);
    central.push(cd);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((s, a) => s + a.length, 0));
  let p = 0;
  for (const a of all) { out.set(a, p); p += a.length; }
  return out;
}
