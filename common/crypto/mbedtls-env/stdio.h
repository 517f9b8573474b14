/* The one name mbedTLS's headers take from <stdio.h>: FILE, only ever used through a pointer. */
#ifndef KERNITE_MBEDTLS_ENV_STDIO_H
#define KERNITE_MBEDTLS_ENV_STDIO_H

#include <stddef.h>

typedef struct kernite_no_file FILE;

#endif
