// Adam update in place, and a NaN/Inf counter for rejecting a bad step.

override WG: u32 = 256;
/** Elements per thread in count_nonfinite (fewer workgroups, fewer barriers). */
override PER: u32 = 16;

struct AdamParams {
  n: u32,
  beta1: f32,
  beta2: f32,
  /** 1 − beta1 and 1 − beta2, computed in f64 on the host (f32 1 − 0.999 loses digits). */
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  /** lr / (1 − beta1^t): the learning rate with m's bias correction folded in. */
  step_size: f32,
  /** 1 / (1 − beta2^t): v's bias correction. */
  v_scale: f32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: AdamParams;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  param −= lr·m̂ / (√v̂ + eps)
@compute @workgroup_size(WG)
fn adam_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.n) { return; }
  let g = grad[i];
  let m1 = p.beta1 * m[i] + p.one_minus_beta1 * g;
  let v1 = p.beta2 * v[i] + p.one_minus_beta2 * g * g;
  m[i] = m1;
  v[i] = v1;
  param[i] = param[i] - p.step_size * m1 / (sqrt(v1 * p.v_scale) + p.eps);
}

struct CountParams {
  n: u32,
}

@group(0) @binding(0) var<uniform> cp: CountParams;
/** An f32 tensor read as its bit patterns: WGSL has no isnan/isinf. */
@group(0) @binding(1) var<storage, read> bits: array<u32>;
/** The [1] flag tensor as a counter while counting ... */
@group(0) @binding(2) var<storage, read_write> count: array<atomic<u32>>;
/** ... and as plain u32 to clear it and to turn the count into an f32. */
@group(0) @binding(3) var<storage, read_write> flag: array<u32>;

var<workgroup> local_count: atomic<u32>;

@compute @workgroup_size(1)
fn count_clear() {
  flag[0] = 0u;
}

// Adds the number of NaN/±Inf values (exponent bits all ones) among n to count[0]. One global
// atomic per workgroup that found any.
@compute @workgroup_size(WG)
fn count_nonfinite(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (lid == 0u) { atomicStore(&local_count, 0u); }
  workgroupBarrier();
  let base = (wg.x + wg.y * nwg.x) * WG * PER + lid;
  var found = 0u;
  for (var k = 0u; k < PER; k++) {
    let i = base + k * WG;
    if (i < cp.n && (bits[i] & 0x7f800000u) == 0x7f800000u) { found += 1u; }
  }
  if (found > 0u) { atomicAdd(&local_count, found); }
  workgroupBarrier();
  if (lid == 0u) {
    let c = atomicLoad(&local_count);
    if (c > 0u) { atomicAdd(&count[0], c); }
  }
}

// The counter's u32 becomes an f32 value in place, so the result reads back as a float tensor.
@compute @workgroup_size(1)
fn count_to_f32() {
  flag[0] = bitcast<u32>(f32(flag[0]));
}
