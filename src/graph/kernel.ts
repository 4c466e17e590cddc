// A kernel = one entry point of one WGSL file in shaders/, specialised by override constants.
// Bind-group layouts and uniform struct layouts are read from the WGSL with wgsl_reflect,
// so the TypeScript side names bindings and uniform fields but never retypes their layout.

import { WgslReflect, ResourceType, type VariableInfo, type StructInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { shaderSource } from './shaders.ts';

export interface KernelSpec {
  /** File name in shaders/ without `.wgsl`. */
  shader: string;
  entry: string;
  /** WGSL `override` constants (workgroup sizes, kernel sizes, activation choice, ...). */
  constants?: Record<string, number>;
}

export interface UniformField {
  name: string;
  offset: number;
  type: 'f32' | 'u32' | 'i32';
}

export interface BindingInfo {
  name: string;
  binding: number;
  kind: 'uniform' | 'storage' | 'read-only-storage';
  /** For the uniform binding: its fields and byte size. */
  fields?: UniformField[];
  /** A `var<uniform> name: array<vec4<f32>, N>`: a window of a tensor (Dispatch.bind gives the
   *  tensor, or { tensor, offset }) of the reflected byte size, not the packed parameter struct. */
  tensor?: boolean;
  size?: number;
}

export interface CompiledKernel {
  key: string;
  spec: KernelSpec;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  bindings: BindingInfo[];
  uniform?: BindingInfo;
}

const reflections = new Map<string, WgslReflect>();

function reflect(shader: string): WgslReflect {
  let r = reflections.get(shader);
  if (!r) {
    r = new WgslReflect(shaderSource(shader));
    reflections.set(shader, r);
  }
  return r;
}

function uniformFields(shader: string, v: VariableInfo): UniformField[] {
  const struct = v.type as StructInfo;
  if (!struct.members) throw new Error(`${shader}: uniform '${v.name}' must be a struct`);
  return struct.members.map((m) => {
    const t = m.type.name;
    if (t !== 'f32' && t !== 'u32' && t !== 'i32') {
      throw new Error(`${shader}: uniform field ${v.name}.${m.name} has type ${t}; only scalar f32/u32/i32 fields are supported`);
    }
    return { name: m.name, offset: m.offset, type: t };
  });
}

/** The bindings (group 0) one entry point uses, as reflected from its WGSL. */
export function entryBindings(shader: string, entry: string): BindingInfo[] {
  const r = reflect(shader);
  const fn = r.entry.compute.find((f) => f.name === entry);
  if (!fn) throw new Error(`shader ${shader}.wgsl has no @compute entry point '${entry}'`);
  return fn.resources
    .filter((v) => v.group === 0)
    .sort((a, b) => a.binding - b.binding)
    .map((v): BindingInfo => {
      if (v.resourceType === ResourceType.Uniform && v.type.name === 'array') {
        return { name: v.name, binding: v.binding, kind: 'uniform', tensor: true, size: v.size };
      }
      if (v.resourceType === ResourceType.Uniform) {
        return { name: v.name, binding: v.binding, kind: 'uniform', fields: uniformFields(shader, v), size: v.size };
      }
      if (v.resourceType === ResourceType.Storage) {
        return { name: v.name, binding: v.binding, kind: v.access === 'read' ? 'read-only-storage' : 'storage' };
      }
      throw new Error(`${shader}.wgsl: binding '${v.name}' has an unsupported resource type`);
    });
}

export function kernelKey(spec: KernelSpec): string {
  const c = spec.constants ? Object.entries(spec.constants).sort(([a], [b]) => (a < b ? -1 : 1)) : [];
  return `${spec.shader}:${spec.entry}${c.length ? '{' + c.map(([k, v]) => `${k}=${v}`).join(',') + '}' : ''}`;
}

export function compileKernel(device: GPUDevice, spec: KernelSpec, modules: Map<string, GPUShaderModule>): CompiledKernel {
  const key = kernelKey(spec);
  const bindings = entryBindings(spec.shader, spec.entry);
  let module = modules.get(spec.shader);
  if (!module) {
    module = device.createShaderModule({ code: shaderSource(spec.shader), label: spec.shader });
    modules.set(spec.shader, module);
  }
  const layout = device.createBindGroupLayout({
    label: key,
    entries: bindings.map((b) => ({
      binding: b.binding,
      visibility: 4 /* GPUShaderStage.COMPUTE */,
      buffer: { type: b.kind },
    })),
  });
  const pipeline = device.createComputePipeline({
    label: key,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout], label: key }),
    compute: { module, entryPoint: spec.entry, constants: spec.constants },
  });
  return { key, spec, pipeline, layout, bindings, uniform: bindings.find((b) => b.kind === 'uniform' && !b.tensor) };
}

/** Pack a uniform struct from named values, at the offsets the WGSL struct layout gives. */
export function packUniform(kernel: CompiledKernel, values: Record<string, number>, into: DataView, at: number): void {
  const u = kernel.uniform!;
  for (const f of u.fields!) {
    const v = values[f.name];
    if (v === undefined || !Number.isFinite(v)) throw new Error(`${kernel.key}: uniform field '${f.name}' missing or not finite (${v})`);
    if (f.type === 'f32') into.setFloat32(at + f.offset, v, true);
    else if (f.type === 'u32') {
      if (v < 0 || !Number.isInteger(v)) throw new Error(`${kernel.key}: uniform ${f.name} must be a non-negative integer, got ${v}`);
      into.setUint32(at + f.offset, v, true);
    } else into.setInt32(at + f.offset, v, true);
  }
  for (const name of Object.keys(values)) {
    if (!u.fields!.some((f) => f.name === name)) throw new Error(`${kernel.key}: no uniform field '${name}' in the WGSL`);
  }
}
