// Elementwise ops over flat f32 arrays. One thread per element; 1-D problems larger than
// 65535 workgroups are spread over a 2-D grid (see src/graph/grid.ts).

override WG: u32 = 256;

struct Params {
  n: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// y = alpha·a + beta·b  (add: 1, 1; sub: 1, -1; residual add; gradient accumulation)
@compute @workgroup_size(WG)
fn axpby(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.alpha * a[i] + p.beta * b[i];
}

// y = alpha·a·b
@compute @workgroup_size(WG)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.alpha * a[i] * b[i];
}

// y = alpha·a + beta
@compute @workgroup_size(WG)
fn affine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.alpha * a[i] + p.beta;
}

// y = clamp(a, alpha, beta)
@compute @workgroup_size(WG)
fn clamp_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = clamp(a[i], p.alpha, p.beta);
}

// dx = dy where alpha < x < beta, else 0   (a = x, b = dy)
@compute @workgroup_size(WG)
fn clamp_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let x = a[i];
  y[i] = select(0.0, b[i], x > p.alpha && x < p.beta);
}

// y += alpha·a  (in place: gradient accumulation)
@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = y[i] + p.alpha * a[i];
}

// y = alpha·a·b[0]  (scale by a scalar that lives on the GPU, e.g. an upstream loss gradient)
@compute @workgroup_size(WG)
fn scale_by_scalar(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.alpha * a[i] * b[0];
}

// y = alpha
@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.alpha;
}
