/* Looks up dynamic symbols in an ELF image laid out in memory as a file (section headers
 * included), such as a vDSO. */
#ifndef KERNITE_ELF_SYMBOLS_H
#define KERNITE_ELF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* The st_value of the named symbol of the image's .dynsym (an offset from the image's first
 * load address), or 0 if it is not there or the image is malformed; size bounds every read. */
uint64_t elf_image_symbol(const void* image, size_t size, const char* name);

#endif
