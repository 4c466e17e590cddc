// A restricted pickle reader. It runs the pickle stack machine over plain data only:
// GLOBAL names are looked up in a caller-supplied allowlist and anything else is refused,
// so a hostile file can never make us run code. It understands protocols 0-5 well enough
// for PyTorch state_dicts; opcodes that instantiate arbitrary classes (INST, OBJ, NEWOBJ_EX,
// EXT*) or that need out-of-band buffers are refused.
//
// Python values map to JS as: None → null, bool → boolean, int → number (bigint beyond 2^53),
// float → number, str → string, bytes → Uint8Array, list → array, tuple → frozen array,
// dict → Map, set/frozenset → Set.

import { WeightsFormatError } from './types.ts';

/** A pure-data stand-in for an allowlisted Python callable (class or function). */
export class PyCallable {
  constructor(
    readonly qualname: string,
    readonly call: (args: readonly unknown[]) => unknown,
  ) {}
}

/** Objects that accept the BUILD opcode (Python's __setstate__) implement this method. */
export const SET_STATE = Symbol('pickle.setState');
export interface Buildable { [SET_STATE](state: unknown): void }

export interface UnpickleOptions {
  /** The file name used in every error message. */
  source: string;
  /** Value for an allowlisted `module.name`, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): unknown;
  /** Value for a persistent id (BINPERSID); without it persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
}

export interface UnpickleResult { value: unknown; end: number }

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Run one pickle starting at byte `start` of `bytes` until its STOP opcode. */
export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): UnpickleResult {
  return new Machine(bytes, start, opts).run();
}

class Machine {
  private pos: number;
  private opPos = 0;
  private stack: unknown[] = [];
  private marks: number[] = [];
  private memo = new Map<number, unknown>();
  private view: DataView;

  constructor(private bytes: Uint8Array, private start: number, private opts: UnpickleOptions) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): UnpickleResult {
    try {
      for (;;) {
        this.opPos = this.pos;
        const op = this.u8();
        if (op === 0x2e /* STOP */) {
          if (this.stack.length === 0) this.fail('STOP with an empty stack');
          return { value: this.stack.pop(), end: this.pos };
        }
        this.step(op);
      }
    } catch (e) {
      if (e instanceof WeightsFormatError) throw e;
      // Safety net: any other exception here comes from malformed input (e.g. a RangeError);
      // report it as a file problem rather than as a crash.
      throw new WeightsFormatError(`${this.opts.source}: corrupt pickle at byte ${this.opPos}: ${(e as Error).message}`);
    }
  }

  private fail(msg: string): never {
    throw new WeightsFormatError(`${this.opts.source}: corrupt pickle at byte ${this.opPos}: ${msg}`);
  }

  // ---- reading primitives (all bounds-checked) ----

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.bytes.length) {
      const where = this.pos === this.opPos
        ? `the pickle that starts at byte ${this.start} has no STOP opcode before the end of the data`
        : `opcode 0x${this.bytes[this.opPos]!.toString(16)} at byte ${this.opPos} needs ${n} more bytes`;
      throw new WeightsFormatError(`${this.opts.source}: truncated: ${where} (${this.bytes.length} bytes)`);
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }
  private u8(): number { return this.bytes[this.need(1)]!; }
  private u16(): number { return this.view.getUint16(this.need(2), true); }
  private u32(): number { return this.view.getUint32(this.need(4), true); }
  private i32(): number { return this.view.getInt32(this.need(4), true); }
  private u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.bytes.length)) this.fail(`length ${v} is larger than the file`);
    return Number(v);
  }
  private take(n: number): Uint8Array { const p = this.need(n); return this.bytes.subarray(p, p + n); }
  private line(): string {
    const nl = this.bytes.indexOf(0x0a, this.pos);
    if (nl < 0) this.need(this.bytes.length - this.pos + 1); // reports truncation
    const s = latin1.decode(this.bytes.subarray(this.pos, nl));
    this.pos = nl + 1;
    return s;
  }
  private str(n: number): string {
    try { return utf8.decode(this.take(n)); } catch { return this.fail('string is not valid UTF-8'); }
  }

  // ---- stack helpers ----

  private push(v: unknown): void { this.stack.push(v); }
  private pop(): unknown {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1)) this.fail('stack underflow');
    return this.stack.pop();
  }
  private top(): unknown {
    if (this.stack.length === 0) this.fail('stack underflow');
    return this.stack[this.stack.length - 1];
  }
  private popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('no MARK on the stack');
    return this.stack.splice(m);
  }
  private list(v: unknown): unknown[] {
    if (!Array.isArray(v) || Object.isFrozen(v)) this.fail('APPEND to something that is not a list');
    return v;
  }
  private dict(v: unknown): Map<unknown, unknown> {
    if (!(v instanceof Map)) this.fail('SETITEM on something that is not a dict');
    return v;
  }
  private memoGet(i: number): void {
    if (!this.memo.has(i)) this.fail(`memo key ${i} was never stored`);
    this.push(this.memo.get(i));
  }

  private global(module: string, name: string): void {
    const value = this.opts.resolveGlobal(module, name);
    if (value === undefined) {
      throw new WeightsFormatError(
        `refusing to load ${this.opts.source}: pickle references ${module}.${name}, which is not a tensor type ` +
        '(only state_dict contents are allowed)');
    }
    this.push(value);
  }

  private callValue(fn: unknown, args: unknown): void {
    if (!(fn instanceof PyCallable)) this.fail(`calls ${describe(fn)}, which is not callable`);
    if (!Array.isArray(args)) this.fail(`${fn.qualname} called with ${describe(args)} instead of an argument tuple`);
    try {
      this.push(fn.call(args));
    } catch (e) {
      const msg = (e as Error).message;
      throw new WeightsFormatError(`${this.opts.source}: ${fn.qualname} at byte ${this.opPos}: ${msg}`);
    }
  }

  private step(op: number): void {
    switch (op) {
      case 0x80: { const proto = this.u8(); if (proto > 5) this.fail(`unknown pickle protocol ${proto}`); return; } // PROTO
      case 0x95: this.u64(); return; // FRAME: a length hint only
      case 0x28: this.marks.push(this.stack.length); return; // MARK
      case 0x30: this.pop(); return; // POP
      case 0x31: this.popMark(); return; // POP_MARK
      case 0x32: this.push(this.top()); return; // DUP

      case 0x4e: this.push(null); return; // NONE
      case 0x88: this.push(true); return; // NEWTRUE
      case 0x89: this.push(false); return; // NEWFALSE
      case 0x4a: this.push(this.i32()); return; // BININT
      case 0x4b: this.push(this.u8()); return; // BININT1
      case 0x4d: this.push(this.u16()); return; // BININT2
      case 0x8a: this.push(this.long(this.u8())); return; // LONG1
      case 0x8b: { const n = this.i32(); if (n < 0) this.fail('negative LONG4 length'); this.push(this.long(n)); return; }
      case 0x47: this.push(this.view.getFloat64(this.need(8), false)); return; // BINFLOAT (big-endian)
      case 0x49: this.push(this.textInt(this.line(), true)); return; // INT
      case 0x4c: this.push(this.textInt(this.line().replace(/L$/, ''), false)); return; // LONG
      case 0x46: { // FLOAT
        const s = this.line().trim();
        const v = Number(s);
        if (s === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s))) this.fail(`bad FLOAT literal "${s}"`);
        this.push(v);
        return;
      }

      case 0x58: this.push(this.str(this.u32())); return; // BINUNICODE
      case 0x8c: this.push(this.str(this.u8())); return; // SHORT_BINUNICODE
      case 0x8d: this.push(this.str(this.u64())); return; // BINUNICODE8
      case 0x54: { const n = this.i32(); if (n < 0) this.fail('negative BINSTRING length'); this.push(latin1.decode(this.take(n))); return; }
      case 0x55: this.push(latin1.decode(this.take(this.u8()))); return; // SHORT_BINSTRING (Python 2 str)
      case 0x42: this.push(copyBytes(this.take(this.u32()))); return; // BINBYTES
      case 0x43: this.push(copyBytes(this.take(this.u8()))); return; // SHORT_BINBYTES
      case 0x8e: case 0x96: this.push(copyBytes(this.take(this.u64()))); return; // BINBYTES8, BYTEARRAY8

      case 0x5d: this.push([]); return; // EMPTY_LIST
      case 0x6c: this.push(this.popMark()); return; // LIST
      case 0x61: { const v = this.pop(); this.list(this.top()).push(v); return; } // APPEND
      case 0x65: { const items = this.popMark(); this.list(this.top()).push(...items); return; } // APPENDS
      case 0x29: this.push(Object.freeze([])); return; // EMPTY_TUPLE
      case 0x74: this.push(Object.freeze(this.popMark())); return; // TUPLE
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = op - 0x84;
        if (this.stack.length - n < (this.marks.at(-1) ?? 0)) this.fail('stack underflow');
        this.push(Object.freeze(this.stack.splice(this.stack.length - n)));
        return;
      }
      case 0x7d: this.push(new Map()); return; // EMPTY_DICT
      case 0x64: this.push(this.pairs(new Map(), this.popMark())); return; // DICT
      case 0x73: { const v = this.pop(); const k = this.pop(); this.dict(this.top()).set(k, v); return; } // SETITEM
      case 0x75: { const items = this.popMark(); this.pairs(this.dict(this.top()), items); return; } // SETITEMS
      case 0x8f: this.push(new Set()); return; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = this.popMark();
        const s = this.top();
        if (!(s instanceof Set)) this.fail('ADDITEMS on something that is not a set');
        for (const x of items) s.add(x);
        return;
      }
      case 0x91: this.push(new Set(this.popMark())); return; // FROZENSET

      case 0x68: this.memoGet(this.u8()); return; // BINGET
      case 0x6a: this.memoGet(this.u32()); return; // LONG_BINGET
      case 0x67: this.memoGet(this.textIndex(this.line())); return; // GET
      case 0x71: this.memo.set(this.u8(), this.top()); return; // BINPUT
      case 0x72: this.memo.set(this.u32(), this.top()); return; // LONG_BINPUT
      case 0x70: this.memo.set(this.textIndex(this.line()), this.top()); return; // PUT
      case 0x94: this.memo.set(this.memo.size, this.top()); return; // MEMOIZE

      case 0x63: { const module = this.line(); const name = this.line(); this.global(module, name); return; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
        this.global(module, name);
        return;
      }
      case 0x52: { const args = this.pop(); this.callValue(this.pop(), args); return; } // REDUCE
      case 0x81: { const args = this.pop(); this.callValue(this.pop(), args); return; } // NEWOBJ: cls(*args) for our pure constructors
      case 0x62: { // BUILD
        const state = this.pop();
        const obj = this.top() as Partial<Buildable> | null;
        if (typeof obj !== 'object' || obj === null || typeof obj[SET_STATE] !== 'function') {
          this.fail(`BUILD (set object state) on ${describe(obj)} is not allowed`);
        }
        (obj as Buildable)[SET_STATE](state);
        return;
      }
      case 0x51: { // BINPERSID
        const pid = this.pop();
        if (!this.opts.persistentLoad) this.fail('persistent ids are not allowed here');
        this.push(this.opts.persistentLoad(pid));
        return;
      }
    }
    const name = REFUSED[op];
    if (name) this.fail(`opcode ${name} is not allowed (it is not needed for tensor data)`);
    this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
  }

  private pairs(d: Map<unknown, unknown>, items: unknown[]): Map<unknown, unknown> {
    if (items.length % 2) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
    return d;
  }

  private long(n: number): number | bigint {
    const b = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n); // two's complement
    return toNumber(v);
  }

  private textInt(s: string, allowBool: boolean): number | bigint | boolean {
    if (allowBool && s === '01') return true; // protocol 0 spells booleans as INT 01 / 00
    if (allowBool && s === '00') return false;
    if (!/^[+-]?\d+$/.test(s)) this.fail(`bad integer literal "${s.slice(0, 40)}"`);
    return toNumber(BigInt(s));
  }

  private textIndex(s: string): number {
    if (!/^\d{1,10}$/.test(s)) this.fail(`bad memo index "${s.slice(0, 40)}"`);
    return Number(s);
  }
}

const REFUSED: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x92: 'NEWOBJ_EX', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4',
  0x50: 'PERSID', 0x53: 'STRING', 0x56: 'UNICODE', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** A private copy (Uint8Array.slice on a Node Buffer would return a view). */
function copyBytes(b: Uint8Array): Uint8Array {
  const c = new Uint8Array(b.length);
  c.set(b);
  return c;
}

function toNumber(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** A short description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyCallable) return v.qualname;
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'a tuple' : 'a list';
  if (v instanceof Map) return 'a dict';
  if (typeof v === 'object') return `a ${v.constructor?.name ?? 'object'}`;
  return `a ${typeof v}`;
}
