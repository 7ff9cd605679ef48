// Runs `kernels.cu` on the host, one emulated thread after another, so that the kernels' math
// and indexing can be compared with the CPU path without a GPU (tests `emulated_*` in
// `src/cuda/tests.rs`). The CUDA intrinsics are given their IEEE meaning (what the PTX
// instructions compute); f64 `log`/`sincos` are the host's libm here, so f64 values match the
// CPU exactly in emulation while on a GPU they go through libdevice.
//
//   g++ -std=c++17 -O2 -ffp-contract=off -o emulate emulate.cpp
//   emulate < request > storage-bytes
//   emulate check-fill          (checks the fill and scatter kernels itself; exit status)
//
// Request (whitespace-separated): dtype(f32|f64|f16|bf16) len start end mode shift rank
// dims[rank] strides[rank] key0 key1 stream method per bounded max_attempts lo_closed a b q0..q6,
// then, for the ziggurat (method 5), its table: 4 * ZIG_LAYERS words in hex.
// Contiguous requests (mode 0) run `init_sample_contiguous_*`'s two phases per tile, position
// p stored at p - shift (shift is 0 for the other modes);
// strided ones (mode 1) `init_sample_strided_*` over the axes; mapped ones (mode 2)
// `init_sample_mapped_*`: the axes (from `start`) are positions of a full tensor, element i is
// written at `end + i`. The storage starts as 0xAB bytes.
// Output: the storage's bytes, then one byte: the `failed` flag.
#define INIT_EMULATE 1
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(x)
#pragma GCC diagnostic ignored "-Wunknown-pragmas"
#define __shared__ static
#define __syncthreads() emulate_sync_not_used()

struct Dim3 {
    unsigned x;
};
static Dim3 blockIdx, threadIdx, blockDim, gridDim;
static void emulate_sync_not_used() {}

struct uint4 {
    unsigned x, y, z, w;
};

static inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
static inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
static inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
static inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
static inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fsqrt_rn(float a) { return std::sqrt(a); }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline double __dsqrt_rn(double a) { return std::sqrt(a); }
using std::fma;
using std::fmaf;
using std::log;
static inline void emu_sincos(double x, double* s, double* c) { *s = std::sin(x); *c = std::cos(x); }
#define sincos emu_sincos
static inline unsigned atomicExch(unsigned* p, unsigned v) { unsigned o = *p; *p = v; return o; }

// Half types: round to nearest even (what __float2half_rn / __float2bfloat16_rn compute).
struct __half {
    _Float16 h;
};
static inline __half __float2half_rn(float x) { return __half{(_Float16)x}; }
static inline float __half2float(__half x) { return (float)x.h; }
struct __nv_bfloat16 {
    unsigned short b;
};
static inline __nv_bfloat16 __float2bfloat16_rn(float x) {
    unsigned u = __float_as_uint(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return __nv_bfloat16{(unsigned short)((u >> 16) | 0x40u)};
    u += 0x7FFFu + ((u >> 16) & 1u);
    return __nv_bfloat16{(unsigned short)(u >> 16)};
}
static inline float __bfloat162float(__nv_bfloat16 x) { return __uint_as_float((unsigned)x.b << 16); }

#include "kernels.cu"

template <class T>
static void run(std::vector<unsigned char>& bytes, u64 start, u64 end, u64 mode, long long shift,
                const Axes& ax,
                const SampleParams& P, const u32* zig, u32* failed) {
    T* data = reinterpret_cast<T*>(bytes.data());
    if (mode == 0) {
        const u64 tile_elems = 16 * (u64)P.per;
        const u64 first = start / tile_elems, last = (end - 1) / tile_elems;
        static uint4 smem[256];
        for (u64 tile = first; tile <= last; ++tile) {
            for (u32 t = 0; t < SAMPLE_THREADS; ++t) sample_stage<T>(smem, tile, t, start, end, P, zig, failed);
            for (u32 t = 0; t < SAMPLE_THREADS; ++t)
                sample_store<T>(data - shift, smem, tile, t, start, end, 1, P);
        }
    } else {
        u64 n = 1;
        for (u64 k = 0; k < ax.rank; ++k) n *= ax.dims[k];
        blockDim.x = 256;
        gridDim.x = (unsigned)((n + 255) / 256);
        for (blockIdx.x = 0; blockIdx.x < gridDim.x; ++blockIdx.x)
            for (threadIdx.x = 0; threadIdx.x < 256; ++threadIdx.x) {
                if (mode == 1) sample_strided<T>(data, n, ax, P, zig, failed);
                else sample_mapped<T>(data, end, n, ax, P, zig, failed);
            }
    }
}

// Runs a grid-stride kernel body over a grid of `blocks` x 256 emulated threads.
template <class F>
static void grid(unsigned blocks, F body) {
    blockDim.x = 256;
    gridDim.x = blocks;
    for (blockIdx.x = 0; blockIdx.x < blocks; ++blockIdx.x)
        for (threadIdx.x = 0; threadIdx.x < 256; ++threadIdx.x) body();
}

// The fill and scatter kernels write exactly their positions: every start (every alignment of
// the first element), lengths around the 16-byte vectors, grids smaller than the work.
template <class W>
static int check_fill(const char* name) {
    const W value = (W)0x5A5A5A5A5A5A5A5Aull, marker = (W)0xA5A5A5A5A5A5A5A5ull;
    for (u64 start = 0; start < 40; ++start)
        for (u64 n : {0ull, 1ull, 2ull, 7ull, 15ull, 16ull, 17ull, 33ull, 100ull, 1000ull}) {
            for (unsigned blocks : {1u, 3u}) {
                std::vector<W> data(start + n + 40, marker);
                grid(blocks, [&] { fill_contiguous<W>(data.data(), start, n, value); });
                for (u64 i = 0; i < data.size(); ++i) {
                    W want = (i >= start && i < start + n) ? value : marker;
                    if (data[i] != want) {
                        std::fprintf(stderr, "fill %s start %llu n %llu: wrong at %llu\n", name, start, n, i);
                        return 1;
                    }
                }
            }
        }
    // Strided: the columns 3..8 of a 9 x 11 matrix.
    std::vector<W> data(99, marker);
    Axes ax;
    std::memset(&ax, 0, sizeof ax);
    ax.rank = 2;
    ax.dims[0] = 9, ax.dims[1] = 5;
    ax.strides[0] = 11, ax.strides[1] = 1;
    ax.start = 3;
    grid(1, [&] { fill_strided<W>(data.data(), 45, ax, value); });
    for (u64 i = 0; i < 99; ++i) {
        W want = (i % 11 >= 3 && i % 11 < 8) ? value : marker;
        if (data[i] != want) { std::fprintf(stderr, "strided fill %s: wrong at %llu\n", name, i); return 1; }
    }
    std::vector<u64> pos = {5, 0, 98, 42};
    std::vector<W> vals = {(W)1, (W)2, (W)3, (W)4};
    grid(1, [&] { scatter<W>(data.data(), pos.data(), vals.data(), 4); });
    for (int k = 0; k < 4; ++k)
        if (data[pos[k]] != vals[k]) { std::fprintf(stderr, "scatter %s: wrong at %llu\n", name, pos[k]); return 1; }
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "check-fill") {
        int bad = check_fill<u8>("w1") | check_fill<u16>("w2") | check_fill<u32>("w4") | check_fill<u64>("w8");
        if (!bad) std::printf("fill and scatter kernels ok\n");
        return bad;
    }
    std::string dtype;
    u64 len, start, end, mode;
    long long shift;
    Axes ax;
    std::memset(&ax, 0, sizeof ax);
    SampleParams P;
    std::memset(&P, 0, sizeof P);
    std::cin >> dtype >> len >> start >> end >> mode >> shift >> ax.rank;
    ax.start = start;
    for (u64 k = 0; k < ax.rank; ++k) std::cin >> ax.dims[k];
    for (u64 k = 0; k < ax.rank; ++k) std::cin >> ax.strides[k];
    std::cin >> P.key0 >> P.key1 >> P.stream >> P.method >> P.per >> P.bounded >> P.max_attempts >> P.lo_closed;
    // f64 parameters as bit patterns (hex), so that they arrive exactly.
    auto f64 = [] { std::string s; std::cin >> s; return __longlong_as_double((long long)std::stoull(s, nullptr, 16)); };
    P.a = f64();
    P.b = f64();
    for (int k = 0; k < 7; ++k) P.q[k] = f64();
    std::vector<u32> zig;
    if (P.method == M_TRUNC_ZIG) {
        zig.resize(4 * ZIG_LAYERS);
        for (u32& t : zig) {
            std::string h;
            std::cin >> h;
            t = (u32)std::stoul(h, nullptr, 16);
        }
    }
    const u32* table = zig.empty() ? nullptr : zig.data();
    if (!std::cin) { std::fprintf(stderr, "bad request\n"); return 2; }
    size_t size = dtype == "f64" ? 8 : dtype == "f32" ? 4 : 2;
    std::vector<unsigned char> bytes(len * size, 0xAB);
    u32 failed = 0;
    if (dtype == "f32") run<float>(bytes, start, end, mode, shift, ax, P, table, &failed);
    else if (dtype == "f64") run<double>(bytes, start, end, mode, shift, ax, P, table, &failed);
    else if (dtype == "f16") run<__half>(bytes, start, end, mode, shift, ax, P, table, &failed);
    else if (dtype == "bf16") run<__nv_bfloat16>(bytes, start, end, mode, shift, ax, P, table, &failed);
    else { std::fprintf(stderr, "bad dtype\n"); return 2; }
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    unsigned char f = failed ? 1 : 0;
    std::fwrite(&f, 1, 1, stdout);
    return 0;
}
