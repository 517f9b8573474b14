/* Internal interface of the ELF loader. */
#ifndef KERNITE_LOADER_H
#define KERNITE_LOADER_H

#include "libos.h"

/* Why the last loader_load failed: "'/bin/x': not an ELF file"; empty if it did not. */
const char* loader_last_error(void);

#endif
