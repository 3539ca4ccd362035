/* Multi-buffer SHA-512: four independent SHA-512 streams hashed side by side in the 64-bit
 * lanes of one 256-bit register.  Two kernels, chosen at import for the CPU: AVX-512 (F, VL,
 * BW: 64-bit rotates, three-input logic, masked gathers) and AVX2 (rotates from two shifts).
 *
 * One stream's rounds depend on each other, so a single SHA-512 cannot use wide registers well;
 * four streams of four different files can.  The Python side (archiver.lanes) feeds each lane its
 * own file, pads the last block and reads the digest.  Everything here follows FIPS 180-4, s. 6.4.
 *
 * State layout: 8 words (a..h) x 4 lanes of uint64_t, word-major, native byte order.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define LANES 4
#define BLOCK 128
#define STATE_BYTES (8 * LANES * 8)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_KERNEL 1
#include <immintrin.h>
#else
#define HAVE_KERNEL 0
#endif

/* Round constants: the first 64 bits of the fractional parts of the cube roots of the first 80
 * primes; initial value: of the square roots of the first 8 primes (FIPS 180-4, 4.2.3, 5.3.5). */
static const uint64_t K512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static const uint64_t H512[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

#if HAVE_KERNEL
#define TARGET __attribute__((target("avx512f,avx512vl,avx512bw")))
#define V __m256i
#define ADD _mm256_add_epi64
#define ROR _mm256_ror_epi64
#define SHR _mm256_srli_epi64
#define CH(x, y, z) _mm256_ternarylogic_epi64(x, y, z, 0xCA)  /* x ? y : z */
#define MAJ(x, y, z) _mm256_ternarylogic_epi64(x, y, z, 0xE8) /* majority */
#define XOR3(x, y, z) _mm256_ternarylogic_epi64(x, y, z, 0x96)
#define SET1(k) _mm256_set1_epi64x((long long)(k))

#define ROUND(a, b, c, d, e, f, g, h, t) do { \
        V t1 = ADD(ADD(ADD(h, XOR3(ROR(e, 14), ROR(e, 18), ROR(e, 41))), \
                       ADD(CH(e, f, g), SET1(K512[t]))), w[(t) & 15]); \
        V t2 = ADD(XOR3(ROR(a, 28), ROR(a, 34), ROR(a, 39)), MAJ(a, b, c)); \
        d = ADD(d, t1); \
        h = ADD(t1, t2); \
    } while (0)

#define SCHEDULE(t) do { \
        V w15 = w[((t) - 15) & 15], w2 = w[((t) - 2) & 15]; \
        V s0 = XOR3(ROR(w15, 1), ROR(w15, 8), SHR(w15, 7)); \
        V s1 = XOR3(ROR(w2, 19), ROR(w2, 61), SHR(w2, 6)); \
        w[(t) & 15] = ADD(ADD(w[(t) & 15], s0), ADD(s1, w[((t) - 7) & 15])); \
    } while (0)

/* eight rounds, the variables renamed instead of moved */
#define EIGHT(t) \
    ROUND(a, b, c, d, e, f, g, h, (t) + 0); ROUND(h, a, b, c, d, e, f, g, (t) + 1); \
    ROUND(g, h, a, b, c, d, e, f, (t) + 2); ROUND(f, g, h, a, b, c, d, e, (t) + 3); \
    ROUND(e, f, g, h, a, b, c, d, (t) + 4); ROUND(d, e, f, g, h, a, b, c, (t) + 5); \
    ROUND(c, d, e, f, g, h, a, b, (t) + 6); ROUND(b, c, d, e, f, g, h, a, (t) + 7);

#define EIGHT_SCHEDULED(t) \
    SCHEDULE((t) + 0); SCHEDULE((t) + 1); SCHEDULE((t) + 2); SCHEDULE((t) + 3); \
    SCHEDULE((t) + 4); SCHEDULE((t) + 5); SCHEDULE((t) + 6); SCHEDULE((t) + 7); \
    EIGHT(t)

/* the longest lane's block count: how many rounds of blocks a call runs */
static inline uint64_t
most_blocks(const uint64_t nblocks[LANES])
{
    uint64_t most = 0;
    for (int i = 0; i < LANES; i++)
        if (nblocks[i] > most)
            most = nblocks[i];
    return most;
}

/* shuffle that turns each 64-bit word from big-endian (SHA-512's order) to the CPU's */
#define BSWAP64 _mm256_set_epi8(24, 25, 26, 27, 28, 29, 30, 31, 16, 17, 18, 19, 20, 21, 22, 23, \
                                8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)

/* Hash nblocks[i] blocks of 128 bytes at ptrs[i] into lane i, all lanes in step; a lane with
 * fewer blocks is masked out (neither read nor updated) once its blocks are done. */
TARGET static void
compress4_avx512(uint64_t *state, const uint8_t *const ptrs[LANES], const uint64_t nblocks[LANES])
{
    const uint64_t most = most_blocks(nblocks);
    const __m256i bswap = BSWAP64;
    const __m256i base = _mm256_set_epi64x((long long)(uintptr_t)ptrs[3], (long long)(uintptr_t)ptrs[2],
                                           (long long)(uintptr_t)ptrs[1], (long long)(uintptr_t)ptrs[0]);
    const __m256i counts = _mm256_set_epi64x((long long)nblocks[3], (long long)nblocks[2],
                                             (long long)nblocks[1], (long long)nblocks[0]);
    V s[8];
    for (int i = 0; i < 8; i++)
        s[i] = _mm256_loadu_si256((const void *)(state + LANES * i));
    for (uint64_t j = 0; j < most; j++) {
        const __mmask8 live = _mm256_cmpgt_epu64_mask(counts, _mm256_set1_epi64x((long long)j));
        const __m256i at = _mm256_add_epi64(base, _mm256_set1_epi64x((long long)(j * BLOCK)));
        V w[16];
        for (int t = 0; t < 16; t++) {
            /* absolute addresses as indices: one 64-bit word from each live lane */
            __m256i x = _mm256_mmask_i64gather_epi64(_mm256_setzero_si256(), live,
                _mm256_add_epi64(at, _mm256_set1_epi64x(8 * t)), (const void *)0, 1);
            w[t] = _mm256_shuffle_epi8(x, bswap);
        }
        V a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        EIGHT(0) EIGHT(8)
        EIGHT_SCHEDULED(16) EIGHT_SCHEDULED(24) EIGHT_SCHEDULED(32) EIGHT_SCHEDULED(40)
        EIGHT_SCHEDULED(48) EIGHT_SCHEDULED(56) EIGHT_SCHEDULED(64) EIGHT_SCHEDULED(72)
        s[0] = _mm256_mask_add_epi64(s[0], live, s[0], a);
        s[1] = _mm256_mask_add_epi64(s[1], live, s[1], b);
        s[2] = _mm256_mask_add_epi64(s[2], live, s[2], c);
        s[3] = _mm256_mask_add_epi64(s[3], live, s[3], d);
        s[4] = _mm256_mask_add_epi64(s[4], live, s[4], e);
        s[5] = _mm256_mask_add_epi64(s[5], live, s[5], f);
        s[6] = _mm256_mask_add_epi64(s[6], live, s[6], g);
        s[7] = _mm256_mask_add_epi64(s[7], live, s[7], h);
    }
    for (int i = 0; i < 8; i++)
        _mm256_storeu_si256((void *)(state + LANES * i), s[i]);
}

#undef TARGET
#undef ROR
#undef CH
#undef MAJ
#undef XOR3

/* AVX2: the same rounds; rotates are two shifts and an or, the logic functions two or three
 * operations, and each lane's words are loaded one by one (a lane that is done reads zeros). */
#define TARGET __attribute__((target("avx2")))
#define ROR(x, n) _mm256_or_si256(_mm256_srli_epi64(x, n), _mm256_slli_epi64(x, 64 - (n)))
#define CH(x, y, z) _mm256_xor_si256(_mm256_and_si256(x, y), _mm256_andnot_si256(x, z))
#define MAJ(x, y, z) \
    _mm256_or_si256(_mm256_and_si256(x, y), _mm256_and_si256(z, _mm256_or_si256(x, y)))
#define XOR3(x, y, z) _mm256_xor_si256(_mm256_xor_si256(x, y), z)

static const uint8_t zero_block[BLOCK];

static inline long long
word_at(const uint8_t *p)
{
    long long word;
    memcpy(&word, p, sizeof word);
    return word;
}

TARGET static void
compress4_avx2(uint64_t *state, const uint8_t *const ptrs[LANES], const uint64_t nblocks[LANES])
{
    const uint64_t most = most_blocks(nblocks);
    const __m256i bswap = BSWAP64;
    V s[8];
    for (int i = 0; i < 8; i++)
        s[i] = _mm256_loadu_si256((const void *)(state + LANES * i));
    for (uint64_t j = 0; j < most; j++) {
        const uint8_t *p[LANES];
        long long on[LANES];
        for (int i = 0; i < LANES; i++) {
            on[i] = nblocks[i] > j ? -1 : 0;
            p[i] = nblocks[i] > j ? ptrs[i] + j * BLOCK : zero_block;
        }
        const __m256i live = _mm256_set_epi64x(on[3], on[2], on[1], on[0]);
        V w[16];
        for (int t = 0; t < 16; t++) {
            __m256i x = _mm256_set_epi64x(word_at(p[3] + 8 * t), word_at(p[2] + 8 * t),
                                          word_at(p[1] + 8 * t), word_at(p[0] + 8 * t));
            w[t] = _mm256_shuffle_epi8(x, bswap);
        }
        V a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        EIGHT(0) EIGHT(8)
        EIGHT_SCHEDULED(16) EIGHT_SCHEDULED(24) EIGHT_SCHEDULED(32) EIGHT_SCHEDULED(40)
        EIGHT_SCHEDULED(48) EIGHT_SCHEDULED(56) EIGHT_SCHEDULED(64) EIGHT_SCHEDULED(72)
        s[0] = _mm256_blendv_epi8(s[0], ADD(s[0], a), live);
        s[1] = _mm256_blendv_epi8(s[1], ADD(s[1], b), live);
        s[2] = _mm256_blendv_epi8(s[2], ADD(s[2], c), live);
        s[3] = _mm256_blendv_epi8(s[3], ADD(s[3], d), live);
        s[4] = _mm256_blendv_epi8(s[4], ADD(s[4], e), live);
        s[5] = _mm256_blendv_epi8(s[5], ADD(s[5], f), live);
        s[6] = _mm256_blendv_epi8(s[6], ADD(s[6], g), live);
        s[7] = _mm256_blendv_epi8(s[7], ADD(s[7], h), live);
    }
    for (int i = 0; i < 8; i++)
        _mm256_storeu_si256((void *)(state + LANES * i), s[i]);
}

static int
cpu_has(const char *name)
{
    __builtin_cpu_init();
    if (strcmp(name, "avx512") == 0)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512bw");
    if (strcmp(name, "avx2") == 0)
        return __builtin_cpu_supports("avx2");
    return 0;
}
#endif

typedef void (*kernel_fn)(uint64_t *, const uint8_t *const[LANES], const uint64_t[LANES]);

typedef struct {
    const char *name;
    kernel_fn fn;
} kernel_entry;

#if HAVE_KERNEL
/* fastest first */
static const kernel_entry kernels[] = {{"avx512", compress4_avx512}, {"avx2", compress4_avx2}};
#define KERNEL_COUNT (sizeof kernels / sizeof kernels[0])
#else
static const kernel_entry kernels[] = {{NULL, NULL}};
#define KERNEL_COUNT 0
#endif

/* The kernel in use, swapped whole (name and function together) by select(); read atomically,
 * so a select() on another thread (free-threaded Python) can never tear it. */
static const kernel_entry *current = NULL;

static const kernel_entry *
current_kernel(void)
{
    return __atomic_load_n(&current, __ATOMIC_ACQUIRE);
}

/* 1: chosen; 0: the CPU cannot run it; -1: no kernel has that name.  NULL: the fastest. */
static int
choose(const char *name)
{
    int known = 0;
    for (size_t i = 0; i < KERNEL_COUNT; i++) {
        if (name != NULL && strcmp(name, kernels[i].name) != 0)
            continue;
        known = 1;
#if HAVE_KERNEL
        if (cpu_has(kernels[i].name)) {
            __atomic_store_n(&current, &kernels[i], __ATOMIC_RELEASE);
            return 1;
        }
#endif
    }
    return known || name == NULL ? 0 : -1;
}

static uint64_t *
state_of(Py_buffer *view)
{
    if (view->len != STATE_BYTES) {
        PyErr_Format(PyExc_ValueError, "state must be %d bytes, not %zd", STATE_BYTES, view->len);
        return NULL;
    }
    if ((uintptr_t)view->buf % sizeof(uint64_t) != 0) {
        PyErr_SetString(PyExc_ValueError, "state must be aligned to 8 bytes");
        return NULL;
    }
    return (uint64_t *)view->buf;
}

static int
lane_of(int lane)
{
    if (lane < 0 || lane >= LANES) {
        PyErr_Format(PyExc_ValueError, "lane must be 0 to %d, not %d", LANES - 1, lane);
        return 0;
    }
    return 1;
}

PyDoc_STRVAR(reset_doc, "reset(state, lane)\n--\n\nSet one lane of ``state`` to the SHA-512 initial value.");

static PyObject *
reset(PyObject *module, PyObject *args)
{
    Py_buffer view;
    int lane;
    if (!PyArg_ParseTuple(args, "w*i:reset", &view, &lane))
        return NULL;
    uint64_t *state = state_of(&view);
    if (state != NULL && lane_of(lane)) {
        for (int i = 0; i < 8; i++)
            state[LANES * i + lane] = H512[i];
        PyBuffer_Release(&view);
        Py_RETURN_NONE;
    }
    PyBuffer_Release(&view);
    return NULL;
}

PyDoc_STRVAR(digest_doc, "digest(state, lane)\n--\n\nThe 64-byte digest held in one lane (after its final block).");

static PyObject *
digest(PyObject *module, PyObject *args)
{
    Py_buffer view;
    int lane;
    if (!PyArg_ParseTuple(args, "y*i:digest", &view, &lane))
        return NULL;
    uint64_t *state = state_of(&view);
    if (state == NULL || !lane_of(lane)) {
        PyBuffer_Release(&view);
        return NULL;
    }
    unsigned char out[64];
    for (int i = 0; i < 8; i++) {
        uint64_t word = state[LANES * i + lane];
        for (int k = 0; k < 8; k++)
            out[8 * i + k] = (unsigned char)(word >> (56 - 8 * k));
    }
    PyBuffer_Release(&view);
    return PyBytes_FromStringAndSize((const char *)out, 64);
}

PyDoc_STRVAR(compress_doc,
"compress(state, blocks)\n--\n\n"
"Hash ``blocks[i]`` (a bytes-like object whose length is a multiple of 128, or None) into lane\n"
"``i`` of ``state``, all lanes at once, without the GIL.");

static PyObject *
compress(PyObject *module, PyObject *args)
{
    Py_buffer view;
    PyObject *blocks;
    if (!PyArg_ParseTuple(args, "w*O:compress", &view, &blocks))
        return NULL;
    const kernel_entry *use = current_kernel();
    if (use == NULL) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_RuntimeError, "this CPU has neither AVX-512 (F, VL, BW) nor AVX2");
        return NULL;
    }
    uint64_t *state = state_of(&view);
    /* a tuple of our own: a list could change while an item's buffer is requested */
    PyObject *seq = state ? PySequence_Tuple(blocks) : NULL;
    if (seq == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    if (PyTuple_GET_SIZE(seq) != LANES) {
        PyErr_Format(PyExc_ValueError, "blocks must hold %d items", LANES);
        Py_DECREF(seq);
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_buffer data[LANES];
    const uint8_t *ptrs[LANES];
    uint64_t counts[LANES];
    int held = 0, failed = 0;
    for (int i = 0; i < LANES; i++) {
        PyObject *item = PyTuple_GET_ITEM(seq, i);
        ptrs[i] = NULL;
        counts[i] = 0;
        if (item == Py_None)
            continue;
        if (PyObject_GetBuffer(item, &data[held], PyBUF_SIMPLE) < 0) {
            failed = 1;
            break;
        }
        if (data[held].len % BLOCK != 0) {
            PyErr_Format(PyExc_ValueError, "block %d is %zd bytes, not a multiple of %d", i,
                         data[held].len, BLOCK);
            held++;
            failed = 1;
            break;
        }
        ptrs[i] = (const uint8_t *)data[held].buf;
        counts[i] = (uint64_t)(data[held].len / BLOCK);
        held++;
    }
    if (!failed) {
        kernel_fn run = use->fn;
        Py_BEGIN_ALLOW_THREADS
        run(state, ptrs, counts);
        Py_END_ALLOW_THREADS
    }
    for (int i = 0; i < held; i++)
        PyBuffer_Release(&data[i]);
    Py_DECREF(seq);
    PyBuffer_Release(&view);
    if (failed)
        return NULL;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(select_doc,
"select(name)\n--\n\n"
"Use the kernel ``name`` (\"avx512\" or \"avx2\") from now on, in the whole process: for tests\n"
"and benchmarks.  ValueError for an unknown name or a kernel this CPU cannot run.  KERNEL names\n"
"the kernel in use.");

static PyObject *
select_kernel(PyObject *module, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:select", &name))
        return NULL;
    int chosen = choose(name);
    if (chosen < 0) {
        PyErr_Format(PyExc_ValueError, "no kernel is called %R (avx512, avx2)",
                     PyTuple_GET_ITEM(args, 0));
        return NULL;
    }
    if (chosen == 0) {
        PyErr_Format(PyExc_ValueError, "kernel %R cannot run on this CPU", PyTuple_GET_ITEM(args, 0));
        return NULL;
    }
    if (PyModule_AddStringConstant(module, "KERNEL", current_kernel()->name) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"select", select_kernel, METH_VARARGS, select_doc},
    {"reset", reset, METH_VARARGS, reset_doc},
    {"digest", digest, METH_VARARGS, digest_doc},
    {"compress", compress, METH_VARARGS, compress_doc},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *module)
{
    if (current_kernel() == NULL) /* a second import keeps what select() chose */
        choose(NULL);
    const kernel_entry *use = current_kernel();
    if (PyModule_AddIntConstant(module, "LANES", LANES) < 0)
        return -1;
    if (PyModule_AddIntConstant(module, "STATE_BYTES", STATE_BYTES) < 0)
        return -1;
    if (use ? PyModule_AddStringConstant(module, "KERNEL", use->name) < 0
            : PyModule_AddObjectRef(module, "KERNEL", Py_None) < 0)
        return -1;
    return PyModule_AddObjectRef(module, "AVAILABLE", use ? Py_True : Py_False);
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
#ifdef Py_mod_gil
    /* each call works on its own buffers; the kernel in use is read and swapped atomically */
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "archiver._sha512x4",
    .m_doc = "Four SHA-512 streams at once (AVX-512 or AVX2); see archiver.lanes.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__sha512x4(void)
{
    return PyModuleDef_Init(&module_def);
}
