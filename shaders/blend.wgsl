// Temporal stabilisation of super-resolved video: the current SR frame is blended with the
// previous output, warped to this frame, where the warp is reliable:
//   out = sr + wgt · (prev − sr),   wgt = alpha · exp(−(err / sigma)²)
// `err` is an LR-sized map of how far prev is from trustworthy, built from warp_error maps
// (|a − b|, the largest over a 3×3 neighbourhood, so the mask also covers the blurred rim of an
// occlusion; src/video/temporal.ts says which): where it is large (occlusions, new content, a
// failed flow) the current frame shows through.

override WG: u32 = 256;

struct Params {
  pixels: u32,  // output pixels (threads)
  w: u32,       // output width and height
  h: u32,
  c: u32,       // blend: channels of sr and prev
  lw: u32,      // blend: LR (err) width and height; w / s, h / s
  lh: u32,
  s: u32,       // blend: HR pixels per LR pixel
  alpha: f32,   // blend: weight of the previous output where the warp is exact (0 = reset)
  sigma: f32,   // blend: err (luma, 0..255) at which the weight falls to alpha / e
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> err: array<f32>;
@group(0) @binding(4) var<storage, read> sr: array<f32>;
@group(0) @binding(5) var<storage, read> prev: array<f32>;
@group(0) @binding(6) var<storage, read> werr: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;

//! include lib/grid.wgsl

// a, b, err = [H, W] planes (e.g. the current luma and the previous one warped onto it).
@compute @workgroup_size(WG)
fn warp_error(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let x = i32(o % p.w);
  let y = i32(o / p.w);
  var e = 0.0;
  for (var dy = -1; dy <= 1; dy++) {
    for (var dx = -1; dx <= 1; dx++) {
      let q = u32(clamp(y + dy, 0, i32(p.h) - 1)) * p.w + u32(clamp(x + dx, 0, i32(p.w) - 1));
      e = max(e, abs(a[q] - b[q]));
    }
  }
  err[o] = e;
}

//! include lib/bilinear.wgsl

// sr, prev, out = [H, W, C]; werr = [H/s, W/s].
@compute @workgroup_size(WG)
fn blend(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let s = f32(p.s);
  let t = tap((f32(o % p.w) + 0.5) / s - 0.5, (f32(o / p.w) + 0.5) / s - 0.5, p.lw, p.lh);
  let e = mix(mix(werr[t.i00], werr[t.i01], t.ax), mix(werr[t.i10], werr[t.i11], t.ax), t.ay) / p.sigma;
  let wgt = p.alpha * exp(-e * e);
  for (var k = 0u; k < p.c; k++) {
    let i = o * p.c + k;
    out[i] = sr[i] + wgt * (prev[i] - sr[i]);
  }
}
