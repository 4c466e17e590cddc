// Writing ONNX models (onnx/onnx.proto, IR version 7 = opset 13) with our own protobuf encoder:
// a float32 graph of nodes, initializers, and inputs/outputs whose dimensions may be symbolic
// (dynamic batch, height, width). Only the fields a plain inference graph needs are written.
// Browser-safe (no Node modules).

import { ProtoWriter } from './protobuf.ts';

export const ONNX_OPSET = 13;
const IR_VERSION = 7; // the IR version released with opset 13 (ONNX 1.8)
const FLOAT = 1; // TensorProto.DataType
const ATTR_INT = 2, ATTR_STRING = 3, ATTR_INTS = 7; // AttributeProto.AttributeType

/** Attribute values: an integer, a list of integers, or a string. */
export type OnnxAttr = number | readonly number[] | string;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, OnnxAttr>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

/** A float32 graph input or output; string dimensions are symbolic (dynamic). */
export interface OnnxValue {
  name: string;
  dims: Array<number | string>;
}

export interface OnnxModel {
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  producer: { name: string; version: string };
  doc: string;
  metadata: Record<string, string>;
}

function attribute(name: string, v: OnnxAttr): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof v === 'string') return a.string(4, v).varint(20, ATTR_STRING);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`ONNX attribute ${name}: ${v} is not an integer`);
    return a.varint(3, v).varint(20, ATTR_INT);
  }
  return a.varints(8, v).varint(20, ATTR_INTS);
}

function node(n: OnnxNode, index: number): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, `${n.op}_${index}`).string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attribute(k, v));
  return w;
}

function tensor(t: OnnxInitializer): ProtoWriter {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new Error(`ONNX initializer ${t.name}: dims [${t.dims}] hold ${count} values, data has ${t.data.length}`);
  // raw_data is little-endian float32, as Float32Array is on every platform Node and browsers run on.
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return new ProtoWriter().varints(1, t.dims).varint(2, FLOAT).string(8, t.name).bytes(9, raw);
}

function valueInfo(v: OnnxValue): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

export function encodeOnnx(m: OnnxModel): Uint8Array {
  const g = new ProtoWriter();
  m.nodes.forEach((n, i) => g.message(1, node(n, i)));
  g.string(2, m.graphName);
  for (const t of m.initializers) g.message(5, tensor(t));
  for (const v of m.inputs) g.message(11, valueInfo(v));
  for (const v of m.outputs) g.message(12, valueInfo(v));
  const model = new ProtoWriter()
    .varint(1, IR_VERSION)
    .string(2, m.producer.name)
    .string(3, m.producer.version)
    .string(6, m.doc)
    .message(7, g)
    .message(8, new ProtoWriter().string(1, '').varint(2, ONNX_OPSET));
  for (const [key, value] of Object.entries(m.metadata)) model.message(14, new ProtoWriter().string(1, key).string(2, value));
  return model.finish();
}
