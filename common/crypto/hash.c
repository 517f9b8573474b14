/* SHA-256, HMAC-SHA256 and HKDF-SHA256 over mbedTLS. */
#include <linux/errno.h>

#include "crypto.h"
#include "crypto_internal.h"
#include "mbedtls/hkdf.h"
#include "mbedtls/md.h"
#include "mbedtls/sha256.h"
#include "rt.h"

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(struct crypto_sha256_ctx),
               "crypto_sha256_ctx too small for mbedTLS's state");
_Static_assert(_Alignof(mbedtls_sha256_context) <= 8, "crypto_sha256_ctx alignment");

int crypto_errno(int mbedtls_ret) {
    if (mbedtls_ret == 0)
        return 0;
    switch (mbedtls_ret) {
        case MBEDTLS_ERR_MD_ALLOC_FAILED:
            return -ENOMEM;
        case CRYPTO_MBEDTLS_RNG_FAILED:
            return -EIO;
        default:
            return -EINVAL;
    }
}

int crypto_sha256(const void* data, size_t size, uint8_t out[CRYPTO_SHA256_SIZE]) {
    return crypto_errno(mbedtls_sha256_ret(data, size, out, /*is224=*/0));
}

int crypto_sha256_init(struct crypto_sha256_ctx* ctx) {
    mbedtls_sha256_context* c = (mbedtls_sha256_context*)ctx->state;

    mbedtls_sha256_init(c);
    return crypto_errno(mbedtls_sha256_starts_ret(c, /*is224=*/0));
}

int crypto_sha256_update(struct crypto_sha256_ctx* ctx, const void* data, size_t size) {
    return crypto_errno(mbedtls_sha256_update_ret((mbedtls_sha256_context*)ctx->state, data,
                                                  size));
}

int crypto_sha256_final(struct crypto_sha256_ctx* ctx, uint8_t out[CRYPTO_SHA256_SIZE]) {
    mbedtls_sha256_context* c = (mbedtls_sha256_context*)ctx->state;
    int ret = mbedtls_sha256_finish_ret(c, out);

    mbedtls_sha256_free(c);
    crypto_wipe(ctx, sizeof(*ctx));
    return crypto_errno(ret);
}

int crypto_hmac_sha256(const void* key, size_t key_size, const void* data, size_t size,
                       uint8_t out[CRYPTO_SHA256_SIZE]) {
    const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

    return crypto_errno(mbedtls_md_hmac(md, key, key_size, data, size, out));
}

int crypto_hkdf_sha256(const void* salt, size_t salt_size, const void* ikm, size_t ikm_size,
                       const void* info, size_t info_size, void* out, size_t out_size) {
    const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

    if (out_size > 255 * CRYPTO_SHA256_SIZE)
        return -EINVAL;
    return crypto_errno(mbedtls_hkdf(md, salt, salt_size, ikm, ikm_size, info, info_size, out,
                                     out_size));
}
