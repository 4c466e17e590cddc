// Stride-1 convolutions with 3 channels on one side (RGB in, RGB out): SRResNet's 9×9 head
// (3→64) and tail (64→3). NHWC activations, HWIO weights, zero padding; kernels up to MAXK×MAXK.
//
// Entry points:
//   rgb_pack_wide    w [KH,KW,3,C] → 16 KiB windows of 16 output channels: [tap][ci][16]
//   rgb_pack_narrow  w [KH,KW,C,3] → 16 KiB windows of `cww` input channels: [kh][ci][WV vec4: kw·3 + co]
//   rgb_fwd_wide     3 → C forward (head; also the input gradient of the tail, which is a
//                    3 → 64 conv of dy with the flipped kernel): PX pixels × 4·CV channels per lane
//   rgb_fwd_narrow   C → 3 forward (tail), one window of input channels per dispatch, the
//                    windows accumulated into y; the last one applies bias + activation
//   rgb_bwd_w_narrow weight gradient of C → 3 (tail): lanes over the C input channels
//   rgb_bwd_w_wide   weight gradient of 3 → C (head): lanes over the C output channels
// (the weight-gradient partial sums per chunk of rows are added by conv2d.sum_chunks).
//
// Why these exist (see shaders/conv2d.wgsl's notes): on llvmpipe every storage-buffer element
// load is a per-lane scalar load of ~8–10 instructions, a multiply-add is 2 instructions for 8
// lanes, so time follows storage loads per multiply-add. The generic direct kernels block the
// output channels, which a 3-channel side cannot fill, and reload the weights per lane. Here:
//   * weights come from a uniform window (one scalar load shared by all lanes);
//   * a lane computes PX consecutive output pixels of a row and loads the PX + KW − 1 input
//     values of a row segment once per (kh, ci): each feeds up to KW taps × the channels;
//   * the weight gradient walks a row with a sliding window of the KW shifted values in
//     registers, so each step loads one new value per channel, and keeps all KW taps × 3 × the
//     lane's channels as accumulators (one kh per workgroup).

override KH: u32 = 9;
override KW: u32 = 9;
override WG: u32 = 64;
override ACT: u32 = 0;        // the epilogue's activation: an ACT_* code of lib/act.wgsl
override HAS_BIAS: u32 = 0;

const MAXK: u32 = 9u;         // largest KH, KW: sizes the register arrays
const PX: u32 = 8u;           // forward: output pixels per lane (consecutive along W)
const SEG: u32 = PX + MAXK - 1u; // forward: input row segment of a lane
const PY: u32 = 4u;           // narrow forward: output rows per lane (row_narrow calls: one per row)
const CV: u32 = 2u;           // wide forward: vec4 groups of output channels per lane
const WB: u32 = 16u;          // wide forward: output channels per uniform window
const WV: u32 = 7u;           // narrow forward: vec4s per (kh, ci) of the window, ceil(3·MAXK / 4)
const CI: u32 = 2u;           // narrow weight gradient: input channels per lane
const CO: u32 = 4u;           // wide weight gradient: output channels per lane

// ---- weight packing ------------------------------------------------------------------------

struct PackParams {
  cin: u32,
  cout: u32,
  total: u32,     // windows · 4096
  cww: u32,       // narrow: input channels per window
}

@group(0) @binding(0) var<uniform> pp: PackParams;
@group(0) @binding(1) var<storage, read> wsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> wpk: array<f32>;

// Every element of every window is written (zeros past the kernel or the channels), so a
// window never holds garbage even where a lane loads more than it uses.
@compute @workgroup_size(WG)
fn rgb_pack_wide(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= pp.total) { return; }
  let b = i / 4096u;
  let r = i % 4096u;
  let cl = r % WB;
  let ci = (r / WB) % 3u;
  let tap = r / (3u * WB);
  let co = b * WB + cl;
  var v = 0.0;
  if (tap < KH * KW && co < pp.cout) { v = wsrc[(tap * 3u + ci) * pp.cout + co]; }
  wpk[i] = v;
}

@compute @workgroup_size(WG)
fn rgb_pack_narrow(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= pp.total) { return; }
  let b = i / 4096u;
  let r = i % 4096u;
  let e = r % (4u * WV);             // kw · 3 + co
  let row = r / (4u * WV);           // kh · cww + ci
  let kh = row / pp.cww;
  let c = b * pp.cww + row % pp.cww;
  let kw = e / 3u;
  var v = 0.0;
  if (kh < KH && kw < KW && c < pp.cin) { v = wsrc[((kh * KW + kw) * pp.cin + c) * 3u + e % 3u]; }
  wpk[i] = v;
}

// ---- forward ---------------------------------------------------------------------------------

struct FwdParams {
  h: u32,
  w: u32,
  cin: u32,
  ho: u32,
  wo: u32,
  cout: u32,
  pad_h: i32,
  pad_w: i32,
  tiles_w: u32,      // ceil(wo / PX)
  tiles_h: u32,      // narrow: ceil(ho / PY)
  threads: u32,      // n · ho · tiles_w (wide), n · tiles_h · tiles_w (narrow)
  c0: u32,           // wide: first output channel of this window; narrow: first input channel
  cw: u32,           // narrow: input channels in this window
  cww: u32,          // narrow: input channels per window (the packing stride)
  accum: u32,        // narrow: add to y (every window but the first)
  finish: u32,       // narrow: last window: bias + activation
  slope: f32,        // leaky relu slope
  alpha_stride: u32, // prelu: 1 per channel, 0 shared
}

@group(0) @binding(10) var<uniform> fp: FwdParams;
@group(0) @binding(11) var<storage, read> xf: array<f32>;
@group(0) @binding(12) var<uniform> uw: array<vec4<f32>, 1024>;
@group(0) @binding(13) var<storage, read> bias: array<f32>;
@group(0) @binding(14) var<storage, read> alpha: array<f32>;
@group(0) @binding(15) var<storage, read_write> y: array<f32>;

//! include lib/conv_act.wgsl

// Bias, then the activation: the epilogue of the wide forward and of the narrow one's last window.
fn epilogue(z: f32, c: u32) -> f32 {
  var b = z;
  if (HAS_BIAS != 0u) { b += bias[c]; }
  return act_at(b, c, fp.slope, fp.alpha_stride);
}

struct Tile { n: u32, oh: u32, ow0: u32, ok: bool }

fn tile(gid: vec3<u32>, nwg: vec3<u32>) -> Tile {
  let t = gid.x + gid.z * nwg.x * WG;
  let tw = t % fp.tiles_w;
  let r = t / fp.tiles_w;
  return Tile(r / fp.ho, r % fp.ho, tw * PX, t < fp.threads);
}

// The PX + KW − 1 input values of row `row` (pixel index of its first column), columns
// ow0 − pad_w …, channel `c` of `stride` channels; zero outside the image.
fn load_segment(row: u32, ow0: u32, c: u32, stride: u32) -> array<f32, SEG> {
  var xr: array<f32, SEG>;
  let iw0 = i32(ow0) - fp.pad_w;
  for (var j = 0u; j < PX + KW - 1u; j++) {
    let iw = iw0 + i32(j);
    let ok = iw >= 0 && u32(iw) < fp.w;
    xr[j] = select(0.0, xf[(row + select(0u, u32(iw), ok)) * stride + c], ok);
  }
  return xr;
}

// xr[j] ← xr[j + 1]. The tap loop (kw) is not unrolled by the compiler (too large), so
// xr[j + kw] would be a dynamic index into a register array: llvmpipe turns that into a
// per-lane gather from the stack. Shifting the segment by one per tap keeps every index constant.
fn shift(xr: ptr<function, array<f32, SEG>>) {
  for (var s = 0u; s + 1u < SEG; s++) { (*xr)[s] = (*xr)[s + 1u]; }
}

// Output pixel j (a constant at every call) of the wide forward: its 4·CV channels over the KW
// taps of input row segment xr, with the weights wk [kw][v] of this (kh, ci). Loops the
// compiler does not unroll would index xr[j + kw] dynamically, which llvmpipe turns into a
// per-lane gather from the stack; hence the calls with constant j (the small inner loops are
// unrolled). Pixel-major, so each accumulator stays in registers through its KW multiply-adds.
fn pix_wide(acc: ptr<function, array<vec4<f32>, PX * CV> >, xr: ptr<function, array<f32, SEG> >,
            wk: ptr<function, array<vec4<f32>, MAXK * CV> >, j: u32) {
  for (var v = 0u; v < CV; v++) {
    var a = (*acc)[j * CV + v];
    for (var kw = 0u; kw < MAXK; kw++) {
      if (kw < KW) { a = fma(vec4<f32>((*xr)[j + kw]), (*wk)[kw * CV + v], a); }
    }
    (*acc)[j * CV + v] = a;
  }
}

@compute @workgroup_size(WG)
fn rgb_fwd_wide(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(workgroup_id) wid: vec3<u32>) {
  let t = tile(gid, nwg);
  if (!t.ok) { return; }
  let cb = wid.y * CV;                 // first vec4 group inside the window: uniform
  var acc: array<vec4<f32>, PX * CV>;
  for (var kh = 0u; kh < KH; kh++) {
    let ih = i32(t.oh) - fp.pad_h + i32(kh);
    if (ih < 0 || u32(ih) >= fp.h) { continue; }
    let row = (t.n * fp.h + u32(ih)) * fp.w;
    for (var ci = 0u; ci < 3u; ci++) {
      var xr = load_segment(row, t.ow0, ci, 3u);
      var wk: array<vec4<f32>, MAXK * CV>;
      for (var kw = 0u; kw < MAXK; kw++) {
        for (var v = 0u; v < CV; v++) {
          wk[kw * CV + v] = uw[((kh * KW + min(kw, KW - 1u)) * 3u + ci) * (WB / 4u) + cb + v];
        }
      }
      // One call per pixel: PX = 8.
      pix_wide(&acc, &xr, &wk, 0u); pix_wide(&acc, &xr, &wk, 1u); pix_wide(&acc, &xr, &wk, 2u);
      pix_wide(&acc, &xr, &wk, 3u); pix_wide(&acc, &xr, &wk, 4u); pix_wide(&acc, &xr, &wk, 5u);
      pix_wide(&acc, &xr, &wk, 6u); pix_wide(&acc, &xr, &wk, 7u);
    }
  }
  let obase = (t.n * fp.ho + t.oh) * fp.wo;
  for (var j = 0u; j < PX; j++) {
    if (t.ow0 + j >= fp.wo) { break; }
    let o = (obase + t.ow0 + j) * fp.cout;
    for (var v = 0u; v < CV; v++) {
      for (var e = 0u; e < 4u; e++) {
        let c = fp.c0 + (cb + v) * 4u + e;
        if (c < fp.cout) { y[o + c] = epilogue(acc[j * CV + v][e], c); }
      }
    }
  }
}

// Output pixel j (constant at every call) of output row py of the narrow forward: its 3
// channels over the KW taps of input row segment xr, with the 3·KW weights wr of this (kh, ci).
// Pixel-major, so each accumulator stays in a register through its KW multiply-adds (tap-major
// order spills and reloads every accumulator once per tap).
fn pix_narrow(acc: ptr<function, array<f32, PY * PX * 3u> >, xr: ptr<function, array<f32, SEG> >,
              wr: ptr<function, array<vec4<f32>, WV> >, py: u32, j: u32) {
  for (var co = 0u; co < 3u; co++) {
    var a = (*acc)[(py * PX + j) * 3u + co];
    for (var kw = 0u; kw < MAXK; kw++) {
      if (kw < KW) { a = fma((*xr)[j + kw], (*wr)[(kw * 3u + co) / 4u][(kw * 3u + co) % 4u], a); }
    }
    (*acc)[(py * PX + j) * 3u + co] = a;
  }
}

// Input row ri of the lane's patch feeds output row py (constant at every call) through the
// kernel row kh = ri − py, when that is one: a uniform branch.
fn row_narrow(acc: ptr<function, array<f32, PY * PX * 3u> >, xr: ptr<function, array<f32, SEG> >, ri: u32, ci: u32, py: u32) {
  if (ri < py || ri - py >= KH) { return; }
  var wr: array<vec4<f32>, WV>;
  for (var v = 0u; v < WV; v++) { wr[v] = uw[((ri - py) * fp.cww + ci) * WV + v]; }
  // One call per pixel: PX = 8.
  pix_narrow(acc, xr, &wr, py, 0u); pix_narrow(acc, xr, &wr, py, 1u); pix_narrow(acc, xr, &wr, py, 2u);
  pix_narrow(acc, xr, &wr, py, 3u); pix_narrow(acc, xr, &wr, py, 4u); pix_narrow(acc, xr, &wr, py, 5u);
  pix_narrow(acc, xr, &wr, py, 6u); pix_narrow(acc, xr, &wr, py, 7u);
}

// A lane computes a PY × PX tile of output pixels × 3 channels: each input value it loads (a
// row segment per patch row and channel) feeds up to PY kernel rows × KW taps × 3 channels.
@compute @workgroup_size(WG)
fn rgb_fwd_narrow(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.z * nwg.x * WG;
  if (t >= fp.threads) { return; }
  let r = t / fp.tiles_w;
  let ow0 = (t % fp.tiles_w) * PX;
  let oh0 = (r % fp.tiles_h) * PY;
  let n = r / fp.tiles_h;
  var acc: array<f32, PY * PX * 3u>;
  for (var ci = 0u; ci < fp.cw; ci++) {
    for (var ri = 0u; ri < PY + KH - 1u; ri++) {
      let ih = i32(oh0 + ri) - fp.pad_h;
      if (ih < 0 || u32(ih) >= fp.h) { continue; }
      var xr = load_segment((n * fp.h + u32(ih)) * fp.w, ow0, fp.c0 + ci, fp.cin);
      row_narrow(&acc, &xr, ri, ci, 0u); row_narrow(&acc, &xr, ri, ci, 1u);
      row_narrow(&acc, &xr, ri, ci, 2u); row_narrow(&acc, &xr, ri, ci, 3u);
    }
  }
  for (var py = 0u; py < PY; py++) {
    let oh = oh0 + py;
    if (oh >= fp.ho) { break; }
    for (var j = 0u; j < PX; j++) {
      if (ow0 + j >= fp.wo) { break; }
      let o = ((n * fp.ho + oh) * fp.wo + ow0 + j) * 3u;
      for (var co = 0u; co < 3u; co++) {
        var z = acc[(py * PX + j) * 3u + co];
        if (fp.accum != 0u) { z += y[o + co]; }
        if (fp.finish != 0u) { z = epilogue(z, co); }
        y[o + co] = z;
      }
    }
  }
}

// ---- weight gradient -------------------------------------------------------------------------
//   dw[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh − pad_h + kh, ow − pad_w + kw, ci] · dy[n,oh,ow,co]
// Workgroup x: (kh, group of lanes over the wide side's channels); y: a chunk of output rows
// (n, oh). A lane walks its rows left to right: a row with ih outside the image is skipped
// (uniform: kh is per workgroup), and a sliding window keeps the KW values x[ow − pad_w + kw]
// so one step loads one new x per channel. Partial sums go to part[chunk] in dw's layout.

struct WParams {
  h: u32,
  w: u32,
  c: u32,          // channels of the wide side
  ho: u32,
  wo: u32,
  pad_h: i32,
  pad_w: i32,
  rows: u32,       // n · ho
  chunk_rows: u32, // rows per workgroup along y
  groups: u32,     // lane groups along the wide channels
  size: u32,       // KH · KW · 3 · c
}

@group(0) @binding(20) var<uniform> q: WParams;
@group(0) @binding(21) var<storage, read> xin: array<f32>;
@group(0) @binding(22) var<storage, read> dy: array<f32>;
@group(0) @binding(23) var<storage, read_write> part: array<f32>;

// x at column iw of pixel row `row`, channel c of `stride`; zero outside the image.
fn xat(row: u32, iw: i32, c: u32, stride: u32) -> f32 {
  let ok = iw >= 0 && u32(iw) < q.w;
  return select(0.0, xin[(row + select(0u, u32(iw), ok)) * stride + c], ok);
}

// C → 3: x has the C channels (CI per lane), dy has 3.
@compute @workgroup_size(WG)
fn rgb_bwd_w_narrow(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x % q.groups;
  let kh = wid.x / q.groups;
  let c0 = (g * WG + lid) * CI;
  var cl: array<u32, CI>;              // channels past c read channel c − 1 and are never stored
  for (var i = 0u; i < CI; i++) { cl[i] = min(c0 + i, q.c - 1u); }
  let r0 = wid.y * q.chunk_rows;
  let r1 = min(r0 + q.chunk_rows, q.rows);
  var acc: array<f32, CI * MAXK * 3u>; // (i · MAXK + kw) · 3 + co
  for (var r = r0; r < r1; r++) {
    let oh = r % q.ho;
    let ih = i32(oh) - q.pad_h + i32(kh);
    if (ih < 0 || u32(ih) >= q.h) { continue; }
    let row = ((r / q.ho) * q.h + u32(ih)) * q.w;
    // Window before ow = 0, shifted in at the top of the loop: xr[kw] holds column kw − 1 − pad_w.
    var xr: array<f32, CI * MAXK>;
    for (var kw = 1u; kw < KW; kw++) {
      for (var i = 0u; i < CI; i++) { xr[i * MAXK + kw] = xat(row, i32(kw) - 1 - q.pad_w, cl[i], q.c); }
    }
    for (var ow = 0u; ow < q.wo; ow++) {
      let iw = i32(ow + KW - 1u) - q.pad_w;
      for (var i = 0u; i < CI; i++) {
        for (var kw = 0u; kw + 1u < KW; kw++) { xr[i * MAXK + kw] = xr[i * MAXK + kw + 1u]; }
        xr[i * MAXK + KW - 1u] = xat(row, iw, cl[i], q.c);
      }
      let d = (r * q.wo + ow) * 3u;
      let g0 = dy[d];
      let g1 = dy[d + 1u];
      let g2 = dy[d + 2u];
      for (var i = 0u; i < CI; i++) {
        for (var kw = 0u; kw < KW; kw++) {
          let xv = xr[i * MAXK + kw];
          let a = (i * MAXK + kw) * 3u;
          acc[a] = fma(xv, g0, acc[a]);
          acc[a + 1u] = fma(xv, g1, acc[a + 1u]);
          acc[a + 2u] = fma(xv, g2, acc[a + 2u]);
        }
      }
    }
  }
  let base = wid.y * q.size;
  for (var i = 0u; i < CI; i++) {
    if (c0 + i >= q.c) { break; }
    for (var kw = 0u; kw < KW; kw++) {
      for (var co = 0u; co < 3u; co++) {
        part[base + ((kh * KW + kw) * q.c + c0 + i) * 3u + co] = acc[(i * MAXK + kw) * 3u + co];
      }
    }
  }
}

// 3 → C: x has 3 channels, dy has the C channels (CO per lane).
@compute @workgroup_size(WG)
fn rgb_bwd_w_wide(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x % q.groups;
  let kh = wid.x / q.groups;
  let c0 = (g * WG + lid) * CO;
  var cl: array<u32, CO>;              // channels past c read channel c − 1 and are never stored
  for (var i = 0u; i < CO; i++) { cl[i] = min(c0 + i, q.c - 1u); }
  let r0 = wid.y * q.chunk_rows;
  let r1 = min(r0 + q.chunk_rows, q.rows);
  var acc: array<f32, MAXK * 3u * CO>; // (kw · 3 + ci) · CO + i
  for (var r = r0; r < r1; r++) {
    let oh = r % q.ho;
    let ih = i32(oh) - q.pad_h + i32(kh);
    if (ih < 0 || u32(ih) >= q.h) { continue; }
    let row = ((r / q.ho) * q.h + u32(ih)) * q.w;
    var xr: array<f32, MAXK * 3u>;     // kw · 3 + ci
    for (var kw = 1u; kw < KW; kw++) {
      for (var ci = 0u; ci < 3u; ci++) { xr[kw * 3u + ci] = xat(row, i32(kw) - 1 - q.pad_w, ci, 3u); }
    }
    for (var ow = 0u; ow < q.wo; ow++) {
      let iw = i32(ow + KW - 1u) - q.pad_w;
      for (var kw = 0u; kw + 1u < KW; kw++) {
        for (var ci = 0u; ci < 3u; ci++) { xr[kw * 3u + ci] = xr[(kw + 1u) * 3u + ci]; }
      }
      for (var ci = 0u; ci < 3u; ci++) { xr[(KW - 1u) * 3u + ci] = xat(row, iw, ci, 3u); }
      let d = (r * q.wo + ow) * q.c;
      var gd: array<f32, CO>;
      for (var i = 0u; i < CO; i++) { gd[i] = dy[d + cl[i]]; }
      for (var e = 0u; e < KW * 3u; e++) {
        let xv = xr[e];
        for (var i = 0u; i < CO; i++) { acc[e * CO + i] = fma(xv, gd[i], acc[e * CO + i]); }
      }
    }
  }
  let base = wid.y * q.size;
  for (var e = 0u; e < KW * 3u; e++) {
    for (var i = 0u; i < CO; i++) {
      if (c0 + i < q.c) { part[base + (kh * KW * 3u + e) * q.c + c0 + i] = acc[e * CO + i]; }
    }
  }
}
