// advtune's native WASM kernels. Mainly 3x3 stride-1 "same" convolutions of NHWC float32 tensors
// by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray 2016): each 4x4 output tile costs 36
// multiply-adds per input and output channel pair instead of direct convolution's 144, a quarter
// of the arithmetic (forward, input gradient, weight gradient); then the elementwise passes
// fused into them or run after them, and train-mode BatchNorm's passes.
//
// The module imports the tfjs WASM backend's own memory, so it reads and writes tensors where
// tfjs keeps them (no copies). It must therefore own nothing in that memory: no data segments,
// no static variables, and a shadow stack in a block the loader allocated (the build checks the
// first two; the loader sets the exported __stack_pointer for the third).
//
// Work is split into items: conv(..., t0, t1) computes output tiles [t0, t1), and likewise for
// the other kernels, so threads sharing the memory each take ranges (winograd-pool.ts), as
// XNNPACK's threads split its convolutions.

#include <wasm_simd128.h>

typedef v128_t v4;

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

// ---- filter transform U = G g G^T, g 3x3 -> U 6x6, scalar (once per call, ~1 % of the work) ----

INLINE void g6(float a, float b, float c, float* t) {
  t[0] = a * 0.25f;
  t[1] = (a + b + c) * (-1.0f / 6.0f);
  t[2] = (a - b + c) * (-1.0f / 6.0f);
  t[3] = a * (1.0f / 24.0f) + b * (1.0f / 12.0f) + c * (1.0f / 6.0f);
  t[4] = a * (1.0f / 24.0f) - b * (1.0f / 12.0f) + c * (1.0f / 6.0f);
  t[5] = c;
}

/**
 * w: HWIO filter [3][3][cin][cout] of the convolution to compute, or, with flip != 0, the filter
 * of the forward convolution whose input gradient is computed: [3][3][cout][cin], rotated by 180
 * degrees and with its channel axes swapped. u: [36][cin][cout].
 */
EXPORT(winograd_filter)
void winograd_filter(const float* w, float* u, int cin, int cout, int flip) {
  for (int i = 0; i < cin; i++) {
    for (int o = 0; o < cout; o++) {
      float g[3][3];
      for (int kh = 0; kh < 3; kh++)
        for (int kw = 0; kw < 3; kw++)
          g[kh][kw] = flip ? w[(((2 - kh) * 3 + (2 - kw)) * cout + o) * cin + i] : w[((kh * 3 + kw) * cin + i) * cout + o];
      float t[3][6]; // t[k][a] = (G g)[a][k]
      for (int k = 0; k < 3; k++) g6(g[0][k], g[1][k], g[2][k], t[k]);
      for (int a = 0; a < 6; a++) {
        float r[6];
        g6(t[0][a], t[1][a], t[2][a], r);
        for (int b = 0; b < 6; b++) u[((a * 6 + b) * cin + i) * cout + o] = r[b];
      }
    }
  }
}

// ---- input transform V = B^T d B, four channels per vector ----

INLINE void bt6(v4 d0, v4 d1, v4 d2, v4 d3, v4 d4, v4 d5, v4* z) {
  const v4 two = wasm_f32x4_splat(2.0f), four = wasm_f32x4_splat(4.0f), five = wasm_f32x4_splat(5.0f);
  v4 d42 = wasm_f32x4_sub(d4, d2);
  z[0] = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(four, d0), wasm_f32x4_mul(five, d2)), d4);
  z[1] = wasm_f32x4_sub(wasm_f32x4_add(d3, d4), wasm_f32x4_mul(four, wasm_f32x4_add(d1, d2)));
  z[2] = wasm_f32x4_add(wasm_f32x4_sub(d4, d3), wasm_f32x4_mul(four, wasm_f32x4_sub(d1, d2)));
  z[3] = wasm_f32x4_add(wasm_f32x4_mul(two, wasm_f32x4_sub(d3, d1)), d42);
  z[4] = wasm_f32x4_add(wasm_f32x4_mul(two, wasm_f32x4_sub(d1, d3)), d42);
  z[5] = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(four, d1), wasm_f32x4_mul(five, d3)), d5);
}

// ---- output transform Y = A^T m A ----

INLINE void at6(v4 m0, v4 m1, v4 m2, v4 m3, v4 m4, v4 m5, v4* y) {
  v4 s12 = wasm_f32x4_add(m1, m2), d12 = wasm_f32x4_sub(m1, m2);
  v4 s34 = wasm_f32x4_add(m3, m4), d34 = wasm_f32x4_sub(m3, m4);
  y[0] = wasm_f32x4_add(wasm_f32x4_add(m0, s12), s34);
  y[1] = wasm_f32x4_add(d12, wasm_f32x4_mul(wasm_f32x4_splat(2.0f), d34));
  y[2] = wasm_f32x4_add(s12, wasm_f32x4_mul(wasm_f32x4_splat(4.0f), s34));
  y[3] = wasm_f32x4_add(wasm_f32x4_add(d12, wasm_f32x4_mul(wasm_f32x4_splat(8.0f), d34)), m5);
}

/** Tile t's 6x6 input patch, four channels from c, transformed into v[p][tl][c..c+3]. */
INLINE void input_tile(const float* x, float* v, int h, int w, int cin, int tiles, int tl, int img, int ty, int tx, int c) {
  const int r0 = 4 * ty - 1, c0 = 4 * tx - 1;
  v4 d[6][6];
  if (r0 >= 0 && r0 + 6 <= h && c0 >= 0 && c0 + 6 <= w) {
    const float* p = x + ((long)(img * h + r0) * w + c0) * cin + c;
    for (int a = 0; a < 6; a++, p += (long)w * cin)
      for (int b = 0; b < 6; b++) d[a][b] = wasm_v128_load(p + (long)b * cin);
  } else {
    // Border tiles: outside pixels read a clamped in-bounds address, then are masked to zero (no branches).
    int cc[6];
    v4 cm[6];
    for (int b = 0; b < 6; b++) {
      const int col = c0 + b, ok = col >= 0 && col < w;
      cc[b] = ok ? col : 0;
      cm[b] = wasm_i32x4_splat(-ok);
    }
    for (int a = 0; a < 6; a++) {
      const int r = r0 + a, ok = r >= 0 && r < h;
      const float* row = x + ((long)(img * h + (ok ? r : 0)) * w) * cin + c;
      const v4 rm = wasm_i32x4_splat(-ok);
      for (int b = 0; b < 6; b++) d[a][b] = wasm_v128_and(wasm_v128_and(wasm_v128_load(row + (long)cc[b] * cin), cm[b]), rm);
    }
  }
  v4 t[6][6]; // t[b][a] = (B^T d)[a][b]
  for (int b = 0; b < 6; b++) bt6(d[0][b], d[1][b], d[2][b], d[3][b], d[4][b], d[5][b], t[b]);
  for (int a = 0; a < 6; a++) {
    v4 z[6];
    bt6(t[0][a], t[1][a], t[2][a], t[3][a], t[4][a], t[5][a], z);
    for (int b = 0; b < 6; b++) wasm_v128_store(v + ((long)(a * 6 + b) * tiles + tl) * cin + c, z[b]);
  }
}

// ---- what may follow a convolution in the same pass over its output ----
//
// At each output value, in this order: + bias[channel], + res[same position], max(·, 0), and
// · step(gate[same position]). Each is the very float32 operation tfjs's own Add, Relu, Step and
// Multiply kernels do, so a fused result is bit-identical to the unfused ops: Relu is f32 max
// (NaN stays NaN, −0 becomes +0) and Step is 1 above 0, NaN for NaN, else 0.

typedef struct {
  const float* bias;
  const float* res;
  const float* gate;
  int relu;
} Epilogue;

INLINE v4 step4(v4 g) {
  const v4 s = wasm_v128_bitselect(wasm_f32x4_splat(1.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_gt(g, wasm_f32x4_splat(0.0f)));
  return wasm_v128_bitselect(g, s, wasm_f32x4_ne(g, g));
}

/** The epilogue of four channels from o at element offset `at`. */
INLINE v4 finish4(v4 v, const Epilogue* e, long at, int o) {
  if (e->bias) v = wasm_f32x4_add(v, wasm_v128_load(e->bias + o));
  if (e->res) v = wasm_f32x4_add(v, wasm_v128_load(e->res + at));
  if (e->relu) v = wasm_f32x4_max(v, wasm_f32x4_splat(0.0f));
  if (e->gate) v = wasm_f32x4_mul(v, step4(wasm_v128_load(e->gate + at)));
  return v;
}

INLINE float finish1(float v, const Epilogue* e, long at, int o) {
  if (e->bias) v = v + e->bias[o];
  if (e->res) v = v + e->res[at];
  if (e->relu) v = __builtin_wasm_max_f32(v, 0.0f);
  if (e->gate) {
    const float g = e->gate[at];
    v = v * (g > 0.0f ? 1.0f : g != g ? g : 0.0f);
  }
  return v;
}

/**
 * out = epilogue(x) for rows [r0, r1) of c channels each (out may be x): bias-add, residual-add,
 * ReLU, ReLU-gradient and their chains in one pass. Null pointers (0) and relu 0 skip a step.
 */
EXPORT(advtune_epilogue)
void advtune_epilogue(const float* x, float* out, int c, float* scratch, const float* bias, const float* res, const float* gate, int relu, int r0, int r1) {
  (void)scratch;
  const Epilogue e = {bias, res, gate, relu};
  for (int r = r0; r < r1; r++) {
    const long row = (long)r * c;
    int o = 0;
    for (; o + 4 <= c; o += 4) wasm_v128_store(out + row + o, finish4(wasm_v128_load(x + row + o), &e, row + o, o));
    for (; o < c; o++) out[row + o] = finish1(x[row + o], &e, row + o, o);
  }
}

/** m[p][tl][o..o+3] back to the 4x4 output tile, through the epilogue. */
INLINE void output_tile(const float* m, float* y, const Epilogue* e, int h, int w, int cout, int tiles, int tl, int img, int ty, int tx, int o) {
  v4 t[6][4]; // t[b][a] = (A^T m)[a][b]
  for (int b = 0; b < 6; b++) {
    v4 col[6];
    for (int a = 0; a < 6; a++) col[a] = wasm_v128_load(m + ((long)(a * 6 + b) * tiles + tl) * cout + o);
    at6(col[0], col[1], col[2], col[3], col[4], col[5], t[b]);
  }
  for (int a = 0; a < 4; a++) {
    v4 r[4];
    at6(t[0][a], t[1][a], t[2][a], t[3][a], t[4][a], t[5][a], r);
    const long at = ((long)(img * h + 4 * ty + a) * w + 4 * tx) * cout + o;
    for (int b = 0; b < 4; b++) wasm_v128_store(y + at + (long)b * cout, finish4(r[b], e, at + (long)b * cout, o));
  }
}

// ---- the 36 matrix products M_p = V_p U_p: [tiles x cin] x [cin x cout], 4 rows x 8 columns at a time ----

INLINE v4 splat_lane(v4 a, int lane) {
  switch (lane) {
    case 0:
      return wasm_i32x4_shuffle(a, a, 0, 0, 0, 0);
    case 1:
      return wasm_i32x4_shuffle(a, a, 1, 1, 1, 1);
    case 2:
      return wasm_i32x4_shuffle(a, a, 2, 2, 2, 2);
    default:
      return wasm_i32x4_shuffle(a, a, 3, 3, 3, 3);
  }
}

// The products' multiply-adds. The -fma builds (relaxed SIMD, for engines that have it) fuse each
// into one instruction where the CPU has one, rounding once; the plain builds multiply, then add.
// Only here: the transforms gained ~1 % from fusing (Node, one thread, 2026-12-05), not worth
// moving the two builds' results further apart.
#ifdef ADVTUNE_FMA
#define MAC(acc, a, b) acc = wasm_f32x4_relaxed_madd(a, b, acc)
#else
#define MAC(acc, a, b) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

/** A 4-row x 8-column block of accumulators: a[2r] and a[2r+1] hold row r's two halves. */
typedef struct {
  v4 a[8];
} Acc4x8;

/** acc += (x0..x3 broadcast down the rows) ⊗ (b0 | b1): one rank-1 update of the 4x8 block. */
INLINE void rank1(Acc4x8* acc, v4 x0, v4 x1, v4 x2, v4 x3, v4 b0, v4 b1) {
  MAC(acc->a[0], x0, b0);
  MAC(acc->a[1], x0, b1);
  MAC(acc->a[2], x1, b0);
  MAC(acc->a[3], x1, b1);
  MAC(acc->a[4], x2, b0);
  MAC(acc->a[5], x2, b1);
  MAC(acc->a[6], x3, b0);
  MAC(acc->a[7], x3, b1);
}

/** The block from (or to) rows m, m + stride, m + 2·stride, m + 3·stride, eight floats each. */
INLINE Acc4x8 load4x8(const float* m, int stride) {
  Acc4x8 acc;
  for (int r = 0; r < 4; r++) {
    acc.a[2 * r] = wasm_v128_load(m + (long)r * stride);
    acc.a[2 * r + 1] = wasm_v128_load(m + (long)r * stride + 4);
  }
  return acc;
}

INLINE void store4x8(float* m, int stride, const Acc4x8* acc) {
  for (int r = 0; r < 4; r++) {
    wasm_v128_store(m + (long)r * stride, acc->a[2 * r]);
    wasm_v128_store(m + (long)r * stride + 4, acc->a[2 * r + 1]);
  }
}

static void gemm(const float* v, const float* u, float* m, int tiles, int cin, int cout) {
  for (int r = 0; r < tiles; r += 4) {
    const float* v0 = v + (long)r * cin;
    const float* v1 = v0 + cin;
    const float* v2 = v1 + cin;
    const float* v3 = v2 + cin;
    for (int o = 0; o < cout; o += 8) {
      Acc4x8 acc;
      for (int k = 0; k < 8; k++) acc.a[k] = wasm_f32x4_splat(0.0f);
      const float* up = u + o;
      for (int i = 0; i < cin; i += 4) {
        const v4 x0 = wasm_v128_load(v0 + i), x1 = wasm_v128_load(v1 + i), x2 = wasm_v128_load(v2 + i), x3 = wasm_v128_load(v3 + i);
#pragma clang loop unroll(full)
        for (int l = 0; l < 4; l++) {
          const v4 u0 = wasm_v128_load(up), u1 = wasm_v128_load(up + 4);
          up += cout;
          rank1(&acc, splat_lane(x0, l), splat_lane(x1, l), splat_lane(x2, l), splat_lane(x3, l), u0, u1);
        }
      }
      store4x8(m + (long)r * cout + o, cout, &acc);
    }
  }
}

/**
 * y = epilogue(conv(x, w)) for output tiles [t0, t1) of n images h x w (both multiples of 4), with
 * u from winograd_filter; bias, res, gate and relu as for advtune_epilogue. Tile t is image
 * t / (h/4 · w/4), row-major within it. Blocks of `block` tiles (a multiple of 4) go through
 * scratch: v [36][block][cin] then m [36][block][cout] floats. cin must be a multiple of 4, cout of 8.
 */
EXPORT(winograd_conv)
void winograd_conv(const float* x, const float* u, float* y, float* scratch, int h, int w, int cin, int cout, int block, const float* bias, const float* res,
                   const float* gate, int relu, int t0, int t1) {
  const Epilogue e = {bias, res, gate, relu};
  float* v = scratch;
  float* m = scratch + (long)36 * block * cin;
  const int tw = w / 4, perImage = (h / 4) * tw;
  for (int start = t0; start < t1; start += block) {
    const int count = t1 - start < block ? t1 - start : block;
    for (int tl = 0; tl < block; tl++) {
      if (tl < count) {
        const int t = start + tl, img = t / perImage, rest = t - img * perImage;
        for (int c = 0; c < cin; c += 4) input_tile(x, v, h, w, cin, block, tl, img, rest / tw, rest % tw, c);
      } else {
        // Rows past the last tile: zeros, so the products over them stay finite and cheap.
        for (int p = 0; p < 36; p++)
          for (int c = 0; c < cin; c += 4) wasm_v128_store(v + ((long)p * block + tl) * cin + c, wasm_f32x4_splat(0.0f));
      }
    }
    for (int p = 0; p < 36; p++) gemm(v + (long)p * block * cin, u + (long)p * cin * cout, m + (long)p * block * cout, block, cin, cout);
    for (int tl = 0; tl < count; tl++) {
      const int t = start + tl, img = t / perImage, rest = t - img * perImage;
      for (int o = 0; o < cout; o += 4) output_tile(m, y, &e, h, w, cout, block, tl, img, rest / tw, rest % tw, o);
    }
  }
}

// ---- weight gradient ----
//
// The forward is bilinear in the transformed filter U and input V: y = A^T (U ⊙ V) A per tile,
// so a tile's dy reaches U as (A dy A^T) ⊙ V and the filter as G^T [(A dy A^T) ⊙ V] G. Summed
// over tiles, that is 36 products M_p = V_p^T E_p ([cin x tiles] x [tiles x cout]) and one small
// transform per filter: the same quarter of direct convolution's arithmetic as the forward.
//
// The sum over tiles is cut into chunks of a fixed size set by the shape alone; each chunk's sums
// go to its own slot and winograd_wgrad_reduce adds the slots in order, so the result is
// bit-identical however many threads took the chunks.

/** (A g) for a 4-vector g: the 6 rows of A = [1 0 0 0; 1 1 1 1; 1 -1 1 -1; 1 2 4 8; 1 -2 4 -8; 0 0 0 1]. */
INLINE void a6(v4 g0, v4 g1, v4 g2, v4 g3, v4* t) {
  v4 s02 = wasm_f32x4_add(g0, g2), s13 = wasm_f32x4_add(g1, g3);
  v4 f02 = wasm_f32x4_add(g0, wasm_f32x4_mul(wasm_f32x4_splat(4.0f), g2));
  v4 f13 = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_splat(2.0f), g1), wasm_f32x4_mul(wasm_f32x4_splat(8.0f), g3));
  t[0] = g0;
  t[1] = wasm_f32x4_add(s02, s13);
  t[2] = wasm_f32x4_sub(s02, s13);
  t[3] = wasm_f32x4_add(f02, f13);
  t[4] = wasm_f32x4_sub(f02, f13);
  t[5] = g3;
}

/** dy's 4x4 tile t, four channels from o, as E = A dy A^T into e[p][tl][o..o+3]. */
INLINE void grad_tile(const float* dy, float* e, int h, int w, int cout, int tiles, int tl, int img, int ty, int tx, int o) {
  v4 t[4][6]; // t[a][q] = (dy A^T)[a][q]
  for (int a = 0; a < 4; a++) {
    const float* row = dy + ((long)(img * h + 4 * ty + a) * w + 4 * tx) * cout + o;
    a6(wasm_v128_load(row), wasm_v128_load(row + cout), wasm_v128_load(row + 2 * cout), wasm_v128_load(row + 3 * cout), t[a]);
  }
  for (int q = 0; q < 6; q++) {
    v4 z[6];
    a6(t[0][q], t[1][q], t[2][q], t[3][q], z);
    for (int p = 0; p < 6; p++) wasm_v128_store(e + ((long)(p * 6 + q) * tiles + tl) * cout + o, z[p]);
  }
}

/** m[cin][cout] += v[0..count)[cin]^T e[0..count)[cout], 4 rows x 8 columns at a time. */
static void gemm_tn(const float* v, const float* e, float* m, int count, int cin, int cout) {
  for (int i = 0; i < cin; i += 4) {
    for (int o = 0; o < cout; o += 8) {
      float* m0 = m + (long)i * cout + o;
      Acc4x8 acc = load4x8(m0, cout);
      const float* vp = v + i;
      const float* ep = e + o;
#pragma clang loop unroll_count(2)
      for (int t = 0; t < count; t++, vp += cin, ep += cout) {
        const v4 x = wasm_v128_load(vp);
        rank1(&acc, splat_lane(x, 0), splat_lane(x, 1), splat_lane(x, 2), splat_lane(x, 3), wasm_v128_load(ep), wasm_v128_load(ep + 4));
      }
      store4x8(m0, cout, &acc);
    }
  }
}

/**
 * Chunks [k0, k1) of the weight gradient of y = conv(x, w) (3x3, stride 1, pad 1), dy [n][h][w][cout]:
 * chunk k sums tiles [k·chunk, min((k+1)·chunk, tiles)) into partial[k] = [36][cin][cout]. Blocks of
 * `block` tiles go through scratch: v [36][block][cin] then e [36][block][cout] floats.
 */
EXPORT(winograd_wgrad)
void winograd_wgrad(const float* x, const float* dy, float* partial, float* scratch, int h, int w, int cin, int cout, int block, int chunk, int tiles, int k0, int k1) {
  float* v = scratch;
  float* e = scratch + (long)36 * block * cin;
  const int tw = w / 4, perImage = (h / 4) * tw;
  const long slot = (long)36 * cin * cout;
  for (int k = k0; k < k1; k++) {
    float* m = partial + k * slot;
    for (long j = 0; j < slot; j += 4) wasm_v128_store(m + j, wasm_f32x4_splat(0.0f));
    const int end = (k + 1) * chunk < tiles ? (k + 1) * chunk : tiles;
    for (int start = k * chunk; start < end; start += block) {
      const int count = end - start < block ? end - start : block;
      for (int tl = 0; tl < count; tl++) {
        const int t = start + tl, img = t / perImage, rest = t - img * perImage;
        for (int c = 0; c < cin; c += 4) input_tile(x, v, h, w, cin, block, tl, img, rest / tw, rest % tw, c);
        for (int o = 0; o < cout; o += 4) grad_tile(dy, e, h, w, cout, block, tl, img, rest / tw, rest % tw, o);
      }
      for (int p = 0; p < 36; p++) gemm_tn(v + (long)p * block * cin, e + (long)p * block * cout, m + (long)p * cin * cout, count, cin, cout);
    }
  }
}

/** G^T m for a 6-vector m (G as in g6): the 3 taps. */
INLINE void gt3(v4 m0, v4 m1, v4 m2, v4 m3, v4 m4, v4 m5, v4* r) {
  const v4 sixth = wasm_f32x4_splat(1.0f / 6.0f);
  v4 s12 = wasm_f32x4_add(m1, m2), d21 = wasm_f32x4_sub(m2, m1);
  v4 s34 = wasm_f32x4_add(m3, m4), d34 = wasm_f32x4_sub(m3, m4);
  r[0] = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(wasm_f32x4_splat(0.25f), m0), wasm_f32x4_mul(sixth, s12)), wasm_f32x4_mul(wasm_f32x4_splat(1.0f / 24.0f), s34));
  r[1] = wasm_f32x4_add(wasm_f32x4_mul(sixth, d21), wasm_f32x4_mul(wasm_f32x4_splat(1.0f / 12.0f), d34));
  r[2] = wasm_f32x4_add(wasm_f32x4_mul(sixth, wasm_f32x4_sub(s34, s12)), m5);
}

/**
 * dw [3][3][cin][cout] for input channels [i0, i1): the chunks' partial sums added in chunk
 * order, then G^T M G. The scratch argument is unused (every kernel takes one, for the pool).
 */
EXPORT(winograd_wgrad_reduce)
void winograd_wgrad_reduce(const float* partial, float* dw, int chunks, float* scratch, int cin, int cout, int i0, int i1) {
  (void)scratch;
  const long slot = (long)36 * cin * cout;
  for (int i = i0; i < i1; i++) {
    for (int o = 0; o < cout; o += 4) {
      v4 s[36];
      for (int p = 0; p < 36; p++) {
        const float* q = partial + ((long)p * cin + i) * cout + o;
        v4 acc = wasm_v128_load(q);
        for (int k = 1; k < chunks; k++) acc = wasm_f32x4_add(acc, wasm_v128_load(q + k * slot));
        s[p] = acc;
      }
      v4 t[6][3]; // t[a][l] = (M G)[a][l]
      for (int a = 0; a < 6; a++) gt3(s[a * 6], s[a * 6 + 1], s[a * 6 + 2], s[a * 6 + 3], s[a * 6 + 4], s[a * 6 + 5], t[a]);
      for (int l = 0; l < 3; l++) {
        v4 r[3];
        gt3(t[0][l], t[1][l], t[2][l], t[3][l], t[4][l], t[5][l], r);
        for (int kh = 0; kh < 3; kh++) wasm_v128_store(dw + ((long)(kh * 3 + l) * cin + i) * cout + o, r[kh]);
      }
    }
  }
}

// ---- train-mode BatchNorm (src/core/model/batchnorm-fused.ts) ----
//
// Per-channel sums over the rows (positions) of an NHWC tensor, each channel summed in row order
// from 0, as tfjs's Sum does: BatchNorm's gradient cancels large terms, and a different order
// of the same float32 sums moves the weight gradients by ~1e-4 (measured on ResNet-20). Threads
// split the channels, four at a time. The elementwise passes follow resnet.ts's formulas:
// x̂ = (x − μ)·rstd, y = relu(x̂·γ + β [+ residual]), dx = ((dy − dβ/n) − x̂·dγ/n)·(γ·rstd).

/**
 * Channels [4·g0, min(4·g1, c)) of rows·c values a (and b): out[ch] = (Σ over rows, in order, of
 * — by mode — 0: a;  1: (a − mean)²;  2: a·((b − mean)·rstd)) / divisor.
 */
EXPORT(bn_sums)
void bn_sums(const float* a, const float* b, float* out, float* scratch, int c, int rows, int divisor_bits, int mode, const float* mean, const float* rstd, int g0, int g1) {
  (void)scratch;
  const float divisor = __builtin_bit_cast(float, divisor_bits);
  for (int g = g0; g < g1; g++) {
    const int o = 4 * g;
    if (o + 4 <= c) {
      v4 acc = wasm_f32x4_splat(0.0f);
      const v4 mu = mode ? wasm_v128_load(mean + o) : acc;
      const v4 rs = mode == 2 ? wasm_v128_load(rstd + o) : acc;
      for (long at = o; at < (long)rows * c; at += c) {
        v4 v = wasm_v128_load(a + at);
        if (mode == 1) {
          v = wasm_f32x4_sub(v, mu);
          v = wasm_f32x4_mul(v, v);
        } else if (mode == 2) {
          v = wasm_f32x4_mul(v, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(b + at), mu), rs));
        }
        acc = wasm_f32x4_add(acc, v);
      }
      wasm_v128_store(out + o, wasm_f32x4_div(acc, wasm_f32x4_splat(divisor)));
    } else {
      for (int ch = o; ch < c; ch++) {
        float acc = 0.0f;
        for (long at = ch; at < (long)rows * c; at += c) {
          float v = a[at];
          if (mode == 1) v = (v - mean[ch]) * (v - mean[ch]);
          else if (mode == 2) v = v * ((b[at] - mean[ch]) * rstd[ch]);
          acc += v;
        }
        out[ch] = acc / divisor;
      }
    }
  }
}

/** rstd[c] = 1 / sqrt(variance[c] + eps). */
EXPORT(bn_rstd)
void bn_rstd(const float* variance, float* rstd, int c, float eps) {
  for (int o = 0; o < c; o++) rstd[o] = 1.0f / __builtin_sqrtf(variance[o] + eps);
}

/** Rows [r0, r1): out = relu((x − mean)·rstd·gamma + beta [+ res]). */
EXPORT(bn_relu)
void bn_relu(const float* x, float* out, int c, float* scratch, const float* mean, const float* rstd, const float* gamma, const float* beta, const float* res, int r0, int r1) {
  (void)scratch;
  for (int r = r0; r < r1; r++) {
    const long row = (long)r * c;
    int o = 0;
    for (; o + 4 <= c; o += 4) {
      v4 v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + row + o), wasm_v128_load(mean + o)), wasm_v128_load(rstd + o));
      v = wasm_f32x4_add(wasm_f32x4_mul(v, wasm_v128_load(gamma + o)), wasm_v128_load(beta + o));
      if (res) v = wasm_f32x4_add(v, wasm_v128_load(res + row + o));
      wasm_v128_store(out + row + o, wasm_f32x4_max(v, wasm_f32x4_splat(0.0f)));
    }
    for (; o < c; o++) {
      float v = (x[row + o] - mean[o]) * rstd[o] * gamma[o] + beta[o];
      if (res) v = v + res[row + o];
      out[row + o] = __builtin_wasm_max_f32(v, 0.0f);
    }
  }
}

/** coef = [dBeta/n, dGamma/n, gamma·rstd], c each: the per-channel factors of bn_dx. */
EXPORT(bn_dx_coeffs)
void bn_dx_coeffs(const float* gamma, const float* rstd, const float* dgamma, const float* dbeta, float* coef, int c, float n) {
  for (int o = 0; o < c; o++) {
    coef[o] = dbeta[o] / n;
    coef[c + o] = dgamma[o] / n;
    coef[2 * c + o] = gamma[o] * rstd[o];
  }
}

/** Rows [r0, r1): out = ((dy − coef0) − (x − mean)·rstd·coef1)·coef2. */
EXPORT(bn_dx)
void bn_dx(const float* dy, float* out, int c, float* scratch, const float* x, const float* mean, const float* rstd, const float* coef, int r0, int r1) {
  (void)scratch;
  for (int r = r0; r < r1; r++) {
    const long row = (long)r * c;
    int o = 0;
    for (; o + 4 <= c; o += 4) {
      const v4 xhat = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + row + o), wasm_v128_load(mean + o)), wasm_v128_load(rstd + o));
      const v4 centred = wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(dy + row + o), wasm_v128_load(coef + o)), wasm_f32x4_mul(xhat, wasm_v128_load(coef + c + o)));
      wasm_v128_store(out + row + o, wasm_f32x4_mul(centred, wasm_v128_load(coef + 2 * c + o)));
    }
    for (; o < c; o++) {
      const float xhat = (x[row + o] - mean[o]) * rstd[o];
      out[row + o] = ((dy[row + o] - coef[o]) - xhat * coef[c + o]) * coef[2 * c + o];
    }
  }
}
