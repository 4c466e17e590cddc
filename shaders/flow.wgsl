// Coarse-to-fine Lucas–Kanade optical flow on luma planes (pyramid.wgsl builds the levels).
// flow[x] = (u, v) says where pixel x of frame `i0` is found in frame `i1`: i0(x) ≈ i1(x + flow).
//
// lk_step is one Gauss–Newton update of Bouguet's pyramidal LK: the (2R+1)² window around x,
// shifted as a whole by x's current flow, solves
//   (A + λI) Δ = −b,  A = Σ ∇i0 ∇i0ᵀ,  b = Σ ∇i0 · (i1(q + flow) − i0(q))
// with i0's central-difference gradient (the template's gradient, so A is the same every
// iteration) and i1 sampled bilinearly, clamped to the edge. λ keeps flat regions — where A is
// singular — at the flow they came with, so a textureless area inherits the coarse level's
// motion instead of amplifying noise. upsample_flow carries a level's flow to the next finer
// one: bilinear at the pyramid's centre map (fine x ↔ coarse (x + 0.5)/2 − 0.5), doubled.

override WG: u32 = 256;

struct Params {
  pixels: u32,   // output pixels (threads)
  w: u32,        // output plane width and height
  h: u32,
  cw: u32,       // upsample_flow: coarse flow width and height
  ch: u32,
  radius: u32,   // lk_step: window radius R
  lambda: f32,   // lk_step: Tikhonov term λ (squared luma units per window pixel)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> i0: array<f32>;
@group(0) @binding(2) var<storage, read> i1: array<f32>;
@group(0) @binding(3) var<storage, read> flow_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> flow_out: array<f32>;

//! include lib/grid.wgsl

fn at0(x: i32, y: i32) -> f32 {
  let cx = clamp(x, 0, i32(p.w) - 1);
  let cy = clamp(y, 0, i32(p.h) - 1);
  return i0[u32(cy) * p.w + u32(cx)];
}

//! include lib/bilinear.wgsl

// i1 at a real position, bilinear, clamped to the edge.
fn sample1(x: f32, y: f32) -> f32 {
  let t = tap(x, y, p.w, p.h);
  return mix(mix(i1[t.i00], i1[t.i01], t.ax), mix(i1[t.i10], i1[t.i11], t.ax), t.ay);
}

// i0, i1 = [H, W] planes; flow_in, flow_out = [H, W, 2].
@compute @workgroup_size(WG)
fn lk_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let x = i32(o % p.w);
  let y = i32(o / p.w);
  let u = flow_in[2u * o];
  let v = flow_in[2u * o + 1u];
  let r = i32(p.radius);
  var axx = 0.0;
  var axy = 0.0;
  var ayy = 0.0;
  var bx = 0.0;
  var by = 0.0;
  for (var dy = -r; dy <= r; dy++) {
    for (var dx = -r; dx <= r; dx++) {
      let qx = clamp(x + dx, 0, i32(p.w) - 1);
      let qy = clamp(y + dy, 0, i32(p.h) - 1);
      let gx = 0.5 * (at0(qx + 1, qy) - at0(qx - 1, qy));
      let gy = 0.5 * (at0(qx, qy + 1) - at0(qx, qy - 1));
      let it = sample1(f32(qx) + u, f32(qy) + v) - at0(qx, qy);
      axx += gx * gx;
      axy += gx * gy;
      ayy += gy * gy;
      bx += gx * it;
      by += gy * it;
    }
  }
  let n = f32((2 * r + 1) * (2 * r + 1));
  let a = axx + p.lambda * n;
  let d = ayy + p.lambda * n;
  let det = a * d - axy * axy;
  flow_out[2u * o] = u - (d * bx - axy * by) / det;
  flow_out[2u * o + 1u] = v - (a * by - axy * bx) / det;
}

// flow_in = coarse [CH, CW, 2], flow_out = fine [H, W, 2] (i0 and i1 are not read).
@compute @workgroup_size(WG)
fn upsample_flow(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let t = tap((f32(o % p.w) + 0.5) * 0.5 - 0.5, (f32(o / p.w) + 0.5) * 0.5 - 0.5, p.cw, p.ch);
  for (var k = 0u; k < 2u; k++) {
    let top = mix(flow_in[2u * t.i00 + k], flow_in[2u * t.i01 + k], t.ax);
    let bottom = mix(flow_in[2u * t.i10 + k], flow_in[2u * t.i11 + k], t.ax);
    flow_out[2u * o + k] = 2.0 * mix(top, bottom, t.ay);
  }
}
