/* blk-pattern.c: writes or checks blk-verify's sector stamps in a disk image, from the host. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"

/*
 *   blk-pattern write IMAGE FIRST COUNT TAG    stamp sectors FIRST..FIRST+COUNT-1
 *   blk-pattern check IMAGE FIRST COUNT TAG    exit 0 if they all hold the stamps
 *
 * The tests use it to prepare images for guests and to check from dom0
 * what guests wrote (after a flush, with the guest or the backend killed).
 * Sectors are 512 bytes, little-endian words, as pattern.h describes.
 */

#define CHUNK_SECTORS 2048u
#define MAX_REPORTS 5

static uint64_t number(const char *s, const char *what)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (!*s || *end || errno) {
        fprintf(stderr, "blk-pattern: %s '%s' is not a number\n", what, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    static uint64_t buf[CHUNK_SECTORS * BLKV_WORDS], want[BLKV_WORDS];
    uint64_t first, count, tag, bad = 0;
    bool write_mode;
    int fd, reports = 0;

    if (argc != 6 || (strcmp(argv[1], "write") && strcmp(argv[1], "check"))) {
        fprintf(stderr, "usage: blk-pattern write|check IMAGE FIRST COUNT TAG\n");
        return 2;
    }
    write_mode = !strcmp(argv[1], "write");
    first = number(argv[3], "FIRST");
    count = number(argv[4], "COUNT");
    tag = number(argv[5], "TAG");
    fd = open(argv[2], write_mode ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "blk-pattern: %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    for (uint64_t done = 0; done < count;) {
        uint64_t n = count - done < CHUNK_SECTORS ? count - done : CHUNK_SECTORS;
        size_t bytes = (size_t)n * BLKV_SECTOR_BYTES;
        off_t off = (off_t)((first + done) * BLKV_SECTOR_BYTES);
        ssize_t r;

        if (write_mode) {
            for (uint64_t s = 0; s < n; s++)
                blkv_fill_sector(buf + s * BLKV_WORDS, first + done + s, tag);
            r = pwrite(fd, buf, bytes, off);
        } else {
            r = pread(fd, buf, bytes, off);
        }
        if (r != (ssize_t)bytes) {
            fprintf(stderr, "blk-pattern: %s at sector %" PRIu64 ": %s\n", argv[2], first + done,
                    r < 0 ? strerror(errno) : "short transfer (image too small?)");
            return 2;
        }
        for (uint64_t s = 0; !write_mode && s < n; s++) {
            const uint64_t *got = buf + s * BLKV_WORDS;

            blkv_fill_sector(want, first + done + s, tag);
            if (memcmp(got, want, BLKV_SECTOR_BYTES) == 0)
                continue;
            if (reports++ < MAX_REPORTS)
                printf("blk-pattern: sector %" PRIu64 ": found sector=%" PRIu64 " tag=%" PRIu64
                       "%s\n", first + done + s, got[0], got[1],
                       got[0] == want[0] && got[1] == want[1] ? " (body differs)" : "");
            bad++;
        }
        done += n;
    }
    if (write_mode && fsync(fd) < 0) {
        fprintf(stderr, "blk-pattern: fsync %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    close(fd);
    if (bad) {
        printf("blk-pattern: %s: %" PRIu64 " of %" PRIu64 " sectors from %" PRIu64
               " do not hold tag %" PRIu64 "\n", argv[2], bad, count, first, tag);
        return 1;
    }
    printf("blk-pattern: %s: sectors %" PRIu64 "-%" PRIu64 " %s tag %" PRIu64 "\n", argv[2],
           first, first + count - 1, write_mode ? "written with" : "hold", tag);
    return 0;
}
