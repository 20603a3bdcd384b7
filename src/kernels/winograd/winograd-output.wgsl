// Winograd output transform: Y = A^T M A for every tile and output channel, then the bias.
// M [T * T][P][K] comes from the GEMMs; Y lands in the NHWC output, m x m pixels a tile,
// clipped at the image's bottom and right edges. One thread per (tile, output channel).
// T, m and A^T are written into the source per variant (winograd-webgpu.ts), so every loop has
// a constant trip count, unrolls, and mt and t stay in registers, not in slow local memory.
const T: u32 = /*T*/0u;
const m: u32 = /*m*/0u;
const AT = array<f32, /*mT*/1>(/*AT*/0.0); // [m][T]
struct Params {
  n: u32, oh: u32, ow: u32, k: u32,
  tilesH: u32, tilesW: u32, T: u32, m: u32,
  total: u32, hasBias: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read> M: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let idx = (wg.y * groups.x + wg.x) * 256u + lid.x;
  if (idx >= p.total) { return; }
  let oc = idx % p.k;
  let tile = idx / p.k;
  let P = p.total / p.k;
  let tilesPerImage = p.tilesH * p.tilesW;
  let b = tile / tilesPerImage;
  let ty = (tile % tilesPerImage) / p.tilesW;
  let tx = tile % p.tilesW;
  var mt: array<f32, T * T>;
  for (var i = 0u; i < T * T; i++) { mt[i] = M[(i * P + tile) * p.k + oc]; }
  // t = A^T M ([m][T]), then Y = t A ([m][m]).
  var t: array<f32, m * T>;
  for (var i = 0u; i < m; i++) {
    for (var j = 0u; j < T; j++) {
      var s = 0.0;
      for (var k = 0u; k < T; k++) { s += AT[i * T + k] * mt[k * T + j]; }
      t[i * T + j] = s;
    }
  }
  var bv = 0.0;
  if (p.hasBias != 0u) { bv = bias[oc]; }
  for (var i = 0u; i < m; i++) {
    let oy = ty * m + i;
    if (oy >= p.oh) { break; }
    for (var j = 0u; j < m; j++) {
      let ox = tx * m + j;
      if (ox >= p.ow) { break; }
      var s = 0.0;
      for (var k = 0u; k < T; k++) { s += t[i * T + k] * AT[j * T + k]; }
      y[((b * p.oh + oy) * p.ow + ox) * p.k + oc] = s + bv;
    }
  }
}
