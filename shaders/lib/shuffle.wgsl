// Where conv output channel c of pixel (n, oh, ow) lands when the output is pixel-shuffled by
// R, the including shader's override (PyTorch order: channel c / R² of pixel
// (R·oh + c / R % R, R·ow + c % R)); ho, wo, cout are the conv's own output sizes.
fn shuffled(n: u32, oh: u32, ow: u32, c: u32, ho: u32, wo: u32, cout: u32) -> u32 {
  let r2 = R * R;
  return ((n * ho * R + R * oh + (c / R) % R) * wo * R + R * ow + c % R) * (cout / r2) + c / r2;
}
