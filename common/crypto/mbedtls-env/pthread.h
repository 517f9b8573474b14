/* pthread_mutex_t with glibc's x86-64 size and alignment: mbedTLS embeds it in its contexts. */
#ifndef KERNITE_MBEDTLS_ENV_PTHREAD_H
#define KERNITE_MBEDTLS_ENV_PTHREAD_H

typedef union {
    char size[40];
    long align;
} pthread_mutex_t;

typedef union {
    char size[4];
    int align;
} pthread_mutexattr_t;

#endif
