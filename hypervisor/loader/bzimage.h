/* bzimage.h: finding the ELF kernel inside a Linux bzImage (as Debian ships it). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_BZIMAGE_H
#define LAMINA_HV_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BZIMAGE_MAX_ELF     (512ull << 20)

/* Does the buffer start like a Linux bzImage (setup header magic "HdrS")? */
bool bzimage_detect(const uint8_t *data, size_t size);

/*
 * Decompress the bzImage's payload (the kernel's ELF image) into a new
 * buffer the caller frees.  Returns 0, or -ENOEXEC with a message in err.
 */
int bzimage_extract(const uint8_t *data, size_t size, uint8_t **elf, size_t *elf_size, char *err,
                    size_t errlen);

#endif /* LAMINA_HV_BZIMAGE_H */
