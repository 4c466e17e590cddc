// A minimal zip reader: central directory (with ZIP64), STORED and DEFLATE entries, CRC check.
// Enough for PyTorch ≥ 1.6 checkpoints, which are zip archives written by miniz.

import * as zlib from 'node:zlib';
import { WeightsFormatError } from './types.ts';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private view: DataView;

  constructor(private bytes: Uint8Array, private source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readCentralDirectory();
  }

  private fail(msg: string): never {
    throw new WeightsFormatError(`${this.source}: ${msg}`);
  }

  private u16(p: number): number { return this.view.getUint16(p, true); }
  private u32(p: number): number { return this.view.getUint32(p, true); }
  private u64(p: number): number {
    const v = this.view.getBigUint64(p, true);
    if (v > BigInt(this.bytes.length)) this.fail(`zip: a ZIP64 size or offset (${v}) is beyond the end of the file`);
    return Number(v);
  }

  private readCentralDirectory(): void {
    const len = this.bytes.length;
    // The end-of-central-directory record is the last thing in the file, followed only by a
    // comment of at most 65535 bytes; search backwards for its signature.
    let eocd = -1;
    for (let p = len - 22; p >= 0 && p >= len - 22 - 0xffff; p--) {
      if (this.u32(p) === SIG_EOCD && p + 22 + this.u16(p + 20) === len) { eocd = p; break; }
    }
    if (eocd < 0) this.fail('zip: no end-of-central-directory record (truncated or not a zip archive)');
    if (this.u16(eocd + 4) !== 0 || this.u16(eocd + 6) !== 0) this.fail('zip: multi-disk archives are not supported');

    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_EOCD64_LOCATOR) this.fail('zip: ZIP64 locator missing');
      const e64 = this.u64(loc + 8);
      if (e64 + 56 > loc || this.u32(e64) !== SIG_EOCD64) this.fail('zip: ZIP64 end record missing or damaged');
      count = this.u64(e64 + 32);
      cdSize = this.u64(e64 + 40);
      cdOffset = this.u64(e64 + 48);
    }
    if (cdOffset + cdSize > eocd) {
      this.fail(`truncated: the zip directory claims bytes ${cdOffset}..${cdOffset + cdSize} but the archive ends at ${eocd}`);
    }
    if (count * 46 > cdSize) this.fail(`zip: ${count} entries cannot fit in a ${cdSize}-byte directory`);

    const dec = new TextDecoder('utf-8');
    let p = cdOffset;
    const end = cdOffset + cdSize;
    for (let i = 0; i < count; i++) {
      if (p + 46 > end || this.u32(p) !== SIG_CENTRAL) this.fail(`zip: directory entry ${i} is damaged`);
      const flags = this.u16(p + 8);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const commentLen = this.u16(p + 32);
      const next = p + 46 + nameLen + extraLen + commentLen;
      if (next > end) this.fail(`zip: directory entry ${i} runs past the directory`);
      const name = dec.decode(this.bytes.subarray(p + 46, p + 46 + nameLen));
      if (flags & 1) this.fail(`zip: entry ${name} is encrypted`);
      const entry: ZipEntry = {
        name,
        method: this.u16(p + 10),
        crc32: this.u32(p + 16),
        compressedSize: this.u32(p + 20),
        size: this.u32(p + 24),
        localHeaderOffset: this.u32(p + 42),
      };
      this.applyZip64(entry, p + 46 + nameLen, extraLen);
      if (this.entries.has(name)) this.fail(`zip: entry ${name} appears twice`);
      this.entries.set(name, entry);
      p = next;
    }
  }

  /** Sizes and offsets that overflow 32 bits are 0xffffffff and live in the ZIP64 extra field. */
  private applyZip64(e: ZipEntry, extra: number, extraLen: number): void {
    const end = extra + extraLen;
    for (let p = extra; p + 4 <= end;) {
      const id = this.u16(p);
      const size = this.u16(p + 2);
      if (p + 4 + size > end) break;
      if (id === 0x0001) {
        let q = p + 4;
        const field = (): number => {
          if (q + 8 > p + 4 + size) this.fail(`zip: ZIP64 field of ${e.name} is too short`);
          const v = this.u64(q);
          q += 8;
          return v;
        };
        if (e.size === 0xffffffff) e.size = field();
        if (e.compressedSize === 0xffffffff) e.compressedSize = field();
        if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = field();
      }
      p += 4 + size;
    }
  }

  /** The uncompressed bytes of an entry (a view into the archive when STORED), CRC-checked. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail(`zip: no entry named ${name}`);
    const h = e.localHeaderOffset;
    if (h + 30 > this.bytes.length || this.u32(h) !== SIG_LOCAL) this.fail(`zip: local header of ${name} is missing or damaged`);
    const start = h + 30 + this.u16(h + 26) + this.u16(h + 28);
    const end = start + e.compressedSize;
    if (end > this.bytes.length) {
      this.fail(`truncated: zip entry ${name} needs bytes ${start}..${end} but the file has ${this.bytes.length}`);
    }
    const raw = this.bytes.subarray(start, end);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) this.fail(`zip: STORED entry ${name} has different stored and real sizes`);
      data = raw;
    } else if (e.method === 8) {
      try {
        data = e.size === 0 ? new Uint8Array(0) : zlib.inflateRawSync(raw, { maxOutputLength: e.size });
      } catch (err) {
        this.fail(`zip: entry ${name} does not inflate (${(err as Error).message})`);
      }
      if (data.length !== e.size) this.fail(`zip: entry ${name} inflates to ${data.length} bytes, expected ${e.size}`);
    } else {
      this.fail(`zip: entry ${name} uses compression method ${e.method} (only STORED and DEFLATE are supported)`);
    }
    if (crc32(data) !== e.crc32) this.fail(`zip: CRC mismatch in entry ${name} (the file is corrupted)`);
    return data;
  }
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE): zlib's native one when this Node has it, else a table-driven fallback. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) return native(data) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
