/* mbedTLS's headers include <stdlib.h> but use nothing from it; allocation comes from rt.h. */
#ifndef KERNITE_MBEDTLS_ENV_STDLIB_H
#define KERNITE_MBEDTLS_ENV_STDLIB_H

#include <stddef.h>

#endif
