// The protobuf encoder behind the ONNX writer, against hand-encoded wire bytes (the protobuf
// encoding guide's examples); the ONNX files as a whole are checked by onnxruntime
// (test/models/onnx-export.test.ts).

import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../src/io/protobuf.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('writes varints, strings, floats, repeated fields and nested messages as the wire format says', () => {
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().varint(2, 300).finish())).toBe('10ac02');
    expect(hex(new ProtoWriter().varint(1, 2 ** 40).finish())).toBe('08808080808020');
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    expect(hex(new ProtoWriter().float(2, 1.5).finish())).toBe('150000c03f');
    expect(hex(new ProtoWriter().varints(1, [3, 270]).finish())).toBe('0803088e02');
    expect(hex(new ProtoWriter().message(3, new ProtoWriter().varint(1, 150)).finish())).toBe('1a03089601');
  });

  it('refuses integers it cannot encode exactly', () => {
    expect(() => new ProtoWriter().varint(1, -1)).toThrow(/-1 is not a non-negative safe integer/);
    expect(() => new ProtoWriter().varint(1, 1.5)).toThrow(/not a non-negative safe integer/);
    expect(() => new ProtoWriter().varint(1, 2 ** 53)).toThrow(/not a non-negative safe integer/);
  });
});
