/* What the files of common/crypto/ share among themselves; nothing outside includes it. */
#ifndef KERNITE_CRYPTO_INTERNAL_H
#define KERNITE_CRYPTO_INTERNAL_H

#include <stddef.h>

/* An error code outside every mbedTLS range, so that a failed random source is told apart. */
#define CRYPTO_MBEDTLS_RNG_FAILED (-0x7f01)

int crypto_mbedtls_rng(void* ctx, unsigned char* buf, size_t size);

/* Turns an mbedTLS error into a negative errno. */
int crypto_errno(int mbedtls_ret);

#endif
