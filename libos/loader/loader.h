/* Internal interface of the ELF loader. */
#ifndef KERNITE_LOADER_H
#define KERNITE_LOADER_H

#include "libos.h"

#endif
