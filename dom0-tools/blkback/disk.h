/* disk.h: a vbd's backing store: a raw image file or a host block device. */
/* SPDX-License-Identifier: MIT */
#ifndef BLKBACK_DISK_H
#define BLKBACK_DISK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Shared by every queue of a device; only `direct` changes after opening
 * (it drops to false for good when the store rejects an O_DIRECT request).
 */
struct blk_disk {
    char *path;
    int fd;                         /* O_DIRECT when the store allows it */
    int fd_buffered;                /* for requests O_DIRECT cannot take; may equal fd */
    bool direct;                    /* fd is O_DIRECT (read/written atomically) */
    unsigned int dio_mem_align;     /* O_DIRECT alignment of buffers ... */
    unsigned int dio_offset_align;  /* ... and of file offsets and lengths */
    uint64_t sectors;               /* size in 512-byte sectors */
    unsigned int sector_size;       /* logical block size we report */
    unsigned int physical_sector_size;
    bool readonly;
    bool blockdev;
    bool discard;                   /* discard can be offered */
    bool discard_secure;
    unsigned int discard_granularity;
    unsigned int discard_alignment;
};

/*
 * Open path for reading (readonly) or reading and writing; try O_DIRECT
 * unless allow_direct is false. Regular files are locked against other
 * writers (OFD locks, as QEMU does); writable block devices are opened
 * O_EXCL. Returns 0 or a negative errno; *why says what went wrong in
 * words a user can act on.
 */
int blk_disk_open(struct blk_disk **out, const char *path, bool readonly, bool allow_direct,
                  const char **why);
void blk_disk_close(struct blk_disk *d);

/* Discard sectors [sector, sector + count) on a block device (BLKDISCARD / BLKSECDISCARD). */
int blk_disk_blkdiscard(struct blk_disk *d, uint64_t sector, uint64_t count, bool secure);

#endif /* BLKBACK_DISK_H */
