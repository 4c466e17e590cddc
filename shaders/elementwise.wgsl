// Elementwise ops over flat f32 arrays. Each thread handles PER elements, WG apart, so that
// on every step the lanes of a workgroup touch consecutive addresses; software adapters
// (llvmpipe runs a workgroup's lanes as SIMD) measured ~2x faster this way than one element
// per thread, and real GPUs see the same coalesced pattern. Large problems are spread over a
// 2-D grid (see src/graph/grid.ts).

override WG: u32 = 256;
const PER: u32 = 64;

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// First element of this thread: workgroups own WG·PER consecutive elements.
fn first(wid: vec3<u32>, lid: u32, nwg: vec3<u32>) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG * PER + lid;
}

// y = alpha·a + beta·b  (add: 1, 1; sub: 1, -1; residual add; gradient accumulation)
@compute @workgroup_size(WG)
fn axpby(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    y[i] = p.alpha * a[i] + p.beta * b[i];
  }
}

// y = alpha·a·b
@compute @workgroup_size(WG)
fn mul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    y[i] = p.alpha * a[i] * b[i];
  }
}

// y = alpha·a + beta
@compute @workgroup_size(WG)
fn affine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    y[i] = p.alpha * a[i] + p.beta;
  }
}

// y = clamp(a, alpha, beta)
@compute @workgroup_size(WG)
fn clamp_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    y[i] = clamp(a[i], p.alpha, p.beta);
  }
}

// dx = dy where alpha < x < beta, else 0   (a = x, b = dy)
@compute @workgroup_size(WG)
fn clamp_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    let x = a[i];
    y[i] = select(0.0, b[i], x > p.alpha && x < p.beta);
  }
}

// y += alpha·a  (in place: gradient accumulation)
@compute @workgroup_size(WG)
fn accumulate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    y[i] = y[i] + p.alpha * a[i];
  }
}

// y = alpha·a·b[0]  (scale by a scalar that lives on the GPU, e.g. an upstream loss gradient)
@compute @workgroup_size(WG)
fn scale_by_scalar(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    y[i] = p.alpha * a[i] * b[0];
  }
}

// y = alpha
@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i0 = first(wid, lid, nwg);
  for (var k = 0u; k < PER; k++) {
    let i = i0 + k * WG;
    if (i >= p.n) { return; }
    y[i] = p.alpha;
  }
}
