/* fuzz_bzimage.c: fuzz target for the loader's bzImage unpacking (gzip, xz, zstd payloads). */
/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bzimage_writer.h"
#include "elf_writer.h"
#include "fuzz.h"
#include "loader/bzimage.h"
#include "loader/elf.h"

/*
 * The input is a kernel file as a client hands it over: when it looks like
 * a bzImage its payload is unpacked (bounded) and the result parsed as the
 * ELF image the PVH builder loads.
 */

const size_t fuzz_max_len = 65536;
/* Each unpacking reserves 16 MiB first: few of them under make check. */
const unsigned long fuzz_replay_mutations = 100;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *elf = NULL;
    size_t elf_size = 0;
    struct elf_info info;
    char err[160];
    int rc;

    if (!bzimage_detect(data, size))
        return 0;
    err[0] = '\0';
    rc = bzimage_extract(data, size, &elf, &elf_size, err, sizeof(err));
    if (rc != 0) {
        FUZZ_CHECK(rc == -ENOEXEC);
        FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
        return 0;
    }
    FUZZ_CHECK(elf_size <= BZIMAGE_MAX_ELF);
    FUZZ_CHECK(elf != NULL || elf_size == 0);
    rc = elf_parse(elf, elf_size, &info, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == -ENOEXEC);
    free(elf);
    return 0;
}

void fuzz_seeds(fuzz_emit_fn *emit, void *arg)
{
    size_t elf_size, size;
    uint8_t *elf = elfw_pvh_kernel(ELFCLASS64, 0x100000, true, &elf_size);

    for (int f = BZW_GZIP; f <= BZW_ZSTD; f++) {
        uint8_t *img = bzw_wrap((enum bzw_format)f, elf, elf_size, &size);

        emit(img, size, arg);
        free(img);
    }
    free(elf);
}
