/* Cryptographic primitives for all of Kernite: the only interface to mbedTLS outside
 * common/crypto/. Functions return 0 or a negative errno; a failed authentication is -EACCES. */
#ifndef KERNITE_CRYPTO_H
#define KERNITE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_SHA256_SIZE      32
#define CRYPTO_AES_GCM_TAG_SIZE 16
#define CRYPTO_AES_CMAC_SIZE    16
#define CRYPTO_P256_PRIV_SIZE   32
#define CRYPTO_P256_PUB_SIZE    64 /* x || y, big-endian, no 0x04 prefix */
#define CRYPTO_P256_SIG_SIZE    64 /* r || s, big-endian */
#define CRYPTO_RSA3072_SIZE     384

/* Where randomness comes from: the PAL inside the library OS, getrandom in host tools. Until a
 * source is set, every function that needs randomness fails with -ENOSYS rather than make up
 * weak numbers. fn fills buf completely or returns a negative errno. */
typedef int (*crypto_random_fn)(void* ctx, void* buf, size_t size);
void crypto_set_random(crypto_random_fn fn, void* ctx);
int crypto_random(void* buf, size_t size);

#ifndef KERNITE_FREESTANDING
/* The host builds' source: getrandom(2). */
int crypto_random_getrandom(void* ctx, void* buf, size_t size);
#endif

/* Zeroes memory in a way the compiler may not drop; for keys and plaintext after use. */
void crypto_wipe(void* buf, size_t size);

/* Compares in time that depends only on size; true when equal. */
bool crypto_equal(const void* a, const void* b, size_t size);

int crypto_sha256(const void* data, size_t size, uint8_t out[CRYPTO_SHA256_SIZE]);

/* Incremental SHA-256; the state is opaque and wiped by crypto_sha256_final. */
struct crypto_sha256_ctx {
    _Alignas(8) uint8_t state[128];
};
int crypto_sha256_init(struct crypto_sha256_ctx* ctx);
int crypto_sha256_update(struct crypto_sha256_ctx* ctx, const void* data, size_t size);
int crypto_sha256_final(struct crypto_sha256_ctx* ctx, uint8_t out[CRYPTO_SHA256_SIZE]);

int crypto_hmac_sha256(const void* key, size_t key_size, const void* data, size_t size,
                       uint8_t out[CRYPTO_SHA256_SIZE]);

/* RFC 5869; out_size at most 255 * 32. */
int crypto_hkdf_sha256(const void* salt, size_t salt_size, const void* ikm, size_t ikm_size,
                       const void* info, size_t info_size, void* out, size_t out_size);

/* AES-GCM with a 16- or 32-byte key and a 16-byte tag. in and out may be the same buffer.
 * decrypt checks the tag before it reports success; on a mismatch it returns -EACCES and
 * leaves out zeroed. */
int crypto_aes_gcm_encrypt(const void* key, size_t key_size, const void* iv, size_t iv_size,
                           const void* aad, size_t aad_size, const void* in, size_t size,
                           void* out, uint8_t tag[CRYPTO_AES_GCM_TAG_SIZE]);
int crypto_aes_gcm_decrypt(const void* key, size_t key_size, const void* iv, size_t iv_size,
                           const void* aad, size_t aad_size, const void* in, size_t size,
                           void* out, const uint8_t tag[CRYPTO_AES_GCM_TAG_SIZE]);

/* AES-128-CMAC (NIST SP 800-38B). */
int crypto_aes128_cmac(const uint8_t key[16], const void* data, size_t size,
                       uint8_t out[CRYPTO_AES_CMAC_SIZE]);

/* ECDSA over NIST P-256 on a caller-computed hash (normally SHA-256). verify returns -EACCES
 * for a signature that does not match and -EINVAL for a public key not on the curve. */
int crypto_p256_generate(uint8_t priv[CRYPTO_P256_PRIV_SIZE], uint8_t pub[CRYPTO_P256_PUB_SIZE]);
int crypto_p256_public(const uint8_t priv[CRYPTO_P256_PRIV_SIZE],
                       uint8_t pub[CRYPTO_P256_PUB_SIZE]);
int crypto_p256_sign(const uint8_t priv[CRYPTO_P256_PRIV_SIZE], const void* hash,
                     size_t hash_size, uint8_t sig[CRYPTO_P256_SIG_SIZE]);
int crypto_p256_verify(const uint8_t pub[CRYPTO_P256_PUB_SIZE], const void* hash,
                       size_t hash_size, const uint8_t sig[CRYPTO_P256_SIG_SIZE]);

/* RSA-3072, PKCS#1 v1.5 signatures over a SHA-256 hash. All numbers are big-endian and of
 * fixed width; the private parts must be wiped by the caller (crypto_wipe) after use. */
struct crypto_rsa3072_key {
    uint8_t n[CRYPTO_RSA3072_SIZE];
    uint8_t d[CRYPTO_RSA3072_SIZE];
    uint8_t p[CRYPTO_RSA3072_SIZE / 2];
    uint8_t q[CRYPTO_RSA3072_SIZE / 2];
    uint32_t e;
};
int crypto_rsa3072_generate(uint32_t e, struct crypto_rsa3072_key* key);
int crypto_rsa3072_sign(const struct crypto_rsa3072_key* key,
                        const uint8_t hash[CRYPTO_SHA256_SIZE], uint8_t sig[CRYPTO_RSA3072_SIZE]);
int crypto_rsa3072_verify(const uint8_t n[CRYPTO_RSA3072_SIZE], uint32_t e,
                          const uint8_t hash[CRYPTO_SHA256_SIZE],
                          const uint8_t sig[CRYPTO_RSA3072_SIZE]);

#endif
