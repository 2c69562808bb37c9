/* test_blkback_hostile.c: Check tests of the blkback engine against malformed requests, rings. */
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

#define SECTORS 8192u           /* 4 MiB images */

static unsigned int rnd_state = 12345;

static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 8) ^ (rnd_state << 13);
}

static void expect_status(const blkif_response_t *r, unsigned int n, int16_t status)
{
    for (unsigned int i = 0; i < n; i++)
        ck_assert_msg(r[i].status == status, "id %llu: status %d, expected %d",
                      (unsigned long long)r[i].id, r[i].status, status);
}

static bool image_intact(const char *path)
{
    uint8_t *buf = malloc(SECTORS * 512);
    struct stat st;
    bool ok = stat(path, &st) == 0 && st.st_size == SECTORS * 512;

    fake_pread(path, buf, SECTORS * 512, 0);
    for (size_t i = 0; i < SECTORS * 512 && ok; i++)
        ok = buf[i] == fake_pattern(i);
    free(buf);
    return ok;
}

struct broken_note {
    int calls;
    unsigned int queue;
};

static void on_broken(void *arg, unsigned int queue, const char *why)
{
    struct broken_note *b = arg;

    __atomic_fetch_add(&b->calls, 1, __ATOMIC_RELAXED);
    b->queue = queue;
}

/* Send n requests that each should be answered with status; ids and ops are echoed. */
static void expect_answers(struct fake_dev *d, unsigned int n, int16_t status)
{
    blkif_response_t rsp[64];

    ck_assert_uint_le(n, 64);
    ck_assert_uint_eq(fake_do(d, rsp, n), n);
    expect_status(rsp, n, status);
}

START_TEST(test_bad_operations)
{
    static const uint8_t ops[] = { BLKIF_OP_WRITE_BARRIER, BLKIF_OP_RESERVED_1, 7, 8, 100, 255 };
    struct fake_dev d;
    blkif_response_t rsp[8];

    fake_dev_init(&d, SECTORS, "badop", 1, 0);
    fake_dev_start(&d, false, _i);
    for (unsigned int i = 0; i < 6; i++)
        fake_rw(&d, ops[i], i == 5 ? UINT64_MAX : 0xdead0000u + i, 0, 1, FAKE_DATA_PAGE);
    ck_assert_uint_eq(fake_do(&d, rsp, 6), 6);
    expect_status(rsp, 6, BLKIF_RSP_EOPNOTSUPP);
    for (unsigned int i = 0; i < 6; i++) {
        ck_assert_uint_eq(rsp[i].id, i == 5 ? UINT64_MAX : 0xdead0000u + i);
        ck_assert_uint_eq(rsp[i].operation, ops[i]);
    }
    ck_assert(image_intact(d.image));
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_bad_segments)
{
    static const struct { uint8_t op, nseg, first, last; } bad[] = {
        { BLKIF_OP_READ, 0, 0, 7 }, { BLKIF_OP_READ, 12, 0, 7 }, { BLKIF_OP_WRITE, 255, 0, 7 },
        { BLKIF_OP_WRITE, 0, 0, 7 }, { BLKIF_OP_FLUSH_DISKCACHE, 12, 0, 7 },
        { BLKIF_OP_WRITE, 1, 5, 4 }, { BLKIF_OP_WRITE, 1, 0, 8 }, { BLKIF_OP_READ, 1, 8, 8 },
        { BLKIF_OP_WRITE, 3, 0, 255 }, { BLKIF_OP_WRITE, 2, 255, 255 },
    };
    unsigned int n = sizeof(bad) / sizeof(bad[0]);
    struct fake_dev d;

    fake_dev_init(&d, SECTORS, "badseg", 1, 0);
    fake_dev_start(&d, false, _i);
    memset(fake_page(d.g, FAKE_DATA_PAGE), 0xab, 16 * 4096);
    for (unsigned int i = 0; i < n; i++) {
        blkif_request_t *req = fake_rw(&d, bad[i].op, i, 8, bad[i].nseg, FAKE_DATA_PAGE);

        /* The last segment is the bad one, the others are fine. */
        if (bad[i].nseg && bad[i].nseg <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
            req->seg[bad[i].nseg - 1].first_sect = bad[i].first;
            req->seg[bad[i].nseg - 1].last_sect = bad[i].last;
        }
    }
    expect_answers(&d, n, BLKIF_RSP_ERROR);
    ck_assert(image_intact(d.image));
    ck_assert_int_eq(fake_mapped(d.g), 1);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_bad_ranges)
{
    static const struct { uint64_t sector; uint8_t last; } bad[] = {
        { SECTORS, 0 }, { SECTORS - 1, 1 }, { SECTORS - 7, 7 }, { UINT64_MAX, 0 },
        { UINT64_MAX - 3, 7 }, { 1ull << 61, 7 }, { (1ull << 55) + 8, 7 },
    };
    unsigned int n = sizeof(bad) / sizeof(bad[0]);
    struct fake_dev d;
    blkif_request_t *req;

    fake_dev_init(&d, SECTORS, "badrange", 1, 0);
    fake_dev_start(&d, false, _i);
    for (unsigned int round = 0; round < 2; round++) {
        for (unsigned int i = 0; i < n; i++) {
            req = fake_rw(&d, round ? BLKIF_OP_READ : BLKIF_OP_WRITE, i, bad[i].sector, 1,
                          FAKE_DATA_PAGE);
            req->seg[0].last_sect = bad[i].last;
        }
        expect_answers(&d, n, BLKIF_RSP_ERROR);
    }
    /* The very last sector is fine. */
    req = fake_rw(&d, BLKIF_OP_READ, 99, SECTORS - 1, 1, FAKE_DATA_PAGE);
    req->seg[0].last_sect = 0;
    expect_answers(&d, 1, BLKIF_RSP_OKAY);
    ck_assert(image_intact(d.image));
    fake_dev_fini(&d);
}
END_TEST

/* _i: bit 0 persistent grants, bit 1 threaded. */
START_TEST(test_bad_grants)
{
    struct fake_dev d;
    blkif_request_t *req;
    uint32_t p = FAKE_DATA_PAGE;

    fake_dev_init(&d, SECTORS, "badgref", 1, 0);
    d.p.persistent = _i & 1;
    fake_dev_start(&d, false, _i & 2);
    fake_grant(d.g, FAKE_REF(p + 20), p + 20, true);
    fake_revoke(d.g, FAKE_REF(p + 30));
    fake_rw(&d, BLKIF_OP_READ, 1, 0, 1, p)->seg[0].gref = 999999;
    fake_rw(&d, BLKIF_OP_WRITE, 2, 0, 1, p)->seg[0].gref = 5;
    fake_rw(&d, BLKIF_OP_READ, 3, 0, 1, p + 20);
    fake_rw(&d, BLKIF_OP_WRITE, 4, 0, 11, p + 25);
    req = fake_rw(&d, BLKIF_OP_READ, 5, 0, 11, p + 40);
    req->seg[10].gref = 0xffffffffu;
    expect_answers(&d, 5, BLKIF_RSP_ERROR);
    /* Nothing of the failed requests stays mapped (the cache may keep good pages). */
    if (d.p.persistent)
        ck_assert_int_le(fake_mapped(d.g), 1 + (long)d.p.max_persistent);
    else
        ck_assert_int_eq(fake_mapped(d.g), 1);
    ck_assert(image_intact(d.image));
    /* Everything good again: served. */
    fake_rw(&d, BLKIF_OP_READ, 6, 0, 11, p + 40);
    expect_answers(&d, 1, BLKIF_RSP_OKAY);
    fake_dev_fini(&d);
}
END_TEST

START_TEST(test_bad_grants_statuses)
{
    struct fake_dev d;
    blkif_response_t rsp[4];

    fake_dev_init(&d, SECTORS, "badgref2", 1, 0);
    fake_dev_start(&d, false, false);
    fake_rw(&d, BLKIF_OP_READ, 1, 0, 1, FAKE_DATA_PAGE)->seg[0].gref = 999999;
    fake_rw(&d, BLKIF_OP_READ, 2, 0, 2, FAKE_DATA_PAGE)->seg[1].gref = 3;
    ck_assert_uint_eq(fake_do(&d, rsp, 2), 2);
    expect_status(rsp, 2, BLKIF_RSP_ERROR);
    ck_assert_int_ge(d.g->failed_maps, 2);
    ck_assert_int_eq(fake_mapped(d.g), 1);
    fake_dev_fini(&d);
}
END_TEST

static blkif_request_indirect_t *indirect(struct fake_dev *d, uint8_t op, uint64_t id,
                                          unsigned int n, uint32_t ind_page)
{
    blkif_request_indirect_t *ind = (blkif_request_indirect_t *)fake_ring_next(&d->fr);

    ind->operation = BLKIF_OP_INDIRECT;
    ind->indirect_op = op;
    ind->nr_segments = (uint16_t)n;
    ind->id = id;
    ind->sector_number = 16;
    for (unsigned int i = 0; i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
        ind->indirect_grefs[i] = FAKE_REF(ind_page + i);
    for (unsigned int i = 0; i < n && i < 512 * 8; i++) {
        struct blkif_request_segment *s =
            (struct blkif_request_segment *)fake_page(d->g, ind_page + i / 512) + i % 512;

        *s = (struct blkif_request_segment){ FAKE_REF(ind_page + 8 + i % 100), 0, 7 };
    }
    return ind;
}

START_TEST(test_bad_indirect)
{
    struct fake_dev d;
    blkif_response_t rsp[16];
    struct blkif_request_segment *s;
    uint32_t ip = FAKE_DATA_PAGE;

    fake_dev_init(&d, SECTORS, "badind", 1, 0);
    fake_dev_start(&d, false, _i);
    indirect(&d, BLKIF_OP_WRITE_BARRIER, 1, 8, ip);
    indirect(&d, BLKIF_OP_FLUSH_DISKCACHE, 2, 8, ip);
    indirect(&d, BLKIF_OP_INDIRECT, 3, 8, ip);
    indirect(&d, BLKIF_OP_READ, 4, 0, ip);
    indirect(&d, BLKIF_OP_READ, 5, 257, ip);
    indirect(&d, BLKIF_OP_WRITE, 6, 65535, ip);
    indirect(&d, BLKIF_OP_READ, 7, 8, ip)->indirect_grefs[0] = 4000000;
    ck_assert_uint_eq(fake_do(&d, rsp, 7), 7);
    expect_status(rsp, 7, BLKIF_RSP_ERROR);
    /* Bad segments inside the indirect page: found after the copy. */
    indirect(&d, BLKIF_OP_WRITE, 8, 100, ip);
    s = (struct blkif_request_segment *)fake_page(d.g, ip) + 99;
    s->last_sect = 8;
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_status(rsp, 1, BLKIF_RSP_ERROR);
    indirect(&d, BLKIF_OP_WRITE, 9, 100, ip);
    s = (struct blkif_request_segment *)fake_page(d.g, ip) + 50;
    s->gref = 3;
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_status(rsp, 1, BLKIF_RSP_ERROR);
    /* 256 whole pages are 2048 sectors: one too many this close to the end. */
    indirect(&d, BLKIF_OP_WRITE, 10, 256, ip)->sector_number = SECTORS - 2047;
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_status(rsp, 1, BLKIF_RSP_ERROR);
    ck_assert(image_intact(d.image));
    indirect(&d, BLKIF_OP_READ, 11, 256, ip);
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_status(rsp, 1, BLKIF_RSP_OKAY);
    fake_dev_fini(&d);

    /* Not advertised at all: not supported. */
    fake_dev_init(&d, SECTORS, "noind", 1, 0);
    d.p.max_indirect_segments = 0;
    fake_dev_start(&d, false, _i);
    indirect(&d, BLKIF_OP_READ, 1, 8, ip);
    ck_assert_uint_eq(fake_do(&d, rsp, 1), 1);
    expect_status(rsp, 1, BLKIF_RSP_EOPNOTSUPP);
    fake_dev_fini(&d);
}
END_TEST

/* _i: 0 req_prod jumps ahead of the ring, 1 it goes backwards. */
START_TEST(test_ring_index_games)
{
    struct fake_dev d;
    struct broken_note note = { 0, 0 };
    blkif_response_t rsp[40];
    blkif_sring_t *s;

    fake_dev_init(&d, SECTORS, "index", 1, 0);
    d.p.on_broken = on_broken;
    d.p.arg = &note;
    d.p.queue = 3;
    fake_dev_start(&d, false, false);
    s = d.fr.front.sring;
    for (unsigned int i = 0; i < 3; i++)
        fake_rw(&d, BLKIF_OP_READ, i, 0, 1, FAKE_DATA_PAGE);
    ck_assert_uint_eq(fake_do(&d, rsp, 3), 3);
    if (_i == 0)
        s->req_prod += 33;              /* more requests than the ring holds */
    else
        s->req_prod -= 5;               /* behind what was already consumed */
    fake_ring_kick(&d.fr);
    for (int k = 0; k < 5; k++)
        blk_queue_run_once(d.q, 10);
    ck_assert(blk_queue_broken(d.q));
    ck_assert_int_eq(note.calls, 1);
    ck_assert_uint_eq(note.queue, 3);
    ck_assert_uint_eq(s->rsp_prod, 3);
    /* A broken ring is not looked at again, however much the frontend kicks. */
    s->req_prod = 4;
    fake_ring_kick(&d.fr);
    blk_queue_run_once(d.q, 10);
    ck_assert_uint_eq(s->rsp_prod, 3);
    ck_assert_int_eq(note.calls, 1);
    fake_dev_fini(&d);
}
END_TEST

/* Random bytes in every slot: each request gets exactly one sane answer, nothing else happens. */
START_TEST(test_fuzzed_requests)
{
    struct fake_dev d;
    blkif_response_t rsp[32];
    struct stat st;

    rnd_state = 777 + (unsigned int)_i;
    fake_dev_init(&d, SECTORS, "fuzz", 1, 0);
    d.p.persistent = _i;
    d.p.max_persistent = 16;
    fake_dev_start(&d, false, _i);
    for (unsigned int round = 0; round < 300; round++) {
        uint64_t seen = 0;

        for (unsigned int i = 0; i < 32; i++) {
            blkif_request_t *req = fake_ring_next(&d.fr);
            uint8_t *raw = (uint8_t *)req;

            for (size_t k = 0; k < sizeof(*req); k++)
                raw[k] = (uint8_t)rnd();
            /* Bias towards requests that get past the first checks. */
            switch (rnd() % 4) {
            case 0:
                req->operation = (uint8_t)(rnd() % 7);
                req->nr_segments = (uint8_t)(rnd() % 13);
                req->sector_number = rnd() % (SECTORS + 16);
                for (unsigned int k = 0; k < BLKIF_MAX_SEGMENTS_PER_REQUEST; k++) {
                    req->seg[k].gref = FAKE_REF(FAKE_DATA_PAGE + rnd() % 64) +
                                       (rnd() % 8 == 0 ? rnd() : 0);
                    req->seg[k].first_sect = (uint8_t)(rnd() % 9);
                    req->seg[k].last_sect = (uint8_t)(rnd() % 9);
                }
                break;
            case 1:
                ((blkif_request_indirect_t *)req)->operation = BLKIF_OP_INDIRECT;
                ((blkif_request_indirect_t *)req)->indirect_op = (uint8_t)(rnd() % 3);
                ((blkif_request_indirect_t *)req)->nr_segments = (uint16_t)(rnd() % 300);
                ((blkif_request_indirect_t *)req)->indirect_grefs[0] =
                    FAKE_REF(FAKE_DATA_PAGE + rnd() % 64);
                break;
            case 2:
                req->operation = BLKIF_OP_DISCARD;
                break;
            default:
                break;
            }
            req->id = round * 32 + i;
        }
        /* Indirect pages full of random segments, too. */
        for (unsigned int k = 0; k < 4; k++)
            for (unsigned int b = 0; b < 4096; b++)
                fake_page(d.g, FAKE_DATA_PAGE + rnd() % 64)[b] = (uint8_t)rnd();
        ck_assert_uint_eq(fake_do(&d, rsp, 32), 32);
        for (unsigned int i = 0; i < 32; i++) {
            ck_assert(rsp[i].status == BLKIF_RSP_OKAY || rsp[i].status == BLKIF_RSP_ERROR ||
                      rsp[i].status == BLKIF_RSP_EOPNOTSUPP);
            ck_assert(rsp[i].id >= round * 32ull && rsp[i].id < round * 32ull + 32);
            ck_assert(!(seen & (1ull << (rsp[i].id - round * 32))));
            seen |= 1ull << (rsp[i].id - round * 32);
        }
        ck_assert(!blk_queue_broken(d.q));
    }
    ck_assert_int_eq(stat(d.image, &st), 0);
    ck_assert_int_eq(st.st_size, SECTORS * 512);
    fake_dev_fini(&d);
}
END_TEST

struct abuser {
    struct fake_dev *d;
    volatile bool stop;
    unsigned int published;
};

/*
 * A frontend that keeps rewriting every slot, including published ones the
 * backend may be copying at that moment, while publishing consistent
 * indexes; at the end it moves req_prod somewhere impossible.
 */
static void *abuse(void *arg)
{
    struct abuser *a = arg;
    struct fake_ring *fr = &a->d->fr;
    blkif_sring_t *s = fr->front.sring;
    unsigned int seed = 99;

    while (!a->stop) {
        blkif_response_t r;

        for (unsigned int i = 0; i < RING_SIZE(&fr->front); i++) {
            uint8_t *raw = (uint8_t *)&s->ring[i].req;

            for (size_t k = 0; k < sizeof(blkif_request_t); k++) {
                seed = seed * 1103515245u + 12345u;
                raw[k] = (uint8_t)(seed >> 16);
            }
            s->ring[i].req.operation = (uint8_t)(seed % 7);
            s->ring[i].req.nr_segments = (uint8_t)(1 + seed % 11);
        }
        while (fake_ring_wait(fr, &r, 1, 0) == 1) {
        }
        while (!RING_FULL(&fr->front) && ((seed >> 16) & 3)) {
            fr->front.req_prod_pvt++;
            a->published++;
            seed = seed * 1103515245u + 12345u;
        }
        fake_ring_push(fr);
    }
    s->req_prod = fr->front.rsp_cons + 1000;
    fake_ring_kick(fr);
    return NULL;
}

START_TEST(test_abuse_is_isolated)
{
    struct fake_dev bad, good;
    struct broken_note note = { 0, 0 };
    struct abuser a = { .d = &bad };
    blkif_response_t rsp[2];
    pthread_t th;

    fake_dev_init(&bad, SECTORS, "abused", 1, 0);
    bad.p.on_broken = on_broken;
    bad.p.arg = &note;
    bad.p.persistent = true;
    fake_dev_start(&bad, false, true);
    fake_dev_init(&good, SECTORS, "good", 2, 1);
    fake_dev_start(&good, false, true);
    pthread_create(&th, NULL, abuse, &a);
    for (unsigned int round = 0; round < 300; round++) {
        uint32_t p = FAKE_DATA_PAGE + (round % 10) * 22;

        for (unsigned int k = 0; k < 11 * 4096; k++)
            fake_page(good.g, p)[k] = (uint8_t)(round + k * 7);
        fake_rw(&good, BLKIF_OP_WRITE, round, (round % 50) * 88ull, 11, p);
        ck_assert_uint_eq(fake_do(&good, rsp, 1), 1);
        expect_status(rsp, 1, BLKIF_RSP_OKAY);
        fake_rw(&good, BLKIF_OP_READ, round, (round % 50) * 88ull, 11, p + 11);
        ck_assert_uint_eq(fake_do(&good, rsp, 1), 1);
        expect_status(rsp, 1, BLKIF_RSP_OKAY);
        ck_assert(memcmp(fake_page(good.g, p), fake_page(good.g, p + 11), 11 * 4096) == 0);
    }
    a.stop = true;
    pthread_join(th, NULL);
    for (int k = 0; k < 500 && !__atomic_load_n(&note.calls, __ATOMIC_RELAXED); k++)
        usleep(10000);
    ck_assert(blk_queue_broken(bad.q));
    ck_assert_int_eq(note.calls, 1);
    ck_assert_uint_gt(a.published, 100);
    ck_assert(!blk_queue_broken(good.q));
    /* The good one still works after the bad one broke. */
    fake_rw(&good, BLKIF_OP_READ, 1, 0, 1, FAKE_DATA_PAGE);
    ck_assert_uint_eq(fake_do(&good, rsp, 1), 1);
    expect_status(rsp, 1, BLKIF_RSP_OKAY);
    fake_dev_fini(&bad);
    fake_dev_fini(&good);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("blkback-hostile");
    TCase *req = tcase_create("requests"), *ring = tcase_create("rings");

    tcase_set_timeout(req, 120);
    tcase_set_timeout(ring, 120);
    tcase_add_loop_test(req, test_bad_operations, 0, 2);
    tcase_add_loop_test(req, test_bad_segments, 0, 2);
    tcase_add_loop_test(req, test_bad_ranges, 0, 2);
    tcase_add_loop_test(req, test_bad_grants, 0, 4);
    tcase_add_test(req, test_bad_grants_statuses);
    tcase_add_loop_test(req, test_bad_indirect, 0, 2);
    tcase_add_loop_test(req, test_fuzzed_requests, 0, 2);
    tcase_add_loop_test(ring, test_ring_index_games, 0, 2);
    tcase_add_test(ring, test_abuse_is_isolated);
    suite_add_tcase(s, req);
    suite_add_tcase(s, ring);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hostile_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
