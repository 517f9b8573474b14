/* Looks up dynamic symbols in an ELF image laid out in memory as a file (a vDSO). */
#include "elf_symbols.h"

#include <linux/elf.h>

#include "rt.h"

static bool within(size_t size, uint64_t offset, uint64_t length) {
    return offset <= size && length <= size - offset;
}

uint64_t elf_image_symbol(const void* image, size_t size, const char* name) {
    const uint8_t* base = image;
    const Elf64_Ehdr* eh = image;
    size_t name_len = strlen(name);

    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !within(size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return 0;
    const Elf64_Shdr* sh = (const Elf64_Shdr*)(base + eh->e_shoff);

    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum ||
            sh[i].sh_entsize != sizeof(Elf64_Sym))
            continue;
        const Elf64_Shdr* str = &sh[sh[i].sh_link];
        if (!within(size, sh[i].sh_offset, sh[i].sh_size) ||
            !within(size, str->sh_offset, str->sh_size))
            return 0;
        const Elf64_Sym* syms = (const Elf64_Sym*)(base + sh[i].sh_offset);
        const char* strings = (const char*)(base + str->sh_offset);
        for (size_t j = 0; j < sh[i].sh_size / sizeof(Elf64_Sym); j++) {
            if (syms[j].st_name >= str->sh_size || str->sh_size - syms[j].st_name <= name_len)
                continue;
            if (!memcmp(strings + syms[j].st_name, name, name_len + 1) && syms[j].st_value)
                return syms[j].st_value;
        }
    }
    return 0;
}
