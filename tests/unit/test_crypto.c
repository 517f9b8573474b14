/* Tests of the crypto wrapper against published vectors: FIPS 180 examples (SHA-256), RFC 4231
 * (HMAC-SHA256), RFC 5869 (HKDF), the GCM specification's test cases (AES-128/256-GCM),
 * RFC 4493 (AES-CMAC) and RFC 6979 A.2.5 (P-256 keys and signatures), plus round trips and
 * rejections for what has no fixed vector (random signatures, RSA key generation).
 *
 * Built twice: on the host's libc, and freestanding over the library OS's runtime and Debian's
 * static libmbedcrypto.a, to show that the freestanding link is complete and works.
 * Prints one line per failed case and "crypto: N passed, M failed"; exits 0 only if M == 0. */
#include <linux/errno.h>

#include "crypto.h"
#include "rt.h"

#ifdef KERNITE_FREESTANDING
#include <asm/prctl.h>
#include <asm/unistd.h>

static long raw_syscall(long nr, long a, long b, long c) {
    long ret;

    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

static void out_write(const char* s, size_t n) {
    while (n) {
        long done = raw_syscall(__NR_write, 1, (long)s, (long)n);
        if (done <= 0)
            return;
        s += done;
        n -= (size_t)done;
    }
}

static void* test_page_alloc(size_t size) {
    register long r10 __asm__("r10") = 0x22; /* MAP_PRIVATE | MAP_ANONYMOUS */
    register long r8 __asm__("r8") = -1;
    register long r9 __asm__("r9") = 0;
    long addr;

    __asm__ volatile("syscall" : "=a"(addr)
                     : "a"(__NR_mmap), "D"(0), "S"(size), "d"(3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return addr < 0 && addr > -4096 ? NULL : (void*)addr;
}

static void test_page_free(void* addr, size_t size) {
    raw_syscall(__NR_munmap, (long)addr, (long)size, 0);
}

void rt_abort(const char* why) {
    out_write("rt_abort: ", 10);
    out_write(why, strlen(why));
    out_write("\n", 1);
    for (;;)
        raw_syscall(__NR_exit_group, 86, 0, 0);
}

static int test_getrandom(void* ctx, void* buf, size_t size) {
    uint8_t* p = buf;

    while (size) {
        long got = raw_syscall(__NR_getrandom, (long)p, (long)size, 0);
        if (got == -EINTR)
            continue;
        if (got < 0)
            return (int)got;
        p += got;
        size -= (size_t)got;
    }
    return 0;
}

/* libmbedcrypto.a is built with the stack protector: it reads its canary at %fs:0x28, so FS
 * must point at a thread control block, as the library OS's own does. */
static uint64_t g_tcb[16];

static int setup_environment(void) {
    g_tcb[0] = (uint64_t)g_tcb;
    g_tcb[5] = 0x5eed5eed5eed5e00ull;
    rt_set_page_allocator(test_page_alloc, test_page_free);
    crypto_set_random(test_getrandom, NULL);
    return (int)raw_syscall(__NR_arch_prctl, ARCH_SET_FS, (long)g_tcb, 0);
}
#else
static void out_write(const char* s, size_t n) {
    fwrite(s, 1, n, stdout);
    fflush(stdout);
}

static int setup_environment(void) {
    crypto_set_random(crypto_random_getrandom, NULL);
    return 0;
}
#endif

/* ---- Reporting ------------------------------------------------------------------------------ */

static int g_passed;
static int g_failed;

__attribute__((format(printf, 1, 2))) static void report(const char* fmt, ...) {
    char line[512];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (len > (int)sizeof(line) - 1)
        len = sizeof(line) - 1;
    out_write(line, (size_t)len);
}

static void check(bool ok, const char* name) {
    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    report("FAIL %s\n", name);
}

/* Decodes hex into a buffer of at least strlen(hex)/2 bytes; returns the byte count. */
static size_t unhex(const char* hex, uint8_t* out) {
    size_t n = 0;

    for (; hex[0] && hex[1]; hex += 2) {
        int hi = hex[0] <= '9' ? hex[0] - '0' : (hex[0] | 0x20) - 'a' + 10;
        int lo = hex[1] <= '9' ? hex[1] - '0' : (hex[1] | 0x20) - 'a' + 10;
        out[n++] = (uint8_t)(hi << 4 | lo);
    }
    return n;
}

static bool equal_hex(const uint8_t* got, size_t size, const char* hex) {
    uint8_t want[512];

    return unhex(hex, want) == size && memcmp(got, want, size) == 0;
}

/* ---- SHA-256 (FIPS 180-2 appendix B) ------------------------------------------------------- */

static const struct {
    const char* msg;
    const char* digest;
} g_sha256_cases[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void test_sha256_vectors(void) {
    uint8_t out[32];

    for (size_t i = 0; i < sizeof(g_sha256_cases) / sizeof(g_sha256_cases[0]); i++) {
        const char* msg = g_sha256_cases[i].msg;
        check(crypto_sha256(msg, strlen(msg), out) == 0 &&
                  equal_hex(out, 32, g_sha256_cases[i].digest),
              "sha256 one-shot FIPS 180 example");
    }
}

/* One million 'a' fed in uneven pieces gives the same digest as FIPS 180-2 B.3. */
static void test_sha256_incremental_million_a(void) {
    static uint8_t block[1000];
    struct crypto_sha256_ctx ctx;
    size_t fed = 0, step = 1;
    uint8_t out[32];
    int ret;

    memset(block, 'a', sizeof(block));
    ret = crypto_sha256_init(&ctx);
    while (ret == 0 && fed < 1000000) {
        size_t n = step < 1000000 - fed ? step : 1000000 - fed;
        ret = crypto_sha256_update(&ctx, block, n);
        fed += n;
        step = step % 991 + 7; /* stays below the block's 1000 bytes */
    }
    if (ret == 0)
        ret = crypto_sha256_final(&ctx, out);
    check(ret == 0 && equal_hex(out, 32, "cdc76e5c9914fb9281a1c7e284d73e67"
                                         "f1809a48a497200e046d39ccc7112cd0"),
          "sha256 incremental, one million 'a'");
}

/* ---- HMAC-SHA256 (RFC 4231) ---------------------------------------------------------------- */

static void test_hmac_rfc4231(void) {
    uint8_t key[131], out[32];
    const char* data;

    memset(key, 0x0b, 20);
    data = "Hi There";
    check(crypto_hmac_sha256(key, 20, data, strlen(data), out) == 0 &&
              equal_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b"
                                 "881dc200c9833da726e9376c2e32cff7"),
          "hmac rfc4231 case 1");

    data = "what do ya want for nothing?";
    check(crypto_hmac_sha256("Jefe", 4, data, strlen(data), out) == 0 &&
              equal_hex(out, 32, "5bdcc146bf60754e6a042426089575c7"
                                 "5a003f089d2739839dec58b964ec3843"),
          "hmac rfc4231 case 2");

    memset(key, 0xaa, 131);
    data = "Test Using Larger Than Block-Size Key - Hash Key First";
    check(crypto_hmac_sha256(key, 131, data, strlen(data), out) == 0 &&
              equal_hex(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f"
                                 "8e0bc6213728c5140546040f0ee37f54"),
          "hmac rfc4231 case 6 (key longer than a block)");
}

/* ---- HKDF-SHA256 (RFC 5869) ---------------------------------------------------------------- */

static void test_hkdf_rfc5869(void) {
    uint8_t ikm[22], salt[13], info[10], okm[42];

    memset(ikm, 0x0b, sizeof(ikm));
    for (int i = 0; i < 13; i++)
        salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        info[i] = (uint8_t)(0xf0 + i);
    check(crypto_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42) == 0 &&
              equal_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                                 "34007208d5b887185865"),
          "hkdf rfc5869 case 1");
    check(crypto_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 42) == 0 &&
              equal_hex(okm, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                                 "9d201395faa4b61a96c8"),
          "hkdf rfc5869 case 3 (no salt, no info)");
    check(crypto_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 255 * 32 + 1) == -EINVAL,
          "hkdf refuses more than 255 blocks");
}

/* ---- AES-GCM (the GCM specification, test cases 1-4 and 13-16) ------------------------------- */

#define GCM_K128 "feffe9928665731c6d6a8f9467308308"
#define GCM_IV   "cafebabefacedbaddecaf888"
#define GCM_P                                                                                     \
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"                            \
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"

static const struct {
    const char* name;
    const char* key;
    const char* iv;
    const char* aad;
    const char* plain;
    size_t plain_size; /* bytes of plain used */
    const char* cipher;
    const char* tag;
} g_gcm_cases[] = {
    {"gcm case 1", "00000000000000000000000000000000", "000000000000000000000000", "", "", 0, "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"gcm case 2", "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", 16, "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"gcm case 3", GCM_K128, GCM_IV, "", GCM_P, 64,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"gcm case 4", GCM_K128, GCM_IV, GCM_A, GCM_P, 60,
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"gcm case 13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", 0, "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"gcm case 14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000", 16,
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"gcm case 15", GCM_K128 GCM_K128, GCM_IV, "", GCM_P, 64,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"gcm case 16", GCM_K128 GCM_K128, GCM_IV, GCM_A, GCM_P, 60,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_gcm_case(size_t i) {
    uint8_t key[32], iv[12], aad[20], plain[64], cipher[64], out[64], tag[16];
    size_t key_size = unhex(g_gcm_cases[i].key, key);
    size_t aad_size = unhex(g_gcm_cases[i].aad, aad);
    size_t n = g_gcm_cases[i].plain_size;
    char name[64];
    int ret;

    unhex(g_gcm_cases[i].iv, iv);
    unhex(g_gcm_cases[i].plain, plain);

    ret = crypto_aes_gcm_encrypt(key, key_size, iv, 12, aad, aad_size, plain, n, cipher, tag);
    snprintf(name, sizeof(name), "%s encrypt", g_gcm_cases[i].name);
    check(ret == 0 && equal_hex(cipher, n, g_gcm_cases[i].cipher) &&
              equal_hex(tag, 16, g_gcm_cases[i].tag),
          name);

    ret = crypto_aes_gcm_decrypt(key, key_size, iv, 12, aad, aad_size, cipher, n, out, tag);
    snprintf(name, sizeof(name), "%s decrypt", g_gcm_cases[i].name);
    check(ret == 0 && memcmp(out, plain, n) == 0, name);

    tag[15] ^= 1;
    ret = crypto_aes_gcm_decrypt(key, key_size, iv, 12, aad, aad_size, cipher, n, out, tag);
    snprintf(name, sizeof(name), "%s: a changed tag is refused", g_gcm_cases[i].name);
    check(ret == -EACCES, name);
    tag[15] ^= 1;

    if (n) {
        cipher[n / 2] ^= 0x80;
        ret = crypto_aes_gcm_decrypt(key, key_size, iv, 12, aad, aad_size, cipher, n, out, tag);
        snprintf(name, sizeof(name), "%s: a changed ciphertext is refused", g_gcm_cases[i].name);
        check(ret == -EACCES && out[0] == 0 && out[n - 1] == 0, name);
    }
}

static void test_gcm_vectors(void) {
    for (size_t i = 0; i < sizeof(g_gcm_cases) / sizeof(g_gcm_cases[0]); i++)
        test_gcm_case(i);
}

static void test_gcm_in_place_and_bad_key(void) {
    uint8_t key[16] = {1}, iv[12] = {2}, buf[4096], copy[4096], tag[16];

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7);
    memcpy(copy, buf, sizeof(buf));
    check(crypto_aes_gcm_encrypt(key, 16, iv, 12, NULL, 0, buf, sizeof(buf), buf, tag) == 0 &&
              crypto_aes_gcm_decrypt(key, 16, iv, 12, NULL, 0, buf, sizeof(buf), buf, tag) == 0 &&
              memcmp(buf, copy, sizeof(buf)) == 0,
          "gcm in place round trip of a 4 KiB node");
    check(crypto_aes_gcm_encrypt(key, 24, iv, 12, NULL, 0, buf, 16, buf, tag) == -EINVAL,
          "gcm refuses a 24-byte key");
}

/* ---- AES-CMAC (RFC 4493 section 4) ---------------------------------------------------------- */

static void test_cmac_rfc4493(void) {
    static const char* msg = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                             "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    static const struct {
        size_t len;
        const char* mac;
    } cases[] = {
        {0, "bb1d6929e95937287fa37d129b756746"},
        {16, "070a16b46b4d4144f79bdd9dd04a287c"},
        {40, "dfa66747de9ae63030ca32611497c827"},
        {64, "51f0bebf7e3b9d92fc49741779363cfe"},
    };
    uint8_t key[16], m[64], out[16];

    unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
    unhex(msg, m);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[48];
        snprintf(name, sizeof(name), "cmac rfc4493 %zu-byte message", cases[i].len);
        check(crypto_aes128_cmac(key, m, cases[i].len, out) == 0 &&
                  equal_hex(out, 16, cases[i].mac),
              name);
    }
}

/* ---- ECDSA P-256 (RFC 6979 A.2.5) ----------------------------------------------------------- */

#define RFC6979_PRIV "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
#define RFC6979_PUB                                                                               \
    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"                            \
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"

static void test_p256_rfc6979(void) {
    static const struct {
        const char* msg;
        const char* sig;
    } cases[] = {
        {"sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
                   "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"},
        {"test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367"
                 "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"},
    };
    uint8_t priv[32], pub[64], sig[64], hash[32];

    unhex(RFC6979_PRIV, priv);
    check(crypto_p256_public(priv, pub) == 0 && equal_hex(pub, 64, RFC6979_PUB),
          "p256 public key from the rfc6979 private key");
    unhex(RFC6979_PUB, pub);
    for (size_t i = 0; i < 2; i++) {
        crypto_sha256(cases[i].msg, strlen(cases[i].msg), hash);
        unhex(cases[i].sig, sig);
        check(crypto_p256_verify(pub, hash, 32, sig) == 0, "p256 verifies an rfc6979 signature");
        sig[10] ^= 4;
        check(crypto_p256_verify(pub, hash, 32, sig) == -EACCES,
              "p256 refuses a changed rfc6979 signature");
    }
    pub[63] ^= 1;
    check(crypto_p256_verify(pub, hash, 32, sig) == -EINVAL, "p256 refuses a point off the curve");
}

static void test_p256_sign_round_trip(void) {
    uint8_t priv[32], pub[64], again[64], sig[64], hash[32];

    crypto_sha256("kernite", 7, hash);
    check(crypto_p256_generate(priv, pub) == 0, "p256 generates a key");
    check(crypto_p256_public(priv, again) == 0 && memcmp(pub, again, 64) == 0,
          "p256 public key recomputed from the private key");
    check(crypto_p256_sign(priv, hash, 32, sig) == 0 && crypto_p256_verify(pub, hash, 32, sig) == 0,
          "p256 sign then verify");
    hash[0] ^= 1;
    check(crypto_p256_verify(pub, hash, 32, sig) == -EACCES, "p256 refuses another hash");
    memset(priv, 0, sizeof(priv));
    check(crypto_p256_sign(priv, hash, 32, sig) == -EINVAL, "p256 refuses a zero private key");
}

/* ---- RSA-3072 ------------------------------------------------------------------------------- */

static void test_rsa3072_sign_verify(void) {
    static struct crypto_rsa3072_key key;
    uint8_t hash[32], sig[384];
    int ret;

    crypto_sha256("enclave", 7, hash);
    ret = crypto_rsa3072_generate(3, &key);
    check(ret == 0 && key.e == 3 && (key.n[0] & 0x80), "rsa3072 generates a 3072-bit key, e=3");
    check(crypto_rsa3072_sign(&key, hash, sig) == 0 &&
              crypto_rsa3072_verify(key.n, 3, hash, sig) == 0,
          "rsa3072 sign then verify");
    hash[31] ^= 1;
    check(crypto_rsa3072_verify(key.n, 3, hash, sig) == -EACCES, "rsa3072 refuses another hash");
    hash[31] ^= 1;
    sig[100] ^= 1;
    check(crypto_rsa3072_verify(key.n, 3, hash, sig) == -EACCES,
          "rsa3072 refuses a changed signature");
    check(crypto_rsa3072_verify(key.n, 65537, hash, sig) == -EACCES,
          "rsa3072 refuses the signature under another exponent");
    crypto_wipe(&key, sizeof(key));
}

/* ---- Helpers -------------------------------------------------------------------------------- */

static void test_equal_and_wipe(void) {
    uint8_t a[33] = {1, 2, 3}, b[33] = {1, 2, 3};

    check(crypto_equal(a, b, 33), "crypto_equal on equal buffers");
    b[32] = 9;
    check(!crypto_equal(a, b, 33), "crypto_equal sees a difference in the last byte");
    crypto_wipe(a, sizeof(a));
    check(a[0] == 0 && a[2] == 0, "crypto_wipe zeroes");
}

static void test_random_without_source(void) {
    uint8_t buf[16], priv[32], pub[64];

    crypto_set_random(NULL, NULL);
    check(crypto_random(buf, sizeof(buf)) == -ENOSYS, "no random source means -ENOSYS");
    check(crypto_p256_generate(priv, pub) < 0, "key generation fails without a random source");
    setup_environment();
}

static int run_tests(void) {
    if (setup_environment() < 0) {
        report("crypto: cannot set up the test environment\n");
        return 1;
    }
    test_sha256_vectors();
    test_sha256_incremental_million_a();
    test_hmac_rfc4231();
    test_hkdf_rfc5869();
    test_gcm_vectors();
    test_gcm_in_place_and_bad_key();
    test_cmac_rfc4493();
    test_p256_rfc6979();
    test_p256_sign_round_trip();
    test_rsa3072_sign_verify();
    test_equal_and_wipe();
    test_random_without_source();
    report("crypto: %d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

#ifdef KERNITE_FREESTANDING
int test_main(void) {
    return run_tests();
}

__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    and $-16, %rsp\n"
        "    call test_main\n"
        "    mov %eax, %edi\n"
        "    mov $231, %eax\n" /* exit_group */
        "    syscall\n"
        "    hlt\n");
#else
int main(void) {
    return run_tests();
}
#endif
