/* AES-GCM and AES-128-CMAC over mbedTLS (which uses AES-NI and PCLMULQDQ when the CPU has them). */
#include <linux/errno.h>

#include "crypto.h"
#include "crypto_internal.h"
#include "mbedtls/cipher.h"
#include "mbedtls/cmac.h"
#include "mbedtls/gcm.h"
#include "rt.h"

static int gcm_setup(mbedtls_gcm_context* gcm, const void* key, size_t key_size) {
    if (key_size != 16 && key_size != 32)
        return -EINVAL;
    mbedtls_gcm_init(gcm);
    return crypto_errno(mbedtls_gcm_setkey(gcm, MBEDTLS_CIPHER_ID_AES, key,
                                           (unsigned int)key_size * 8));
}

int crypto_aes_gcm_encrypt(const void* key, size_t key_size, const void* iv, size_t iv_size,
                           const void* aad, size_t aad_size, const void* in, size_t size,
                           void* out, uint8_t tag[CRYPTO_AES_GCM_TAG_SIZE]) {
    mbedtls_gcm_context gcm;
    int ret;

    if (iv_size == 0)
        return -EINVAL;
    ret = gcm_setup(&gcm, key, key_size);
    if (ret < 0)
        goto out;
    ret = crypto_errno(mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, size, iv, iv_size,
                                                 aad, aad_size, in, out,
                                                 CRYPTO_AES_GCM_TAG_SIZE, tag));
out:
    mbedtls_gcm_free(&gcm);
    return ret;
}

int crypto_aes_gcm_decrypt(const void* key, size_t key_size, const void* iv, size_t iv_size,
                           const void* aad, size_t aad_size, const void* in, size_t size,
                           void* out, const uint8_t tag[CRYPTO_AES_GCM_TAG_SIZE]) {
    mbedtls_gcm_context gcm;
    int ret;

    if (iv_size == 0)
        return -EINVAL;
    ret = gcm_setup(&gcm, key, key_size);
    if (ret < 0)
        goto out;
    ret = mbedtls_gcm_auth_decrypt(&gcm, size, iv, iv_size, aad, aad_size, tag,
                                   CRYPTO_AES_GCM_TAG_SIZE, in, out);
    ret = ret == MBEDTLS_ERR_GCM_AUTH_FAILED ? -EACCES : crypto_errno(ret);
out:
    mbedtls_gcm_free(&gcm);
    if (ret < 0)
        crypto_wipe(out, size);
    return ret;
}

int crypto_aes128_cmac(const uint8_t key[16], const void* data, size_t size,
                       uint8_t out[CRYPTO_AES_CMAC_SIZE]) {
    const mbedtls_cipher_info_t* aes = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);

    return crypto_errno(mbedtls_cipher_cmac(aes, key, 128, data, size, out));
}
