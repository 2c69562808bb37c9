/* blkfront.h: virtual disks: Xen's blkif frontend, block I/O, disks attached and detached. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_BLKFRONT_H
#define GUEST_KIT_BLKFRONT_H

/*
 * The domain's disks are the directories under device/vbd/<devid> of its
 * xenstore tree (xvda is 51712, xvdb 51728, ...). gk_blk_open() runs the
 * xenbus handshake with the backend as Linux's xen-blkfront does: a shared
 * ring of up to 2^GK_BLK_MAX_RING_ORDER pages, indirect requests for large
 * transfers, persistent grants and cache flushes where the backend offers
 * them. From then on I/O is asynchronous:
 *
 *     struct gk_blk_io io = { .op = GK_BLK_READ, .sector = 0, .nsectors = 8,
 *                             .buf = page, .done = my_done, .arg = me };
 *     gk_blk_submit(dev, &io);        // my_done(&io) runs when io.status is final
 *
 * or synchronous: gk_blk_read(dev, sector, buf, nsectors) and friends wait
 * for the result. Sectors are always 512 bytes, as in blkif.
 *
 * Buffers: any guest memory the program owns (heap, .bss, stack), aligned
 * to 512 bytes (to the disk's logical sector size if that is larger, at
 * most a page). They need not be page-aligned, and an I/O may be of any
 * size: the driver splits it into as many ring requests as it takes and
 * completes it once all are answered. The backend
 * reads or writes the buffer in place (its pages are granted, never
 * copied): leave it alone until the I/O is done. With persistent grants
 * (gk_blk_info.persistent) up to GK_BLK_PERSISTENT_MAX pages the program
 * used for I/O stay granted to the backend until the disk is closed, as
 * Linux's blkfront keeps its own; the backend only touches them on
 * request.
 *
 * Any number of I/Os may be submitted: those the ring cannot take yet wait
 * in the driver, in order, and go out as answers free ring slots. Requests
 * reach the backend in submission order, so a GK_BLK_FLUSH covers every
 * write submitted before it (the backend answers it once those writes and
 * a cache flush are done).
 *
 * Context: gk_blk_submit() may be called from anywhere, also from a done
 * callback or an event handler. done callbacks run with interrupts off:
 * from the disk's event handler (on vCPU 0), from the driver's xenbus watch
 * callbacks, or from inside gk_blk_submit() when an I/O fails at once.
 * They may submit I/O but must not wait. Everything that waits
 * (gk_blk_open/close, the synchronous calls) needs process context, and
 * gk_blk_open/close must not be called from a xenbus watch callback (they
 * wait for xenstore watches themselves): the hotplug callback notes what
 * happened and the program acts on it from its main loop.
 *
 * Detaching: when the backend closes (`lamina block-detach`, the backend
 * going away), I/O that has not reached the ring fails with -ENODEV at
 * once; I/O on the ring gets the backend's answers while it shuts down, and
 * whatever it never answered fails with -ENODEV once the backend has let
 * go of the pages (or after GK_BLK_REAP_NS, with -EIO: their grants are
 * then leaked rather than reused). Later submissions fail with -ENODEV;
 * gk_blk_close() frees the disk. The backend's state changes arrive as
 * xenstore watch events, which guest-kit delivers when vCPU 0 waits (see
 * xenbus.h): a program that never waits does not see a disk go. Nothing
 * the backend writes into xenstore
 * or the ring is trusted: a broken ring (answers for requests never made,
 * indexes out of range) ends the disk the same way, with -EIO, and so does
 * a backend that leaves a request unanswered for longer than
 * gk_blk_options.io_timeout_ms (30 s by default): nothing waits forever.
 * The watchdog behind that runs on the vCPU that opened the disk; closing
 * it from another vCPU may take up to an eighth of the timeout.
 *
 * Errors are negative errno values: -EINVAL (bad range or alignment),
 * -EROFS (write to a read-only disk), -EOPNOTSUPP (flush or discard not
 * offered, or refused), -EIO (the backend failed the request), -ENODEV
 * (the disk is gone), -ENOMEM, -ENOSPC (no grant references left),
 * -ETIMEDOUT (the backend did not answer the handshake).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>

#define GK_BLK_SECTOR           512u
#define GK_BLK_MAX_RING_ORDER   4u          /* 16 pages, 512 requests in flight */
#define GK_BLK_MAX_INDIRECT     512u        /* segments per request (one indirect page) */
#define GK_BLK_PERSISTENT_MAX   1024u       /* pages kept granted with persistent grants */
#define GK_BLK_HANDSHAKE_NS     (20ull * 1000000000ull)
#define GK_BLK_REAP_NS          (10ull * 1000000000ull)
#define GK_BLK_IO_TIMEOUT_MS    30000u      /* default of gk_blk_options.io_timeout_ms */

struct gk_blk;

struct gk_blk_info {
    uint32_t devid;                 /* virtual-device number */
    uint64_t sectors;               /* size in 512-byte sectors */
    uint32_t sector_size;           /* logical: transfers are multiples of it, aligned */
    uint32_t physical_sector_size;
    bool readonly, cdrom, removable;
    bool flush;                     /* GK_BLK_FLUSH is offered */
    bool discard;                   /* GK_BLK_DISCARD is offered */
    uint32_t discard_granularity;   /* bytes; 0 when not given */
    unsigned int ring_pages;        /* pages of the shared ring */
    unsigned int ring_slots;        /* requests in flight at most */
    unsigned int max_segments;      /* pages per request: 11, or more with indirect requests */
    bool persistent;                /* persistent grants in use */
    domid_t backend_id;
};

/* Limits a program (or a test) may set; NULL or all zero: the defaults. */
struct gk_blk_options {
    unsigned int max_ring_pages;    /* 0: as many as the backend allows, up to
                                       2^GK_BLK_MAX_RING_ORDER; else a power of 2 */
    bool no_indirect;               /* at most 11 segments per request */
    bool no_persistent;             /* fresh grants for each request */
    unsigned int io_timeout_ms;     /* 0: GK_BLK_IO_TIMEOUT_MS; at least 100 */
};

enum gk_blk_op {
    GK_BLK_READ,
    GK_BLK_WRITE,
    GK_BLK_FLUSH,                   /* sector, nsectors and buf unused */
    GK_BLK_DISCARD,                 /* buf unused */
};

struct gk_blk_io;
typedef void gk_blk_done_fn(struct gk_blk_io *io);

struct gk_blk_io {
    /* The caller's. */
    enum gk_blk_op op;
    uint64_t sector;                /* 512-byte units from the start of the disk */
    uint64_t nsectors;
    void *buf;                      /* nsectors * 512 bytes, 512-byte aligned */
    gk_blk_done_fn *done;           /* may be NULL */
    void *arg;
    /* The result: 0 or a negative errno, final when done runs. */
    int status;
    /* The driver's while the I/O is submitted. */
    struct gk_blk_io *next;
    uint64_t issued;
    uint32_t parts;
};

/*
 * The disks in device/vbd: up to max devids, ascending, into ids. Returns
 * how many there are (which may be more than max), or a negative errno.
 */
int gk_blk_list(uint32_t *ids, unsigned int max);

/* Connects disk `devid`; 0 and *dev, or a negative errno. */
int gk_blk_open(uint32_t devid, const struct gk_blk_options *opts, struct gk_blk **dev);

/*
 * Waits for the disk's I/O to finish (up to GK_BLK_REAP_NS; then it fails),
 * runs the closing handshake and frees everything. Also for a disk whose
 * backend has gone.
 */
void gk_blk_close(struct gk_blk *dev);

const struct gk_blk_info *gk_blk_info(const struct gk_blk *dev);

/* The backend is connected and I/O is accepted. */
bool gk_blk_connected(const struct gk_blk *dev);

/*
 * Starts an I/O. 0: io->done will run once io->status is final (possibly
 * before this returns). A negative errno: the I/O was refused and done
 * will not run.
 */
int gk_blk_submit(struct gk_blk *dev, struct gk_blk_io *io);

/* Synchronous I/O: 0 or a negative errno. */
int gk_blk_read(struct gk_blk *dev, uint64_t sector, void *buf, uint64_t nsectors);
int gk_blk_write(struct gk_blk *dev, uint64_t sector, const void *buf, uint64_t nsectors);
int gk_blk_flush(struct gk_blk *dev);
int gk_blk_discard(struct gk_blk *dev, uint64_t sector, uint64_t nsectors);

/* I/O counters, for tests and diagnostics. */
struct gk_blk_stats {
    uint64_t requests;              /* ring requests sent */
    uint64_t indirect;              /* of which indirect */
    uint64_t responses;
    uint64_t notifies;              /* event channel sends */
    uint64_t events;                /* event handler runs */
    uint64_t queued;                /* I/Os that waited for ring space when submitted */
    uint64_t grant_hits;            /* persistent grants reused */
    uint64_t grant_misses;          /* pages granted afresh */
};
void gk_blk_stats(const struct gk_blk *dev, struct gk_blk_stats *stats);

/*
 * Hotplug: fn(devid, present, arg) whenever a disk appears in or
 * disappears from device/vbd, and once at once for each disk there is.
 * It runs from xenbus dispatch on vCPU 0 (see xenbus.h): note the change
 * and act from the main loop. One watcher; fn NULL stops watching.
 * Returns 0 or a negative errno.
 */
typedef void gk_blk_hotplug_fn(uint32_t devid, bool present, void *arg);
int gk_blk_watch(gk_blk_hotplug_fn *fn, void *arg);

#endif /* GUEST_KIT_BLKFRONT_H */
