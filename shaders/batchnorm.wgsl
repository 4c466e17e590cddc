// Batch normalisation over the last axis of an NHWC tensor [..., C]. Batch statistics come from
// shaders/reduce.wgsl (channelMoments; for the backward, dot_dev_rows); this file holds the
// per-channel finishing kernels (one thread per channel) and the per-element maps.
// C is an override constant so that `i % C` compiles to a multiply-shift, not a division.

override WG: u32 = 256;
override C: u32 = 64;

struct ChannelParams {
  cols: u32,
  eps: f32,
  momentum: f32,
  /** n / (n − 1): turns the biased batch variance into the unbiased one for running_var. */
  unbias: f32,
}

struct ElemParams {
  n: u32,
  /** 1 / rows, rows = n / C (backward only; 0 elsewhere). */
  inv_rows: f32,
}

@group(0) @binding(0) var<uniform> cp: ChannelParams;
@group(0) @binding(1) var<uniform> ep: ElemParams;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
@group(0) @binding(6) var<storage, read> inv_std: array<f32>;
@group(0) @binding(7) var<storage, read> gamma: array<f32>;
@group(0) @binding(8) var<storage, read> beta: array<f32>;
/** [2C]: Σ dy, then Σ dy·(x − mean), per channel. */
@group(0) @binding(9) var<storage, read> sums: array<f32>;
@group(0) @binding(10) var<storage, read_write> y: array<f32>;
@group(0) @binding(11) var<storage, read_write> inv_std_out: array<f32>;
@group(0) @binding(12) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(13) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(14) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(15) var<storage, read_write> dbeta: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// inv_std = 1 / √(var + eps)
@compute @workgroup_size(64)
fn bn_inv_std(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= cp.cols) { return; }
  inv_std_out[c] = 1.0 / sqrt(variance[c] + cp.eps);
}

// PyTorch's running statistics: running = (1 − momentum)·running + momentum·batch, with the
// unbiased batch variance.
@compute @workgroup_size(64)
fn bn_update_running(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= cp.cols) { return; }
  let k = cp.momentum;
  running_mean[c] = (1.0 - k) * running_mean[c] + k * mean[c];
  running_var[c] = (1.0 - k) * running_var[c] + k * variance[c] * cp.unbias;
}

// y = (x − mean)·inv_std·gamma + beta. Subtracting the mean first keeps large-mean inputs exact
// (x·scale + shift would cancel).
@compute @workgroup_size(WG)
fn bn_apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= ep.n) { return; }
  let c = i % C;
  y[i] = (x[i] - mean[c]) * (inv_std[c] * gamma[c]) + beta[c];
}

// Training-mode backward through the batch statistics, with x̂ = (x − mean)·inv_std:
//   dx = gamma·inv_std·(dy − mean(dy) − x̂·mean(dy·x̂))
//      = gamma·inv_std·(dy − Σdy/n − (x − mean)·inv_std²·Σdy(x − mean)/n)
@compute @workgroup_size(WG)
fn bn_backward_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= ep.n) { return; }
  let c = i % C;
  let s = inv_std[c];
  let mean_dy = sums[c] * ep.inv_rows;
  let k = s * s * sums[C + c] * ep.inv_rows;
  y[i] = gamma[c] * s * (dy[i] - mean_dy - (x[i] - mean[c]) * k);
}

// dgamma = Σ dy·x̂ = inv_std·Σ dy·(x − mean), dbeta = Σ dy.
@compute @workgroup_size(64)
fn bn_backward_params(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= cp.cols) { return; }
  dgamma[c] = sums[cp.cols + c] * inv_std[c];
  dbeta[c] = sums[c];
}
