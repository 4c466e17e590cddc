// Per-element parts of the losses; the sums over elements are shaders/reduce.wgsl passes
// (MSE fuses its square into the reduction: sqdiff_rows).

override WG: u32 = 256;

struct Params {
  n: u32,
  /** BCE label (0, 1, or smoothed in between). */
  label: f32,
  /** Gradient factor: 2·scale/n for MSE, scale/n for BCE. */
  coef: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

//! include lib/grid.wgsl

// log(1 + e) for 0 ≤ e ≤ 1. WGSL has no log1p; for small e, log(1 + e) would lose e's digits
// in the rounding of 1 + e, so a short series is used there (error < e⁶/6).
fn log1p_small(e: f32) -> f32 {
  if (e < 0.03) {
    return e * (1.0 - e * (0.5 - e * (1.0 / 3.0 - e * (0.25 - e * 0.2))));
  }
  return log(1.0 + e);
}

// σ(z) − t written as (1 − t)·σ(z) − t·σ(−z) (σ(z) + σ(−z) = 1), so that a saturated logit
// does not cancel to 0: for t = 1, z = 20 it gives −σ(−20) ≈ −2e-9 rather than 1 − 1. exp is
// only taken of −|z|, so nothing overflows.
fn sigmoid_minus(z: f32, t: f32) -> f32 {
  let e = exp(-abs(z));
  let big = 1.0 / (1.0 + e);
  let small = e / (1.0 + e);
  let s_pos = select(small, big, z >= 0.0);
  let s_neg = select(big, small, z >= 0.0);
  return (1.0 - t) * s_pos - t * s_neg;
}

// y = max(z, 0) − z·t + log(1 + e^(−|z|)): binary cross-entropy of logit z against label t,
// finite for any finite z.
@compute @workgroup_size(WG)
fn bce_elem(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let z = a[i];
  y[i] = max(z, 0.0) - z * p.label + log1p_small(exp(-abs(z)));
}

// y = coef·(σ(z) − t)
@compute @workgroup_size(WG)
fn bce_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.coef * sigmoid_minus(a[i], p.label);
}

// y = coef·(a − b)
@compute @workgroup_size(WG)
fn mse_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.coef * (a[i] - b[i]);
}
