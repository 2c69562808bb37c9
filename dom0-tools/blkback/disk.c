/* disk.c: a vbd's backing store: a raw image file or a host block device. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "disk.h"

/* /sys/dev/block/<maj>:<min>/<name> as a number; 0 when absent. */
static unsigned int read_sysfs_uint(unsigned int maj, unsigned int min, const char *name)
{
    char path[128];
    unsigned long long v = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", maj, min, name);
    f = fopen(path, "re");
    if (!f)
        return 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return v > 0xffffffffull ? 0xffffffffu : (unsigned int)v;
}

static bool power_of_two(unsigned int v)
{
    return v && !(v & (v - 1));
}

/* O_DIRECT alignment: what statx reports, else the logical block size. */
static void dio_alignment(struct blk_disk *d)
{
    struct statx stx;

    d->dio_mem_align = d->sector_size;
    d->dio_offset_align = d->sector_size;
#ifdef STATX_DIOALIGN
    if (statx(d->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN)) {
        if (stx.stx_dio_mem_align == 0 || stx.stx_dio_offset_align == 0) {
            /* The file system says O_DIRECT is not supported for this file. */
            d->dio_mem_align = 0;
            return;
        }
        d->dio_mem_align = stx.stx_dio_mem_align;
        d->dio_offset_align = stx.stx_dio_offset_align;
    }
#else
    (void)stx;
#endif
}

static int probe_blockdev(struct blk_disk *d, const struct stat *st, const char **why)
{
    uint64_t bytes = 0;
    int lbs = 0;
    unsigned int pbs = 0;
    unsigned int maj = major(st->st_rdev), min = minor(st->st_rdev);

    if (ioctl(d->fd, BLKGETSIZE64, &bytes) < 0) {
        *why = "cannot read the block device's size (BLKGETSIZE64)";
        return -errno;
    }
    if (ioctl(d->fd, BLKSSZGET, &lbs) < 0 || lbs < 512 || !power_of_two((unsigned int)lbs))
        lbs = 512;
    if (ioctl(d->fd, BLKPBSZGET, &pbs) < 0 || pbs < (unsigned int)lbs || !power_of_two(pbs))
        pbs = (unsigned int)lbs;
    d->sectors = bytes / 512;
    d->sector_size = (unsigned int)lbs;
    d->physical_sector_size = pbs;
    if (!d->readonly &&
        read_sysfs_uint(maj, min, "queue/discard_max_bytes") > 0) {
        d->discard = true;
        d->discard_granularity =
            read_sysfs_uint(maj, min, "queue/discard_granularity");
        d->discard_alignment = read_sysfs_uint(maj, min, "discard_alignment");
        if (d->discard_granularity < (unsigned int)lbs)
            d->discard_granularity = (unsigned int)lbs;
    }
    return 0;
}

static int probe_file(struct blk_disk *d, const struct stat *st, const char **why)
{
    struct flock lk = {
        .l_type = d->readonly ? F_RDLCK : F_WRLCK,
        .l_whence = SEEK_SET,
    };

    /* Two writers (or a writer and a reader) of one image corrupt guests' file systems. */
    if (fcntl(d->fd, F_OFD_SETLK, &lk) < 0) {
        if (errno == EAGAIN || errno == EACCES) {
            *why = d->readonly ? "the image is open for writing by another process"
                               : "the image is in use by another process";
            return -EBUSY;
        }
    }
    d->sectors = (uint64_t)st->st_size / 512;
    d->sector_size = 512;
    d->physical_sector_size = st->st_blksize >= 4096 ? 4096 : 512;
    if (!d->readonly) {
        /* Punching holes is tried per request; file systems without it answer EOPNOTSUPP. */
        d->discard = true;
        d->discard_granularity = power_of_two((unsigned int)st->st_blksize) &&
                                 st->st_blksize >= 512 && st->st_blksize <= (1 << 20)
                                 ? (unsigned int)st->st_blksize : 4096;
        d->discard_alignment = 0;
    }
    return 0;
}

int blk_disk_open(struct blk_disk **out, const char *path, bool readonly, bool allow_direct,
                  const char **why)
{
    int mode = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    struct blk_disk *d;
    struct stat st;
    int rc;

    *out = NULL;
    *why = "";
    d = calloc(1, sizeof(*d));
    if (!d || !(d->path = strdup(path))) {
        free(d);
        *why = "out of memory";
        return -ENOMEM;
    }
    d->fd = d->fd_buffered = -1;
    d->readonly = readonly;
    if (stat(path, &st) < 0) {
        rc = -errno;
        *why = "cannot find the backing file or device";
        goto fail;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        rc = -EINVAL;
        *why = "not a regular file or a block device";
        goto fail;
    }
    d->blockdev = S_ISBLK(st.st_mode);
    /* A mounted or otherwise claimed block device is refused for writing. */
    if (d->blockdev && !readonly)
        mode |= O_EXCL;
    d->fd_buffered = open(path, mode);
    if (d->fd_buffered < 0) {
        rc = -errno;
        *why = rc == -EBUSY ? "the block device is in use (mounted?)"
                            : "cannot open the backing file or device";
        goto fail;
    }
    d->fd = d->fd_buffered;
    if (fstat(d->fd, &st) < 0) {
        rc = -errno;
        *why = "cannot stat the backing file or device";
        goto fail;
    }
    rc = d->blockdev ? probe_blockdev(d, &st, why) : probe_file(d, &st, why);
    if (rc < 0)
        goto fail;
    if (allow_direct) {
        dio_alignment(d);
        if (d->dio_mem_align && d->dio_mem_align <= 4096 && d->dio_offset_align <= 4096) {
            /* A second open file description: O_DIRECT is per description. */
            int fd = open(path, (mode & ~O_EXCL) | O_DIRECT);

            if (fd >= 0) {
                d->fd = fd;
                d->direct = true;
            }
        }
    }
    *out = d;
    return 0;
fail:
    blk_disk_close(d);
    return rc;
}

void blk_disk_close(struct blk_disk *d)
{
    if (!d)
        return;
    if (d->fd >= 0 && d->fd != d->fd_buffered)
        close(d->fd);
    if (d->fd_buffered >= 0)
        close(d->fd_buffered);
    free(d->path);
    free(d);
}

int blk_disk_blkdiscard(struct blk_disk *d, uint64_t sector, uint64_t count, bool secure)
{
    uint64_t range[2] = { sector * 512, count * 512 };

    if (ioctl(d->fd_buffered, secure ? BLKSECDISCARD : BLKDISCARD, range) < 0)
        return -errno;
    return 0;
}
