/* xen/io/blkif.h: the block device split-driver protocol (blkfront <-> blkback). */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_IO_BLKIF_H__
#define __LAMINA_XEN_PUBLIC_IO_BLKIF_H__

#include <stdint.h>

#include "ring.h"
#include "../grant_table.h"

/*
 * Negotiation happens in xenstore (feature-flush-cache, feature-discard,
 * feature-max-indirect-segments, ring-ref, event-channel, ...); this file
 * only fixes the ring layout. Sectors are always 512 bytes here, whatever
 * the disk's logical sector size.
 */

/* Virtual device number (Linux-style major/minor encoding); a macro so a port can override it. */
#ifndef blkif_vdev_t
#define blkif_vdev_t uint16_t
#endif
#define blkif_sector_t uint64_t

/* blkif_request.operation */
#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
/* Write that also orders all earlier writes before it (feature-barrier). */
#define BLKIF_OP_WRITE_BARRIER 2
/* Flush the disk's write cache; may carry data like a write (feature-flush-cache). */
#define BLKIF_OP_FLUSH_DISKCACHE 3
/* Taken by an abandoned extension; never used. */
#define BLKIF_OP_RESERVED_1 4
/* Discard a sector range (feature-discard); uses struct blkif_request_discard. */
#define BLKIF_OP_DISCARD 5
/* Segments listed in separate granted pages; uses struct blkif_request_indirect. */
#define BLKIF_OP_INDIRECT 6

/* Segments that fit directly in a request (one ring slot). */
#define BLKIF_MAX_SEGMENTS_PER_REQUEST 11
/* Pages of segment lists an indirect request may reference. */
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8

/* One granted page and the inclusive range of its 512-byte sectors to transfer. */
struct blkif_request_segment {
    grant_ref_t gref;
    uint8_t first_sect;
    uint8_t last_sect;
};

/* Read/write request; id comes back unchanged in the response. */
struct blkif_request {
    uint8_t operation;
    uint8_t nr_segments;
    blkif_vdev_t handle;
    uint64_t id;
    blkif_sector_t sector_number;
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};
typedef struct blkif_request blkif_request_t;

/* blkif_request_discard.flag: erase securely (only if the backend offers discard-secure). */
#define BLKIF_DISCARD_SECURE (1 << 0)

struct blkif_request_discard {
    uint8_t operation;
    uint8_t flag;
    blkif_vdev_t handle;
    uint64_t id;
    blkif_sector_t sector_number;
    uint64_t nr_sectors;
};
typedef struct blkif_request_discard blkif_request_discard_t;

/*
 * Indirect request: indirect_op is READ or WRITE, and the nr_segments
 * segments are packed as struct blkif_request_segment arrays in the pages
 * named by indirect_grefs.
 */
struct blkif_request_indirect {
    uint8_t operation;
    uint8_t indirect_op;
    uint16_t nr_segments;
    uint64_t id;
    blkif_sector_t sector_number;
    blkif_vdev_t handle;
    grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
};
typedef struct blkif_request_indirect blkif_request_indirect_t;

struct blkif_response {
    uint64_t id;
    uint8_t operation;
    int16_t status;
};
typedef struct blkif_response blkif_response_t;

/* blkif_response.status */
#define BLKIF_RSP_EOPNOTSUPP -2
#define BLKIF_RSP_ERROR -1
#define BLKIF_RSP_OKAY 0

DEFINE_RING_TYPES(blkif, struct blkif_request, struct blkif_response);

/* Bits of the backend's "info" node. */
#define VDISK_CDROM 0x1
#define VDISK_REMOVABLE 0x2
#define VDISK_READONLY 0x4

#endif /* __LAMINA_XEN_PUBLIC_IO_BLKIF_H__ */
