/* ECDSA P-256 and RSA-3072 (PKCS#1 v1.5, SHA-256) over mbedTLS, on raw fixed-width numbers. */
#include <linux/errno.h>

#include "crypto.h"
#include "crypto_internal.h"
#include "mbedtls/bignum.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/rsa.h"
#include "rt.h"

/* libmbedcrypto.a was compiled against glibc, whose mutex its RSA context embeds; the
 * freestanding build's own pthread_mutex_t must lay out the same. */
_Static_assert(sizeof(pthread_mutex_t) == 40 && _Alignof(pthread_mutex_t) == 8,
               "pthread_mutex_t differs from the one libmbedcrypto was built with");

static int pk_errno(int ret) {
    switch (ret) {
        case 0:
            return 0;
        case MBEDTLS_ERR_MPI_ALLOC_FAILED:
        case MBEDTLS_ERR_ECP_ALLOC_FAILED:
            return -ENOMEM;
        case MBEDTLS_ERR_ECP_VERIFY_FAILED:
        case MBEDTLS_ERR_RSA_VERIFY_FAILED:
            return -EACCES;
        case CRYPTO_MBEDTLS_RNG_FAILED:
        case MBEDTLS_ERR_ECP_RANDOM_FAILED:
        case MBEDTLS_ERR_RSA_RNG_FAILED:
            return -EIO;
        default:
            return -EINVAL;
    }
}

/* ---- ECDSA P-256 --------------------------------------------------------------------------- */

static int p256_write_public(const mbedtls_ecp_group* grp, const mbedtls_ecp_point* q,
                             uint8_t pub[CRYPTO_P256_PUB_SIZE]) {
    uint8_t buf[1 + CRYPTO_P256_PUB_SIZE];
    size_t len;
    int ret = mbedtls_ecp_point_write_binary(grp, q, MBEDTLS_ECP_PF_UNCOMPRESSED, &len, buf,
                                             sizeof(buf));

    if (ret == 0 && len != sizeof(buf))
        ret = MBEDTLS_ERR_ECP_BAD_INPUT_DATA;
    if (ret == 0)
        memcpy(pub, buf + 1, CRYPTO_P256_PUB_SIZE);
    return pk_errno(ret);
}

int crypto_p256_generate(uint8_t priv[CRYPTO_P256_PRIV_SIZE], uint8_t pub[CRYPTO_P256_PUB_SIZE]) {
    mbedtls_ecdsa_context key;
    int ret;

    mbedtls_ecdsa_init(&key);
    ret = pk_errno(mbedtls_ecdsa_genkey(&key, MBEDTLS_ECP_DP_SECP256R1, crypto_mbedtls_rng, NULL));
    if (ret < 0)
        goto out;
    ret = pk_errno(mbedtls_mpi_write_binary(&key.d, priv, CRYPTO_P256_PRIV_SIZE));
    if (ret < 0)
        goto out;
    ret = p256_write_public(&key.grp, &key.Q, pub);
out:
    mbedtls_ecdsa_free(&key);
    return ret;
}

/* Loads the curve and the private scalar, which must lie in [1, n-1]. */
static int p256_load_private(mbedtls_ecdsa_context* key, const uint8_t priv[32]) {
    int ret = mbedtls_ecp_group_load(&key->grp, MBEDTLS_ECP_DP_SECP256R1);

    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&key->d, priv, CRYPTO_P256_PRIV_SIZE);
    if (ret == 0)
        ret = mbedtls_ecp_check_privkey(&key->grp, &key->d);
    return pk_errno(ret);
}

int crypto_p256_public(const uint8_t priv[CRYPTO_P256_PRIV_SIZE],
                       uint8_t pub[CRYPTO_P256_PUB_SIZE]) {
    mbedtls_ecdsa_context key;
    int ret;

    mbedtls_ecdsa_init(&key);
    ret = p256_load_private(&key, priv);
    if (ret < 0)
        goto out;
    ret = pk_errno(mbedtls_ecp_mul(&key.grp, &key.Q, &key.d, &key.grp.G, crypto_mbedtls_rng,
                                   NULL));
    if (ret < 0)
        goto out;
    ret = p256_write_public(&key.grp, &key.Q, pub);
out:
    mbedtls_ecdsa_free(&key);
    return ret;
}

int crypto_p256_sign(const uint8_t priv[CRYPTO_P256_PRIV_SIZE], const void* hash,
                     size_t hash_size, uint8_t sig[CRYPTO_P256_SIG_SIZE]) {
    mbedtls_ecdsa_context key;
    mbedtls_mpi r, s;
    int ret;

    mbedtls_ecdsa_init(&key);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    ret = p256_load_private(&key, priv);
    if (ret < 0)
        goto out;
    ret = pk_errno(mbedtls_ecdsa_sign(&key.grp, &r, &s, &key.d, hash, hash_size,
                                      crypto_mbedtls_rng, NULL));
    if (ret < 0)
        goto out;
    ret = pk_errno(mbedtls_mpi_write_binary(&r, sig, 32));
    if (ret == 0)
        ret = pk_errno(mbedtls_mpi_write_binary(&s, sig + 32, 32));
out:
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecdsa_free(&key);
    return ret;
}

int crypto_p256_verify(const uint8_t pub[CRYPTO_P256_PUB_SIZE], const void* hash,
                       size_t hash_size, const uint8_t sig[CRYPTO_P256_SIG_SIZE]) {
    uint8_t point[1 + CRYPTO_P256_PUB_SIZE];
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q;
    mbedtls_mpi r, s;
    int ret;

    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_mpi_init(&r);
    mbedtls_mpi_init(&s);
    point[0] = 0x04;
    memcpy(point + 1, pub, CRYPTO_P256_PUB_SIZE);

    ret = mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1);
    if (ret == 0)
        ret = mbedtls_ecp_point_read_binary(&grp, &q, point, sizeof(point));
    if (ret == 0)
        ret = mbedtls_ecp_check_pubkey(&grp, &q);
    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&r, sig, 32);
    if (ret == 0)
        ret = mbedtls_mpi_read_binary(&s, sig + 32, 32);
    if (ret < 0) {
        ret = pk_errno(ret);
        goto out;
    }
    /* mbedTLS reports a malformed (r, s) as bad input; to the caller it is a bad signature. */
    ret = mbedtls_ecdsa_verify(&grp, hash, hash_size, &q, &r, &s);
    ret = ret == MBEDTLS_ERR_ECP_BAD_INPUT_DATA ? -EACCES : pk_errno(ret);
out:
    mbedtls_mpi_free(&r);
    mbedtls_mpi_free(&s);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    return ret;
}

/* ---- RSA-3072 ------------------------------------------------------------------------------ */

static void rsa_e_bytes(uint32_t e, uint8_t out[4]) {
    out[0] = (uint8_t)(e >> 24);
    out[1] = (uint8_t)(e >> 16);
    out[2] = (uint8_t)(e >> 8);
    out[3] = (uint8_t)e;
}

int crypto_rsa3072_generate(uint32_t e, struct crypto_rsa3072_key* key) {
    mbedtls_rsa_context rsa;
    uint8_t e_bytes[4];
    int ret;

    if (e < 3 || !(e & 1))
        return -EINVAL;
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V15, 0);
    ret = pk_errno(mbedtls_rsa_gen_key(&rsa, crypto_mbedtls_rng, NULL, 3072, (int)e));
    if (ret < 0)
        goto out;
    ret = pk_errno(mbedtls_rsa_export_raw(&rsa, key->n, sizeof(key->n), key->p, sizeof(key->p),
                                          key->q, sizeof(key->q), key->d, sizeof(key->d),
                                          e_bytes, sizeof(e_bytes)));
    key->e = e;
out:
    mbedtls_rsa_free(&rsa);
    if (ret < 0)
        crypto_wipe(key, sizeof(*key));
    return ret;
}

int crypto_rsa3072_sign(const struct crypto_rsa3072_key* key,
                        const uint8_t hash[CRYPTO_SHA256_SIZE], uint8_t sig[CRYPTO_RSA3072_SIZE]) {
    mbedtls_rsa_context rsa;
    uint8_t e_bytes[4];
    int ret;

    rsa_e_bytes(key->e, e_bytes);
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V15, 0);
    ret = mbedtls_rsa_import_raw(&rsa, key->n, sizeof(key->n), key->p, sizeof(key->p), key->q,
                                 sizeof(key->q), key->d, sizeof(key->d), e_bytes,
                                 sizeof(e_bytes));
    if (ret == 0)
        ret = mbedtls_rsa_complete(&rsa);
    if (ret == 0)
        ret = mbedtls_rsa_check_privkey(&rsa);
    if (ret == 0 && mbedtls_rsa_get_len(&rsa) != CRYPTO_RSA3072_SIZE)
        ret = MBEDTLS_ERR_RSA_BAD_INPUT_DATA;
    /* The RNG blinds the private operation against timing attacks. */
    if (ret == 0)
        ret = mbedtls_rsa_pkcs1_sign(&rsa, crypto_mbedtls_rng, NULL, MBEDTLS_RSA_PRIVATE,
                                     MBEDTLS_MD_SHA256, CRYPTO_SHA256_SIZE, hash, sig);
    mbedtls_rsa_free(&rsa);
    return pk_errno(ret);
}

int crypto_rsa3072_verify(const uint8_t n[CRYPTO_RSA3072_SIZE], uint32_t e,
                          const uint8_t hash[CRYPTO_SHA256_SIZE],
                          const uint8_t sig[CRYPTO_RSA3072_SIZE]) {
    mbedtls_rsa_context rsa;
    uint8_t e_bytes[4];
    int ret;

    rsa_e_bytes(e, e_bytes);
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V15, 0);
    ret = mbedtls_rsa_import_raw(&rsa, n, CRYPTO_RSA3072_SIZE, NULL, 0, NULL, 0, NULL, 0,
                                 e_bytes, sizeof(e_bytes));
    if (ret == 0)
        ret = mbedtls_rsa_complete(&rsa);
    if (ret == 0)
        ret = mbedtls_rsa_check_pubkey(&rsa);
    if (ret == 0 && mbedtls_rsa_get_len(&rsa) != CRYPTO_RSA3072_SIZE)
        ret = MBEDTLS_ERR_RSA_BAD_INPUT_DATA;
    if (ret < 0) {
        ret = pk_errno(ret);
        goto out;
    }
    ret = mbedtls_rsa_pkcs1_verify(&rsa, NULL, NULL, MBEDTLS_RSA_PUBLIC, MBEDTLS_MD_SHA256,
                                   CRYPTO_SHA256_SIZE, hash, sig);
    /* The key is sound by now, so any failure is the signature's: out of range, badly padded
     * or not matching are all a signature that does not verify. */
    ret = ret == 0 ? 0 : -EACCES;
out:
    mbedtls_rsa_free(&rsa);
    return ret;
}
