/* test_blkback_engine.c: Check tests of the blkback engine's I/O paths against a fake frontend. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake.h"

#define SECTORS 16384u          /* 8 MiB images */

static void fill_random(uint8_t *p, size_t len, unsigned int seed)
{
    for (size_t i = 0; i < len; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* The image's bytes [off, off + len) still hold the initial pattern. */
static bool image_has_pattern(const char *path, uint64_t off, size_t len)
{
    uint8_t *buf = malloc(len);
    bool ok = true;

    fake_pread(path, buf, len, off);
    for (size_t i = 0; i < len && ok; i++)
        ok = buf[i] == fake_pattern(off + i);
    free(buf);
    return ok;
}

static bool page_has_pattern(const uint8_t *page, size_t len, uint64_t off)
{
    for (size_t i = 0; i < len; i++)
        if (page[i] != fake_pattern(off + i))
            return false;
    return true;
}

static void expect_all(const blkif_response_t *r, unsigned int n, int16_t status)
{
    for (unsigned int i = 0; i < n; i++)
        ck_assert_msg(r[i].status == status, "response %u (id %llu): status %d, expected %d", i,
                      (unsigned long long)r[i].id, r[i].status, status);
}

/* _i: 0 drives the queue from the test thread, 1 gives it its own thread. */
START_TEST(test_read_roundtrip)
{
    struct fake_dev d;
    blkif_response_t rsp[4];
    blkif_request_t *req;
    uint32_t p = FAKE_DATA_PAGE;

    fake_dev_init(&d, SECTORS, "read", 1, 0);
    fake_dev_start(&d, false, _i);
    fake_rw(&d, BLKIF_OP_READ, 11, 0, 1, p);
    /* 18 sectors from the odd sector 13: the tail of one page, a whole page, a head. */
    req = fake_rw(&d, BLKIF_OP_READ, 12, 13, 3, p + 1);
    req->seg[0].first_sect = 2;
    req->seg[2].last_sect = 3;
    fake_rw(&d, BLKIF_OP_READ, 13, SECTORS - 1, 1, p + 4)->seg[0].last_sect = 0;
    ck_assert_uint_eq(fake_do(&d, rsp, 3), 3);
    expect_all(rsp, 3, BLKIF_RSP_OKAY);
    for (unsigned int i = 0; i < 3; i++) {
        ck_assert(rsp[i].id >= 11 && rsp[i].id <= 13);
        ck_assert_uint_eq(rsp[i].operation, BLKIF_OP_READ);
    }
    ck_assert(page_has_pattern(fake_page(d.g, p), 4096, 0));
    ck_assert(page_has_pattern(fake_page(d.g, p + 1) + 1024, 3072, 13 * 512));
    ck_assert(page_has_pattern(fake_page(d.g, p + 2), 4096, 13 * 512 + 3072));
    ck_assert(page_has_pattern(fake_page(d.g, p + 3), 2048, 13 * 512 + 3072 + 4096));
    ck_assert(page_has_pattern(fake_page(d.g, p + 4), 512, (SECTORS - 1) * 512ull));
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_write_roundtrip)
{
    struct fake_dev d;
    blkif_response_t rsp[2];
    uint8_t *expect = malloc(11 * 4096), *got = malloc(11 * 4096);
    blkif_request_t *req;
    uint32_t p = FAKE_DATA_PAGE + 10;

    fake_dev_init(&d, SECTORS, "write", 1, 0);
    fake_dev_start(&d, false, _i);
    for (unsigned int i = 0; i < 11; i++)
        fill_random(fake_page(d.g, p + i), 4096, 100 + i);
    for (unsigned int i = 0; i < 11; i++)
        memcpy(expect + i * 4096, fake_page(d.g, p + i), 4096);
    fake_rw(&d, BLKIF_OP_WRITE, 1, 800, 11, p);
    /* Partial pages: sectors 3..5 of one page, then 0..1 of the next. */
    req = fake_rw(&d, BLKIF_OP_WRITE, 2, 3000, 2, p);
    req->seg[0].first_sect = 3;
    req->seg[0].last_sect = 5;
    req->seg[1].last_sect = 1;
    ck_assert_uint_eq(fake_do(&d, rsp, 2), 2);
    expect_all(rsp, 2, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp[0].operation, BLKIF_OP_WRITE);
    fake_pread(d.image, got, 11 * 4096, 800 * 512);
    ck_assert(memcmp(got, expect, 11 * 4096) == 0);
    fake_pread(d.image, got, 5 * 512, 3000 * 512);
    ck_assert(memcmp(got, expect + 3 * 512, 3 * 512) == 0);
    ck_assert(memcmp(got + 3 * 512, expect + 4096, 2 * 512) == 0);
    ck_assert(image_has_pattern(d.image, 3005 * 512, 512));
    ck_assert(image_has_pattern(d.image, 2999 * 512, 512));
    fake_dev_fini(&d);
    free(expect);
    free(got);
}
END_TEST

/* An indirect request over n whole pages starting at page; segments in pages from ind_page. */
static void indirect_rw(struct fake_dev *d, uint8_t op, uint64_t id, uint64_t sector,
                        unsigned int n, uint32_t page, uint32_t ind_page)
{
    blkif_request_indirect_t *ind = (blkif_request_indirect_t *)fake_ring_next(&d->fr);
    unsigned int npages = (n + 511) / 512;

    ind->operation = BLKIF_OP_INDIRECT;
    ind->indirect_op = op;
    ind->nr_segments = (uint16_t)n;
    ind->id = id;
    ind->sector_number = sector;
    for (unsigned int i = 0; i < npages; i++)
        ind->indirect_grefs[i] = FAKE_REF(ind_page + i);
    for (unsigned int i = 0; i < n; i++) {
        struct blkif_request_segment *s =
            (struct blkif_request_segment *)fake_page(d->g, ind_page + i / 512) + i % 512;

        s->gref = FAKE_REF(page + i);
        s->first_sect = 0;
        s->last_sect = 7;
    }
}

START_TEST(test_indirect)
{
    struct fake_dev d;
    blkif_response_t rsp[2];
    uint32_t data = FAKE_DATA_PAGE + 16, ind = FAKE_DATA_PAGE;
    uint8_t *got = malloc(600 * 4096);

    fake_dev_init(&d, SECTORS, "indirect", 1, 0);
    d.p.max_indirect_segments = 1024;
    fake_dev_start(&d, false, _i);
    /* 256 segments (one indirect page): 1 MiB read. */
    indirect_rw(&d, BLKIF_OP_READ, 1, 64, 256, data, ind);
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_all(rsp, 1, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp[0].operation, BLKIF_OP_READ);     /* the indirect_op, as Linux wants */
    for (unsigned int i = 0; i < 256; i++)
        ck_assert(page_has_pattern(fake_page(d.g, data + i), 4096, 64 * 512 + i * 4096ull));
    /* 600 segments (two indirect pages) written, then read back elsewhere. */
    for (unsigned int i = 0; i < 600; i++)
        fill_random(fake_page(d.g, data + i), 4096, 7 * i + 1);
    indirect_rw(&d, BLKIF_OP_WRITE, 2, 5000, 600, data, ind);
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_all(rsp, 1, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp[0].operation, BLKIF_OP_WRITE);
    fake_pread(d.image, got, 600 * 4096, 5000 * 512);
    for (unsigned int i = 0; i < 600; i++)
        ck_assert(memcmp(got + i * 4096, fake_page(d.g, data + i), 4096) == 0);
    memset(fake_page(d.g, data + 1000), 0, 4096 * 600);
    indirect_rw(&d, BLKIF_OP_READ, 3, 5000, 600, data + 1000, ind + 4);
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_all(rsp, 1, BLKIF_RSP_OKAY);
    ck_assert(memcmp(got, fake_page(d.g, data + 1000), 600 * 4096) == 0);
    fake_dev_fini(&d);
    free(got);
}
END_TEST

/* Trace of the engine's events, recorded from the queue's thread. */
static struct {
    pthread_mutex_t lock;
    unsigned int n;
    struct { enum blk_trace_event ev; uint64_t id; } e[256];
} tr = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void record(void *arg, enum blk_trace_event ev, uint64_t id, uint8_t op)
{
    pthread_mutex_lock(&tr.lock);
    if (tr.n < 256)
        tr.e[tr.n++] = (typeof(tr.e[0])){ ev, id };
    pthread_mutex_unlock(&tr.lock);
}

static int trace_at(enum blk_trace_event ev, uint64_t id)
{
    for (unsigned int i = 0; i < tr.n; i++)
        if (tr.e[i].ev == ev && tr.e[i].id == id)
            return (int)i;
    return -1;
}

START_TEST(test_flush_ordering)
{
    struct fake_dev d;
    blkif_response_t rsp[8];
    uint8_t got[4096];
    uint32_t p = FAKE_DATA_PAGE;
    int fs;

    tr.n = 0;
    fake_dev_init(&d, SECTORS, "flush", 1, 0);
    d.p.trace = record;
    fake_dev_start(&d, false, _i);
    for (unsigned int i = 0; i < 4; i++)
        fill_random(fake_page(d.g, p + i * 11), 11 * 4096, 50 + i);
    fake_rw(&d, BLKIF_OP_WRITE, 1, 0, 11, p);
    fake_rw(&d, BLKIF_OP_WRITE, 2, 1000, 11, p + 11);
    fake_rw(&d, BLKIF_OP_READ, 3, 2000, 11, p + 200);
    fake_rw(&d, BLKIF_OP_FLUSH_DISKCACHE, 4, 0, 0, p);
    fake_rw(&d, BLKIF_OP_WRITE, 5, 3000, 11, p + 22);
    /* A flush carrying data: the write, then the fdatasync. */
    fake_rw(&d, BLKIF_OP_FLUSH_DISKCACHE, 6, 4000, 11, p + 33);
    ck_assert_uint_eq(fake_do(&d, rsp, 6), 6);
    expect_all(rsp, 6, BLKIF_RSP_OKAY);
    pthread_mutex_lock(&tr.lock);
    fs = trace_at(BLK_TRACE_FSYNC_SUBMIT, 4);
    ck_assert_int_ge(fs, 0);
    ck_assert_int_gt(fs, trace_at(BLK_TRACE_IO_DONE, 1));
    ck_assert_int_gt(fs, trace_at(BLK_TRACE_IO_DONE, 2));
    ck_assert_int_gt(trace_at(BLK_TRACE_RESPONSE, 4), trace_at(BLK_TRACE_FSYNC_DONE, 4));
    fs = trace_at(BLK_TRACE_FSYNC_SUBMIT, 6);
    ck_assert_int_gt(fs, trace_at(BLK_TRACE_IO_DONE, 6));
    ck_assert_int_gt(fs, trace_at(BLK_TRACE_IO_DONE, 5));
    ck_assert_int_gt(trace_at(BLK_TRACE_RESPONSE, 6), trace_at(BLK_TRACE_FSYNC_DONE, 6));
    /* Only writes hold a flush back, and a flush holds nothing back. */
    ck_assert_int_lt(trace_at(BLK_TRACE_SUBMIT, 5), trace_at(BLK_TRACE_RESPONSE, 4));
    pthread_mutex_unlock(&tr.lock);
    /* What was acknowledged is in the file, seen through another descriptor. */
    fake_pread(d.image, got, 4096, 1000 * 512);
    ck_assert(memcmp(got, fake_page(d.g, p + 11), 4096) == 0);
    fake_pread(d.image, got, 4096, 4000 * 512 + 10 * 4096);
    ck_assert(memcmp(got, fake_page(d.g, p + 43), 4096) == 0);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_discard)
{
    struct fake_dev d;
    blkif_response_t rsp[5];
    blkif_request_discard_t *dr;
    uint8_t got[64 * 512], zero[64 * 512];
    struct stat st;

    memset(zero, 0, sizeof(zero));
    fake_dev_init(&d, SECTORS, "discard", 1, 0);
    fake_dev_start(&d, false, _i);
    ck_assert(d.disk->discard);
    dr = (blkif_request_discard_t *)fake_ring_next(&d.fr);
    *dr = (blkif_request_discard_t){ .operation = BLKIF_OP_DISCARD, .id = 1,
                                     .sector_number = 64, .nr_sectors = 64 };
    dr = (blkif_request_discard_t *)fake_ring_next(&d.fr);
    *dr = (blkif_request_discard_t){ .operation = BLKIF_OP_DISCARD, .id = 2,
                                     .sector_number = SECTORS - 8, .nr_sectors = 9 };
    dr = (blkif_request_discard_t *)fake_ring_next(&d.fr);
    *dr = (blkif_request_discard_t){ .operation = BLKIF_OP_DISCARD, .id = 3,
                                     .flag = BLKIF_DISCARD_SECURE, .nr_sectors = 8 };
    dr = (blkif_request_discard_t *)fake_ring_next(&d.fr);
    *dr = (blkif_request_discard_t){ .operation = BLKIF_OP_DISCARD, .id = 4,
                                     .sector_number = SECTORS };
    dr = (blkif_request_discard_t *)fake_ring_next(&d.fr);
    *dr = (blkif_request_discard_t){ .operation = BLKIF_OP_DISCARD, .id = 5,
                                     .sector_number = 8, .nr_sectors = UINT64_MAX - 7 };
    ck_assert_uint_eq(fake_do(&d, rsp, 5), 5);
    for (unsigned int i = 0; i < 5; i++) {
        int16_t want = rsp[i].id == 1 || rsp[i].id == 4 ? BLKIF_RSP_OKAY
                       : rsp[i].id == 3 ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_ERROR;

        ck_assert_int_eq(rsp[i].status, want);
        ck_assert_uint_eq(rsp[i].operation, BLKIF_OP_DISCARD);
    }
    fake_pread(d.image, got, sizeof(got), 64 * 512);
    ck_assert(memcmp(got, zero, sizeof(got)) == 0);
    ck_assert(image_has_pattern(d.image, 56 * 512, 8 * 512));
    ck_assert(image_has_pattern(d.image, 128 * 512, 8 * 512));
    ck_assert_int_eq(stat(d.image, &st), 0);
    ck_assert_int_eq(st.st_size, SECTORS * 512);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_readonly)
{
    struct fake_dev d;
    blkif_response_t rsp[5];
    blkif_request_discard_t *dr;

    fake_dev_init(&d, SECTORS, "ro", 1, 0);
    fake_dev_start(&d, true, _i);
    ck_assert(d.disk->readonly);
    ck_assert(!d.disk->discard);
    memset(fake_page(d.g, FAKE_DATA_PAGE), 0xee, 4096);
    fake_rw(&d, BLKIF_OP_WRITE, 1, 0, 1, FAKE_DATA_PAGE);
    fake_rw(&d, BLKIF_OP_FLUSH_DISKCACHE, 2, 8, 1, FAKE_DATA_PAGE);
    fake_rw(&d, BLKIF_OP_FLUSH_DISKCACHE, 3, 0, 0, FAKE_DATA_PAGE);
    fake_rw(&d, BLKIF_OP_READ, 4, 16, 1, FAKE_DATA_PAGE + 1);
    dr = (blkif_request_discard_t *)fake_ring_next(&d.fr);
    *dr = (blkif_request_discard_t){ .operation = BLKIF_OP_DISCARD, .id = 5, .nr_sectors = 8 };
    ck_assert_uint_eq(fake_do(&d, rsp, 5), 5);
    for (unsigned int i = 0; i < 5; i++) {
        int16_t want = rsp[i].id <= 2 ? BLKIF_RSP_ERROR
                       : rsp[i].id == 5 ? BLKIF_RSP_EOPNOTSUPP : BLKIF_RSP_OKAY;

        ck_assert_int_eq(rsp[i].status, want);
    }
    ck_assert(page_has_pattern(fake_page(d.g, FAKE_DATA_PAGE + 1), 4096, 16 * 512));
    ck_assert(image_has_pattern(d.image, 0, 32 * 512));
    fake_dev_fini(&d);
}
END_TEST

/* Fill the whole ring with one-page reads, three times over. */
static void fill_ring_rounds(unsigned int ring_pages, RING_IDX start, bool threaded)
{
    struct fake_dev d;
    unsigned int size = blk_ring_size(ring_pages);
    blkif_response_t *rsp = calloc(size, sizeof(*rsp));

    fake_dev_init(&d, SECTORS, "ring", ring_pages, 0);
    fake_ring_init(&d.fr, d.g, 0, 0, ring_pages, 1, start);
    fake_dev_start(&d, false, threaded);
    for (unsigned int round = 0; round < 3; round++) {
        for (unsigned int i = 0; i < size; i++)
            fake_rw(&d, BLKIF_OP_READ, round * 10000 + i, (uint64_t)(i % 2000) * 8, 1,
                    FAKE_DATA_PAGE + i % FAKE_DATA_PAGES);
        ck_assert_ptr_null(fake_ring_next(&d.fr));
        ck_assert_uint_eq(fake_do(&d, rsp, size), size);
        expect_all(rsp, size, BLKIF_RSP_OKAY);
    }
    for (unsigned int i = 0; i < size; i++)
        ck_assert(page_has_pattern(fake_page(d.g, FAKE_DATA_PAGE + i), 4096,
                                   (uint64_t)(i % 2000) * 4096));
    fake_dev_fini(&d);
    free(rsp);
}

START_TEST(test_multipage_rings)
{
    ck_assert_uint_eq(blk_ring_size(1), 32);
    ck_assert_uint_eq(blk_ring_size(4), 128);
    ck_assert_uint_eq(blk_ring_size(16), 512);
    fill_ring_rounds(1, 0, _i);
    fill_ring_rounds(4, 0, _i);
    fill_ring_rounds(16, 0, _i);
    /* Indexes that wrap at 2^32 mid-way. */
    fill_ring_rounds(2, 0xffffffc0u, _i);
}
END_TEST

struct mq_worker {
    struct fake_ring *fr;
    struct fake_guest *g;
    uint32_t page;
    uint64_t sector;
    unsigned int rounds;
    bool ok;
};

/* Write a region through one queue, read it back into other pages, compare. */
static void *mq_work(void *arg)
{
    struct mq_worker *w = arg;
    blkif_response_t rsp[2];

    w->ok = true;
    for (unsigned int r = 0; r < w->rounds && w->ok; r++) {
        blkif_request_t *wr = fake_ring_next(w->fr), *rd;

        fill_random(fake_page(w->g, w->page), 4 * 4096, r + (unsigned int)w->sector);
        *wr = (blkif_request_t){ .operation = BLKIF_OP_WRITE, .nr_segments = 4, .id = r * 2,
                                 .sector_number = w->sector + r * 32 };
        for (unsigned int i = 0; i < 4; i++)
            wr->seg[i] = (struct blkif_request_segment){ FAKE_REF(w->page + i), 0, 7 };
        fake_ring_push(w->fr);
        if (fake_ring_wait(w->fr, rsp, 1, 5000) != 1 || rsp[0].status != BLKIF_RSP_OKAY) {
            w->ok = false;
            break;
        }
        rd = fake_ring_next(w->fr);
        *rd = (blkif_request_t){ .operation = BLKIF_OP_READ, .nr_segments = 4, .id = r * 2 + 1,
                                 .sector_number = w->sector + r * 32 };
        for (unsigned int i = 0; i < 4; i++)
            rd->seg[i] = (struct blkif_request_segment){ FAKE_REF(w->page + 4 + i), 0, 7 };
        fake_ring_push(w->fr);
        if (fake_ring_wait(w->fr, rsp, 1, 5000) != 1 || rsp[0].status != BLKIF_RSP_OKAY ||
            memcmp(fake_page(w->g, w->page), fake_page(w->g, w->page + 4), 4 * 4096) != 0)
            w->ok = false;
    }
    return NULL;
}

START_TEST(test_multiqueue)
{
    struct fake_dev d;
    struct fake_ring fr2;
    struct blk_queue *q2;
    struct blk_queue_params p2;
    struct mq_worker w[2];
    pthread_t th[2];

    fake_dev_init(&d, SECTORS, "mq", 1, 0);
    fake_dev_start(&d, false, true);
    fake_ring_init(&fr2, d.g, 1, 16, 2, 20, 0);
    fake_ring_params(&fr2, &p2);
    p2.queue = 1;
    ck_assert_int_eq(blk_queue_create(&q2, d.disk, fake_transport(d.g, 1), &p2), 0);
    ck_assert_int_eq(blk_queue_start(q2), 0);
    w[0] = (struct mq_worker){ &d.fr, d.g, FAKE_DATA_PAGE, 0, 100, false };
    w[1] = (struct mq_worker){ &fr2, d.g, FAKE_DATA_PAGE + 100, 8192, 100, false };
    for (unsigned int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, mq_work, &w[i]);
    for (unsigned int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    ck_assert(w[0].ok);
    ck_assert(w[1].ok);
    ck_assert_int_gt(d.g->ports[0].notifies, 0);
    ck_assert_int_gt(d.g->ports[1].notifies, 0);
    blk_queue_destroy(q2);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_persistent_grants)
{
    struct fake_dev d;
    blkif_response_t rsp[32];
    struct blk_queue_stats st;
    uint32_t p = FAKE_DATA_PAGE;

    fake_dev_init(&d, SECTORS, "pgnt", 1, 0);
    d.p.persistent = true;
    d.p.max_persistent = 8;
    fake_dev_start(&d, false, _i);
    /* The same four pages again and again: mapped once. */
    for (unsigned int round = 0; round < 10; round++) {
        for (unsigned int i = 0; i < 5; i++)
            fake_rw(&d, i % 2 ? BLKIF_OP_WRITE : BLKIF_OP_READ, i, i * 64, 4, p);
        ck_assert_uint_eq(fake_do(&d, rsp, 5), 5);
        expect_all(rsp, 5, BLKIF_RSP_OKAY);
    }
    blk_queue_stats(d.q, &st);
    ck_assert_uint_eq(st.maps, 1 + 4);
    ck_assert_uint_eq(st.pgrant_hits, 50 * 4 - 4);
    ck_assert_uint_eq(st.pgrants, 4);
    ck_assert_uint_eq(st.unmaps, 0);
    /* Forty distinct pages: the cache stays at its bound and the data stays right. */
    for (unsigned int round = 0; round < 4; round++) {
        for (unsigned int i = 0; i < 10; i++)
            fake_rw(&d, BLKIF_OP_READ, i, 4096 + (round * 10 + i) * 32ull, 4, p + 100 + i * 4);
        ck_assert_uint_eq(fake_do(&d, rsp, 10), 10);
        expect_all(rsp, 10, BLKIF_RSP_OKAY);
        for (unsigned int i = 0; i < 40; i++)
            ck_assert(page_has_pattern(fake_page(d.g, p + 100 + i), 4096,
                                       (4096 + (round * 10 + i / 4) * 32ull) * 512 +
                                       (i % 4) * 4096));
        blk_queue_stats(d.q, &st);
        ck_assert_uint_le(st.pgrants, 8);
    }
    /* Ring + cache + at most one ring's worth of transient pages. */
    ck_assert_int_le(d.g->max_mapped_pages, 1 + 8 + 32 * 4);
    /* The working set moves to four new pages: idle grants make room for them. */
    for (unsigned int round = 0; round < 40; round++) {
        for (unsigned int i = 0; i < 10; i++)
            fake_rw(&d, BLKIF_OP_READ, i, i * 8, 4, p + 300);
        ck_assert_uint_eq(fake_do(&d, rsp, 10), 10);
        expect_all(rsp, 10, BLKIF_RSP_OKAY);
    }
    blk_queue_stats(d.q, &st);
    for (unsigned int i = 0; i < 10; i++)
        fake_rw(&d, BLKIF_OP_READ, i, i * 8, 4, p + 300);
    ck_assert_uint_eq(fake_do(&d, rsp, 10), 10);
    {
        struct blk_queue_stats st2;

        blk_queue_stats(d.q, &st2);
        ck_assert_uint_eq(st2.pgrant_hits - st.pgrant_hits, 40);
        ck_assert_uint_eq(st2.maps, st.maps);
    }
    /* A read-only grant still serves a write; a read into it fails. */
    fake_grant(d.g, FAKE_REF(p + 500), p + 500, true);
    fake_rw(&d, BLKIF_OP_WRITE, 1, 100, 1, p + 500);
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_all(rsp, 1, BLKIF_RSP_OKAY);
    fake_rw(&d, BLKIF_OP_READ, 2, 100, 1, p + 500);
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_all(rsp, 1, BLKIF_RSP_ERROR);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_teardown_in_flight)
{
    struct fake_dev d;
    unsigned int size = blk_ring_size(4);

    fake_dev_init(&d, SECTORS, "inflight", 4, 0);
    d.p.persistent = _i;
    fake_dev_start(&d, false, true);
    for (unsigned int i = 0; i < size; i++)
        fake_rw(&d, i % 3 ? BLKIF_OP_READ : BLKIF_OP_WRITE, i, (uint64_t)i * 88, 11,
                FAKE_DATA_PAGE + (i % 300) * 11);
    fake_ring_push(&d.fr);
    /* The domain "dies": its memory descriptor goes away while I/O is in flight. */
    fake_guest_kill(d.g);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_reattach)
{
    struct fake_dev d;
    blkif_response_t rsp[16];
    struct blk_queue_params bad;
    struct blk_queue *q;
    unsigned int seen = 0;

    fake_dev_init(&d, SECTORS, "reattach", 1, 0);
    fake_dev_start(&d, false, false);
    for (unsigned int i = 0; i < 5; i++)
        fake_rw(&d, BLKIF_OP_READ, i, i * 8, 1, FAKE_DATA_PAGE + i);
    ck_assert_uint_eq(fake_do(&d, rsp, 5), 5);
    blk_queue_destroy(d.q);
    /* Requests published while no backend runs are served by the next one. */
    for (unsigned int i = 5; i < 15; i++)
        fake_rw(&d, BLKIF_OP_READ, i, i * 8, 1, FAKE_DATA_PAGE + i);
    fake_ring_push(&d.fr);
    ck_assert_int_eq(blk_queue_create(&d.q, d.disk, fake_transport(d.g, 0), &d.p), 0);
    d.fr.pump = d.q;
    ck_assert_uint_eq(fake_ring_wait(&d.fr, rsp, 16, 500), 10);
    for (unsigned int i = 0; i < 10; i++) {
        ck_assert(rsp[i].id >= 5 && rsp[i].id < 15);
        ck_assert(!(seen & (1u << rsp[i].id)));
        seen |= 1u << rsp[i].id;
        ck_assert_int_eq(rsp[i].status, BLKIF_RSP_OKAY);
    }
    /* A ring whose indexes are already impossible is refused. */
    d.fr.front.sring->req_prod = d.fr.front.sring->rsp_prod + 33;
    bad = d.p;
    ck_assert_int_eq(blk_queue_create(&q, d.disk, fake_transport(d.g, 0), &bad), -EPROTO);
    d.fr.front.sring->req_prod = d.fr.front.sring->rsp_prod;
    fake_dev_fini(&d);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("blkback-engine");
    TCase *io = tcase_create("io"), *rings = tcase_create("rings");

    tcase_set_timeout(io, 60);
    tcase_set_timeout(rings, 60);
    tcase_add_loop_test(io, test_read_roundtrip, 0, 2);
    tcase_add_loop_test(io, test_write_roundtrip, 0, 2);
    tcase_add_loop_test(io, test_indirect, 0, 2);
    tcase_add_loop_test(io, test_flush_ordering, 0, 2);
    tcase_add_loop_test(io, test_discard, 0, 2);
    tcase_add_loop_test(io, test_readonly, 0, 2);
    tcase_add_loop_test(io, test_persistent_grants, 0, 2);
    tcase_add_loop_test(rings, test_multipage_rings, 0, 2);
    tcase_add_test(rings, test_multiqueue);
    tcase_add_loop_test(rings, test_teardown_in_flight, 0, 2);
    tcase_add_test(rings, test_reattach);
    suite_add_tcase(s, io);
    suite_add_tcase(s, rings);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(engine_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
