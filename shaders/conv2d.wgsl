// 2-D convolution, NHWC activations, HWIO weights [kh, kw, cin, cout], zero padding.
//
//   y[n,oh,ow,co] = act( b[co] + Σ_{kh,kw,ci} x[n, oh·S − pad + kh, ow·S − pad + kw, ci] · w[kh,kw,ci,co] )
//
// Entry points:
//   conv_fwd4      forward, Cout % (4·CV) == 0: each thread PX output pixels × CV·4 channels
//   conv_fwd_any   forward, any Cout: each thread PX pixels × 4 channels, channel-guarded
//                  (both forwards: with R > 1 the output is pixel-shuffled as it is stored)
//   flip_weights   w[kh,kw,ci,co] → wT[KH−1−kh, KW−1−kw, co, ci] for the input gradient
//   conv_dx4       input gradient of a strided conv, one dispatch per output phase, Cin % (4·CV) == 0
//   conv_bwd_w4    weight gradient partial sums over a chunk of pixels, Cout % 4 == 0
//   conv_bwd_w_any weight gradient partial sums, any Cin/Cout
//   sum_chunks     dw = Σ over chunks of the partial sums
//
// The input gradient is a forward conv of dy with the flipped, transposed kernel over an input
// dilated by the stride (override D): a virtual input position v is a real one only when
// v % D == 0, and then reads row v / D. D = 1 is the ordinary convolution.
//
// Performance notes (software adapters: llvmpipe / lavapipe run a workgroup's invocations as
// SIMD lanes, 8 per AVX2 vector). Mesa 25.0's code for a storage-buffer load (checked with
// GALLIVM_DEBUG=asm) is, whatever the address: per lane, a test of the execution mask, then per
// component a bounds compare + branch, a scalar load and an insert — about 8–10 instructions per
// element per lane, even for an address that is uniform across the workgroup and even outside
// any loop. A multiply-add is 2 vector instructions (vmulps + vaddps) for 8 lanes. So these
// kernels are bound by element loads per multiply-add: register blocks amortise them (PX pixels
// × CV·4 channels per thread, loops fully unrolled by the compiler so accumulators stay
// registers; larger blocks measured slower), and 3×3 stride-1 convs go through Winograd
// (shaders/conv2d_winograd.wgsl: F(4×4, 3×3) on its own uniform-window GEMM when Cout % 16 == 0,
// else F(2×2, 3×3) with this conv_fwd4 as a 1×1 conv for the GEMMs), as does the 3×3 stride-1
// weight gradient (F(3×3, 4×4) when Cin % 8 == 0 and Cout % 16 == 0); conv_bwd_w* below serve
// the other shapes. Measured without gain: vec4 loads of x along Cin, manual unrolling,
// dropping the padding selects. Shared memory and barriers measured slower earlier.
// Mapping: the forward pass puts pixels on lanes and the output channel block on workgroup_id.y;
// the weight gradient puts (tap, ci block, pixel chunk) on workgroup_id and output channels on
// lanes.

override KH: u32 = 3;
override KW: u32 = 3;
override S: u32 = 1;          // stride
override D: u32 = 1;          // input dilation (transposed conv for the input gradient)
override WG: u32 = 64;        // threads per workgroup
override ACT: u32 = 0;        // the epilogue's activation: an ACT_* code of lib/act.wgsl
override HAS_BIAS: u32 = 0;
override R: u32 = 1;          // forward: pixel-shuffle factor of the output (1: none)

const PX: u32 = 8;            // forward: output pixels per thread (consecutive along W)
const CV: u32 = 2;            // forward: vec4 groups of output channels per thread
const CI: u32 = 8;            // weight gradient: input channels per thread
const CO: u32 = 1;            // weight gradient: vec4 groups of output channels per thread

struct Params {
  n: u32,
  h: u32,          // input rows (real, undilated)
  w: u32,          // input columns
  cin: u32,
  ho: u32,
  wo: u32,
  cout: u32,
  pad_h: i32,
  pad_w: i32,
  tiles_w: u32,    // ceil(wo / PX)
  threads: u32,    // n · ho · tiles_w
  slope: f32,      // leaky relu slope
  alpha_stride: u32, // prelu: 1 for per-channel alpha, 0 for one shared alpha
  w_stride: u32,   // vec4s of w4 between images' weights: 0, or cin·cout/4 for the Winograd GEMMs
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> alpha: array<f32>;
@group(0) @binding(5) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> w: array<f32>;
@group(0) @binding(7) var<storage, read> bias: array<f32>;
@group(0) @binding(8) var<storage, read_write> y: array<f32>;

//! include lib/conv_act.wgsl

//! include lib/shuffle.wgsl

// Store 4 consecutive output channels c … c + 3 (c % 4 == 0): one vec4, or R² scattered floats.
fn store4(o4: u32, n: u32, oh: u32, ow: u32, c: u32, z: vec4<f32>) {
  if (R == 1u) { y4[o4] = z; return; }
  for (var k = 0u; k < 4u; k++) {
    let e = shuffled(n, oh, ow, c + k, p.ho, p.wo, p.cout);
    y4[e / 4u][e % 4u] = z[k];
  }
}

// Thread → (n, oh, first ow) of its row tile.
struct Tile { n: u32, oh: u32, ow0: u32, ok: bool }

fn tile(gid: vec3<u32>, nwg: vec3<u32>) -> Tile {
  let t = gid.x + gid.z * nwg.x * WG;
  let tw = t % p.tiles_w;
  let r = t / p.tiles_w;
  return Tile(r / p.ho, r % p.ho, tw * PX, t < p.threads);
}

// Input row for tap kh of output row oh, or -1 where it is padding (or a dilation hole).
fn in_row(oh: u32, kh: u32) -> i32 {
  let v = i32(oh * S) - p.pad_h + i32(kh);
  if (v < 0 || u32(v) % D != 0u || u32(v) / D >= p.h) { return -1; }
  return i32(u32(v) / D);
}

fn in_col(ow: u32, kw: u32) -> i32 {
  let v = i32(ow * S) - p.pad_w + i32(kw);
  if (ow >= p.wo || v < 0 || u32(v) % D != 0u || u32(v) / D >= p.w) { return -1; }
  return i32(u32(v) / D);
}

@compute @workgroup_size(WG)
fn conv_fwd4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(workgroup_id) wid: vec3<u32>) {
  let t = tile(gid, nwg);
  if (!t.ok) { return; }
  let cout4 = p.cout / 4u;
  let cb = wid.y * CV;                       // first vec4 channel group: uniform per workgroup
  var acc: array<vec4<f32>, PX * CV>;
  for (var kh = 0u; kh < KH; kh++) {
    let ih = in_row(t.oh, kh);
    if (ih < 0) { continue; }
    let row = (t.n * p.h + u32(ih)) * p.w;
    for (var kw = 0u; kw < KW; kw++) {
      // Per pixel: offset of its input pixel, or (valid = false) a safe in-bounds offset.
      var xo: array<u32, PX>;
      var ok: array<bool, PX>;
      for (var j = 0u; j < PX; j++) {
        let iw = in_col(t.ow0 + j, kw);
        ok[j] = iw >= 0;
        xo[j] = select(0u, (row + u32(iw)) * p.cin, ok[j]);
      }
      let wrow = (kh * KW + kw) * p.cin * cout4 + cb + t.n * p.w_stride;
      for (var ci = 0u; ci < p.cin; ci++) {
        var wv: array<vec4<f32>, CV>;
        for (var v = 0u; v < CV; v++) { wv[v] = w4[wrow + ci * cout4 + v]; }
        for (var j = 0u; j < PX; j++) {
          let xv = select(0.0, x[xo[j] + ci], ok[j]);
          for (var v = 0u; v < CV; v++) { acc[j * CV + v] = fma(vec4<f32>(xv), wv[v], acc[j * CV + v]); }
        }
      }
    }
  }
  let obase = (t.n * p.ho + t.oh) * p.wo;
  for (var j = 0u; j < PX; j++) {
    if (t.ow0 + j >= p.wo) { break; }
    for (var v = 0u; v < CV; v++) {
      var z = acc[j * CV + v];
      if (HAS_BIAS != 0u) { z += bias4[cb + v]; }
      store4((obase + t.ow0 + j) * cout4 + cb + v, t.n, t.oh, t.ow0 + j, (cb + v) * 4u, act4(z, (cb + v) * 4u, p.slope, p.alpha_stride));
    }
  }
}

@compute @workgroup_size(WG)
fn conv_fwd_any(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(workgroup_id) wid: vec3<u32>) {
  let t = tile(gid, nwg);
  if (!t.ok) { return; }
  let c0 = wid.y * 4u;
  // Channels past cout read channel cout−1 (in bounds) and are never stored.
  let cl = vec4<u32>(min(c0, p.cout - 1u), min(c0 + 1u, p.cout - 1u), min(c0 + 2u, p.cout - 1u), min(c0 + 3u, p.cout - 1u));
  var acc: array<vec4<f32>, PX>;
  for (var kh = 0u; kh < KH; kh++) {
    let ih = in_row(t.oh, kh);
    if (ih < 0) { continue; }
    let row = (t.n * p.h + u32(ih)) * p.w;
    for (var kw = 0u; kw < KW; kw++) {
      var xo: array<u32, PX>;
      var ok: array<bool, PX>;
      for (var j = 0u; j < PX; j++) {
        let iw = in_col(t.ow0 + j, kw);
        ok[j] = iw >= 0;
        xo[j] = select(0u, (row + u32(iw)) * p.cin, ok[j]);
      }
      let wrow = (kh * KW + kw) * p.cin;
      for (var ci = 0u; ci < p.cin; ci++) {
        let wi = (wrow + ci) * p.cout;
        let wv = vec4<f32>(w[wi + cl.x], w[wi + cl.y], w[wi + cl.z], w[wi + cl.w]);
        for (var j = 0u; j < PX; j++) {
          let xv = select(0.0, x[xo[j] + ci], ok[j]);
          acc[j] = fma(vec4<f32>(xv), wv, acc[j]);
        }
      }
    }
  }
  let obase = (t.n * p.ho + t.oh) * p.wo;
  for (var j = 0u; j < PX; j++) {
    if (t.ow0 + j >= p.wo) { break; }
    let o = (obase + t.ow0 + j) * p.cout;
    for (var c = 0u; c < 4u; c++) {
      if (c0 + c >= p.cout) { break; }
      var z = acc[j][c];
      if (HAS_BIAS != 0u) { z += bias[c0 + c]; }
      let e = select(o + c0 + c, shuffled(t.n, t.oh, t.ow0 + j, c0 + c, p.ho, p.wo, p.cout), R > 1u);
      y[e] = act_at(z, c0 + c, p.slope, p.alpha_stride);
    }
  }
}

// ---- input gradient: flipped, transposed kernel -------------------------------------------

struct FlipParams {
  cin: u32,
  cout: u32,
  total: u32,     // KH · KW · cin · cout
}

@group(0) @binding(10) var<uniform> fp: FlipParams;
@group(0) @binding(11) var<storage, read> wsrc: array<f32>;
@group(0) @binding(12) var<storage, read_write> wflip: array<f32>;

@compute @workgroup_size(WG)
fn flip_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;    // index into wflip [kh, kw, co, ci]
  if (i >= fp.total) { return; }
  let ci = i % fp.cin;
  let r = i / fp.cin;
  let co = r % fp.cout;
  let tap = r / fp.cout;
  let kw = tap % KW;
  let kh = tap / KW;
  wflip[i] = wsrc[((((KH - 1u - kh) * KW) + (KW - 1u - kw)) * fp.cin + ci) * fp.cout + co];
}

// ---- input gradient of a strided conv, by output phase ------------------------------------
// The dilated form above (conv_fwd4 with D = S) spends (D² − 1)/D² of its taps on dilation
// holes: it loads and multiplies zeros (a lane's 8 consecutive pixels alternate between real
// and hole taps, so nothing can be skipped). conv_dx4 splits dx into its D × D phases, one
// dispatch each: dx rows ph + D·r, columns pw + D·c. Within a phase only the taps
// kh ≡ pad_h − ph (mod D) (likewise kw) meet real dy rows and columns, the same for every lane,
// so the tap loops step by D from a uniform start; a lane's PX pixels are consecutive phase
// columns, which read consecutive dy columns. Same blocking as conv_fwd4 (PX pixels × CV·4
// channels per lane, channel block on workgroup_id.y), no bias or activation.

struct DxParams {
  n: u32,
  h: u32,          // dy rows
  w: u32,          // dy columns
  cin: u32,        // dy channels (the forward's Cout)
  ho: u32,         // dx rows
  wo: u32,         // dx columns
  cout: u32,       // dx channels (the forward's Cin), % (4·CV) == 0
  pad_h: i32,      // KH − 1 − the forward's pad (may be negative)
  pad_w: i32,
  ph: u32,         // this dispatch's phase
  pw: u32,
  hs: u32,         // phase rows: ceil((ho − ph) / D)
  ws: u32,         // phase columns: ceil((wo − pw) / D)
  tiles_w: u32,    // ceil(ws / PX)
  threads: u32,    // n · hs · tiles_w
}

@group(0) @binding(40) var<uniform> dp: DxParams;

// First tap k ≥ 0 with (phase − pad + k) % D == 0 (the phase's real taps are k, k + D, …).
fn first_tap(phase: u32, pad: i32) -> u32 {
  let m = (pad - i32(phase)) % i32(D);
  return u32(select(m, m + i32(D), m < 0));
}

@compute @workgroup_size(WG)
fn conv_dx4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(workgroup_id) wid: vec3<u32>) {
  let t = gid.x + gid.z * nwg.x * WG;
  if (t >= dp.threads) { return; }
  let c0 = (t % dp.tiles_w) * PX;            // first phase column of this lane
  let rr = t / dp.tiles_w;
  let r = rr % dp.hs;                        // phase row
  let n = rr / dp.hs;
  let cout4 = dp.cout / 4u;
  let cb = wid.y * CV;
  let kh0 = first_tap(dp.ph, dp.pad_h);
  let kw0 = first_tap(dp.pw, dp.pad_w);
  var acc: array<vec4<f32>, PX * CV>;
  for (var kh = kh0; kh < KH; kh += D) {
    let ih = i32(r) + (i32(dp.ph) - dp.pad_h + i32(kh)) / i32(D);   // exact division
    if (ih < 0 || u32(ih) >= dp.h) { continue; }
    let row = (n * dp.h + u32(ih)) * dp.w;
    for (var kw = kw0; kw < KW; kw += D) {
      let iw0 = i32(c0) + (i32(dp.pw) - dp.pad_w + i32(kw)) / i32(D);
      var xo: array<u32, PX>;
      var ok: array<bool, PX>;
      for (var j = 0u; j < PX; j++) {
        let iw = iw0 + i32(j);
        ok[j] = c0 + j < dp.ws && iw >= 0 && u32(iw) < dp.w;
        xo[j] = select(0u, (row + u32(iw)) * dp.cin, ok[j]);
      }
      let wrow = (kh * KW + kw) * dp.cin * cout4 + cb;
      for (var ci = 0u; ci < dp.cin; ci++) {
        var wv: array<vec4<f32>, CV>;
        for (var v = 0u; v < CV; v++) { wv[v] = w4[wrow + ci * cout4 + v]; }
        for (var j = 0u; j < PX; j++) {
          let xv = select(0.0, x[xo[j] + ci], ok[j]);
          for (var v = 0u; v < CV; v++) { acc[j * CV + v] = fma(vec4<f32>(xv), wv[v], acc[j * CV + v]); }
        }
      }
    }
  }
  let oh = dp.ph + D * r;
  for (var j = 0u; j < PX; j++) {
    if (c0 + j >= dp.ws) { break; }
    let ow = dp.pw + D * (c0 + j);
    for (var v = 0u; v < CV; v++) {
      y4[((n * dp.ho + oh) * dp.wo + ow) * cout4 + cb + v] = acc[j * CV + v];
    }
  }
}

// ---- weight gradient ----------------------------------------------------------------------
//   dw[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·S − pad + kh, ow·S − pad + kw, ci] · dy[n,oh,ow,co]
// A GEMM with a long reduction over the P = N·Ho·Wo pixels. Pass 1: workgroup (tap, ci block,
// co block, chunk of pixels); each lane owns CI input channels × 4 output channels and loops
// over the chunk's pixels, writing a partial sum. Pass 2 (sum_chunks) adds the chunks.

struct WParams {
  h: u32,
  w: u32,
  cin: u32,
  ho: u32,
  wo: u32,
  cout: u32,
  pad_h: i32,
  pad_w: i32,
  chunk: u32,      // pixels per chunk
  pixels: u32,     // N · Ho · Wo
  size: u32,       // KH · KW · cin · cout
  ci_blocks: u32,  // ceil(cin / CI)
  co_groups: u32,  // workgroups along output channels
}

@group(0) @binding(20) var<uniform> q: WParams;
@group(0) @binding(21) var<storage, read> xin: array<f32>;
@group(0) @binding(22) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(23) var<storage, read_write> part4: array<vec4<f32>>;
@group(0) @binding(24) var<storage, read> dy: array<f32>;
@group(0) @binding(25) var<storage, read_write> part: array<f32>;

// Workgroup id x → (tap, ci block, co group); y → pixel chunk. All uniform per workgroup.
struct WTask { kh: u32, kw: u32, ci0: u32, cog: u32, p0: u32, p1: u32 }

fn wtask(wid: vec3<u32>) -> WTask {
  let cog = wid.x % q.co_groups;
  let r = wid.x / q.co_groups;
  let cib = r % q.ci_blocks;
  let tap = r / q.ci_blocks;
  let p0 = wid.y * q.chunk;
  return WTask(tap / KW, tap % KW, cib * CI, cog, p0, min(p0 + q.chunk, q.pixels));
}

@compute @workgroup_size(WG)
fn conv_bwd_w4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wtask(wid);
  let cout4 = q.cout / 4u;
  let c4 = (k.cog * WG + lid) * CO;          // this lane's first vec4 group of output channels
  let live = c4 < cout4;                     // lanes past cout4 (cout4 % CO == 0) store nothing
  let c4l = select(0u, c4, live);            // ... and load from group 0 meanwhile
  var acc: array<vec4<f32>, CI * CO>;
  // Pixel walk (uniform): p → (n, oh, ow), advanced incrementally.
  var ow = k.p0 % q.wo;
  var r = k.p0 / q.wo;
  var oh = r % q.ho;
  var n = r / q.ho;
  for (var pi = k.p0; pi < k.p1; pi++) {
    let ih = i32(oh * S) - q.pad_h + i32(k.kh);
    let iw = i32(ow * S) - q.pad_w + i32(k.kw);
    if (ih >= 0 && u32(ih) < q.h && iw >= 0 && u32(iw) < q.w) {
      let xb = ((n * q.h + u32(ih)) * q.w + u32(iw)) * q.cin + k.ci0;
      var g: array<vec4<f32>, CO>;
      for (var v = 0u; v < CO; v++) { g[v] = dy4[pi * cout4 + c4l + v]; }
      for (var i = 0u; i < CI; i++) {
        // ci past cin: read a valid x (ci = cin − 1); its row is never stored.
        let xv = vec4<f32>(xin[xb + min(i, q.cin - 1u - k.ci0)]);
        for (var v = 0u; v < CO; v++) { acc[i * CO + v] = fma(xv, g[v], acc[i * CO + v]); }
      }
    }
    ow++;
    if (ow == q.wo) { ow = 0u; oh++; if (oh == q.ho) { oh = 0u; n++; } }
  }
  if (!live) { return; }
  let tap = k.kh * KW + k.kw;
  let base = wid.y * (q.size / 4u);
  for (var i = 0u; i < CI; i++) {
    if (k.ci0 + i >= q.cin) { break; }
    for (var v = 0u; v < CO; v++) { part4[base + ((tap * q.cin + k.ci0 + i) * cout4) + c4 + v] = acc[i * CO + v]; }
  }
}

@compute @workgroup_size(WG)
fn conv_bwd_w_any(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let k = wtask(wid);
  let co = k.cog * WG + lid;
  let col = min(co, q.cout - 1u);
  var acc: array<f32, CI>;
  var ow = k.p0 % q.wo;
  var r = k.p0 / q.wo;
  var oh = r % q.ho;
  var n = r / q.ho;
  for (var pi = k.p0; pi < k.p1; pi++) {
    let ih = i32(oh * S) - q.pad_h + i32(k.kh);
    let iw = i32(ow * S) - q.pad_w + i32(k.kw);
    if (ih >= 0 && u32(ih) < q.h && iw >= 0 && u32(iw) < q.w) {
      let xb = ((n * q.h + u32(ih)) * q.w + u32(iw)) * q.cin + k.ci0;
      let g = dy[pi * q.cout + col];
      for (var i = 0u; i < CI; i++) {
        let xv = xin[xb + min(i, q.cin - 1u - k.ci0)];
        acc[i] = fma(xv, g, acc[i]);
      }
    }
    ow++;
    if (ow == q.wo) { ow = 0u; oh++; if (oh == q.ho) { oh = 0u; n++; } }
  }
  if (co >= q.cout) { return; }
  let tap = k.kh * KW + k.kw;
  let base = wid.y * q.size;
  for (var i = 0u; i < CI; i++) {
    if (k.ci0 + i >= q.cin) { break; }
    part[base + (tap * q.cin + k.ci0 + i) * q.cout + co] = acc[i];
  }
}

struct SumParams {
  size: u32,       // values per chunk
  chunks: u32,
}

@group(0) @binding(30) var<uniform> sp: SumParams;
@group(0) @binding(31) var<storage, read> parts: array<f32>;
@group(0) @binding(32) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(WG)
fn sum_chunks(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= sp.size) { return; }
  var s = 0.0;
  for (var c = 0u; c < sp.chunks; c++) { s += parts[c * sp.size + i]; }
  dw[i] = s;
}
