// init-core's CUDA kernels: the samplers of `dist.rs`, constant fill and position scatter,
// writing in place into a tensor's own device memory.
//
// Compiled to PTX by `build.rs` with `--fmad=false`: the compiler never fuses a multiply and an
// add on its own (PTX `mul.rn`/`add.rn`, which ptxas does not contract either), so the only
// fused multiply-adds are the explicit `fmaf`/`fma` calls, exactly where the CPU code calls
// `mul_add`. Every f32 operation used here (add, sub, mul, div, sqrt, fma, integer-to-float
// conversion) is IEEE correctly rounded on both sides (`-prec-div`/`-prec-sqrt` are on and
// denormals are kept, nvcc's defaults), and the f32 logarithm and sine/cosine are the same
// polynomials as `real.rs` with the same constants (given as bit patterns), so f32 values are
// bit-identical to the CPU's. f64 `log`/`sincos` are CUDA's libdevice functions (< 1-2 ulp),
// where the CPU uses the platform's libm: f64 normal values may differ in the last bits.
//
// The value at storage position p of a group-of-16-blocks sampler (see `dist.rs`):
//   P     = positions per group (f32: 64, or 32 for the uniform/exponential truncated methods;
//           f64: 32, or 16),
//   block = (p / P) * 16 + (p % P) % 16,  slot = (p % P) / 16,
// the slot-th value made from the 4 words of Philox block `block` with tag = attempt (0 for the
// first draw, 1, 2, ... for the redraws of a rejected position). This is the CPU's `retry_lanes`
// formula, which `dist.rs` tests equal to its vector path at attempt 0. The ziggurat (f32 only,
// `ziggurat.rs`) takes word `slot` of that block, and, when that word alone does not decide,
// word `slot` of the same block tagged attempt | ZIG_WEDGE_TAG; its table comes through a
// pointer (`zig`: scale, fast, bottom, height, ZIG_LAYERS words each).

#ifdef INIT_EMULATE
// Compiled as host C++ by `emulate.cpp`, which defines the CUDA names used here.
#else
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#endif

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned short u16;
typedef unsigned char u8;

// The sampling methods: `Method` in `params.rs` (`cuda/tests.rs` checks the values).
#define M_UNIFORM 0u
#define M_NORMAL 1u
#define M_TRUNC_NORMAL 2u
#define M_TRUNC_UNIFORM 3u
#define M_TRUNC_EXP 4u
#define M_TRUNC_ZIG 5u

// `ziggurat.rs`: LAYERS, POINT_BITS, WEDGE_TAG.
#define ZIG_LAYERS 512u
#define ZIG_POINT_BITS 23u
#define ZIG_WEDGE_TAG 0x8000u

// Must match `SampleParams` in `params.rs` (repr(C), no padding: 8-byte fields first).
struct SampleParams {
    u64 stream;
    // Distribution parameters in f64; converted to f32 (round to nearest, as `x as f32`) by
    // the f32 kernels. uniform: low, range; normal: mean, std; truncated: alpha, beta, mean,
    // scale, shift (uniform method) or lambda, mass (exponential method).
    double q[7];
    // Acceptance interval of written values, after rounding to the dtype: (a, b), or [a, b)
    // with `lo_closed` (`Bounds` in dist.rs).
    double a, b;
    u32 key0, key1;
    u32 method;
    u32 per;          // P, positions per group
    u32 bounded;      // 1: redraw values outside the interval (truncated normals; uniform when
                      // its largest value could round onto `high`)
    u32 max_attempts; // redraws per position before giving up
    u32 lo_closed;
    u32 unused;
};

#define MAX_RANK 8
// Must match `Axes` in `params.rs`: the positions start + sum_k idx_k * strides[k] for idx in
// the box `dims` (row-major, last axis fastest).
struct Axes {
    u64 dims[MAX_RANK];
    u64 strides[MAX_RANK];
    u64 start;
    u64 rank;
};

__device__ __forceinline__ u64 axes_position(const Axes& ax, u64 i) {
    u64 pos = ax.start;
    for (int k = (int)ax.rank - 1; k >= 0; --k) {
        u64 d = ax.dims[k];
        pos += (i % d) * ax.strides[k];
        i /= d;
    }
    return pos;
}

// ---------------------------------------------------------------------------------------------
// Philox4x32-10

__device__ __forceinline__ void philox(u64 block, u32 tag, const SampleParams& P, u32 w[4]) {
    u32 c0 = (u32)block;
    u32 c1 = ((u32)(block >> 32) & 0xFFFFu) | (tag << 16);
    u32 c2 = (u32)P.stream;
    u32 c3 = (u32)(P.stream >> 32);
    u32 k0 = P.key0, k1 = P.key1;
#pragma unroll
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        u32 hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        u32 hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        u32 n0 = hi1 ^ c1 ^ k0;
        u32 n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    w[0] = c0;
    w[1] = c1;
    w[2] = c2;
    w[3] = c3;
}

// ---------------------------------------------------------------------------------------------
// f32 arithmetic of real.rs

#define F(bits) __uint_as_float(bits##u)

__device__ __forceinline__ float unit24(u32 w) { return (float)(w >> 8) * F(0x33800000); }
__device__ __forceinline__ float unit24_open(u32 w) { return (float)((w >> 8) + 1u) * F(0x33800000); }

__device__ __forceinline__ float ln_f32(float x) {
    u32 bits = __float_as_uint(x);
    int e = (int)((bits >> 23) & 0xFFu) - 126;
    float m = __uint_as_float((bits & 0x007FFFFFu) | 0x3F000000u);
    bool small = m < F(0x3F3504F3); // FRAC_1_SQRT_2
    e -= small ? 1 : 0;
    m = small ? __fadd_rn(m, m) : m;
    float z = __fsub_rn(m, 1.0f);
    float z2 = __fmul_rn(z, z);
    float p = F(0x3D9021BB);
    p = fmaf(p, z, F(0xBDEBD1B8));
    p = fmaf(p, z, F(0x3DEF251B));
    p = fmaf(p, z, F(0xBDFE5D4F));
    p = fmaf(p, z, F(0x3E11E9BF));
    p = fmaf(p, z, F(0xBE2AAE50));
    p = fmaf(p, z, F(0x3E4CCEAC));
    p = fmaf(p, z, F(0xBE7FFFFC));
    p = fmaf(p, z, F(0x3EAAAAAA));
    float ef = (float)e;
    // y = (z * z2).mul_add(p, ef.mul_add(LN2_LO, -0.5 * z2))
    float y = fmaf(__fmul_rn(z, z2), p, fmaf(ef, F(0xB95E8083), __fmul_rn(-0.5f, z2)));
    return fmaf(ef, F(0x3F318000), __fadd_rn(z, y));
}

__device__ __forceinline__ void sin_cos_turns_f32(float x, float* sn, float* cs) {
    int q = (int)__fadd_rn(__fmul_rn(x, 4.0f), 0.5f);
    float f = __fsub_rn(x, __fmul_rn((float)q, 0.25f));
    float t = __fmul_rn(f, F(0x40C90FDB)); // TAU
    float t2 = __fmul_rn(t, t);
    float s = fmaf(t2, F(0x3638EF1D), F(0xB9500D01));
    s = fmaf(s, t2, F(0x3C088889));
    s = fmaf(s, t2, F(0xBE2AAAAB));
    s = fmaf(s, t2, 1.0f);
    s = __fmul_rn(t, s);
    float c = fmaf(t2, F(0x37D00D01), F(0xBAB60B61));
    c = fmaf(c, t2, F(0x3D2AAAAB));
    c = fmaf(c, t2, -0.5f);
    c = fmaf(c, t2, 1.0f);
    bool odd = (q & 1) == 1;
    float s1 = odd ? c : s;
    float c1 = odd ? -s : c;
    bool neg = (q & 2) == 2;
    *sn = neg ? -s1 : s1;
    *cs = neg ? -c1 : c1;
}

// ---------------------------------------------------------------------------------------------
// f64 arithmetic of real.rs

__device__ __forceinline__ double unit53(u32 lo, u32 hi) {
    return __dmul_rn((double)((((u64)hi << 32) | (u64)lo) >> 11), __longlong_as_double(0x3CA0000000000000ll));
}
__device__ __forceinline__ double unit53_open(u32 lo, u32 hi) {
    return __dmul_rn((double)(((((u64)hi << 32) | (u64)lo) >> 11) + 1ull), __longlong_as_double(0x3CA0000000000000ll));
}

// ---------------------------------------------------------------------------------------------
// Slot values: value `slot` of the block with words w (NaN: a rejected candidate).

// The ziggurat's value of the block with words w at attempt `attempt` (NaN: rejected).
__device__ __forceinline__ float zig_f32(const SampleParams& P, const u32 w[4], u32 j, u64 block,
                                         u32 attempt, const u32* zig) {
    const u32 word = w[j];
    const u32 layer = word & (ZIG_LAYERS - 1u);
    const u32 u = word >> (32u - ZIG_POINT_BITS);
    const float scale = __uint_as_float(zig[layer]);
    const float d = fmaf((float)u, scale, __fmul_rn(scale, 0.5f));
    bool keep = u < zig[ZIG_LAYERS + layer];
    const float alpha = (float)P.q[0];
    if (!keep) {
        u32 v[4];
        philox(block, attempt | ZIG_WEDGE_TAG, P, v);
        const float bottom = __uint_as_float(zig[2u * ZIG_LAYERS + layer]);
        const float height = __uint_as_float(zig[3u * ZIG_LAYERS + layer]);
        const float y = fmaf((float)((v[j] >> (32u - ZIG_POINT_BITS)) + 1u),
                             __fmul_rn(height, F(0x34000000)), bottom); // 2^-23
        keep = ln_f32(y) <= __fmul_rn(__fmul_rn(d, __fadd_rn(d, __fadd_rn(alpha, alpha))), -0.5f);
    }
    return keep ? fmaf(__fadd_rn(alpha, d), (float)P.q[3], (float)P.q[2]) : __int_as_float(0x7fc00000);
}

__device__ __forceinline__ float slot_f32(const SampleParams& P, const u32 w[4], u32 j, u64 block,
                                          u32 attempt, const u32* zig) {
    switch (P.method) {
    case M_UNIFORM:
        return fmaf(unit24(w[j]), (float)P.q[1], (float)P.q[0]);
    case M_NORMAL:
    case M_TRUNC_NORMAL: {
        u32 k = j & 1u;
        float r = __fsqrt_rn(__fmul_rn(-2.0f, ln_f32(unit24_open(w[k]))));
        float s, c;
        sin_cos_turns_f32(unit24(w[k + 2]), &s, &c);
        float z = __fmul_rn(r, j >= 2 ? s : c);
        if (P.method == M_NORMAL) return fmaf(z, (float)P.q[1], (float)P.q[0]);
        float alpha = (float)P.q[0], beta = (float)P.q[1];
        return (alpha < z && z < beta) ? fmaf(z, (float)P.q[3], (float)P.q[2]) : __int_as_float(0x7fc00000);
    }
    case M_TRUNC_UNIFORM: {
        float alpha = (float)P.q[0], beta = (float)P.q[1];
        float z = fmaf(unit24(w[j]), __fsub_rn(beta, alpha), alpha);
        bool keep = __fmul_rn(-2.0f, ln_f32(unit24_open(w[j + 2]))) >= __fsub_rn(__fmul_rn(z, z), (float)P.q[4]);
        return keep ? fmaf(z, (float)P.q[3], (float)P.q[2]) : __int_as_float(0x7fc00000);
    }
    case M_TRUNC_ZIG:
        return zig_f32(P, w, j, block, attempt, zig);
    default: { // M_TRUNC_EXP
        float alpha = (float)P.q[0], beta = (float)P.q[1];
        float l = (float)P.q[4], mass = (float)P.q[5];
        float z = __fsub_rn(alpha, __fdiv_rn(ln_f32(__fsub_rn(1.0f, __fmul_rn(unit24(w[j]), mass))), l));
        float d = __fsub_rn(z, l);
        bool keep = __fmul_rn(-2.0f, ln_f32(unit24_open(w[j + 2]))) >= __fmul_rn(d, d) && z < beta;
        return keep ? fmaf(z, (float)P.q[3], (float)P.q[2]) : __int_as_float(0x7fc00000);
    }
    }
}

__device__ __forceinline__ double slot_f64(const SampleParams& P, const u32 w[4], u32 j, u64, u32,
                                           const u32*) {
    const double nan = __longlong_as_double(0x7ff8000000000000ll);
    switch (P.method) {
    case M_UNIFORM:
        return fma(unit53(w[j], w[j + 2]), P.q[1], P.q[0]);
    case M_NORMAL:
    case M_TRUNC_NORMAL: {
        double r = __dsqrt_rn(__dmul_rn(-2.0, log(unit53_open(w[0], w[2]))));
        double s, c;
        sincos(__dmul_rn(6.283185307179586, unit53(w[1], w[3])), &s, &c);
        double z = __dmul_rn(r, j ? s : c);
        if (P.method == M_NORMAL) return fma(z, P.q[1], P.q[0]);
        return (P.q[0] < z && z < P.q[1]) ? fma(z, P.q[3], P.q[2]) : nan;
    }
    case M_TRUNC_UNIFORM: {
        double alpha = P.q[0], beta = P.q[1];
        double z = fma(unit53(w[0], w[2]), __dsub_rn(beta, alpha), alpha);
        bool keep = __dmul_rn(-2.0, log(unit53_open(w[1], w[3]))) >= __dsub_rn(__dmul_rn(z, z), P.q[4]);
        return keep ? fma(z, P.q[3], P.q[2]) : nan;
    }
    default: { // M_TRUNC_EXP
        double alpha = P.q[0], beta = P.q[1], l = P.q[4], mass = P.q[5];
        double z = __dsub_rn(alpha, __ddiv_rn(log(__dsub_rn(1.0, __dmul_rn(unit53(w[0], w[2]), mass))), l));
        double d = __dsub_rn(z, l);
        bool keep = __dmul_rn(-2.0, log(unit53_open(w[1], w[3]))) >= __dmul_rn(d, d) && z < beta;
        return keep ? fma(z, P.q[3], P.q[2]) : nan;
    }
    }
}

// ---------------------------------------------------------------------------------------------
// Element types: R is the arithmetic type (real.rs `Acc`), T the stored type.

template <class T> struct Elem;
template <> struct Elem<float> {
    typedef float R;
    static __device__ __forceinline__ float slot(const SampleParams& P, const u32 w[4], u32 j, u64 b, u32 t, const u32* z) { return slot_f32(P, w, j, b, t, z); }
    static __device__ __forceinline__ float from_acc(float x) { return x; }
    static __device__ __forceinline__ double to_f64(float x) { return (double)x; }
};
template <> struct Elem<double> {
    typedef double R;
    static __device__ __forceinline__ double slot(const SampleParams& P, const u32 w[4], u32 j, u64 b, u32 t, const u32* z) { return slot_f64(P, w, j, b, t, z); }
    static __device__ __forceinline__ double from_acc(double x) { return x; }
    static __device__ __forceinline__ double to_f64(double x) { return x; }
};
template <> struct Elem<__half> {
    typedef float R;
    static __device__ __forceinline__ float slot(const SampleParams& P, const u32 w[4], u32 j, u64 b, u32 t, const u32* z) { return slot_f32(P, w, j, b, t, z); }
    static __device__ __forceinline__ __half from_acc(float x) { return __float2half_rn(x); }
    static __device__ __forceinline__ double to_f64(__half x) { return (double)__half2float(x); }
};
template <> struct Elem<__nv_bfloat16> {
    typedef float R;
    static __device__ __forceinline__ float slot(const SampleParams& P, const u32 w[4], u32 j, u64 b, u32 t, const u32* z) { return slot_f32(P, w, j, b, t, z); }
    static __device__ __forceinline__ __nv_bfloat16 from_acc(float x) { return __float2bfloat16_rn(x); }
    static __device__ __forceinline__ double to_f64(__nv_bfloat16 x) { return (double)__bfloat162float(x); }
};

template <class T> __device__ __forceinline__ bool inside(const SampleParams& P, T v) {
    double x = Elem<T>::to_f64(v);
    return (x > P.a || (P.lo_closed && x == P.a)) && x < P.b;
}

// The value of storage position p: the first draw `first` (already computed), redrawn while
// outside (a, b) for bounded samplers. Sets *failed after max_attempts rejections.
template <class T>
__device__ __forceinline__ T finish(const SampleParams& P, const u32* zig, u64 p, T v, u32* failed) {
    if (!P.bounded || inside(P, v)) return v;
    const u64 per = P.per;
    const u64 block = (p / per) * 16 + (p % per) % 16;
    const u32 slot = (u32)((p % per) / 16);
    for (u32 attempt = 1; attempt <= P.max_attempts; ++attempt) {
        u32 w[4];
        philox(block, attempt, P, w);
        v = Elem<T>::from_acc(Elem<T>::slot(P, w, slot, block, attempt, zig));
        if (inside(P, v)) return v;
    }
    if (failed) atomicExch(failed, 1u);
    return v;
}

#define SAMPLE_THREADS 256

// Contiguous positions [start, end). CUDA block x makes tile `first_tile + x`: the 16
// groups (256 Philox blocks, one a thread) of positions [tile * 16P, (tile + 1) * 16P), staged
// in shared memory in storage order (`sample_stage`), then written with 16-byte stores when the
// whole tile is inside and `aligned` (`data - shift` is 16-byte aligned), element by element
// otherwise (`sample_store`).
template <class T>
__device__ __forceinline__ void sample_stage(uint4* smem, u64 tile, u32 tid, u64 start, u64 end,
                                             const SampleParams& P, const u32* zig, u32* failed) {
    T* stage = reinterpret_cast<T*>(smem);
    const u64 per = P.per;
    const u64 t0 = tile * 16 * per;
    const u64 block = tile * SAMPLE_THREADS + tid;
    const u64 group = block / 16;
    const u32 lane = (u32)(block % 16);
    u32 w[4];
    philox(block, 0, P, w);
    const u32 slots = P.per / 16;
    for (u32 j = 0; j < slots; ++j) {
        u64 p = group * per + 16 * j + lane;
        T v = Elem<T>::from_acc(Elem<T>::slot(P, w, j, block, 0, zig));
        if (p >= start && p < end) v = finish(P, zig, p, v, failed);
        stage[p - t0] = v;
    }
}

template <class T>
__device__ __forceinline__ void sample_store(T* data, const uint4* smem, u64 tile, u32 tid, u64 start,
                                             u64 end, u32 aligned, const SampleParams& P) {
    const T* stage = reinterpret_cast<const T*>(smem);
    const u64 tile_elems = 16 * (u64)P.per;
    const u64 t0 = tile * tile_elems;
    if (aligned && t0 >= start && t0 + tile_elems <= end) {
        const u32 nvec = (u32)(tile_elems * sizeof(T) / 16);
        uint4* dst = reinterpret_cast<uint4*>(data + t0);
        for (u32 i = tid; i < nvec; i += SAMPLE_THREADS) dst[i] = smem[i];
    } else {
        for (u32 i = tid; i < tile_elems; i += SAMPLE_THREADS) {
            u64 p = t0 + i;
            if (p >= start && p < end) data[p] = stage[i];
        }
    }
}

// Position p is stored at data[p - shift]: shift 0 for a tensor's own storage; for a shard
// whose region is contiguous in the full tensor, [start, end) are the region's positions there
// and shift moves them onto the shard's storage.
template <class T>
__device__ void sample_contiguous(T* data, long long shift, u64 start, u64 end, u64 first_tile,
                                  u32 aligned, const SampleParams& P, const u32* zig, u32* failed) {
    __shared__ uint4 smem[256]; // 4096 bytes: 16 groups x 64 f32 or x 32 f64
    const u64 tile = first_tile + blockIdx.x;
    sample_stage<T>(smem, tile, threadIdx.x, start, end, P, zig, failed);
    __syncthreads();
    sample_store<T>(data - shift, smem, tile, threadIdx.x, start, end, aligned, P);
}

// The value of storage position p, computed on its own (its Philox block for this position's
// slot only).
template <class T>
__device__ __forceinline__ T sample_at(u64 p, const SampleParams& P, const u32* zig, u32* failed) {
    const u64 per = P.per;
    const u64 block = (p / per) * 16 + (p % per) % 16;
    const u32 slot = (u32)((p % per) / 16);
    u32 w[4];
    philox(block, 0, P, w);
    T v = Elem<T>::from_acc(Elem<T>::slot(P, w, slot, block, 0, zig));
    return finish(P, zig, p, v, failed);
}

// Any layout: one thread per element of the box `ax` (grid-stride), each computing its own
// Philox block.
template <class T>
__device__ void sample_strided(T* data, u64 n, Axes ax, const SampleParams& P, const u32* zig,
                               u32* failed) {
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x) {
        const u64 p = axes_position(ax, i);
        data[p] = sample_at<T>(p, P, zig, failed);
    }
}

// A shard: element i of the box `ax` (positions of a full tensor that is not in memory) is
// written at data[out + i], with the value the full tensor holds at its position.
template <class T>
__device__ void sample_mapped(T* data, u64 out, u64 n, Axes ax, const SampleParams& P,
                              const u32* zig, u32* failed) {
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x)
        data[out + i] = sample_at<T>(axes_position(ax, i), P, zig, failed);
}

#define SAMPLE_KERNELS(T, NAME)                                                                  \
    extern "C" __global__ void __launch_bounds__(SAMPLE_THREADS)                                \
        init_sample_contiguous_##NAME(T* data, long long shift, u64 start, u64 end,             \
                                      u64 first_tile, u32 aligned, SampleParams P,              \
                                      const u32* zig, u32* failed) {                            \
        sample_contiguous<T>(data, shift, start, end, first_tile, aligned, P, zig, failed);     \
    }                                                                                            \
    extern "C" __global__ void init_sample_strided_##NAME(T* data, u64 n, Axes ax, SampleParams P, \
                                                          const u32* zig, u32* failed) {        \
        sample_strided<T>(data, n, ax, P, zig, failed);                                          \
    }                                                                                            \
    extern "C" __global__ void init_sample_mapped_##NAME(T* data, u64 out, u64 n, Axes ax,       \
                                                         SampleParams P, const u32* zig,         \
                                                         u32* failed) {                          \
        sample_mapped<T>(data, out, n, ax, P, zig, failed);                                      \
    }

SAMPLE_KERNELS(float, f32)
SAMPLE_KERNELS(double, f64)
SAMPLE_KERNELS(__half, f16)
SAMPLE_KERNELS(__nv_bfloat16, bf16)

// ---------------------------------------------------------------------------------------------
// Constant fill and scatter, by element width (the value's bits are given by the host).

template <class W>
__device__ void fill_contiguous(W* data, u64 start, u64 n, W value) {
    const u64 tid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const u64 stride = (u64)gridDim.x * blockDim.x;
    W* base = data + start;
    const u64 V = 16 / sizeof(W);
    // Elements before the first 16-byte boundary, then whole vectors, then the tail.
    u64 head = ((16 - ((u64)base & 15)) & 15) / sizeof(W);
    if (((u64)base % sizeof(W)) != 0) head = n; // cannot happen for a typed allocation
    if (head > n) head = n;
    const u64 nvec = (n - head) / V;
    const u64 tail0 = head + nvec * V;
    union {
        W w[16 / sizeof(W)];
        uint4 v;
    } u;
#pragma unroll
    for (int k = 0; k < (int)(16 / sizeof(W)); ++k) u.w[k] = value;
    uint4* vec = reinterpret_cast<uint4*>(base + head);
    for (u64 i = tid; i < nvec; i += stride) vec[i] = u.v;
    for (u64 i = tid; i < head; i += stride) base[i] = value;
    for (u64 i = tail0 + tid; i < n; i += stride) base[i] = value;
}

template <class W>
__device__ void fill_strided(W* data, u64 n, Axes ax, W value) {
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x)
        data[axes_position(ax, i)] = value;
}

template <class W>
__device__ void scatter(W* data, const u64* pos, const W* vals, u64 n) {
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x)
        data[pos[i]] = vals[i];
}

#define WIDTH_KERNELS(W, NAME)                                                                   \
    extern "C" __global__ void init_fill_contiguous_##NAME(W* data, u64 start, u64 n, W value) { \
        fill_contiguous<W>(data, start, n, value);                                               \
    }                                                                                            \
    extern "C" __global__ void init_fill_strided_##NAME(W* data, u64 n, Axes ax, W value) {     \
        fill_strided<W>(data, n, ax, value);                                                     \
    }                                                                                            \
    extern "C" __global__ void init_scatter_##NAME(W* data, const u64* pos, const W* vals, u64 n) { \
        scatter<W>(data, pos, vals, n);                                                          \
    }

WIDTH_KERNELS(u8, w1)
WIDTH_KERNELS(u16, w2)
WIDTH_KERNELS(u32, w4)
WIDTH_KERNELS(u64, w8)
