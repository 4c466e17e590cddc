// Dispatch-size helpers. A 1-D problem larger than 65535 workgroups is spread over a 2-D grid;
// kernels recover the flat index as gid.x + gid.y * (num_workgroups.x * WG).

export function grid1d(n: number, workgroupSize: number, maxPerDim = 65535): [number, number] {
  const groups = Math.ceil(n / workgroupSize);
  if (groups <= maxPerDim) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}
