// The flat thread index of a 1-D problem laid out by grid1d(n, WG) (src/graph/grid.ts): a 2-D
// grid of workgroups once n passes 65535 of them. The including shader declares `override WG`.
fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}
