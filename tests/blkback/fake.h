/* fake.h: a fake frontend for blkback tests: guest memory, grant table, event channels, rings. */
/* SPDX-License-Identifier: MIT */
#ifndef BLKBACK_TEST_FAKE_H
#define BLKBACK_TEST_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/blkif.h>

#include "engine.h"
#include "transport.h"
#include "fake-guest.h"

/* Transports for this guest; the remote port picks the event channel pair. */
struct blk_transport_factory fake_factory(struct fake_guest *g);
struct blk_transport *fake_transport(struct fake_guest *g, uint32_t port);

/* The frontend's side of one ring. */
struct fake_ring {
    struct fake_guest *g;
    uint32_t port;
    unsigned int nr_pages;
    grant_ref_t refs[BLK_MAX_RING_PAGES];
    blkif_front_ring_t front;
    struct blk_queue *pump;     /* queue to drive while waiting (no thread) */
};

/* Ring on pages first_page.. (nr_pages), granted as refs ref_base..; indexes start at idx. */
void fake_ring_init(struct fake_ring *fr, struct fake_guest *g, uint32_t port, uint32_t first_page,
                    unsigned int nr_pages, grant_ref_t ref_base, RING_IDX idx);
/* Parameters for blk_queue_create() matching the ring. */
void fake_ring_params(const struct fake_ring *fr, struct blk_queue_params *p);
/* Next free request slot (zeroed), or NULL when the ring is full. */
blkif_request_t *fake_ring_next(struct fake_ring *fr);
/* Publish and notify the backend if it asked. */
void fake_ring_push(struct fake_ring *fr);
/* Kick the backend whether or not it asked. */
void fake_ring_kick(struct fake_ring *fr);
/* Collect n responses within timeout_ms; returns how many arrived. */
unsigned int fake_ring_wait(struct fake_ring *fr, blkif_response_t *out, unsigned int n,
                            int timeout_ms);
/* Wait (timeout_ms at most) for at least one response; collect up to max of those there. */
unsigned int fake_ring_collect(struct fake_ring *fr, blkif_response_t *out, unsigned int max,
                               int timeout_ms);

/*
 * A raw image of the given size in the current directory, filled with
 * fake_pattern(); returns its path (free() it, and unlink it when done).
 */
char *fake_image(uint64_t sectors, const char *tag);
/* The byte the pattern has at offset off of an image. */
uint8_t fake_pattern(uint64_t off);
/* Read len bytes at off from path through a separate descriptor. */
void fake_pread(const char *path, void *buf, size_t len, uint64_t off);

/*
 * A whole test device: guest, ring (pages 0..15, refs 1..16), image and
 * queue. Data pages start at FAKE_DATA_PAGE, each granted writable as
 * FAKE_REF(page). Between fake_dev_init() and fake_dev_start() a test may
 * change d->p (the queue's parameters).
 */
#define FAKE_DATA_PAGE 64u
#define FAKE_DATA_PAGES 4096u
#define FAKE_REF(page) (1000u + (page))

struct fake_dev {
    struct fake_guest *g;
    struct fake_ring fr;
    struct blk_disk *disk;
    struct blk_queue *q;
    char *image;
    uint64_t sectors;
    struct blk_queue_params p;
};

void fake_dev_init(struct fake_dev *d, uint64_t sectors, const char *tag, unsigned int ring_pages,
                   uint32_t port);
void fake_dev_start(struct fake_dev *d, bool readonly, bool threaded);
/* Stop the queue and free everything; checks that no grant is left mapped. */
void fake_dev_fini(struct fake_dev *d);
/* A read/write/flush request over whole pages page, page+1, ... (nseg of them). */
blkif_request_t *fake_rw(struct fake_dev *d, uint8_t op, uint64_t id, uint64_t sector,
                         unsigned int nseg, uint32_t page);
/* Push what is queued and wait for n responses (5 s); returns how many came. */
unsigned int fake_do(struct fake_dev *d, blkif_response_t *out, unsigned int n);

#endif /* BLKBACK_TEST_FAKE_H */
