// Activations and their backward passes over NHWC tensors viewed as flat arrays.
//
// Pointwise ops (relu, leaky relu, sigmoid, tanh) pick the function with the override ACT, so
// each is its own pipeline without branching per element. PReLU reads a slope per channel
// (alpha[c]) or one shared slope (na = 1), one channel per lane. Its slope gradient is a per-channel
// sum over N·H·W rows; prelu_backward writes dx and, in the same pass, one partial sum per
// (row chunk, channel), which reduce_partials then folds into dalpha. Both stages sum with
// a tree over shared memory, so f32 stays accurate for ~10^6 rows per channel.

override WG: u32 = 256;
// An ACT_* code of lib/act.wgsl: relu, leaky relu (slope), tanh or sigmoid (PReLU has its own entries).
override ACT: u32 = 1;

struct Params {
  n: u32,
  slope: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// Backward: `saved` is x for relu / leaky relu and the forward output y for sigmoid / tanh
// (their derivatives are cheapest in terms of y).
@group(0) @binding(3) var<storage, read> saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

//! include lib/grid.wgsl

//! include lib/act.wgsl

// Derivative times dy, from `s` = x (relu, leaky) or y (sigmoid, tanh).
fn act_grad(s: f32, g: f32) -> f32 {
  switch ACT {
    case ACT_RELU: { return select(0.0, g, s > 0.0); }
    case ACT_LEAKY: { return select(p.slope * g, g, s > 0.0); }
    case ACT_TANH: { return g * (1.0 - s * s); }
    case ACT_SIGMOID: { return g * s * (1.0 - s); }
    default: { return g; }
  }
}

@compute @workgroup_size(WG)
fn act_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = act(x[i], p.slope);
}

@compute @workgroup_size(WG)
fn act_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = act_grad(saved[i], dy[i]);
}

// ---- PReLU ------------------------------------------------------------------------------

struct PreluParams {
  n: u32,
  channels: u32,
  // 1 for a shared slope, else == channels
  na: u32,
  // rows (N·H·W) and the rows each workgroup of prelu_backward covers
  rows: u32,
  rows_per_chunk: u32,
}

@group(0) @binding(0) var<uniform> q: PreluParams;
@group(0) @binding(6) var<storage, read> alpha: array<f32>;
// [chunks, channels] partial sums of dy·x over x ≤ 0
@group(0) @binding(7) var<storage, read_write> partial: array<f32>;

// A workgroup is CT channels × RT row lanes: neighbouring threads read neighbouring channels
// (contiguous in NHWC). Lane r of chunk k walks rows k·R + r, k·R + r + RT, ... so every
// element is visited exactly once and dx is written in the same pass.
const CT: u32 = 32u;
const RT: u32 = 8u;
var<workgroup> lane_sums: array<f32, 256>; // CT·RT

// The backward's layout: a lane keeps its channel's slope, with no `i % C` per element (which
// made the flat one-element-per-thread form ~3x slower on llvmpipe, as for batch norm's maps).
@compute @workgroup_size(32, 8)
fn prelu_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wid.x * CT + lid.x;
  if (c >= q.channels) { return; }
  let a = alpha[c % q.na];
  let end = min((wid.y + 1u) * q.rows_per_chunk, q.rows);
  for (var m = wid.y * q.rows_per_chunk + lid.y; m < end; m += RT) {
    let i = m * q.channels + c;
    let v = x[i];
    y[i] = select(a * v, v, v > 0.0);
  }
}

@compute @workgroup_size(32, 8)
fn prelu_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wid.x * CT + lid.x;
  let first = wid.y * q.rows_per_chunk;
  let end = min(first + q.rows_per_chunk, q.rows);
  var acc = 0.0;
  // No early return: every thread must reach the barriers below.
  if (c < q.channels) {
    let a = alpha[c % q.na];
    for (var m = first + lid.y; m < end; m += RT) {
      let i = m * q.channels + c;
      let v = x[i];
      let g = dy[i];
      let neg = v <= 0.0;
      dx[i] = select(g, a * g, neg);
      acc += select(0.0, g * v, neg);
    }
  }
  lane_sums[lid.y * CT + lid.x] = acc;
  for (var s = RT / 2u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid.y < s) {
      lane_sums[lid.y * CT + lid.x] += lane_sums[(lid.y + s) * CT + lid.x];
    }
  }
  if (lid.y == 0u && c < q.channels) {
    partial[wid.y * q.channels + c] = lane_sums[lid.x];
  }
}

// ---- Column sums of a [rows, cols] matrix: one workgroup per column ------------------------

struct ReduceParams {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<uniform> r: ReduceParams;
@group(0) @binding(8) var<storage, read> parts: array<f32>;
@group(0) @binding(9) var<storage, read_write> sums: array<f32>;
var<workgroup> tree: array<f32, 256>;

@compute @workgroup_size(256)
fn reduce_partials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let col = wid.x;
  var acc = 0.0;
  for (var k = lid.x; k < r.rows; k += 256u) {
    acc += parts[k * r.cols + col];
  }
  tree[lid.x] = acc;
  for (var s = 128u; s > 0u; s = s / 2u) {
    workgroupBarrier();
    if (lid.x < s) {
      tree[lid.x] += tree[lid.x + s];
    }
  }
  if (lid.x == 0u) {
    sums[col] = tree[0];
  }
}
