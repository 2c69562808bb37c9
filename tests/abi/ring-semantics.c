/* ring-semantics.c: run the ring and helper macros through a fixed scenario, logging each step. */
/* SPDX-License-Identifier: MIT */

/*
 * Built twice, against pv-abi and against Xen's headers (ring-check.sh);
 * the two logs must be identical. The scenario mixes ordinary traffic with
 * index wrap-around at 2^32, notification decisions, the final-check race
 * closers and a misbehaving producer, so that a macro that differs from
 * Xen's in any of these shows up as a differing line.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Xen's ring.h takes its barriers from the includer; pv-abi has defaults. */
#ifndef LAMINA_ABI_PV
#define xen_mb() __sync_synchronize()
#define xen_rmb() __sync_synchronize()
#define xen_wmb() __sync_synchronize()
#endif

#include <xen/xen.h>
#include <xen/io/ring.h>
#include <xen/io/blkif.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>

struct test_req {
    uint32_t id;
    uint32_t payload[3];
};

struct test_rsp {
    uint32_t id;
    int32_t status;
};

DEFINE_RING_TYPES(test, struct test_req, struct test_rsp);

static _Alignas(4096) unsigned char page[4096];
static uint32_t lcg_state = 12345;

static uint32_t next_random(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lcg_state >> 16;
}

static void dump_header(const char *what, const test_sring_t *s)
{
    unsigned int sum = 0;

    for (size_t i = 0; i < offsetof(test_sring_t, ring); i++)
        sum = sum * 31 + ((const unsigned char *)s)[i];
    printf("%s: req_prod=%u req_event=%u rsp_prod=%u rsp_event=%u header_hash=%u\n", what,
           s->req_prod, s->req_event, s->rsp_prod, s->rsp_event, sum);
}

static void dump_views(int step, const test_front_ring_t *f, const test_back_ring_t *b)
{
    printf("%d: front req_prod_pvt=%u rsp_cons=%u free=%u full=%d unconsumed_rsp=%u"
           " | back rsp_prod_pvt=%u req_cons=%u unconsumed_req=%u | shared %u/%u %u/%u\n",
           step, f->req_prod_pvt, f->rsp_cons, (unsigned int)RING_FREE_REQUESTS(f),
           (int)RING_FULL(f), (unsigned int)RING_HAS_UNCONSUMED_RESPONSES(f),
           b->rsp_prod_pvt, b->req_cons, (unsigned int)RING_HAS_UNCONSUMED_REQUESTS(b),
           f->sring->req_prod, f->sring->req_event, f->sring->rsp_prod,
           f->sring->rsp_event);
}

/* Ordinary traffic from a starting index, with random batch sizes. */
static void run_traffic(RING_IDX start, int steps)
{
    test_sring_t *s = (test_sring_t *)page;
    test_front_ring_t front;
    test_back_ring_t back;

    memset(page, 0xa5, sizeof(page));
    SHARED_RING_INIT(s);
    s->req_prod = start;
    s->rsp_prod = start;
    s->req_event = start + 1;
    s->rsp_event = start + 1;
    FRONT_RING_ATTACH(&front, s, start, sizeof(page));
    BACK_RING_ATTACH(&back, s, start, sizeof(page));
    printf("traffic from %u: size=%u\n", start, (unsigned int)RING_SIZE(&front));

    for (int step = 0; step < steps; step++) {
        uint32_t op = next_random() % 6;
        int notify = -1;
        int work = -1;

        if (op <= 1) {
            unsigned int n = next_random() % 9;
            while (n-- > 0 && !RING_FULL(&front)) {
                struct test_req *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
                req->id = front.req_prod_pvt;
                req->payload[0] = next_random();
                front.req_prod_pvt++;
            }
            if (op == 0) {
                RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
            } else {
                RING_PUSH_REQUESTS(&front);
            }
        } else if (op <= 3) {
            unsigned int n = next_random() % 9;
            while (n-- > 0 && RING_HAS_UNCONSUMED_REQUESTS(&back)) {
                struct test_req req;
                struct test_rsp *rsp;

                if (RING_REQUEST_CONS_OVERFLOW(&back, back.req_cons))
                    break;
                RING_COPY_REQUEST(&back, back.req_cons, &req);
                back.req_cons++;
                rsp = RING_GET_RESPONSE(&back, back.rsp_prod_pvt);
                rsp->id = req.id;
                rsp->status = (int32_t)(req.payload[0] & 7);
                back.rsp_prod_pvt++;
            }
            if (op == 2) {
                RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back, notify);
            } else {
                RING_PUSH_RESPONSES(&back);
                RING_FINAL_CHECK_FOR_REQUESTS(&back, work);
            }
        } else {
            unsigned int n = next_random() % 9;
            while (n-- > 0 && RING_HAS_UNCONSUMED_RESPONSES(&front)) {
                struct test_rsp rsp;

                RING_COPY_RESPONSE(&front, front.rsp_cons, &rsp);
                if (rsp.id != front.rsp_cons)
                    printf("%d: response out of order: %u at %u\n", step, rsp.id,
                           front.rsp_cons);
                front.rsp_cons++;
            }
            if (op == 4)
                RING_FINAL_CHECK_FOR_RESPONSES(&front, work);
        }
        printf("op=%u notify=%d work=%d ", op, notify, work);
        dump_views(step, &front, &back);
    }
}

/* A frontend that publishes an absurd producer index must not make the backend overrun. */
static void run_hostile(void)
{
    test_sring_t *s = (test_sring_t *)page;
    test_front_ring_t front;
    test_back_ring_t back;
    static const RING_IDX prods[] = { 0, 1, 31, 32, 33, 64, 1000, 0x7fffffffu, 0xffffffffu };

    XEN_FRONT_RING_INIT(&front, s, sizeof(page));
    BACK_RING_INIT(&back, s, sizeof(page));
    dump_header("after init", s);
    for (size_t i = 0; i < sizeof(prods) / sizeof(prods[0]); i++) {
        s->req_prod = prods[i];
        s->rsp_prod = prods[i];
        printf("hostile prod=%u: unconsumed_req=%u req_prod_overflow=%d rsp_prod_overflow=%d"
               " cons_overflow=%d unconsumed_rsp=%u\n", prods[i],
               (unsigned int)XEN_RING_NR_UNCONSUMED_REQUESTS(&back),
               (int)RING_REQUEST_PROD_OVERFLOW(&back, prods[i]),
               (int)RING_RESPONSE_PROD_OVERFLOW(&front, prods[i]),
               (int)RING_REQUEST_CONS_OVERFLOW(&back, prods[i]),
               (unsigned int)XEN_RING_NR_UNCONSUMED_RESPONSES(&front));
    }
}

/* Ring sizes for a range of buffer sizes, through both size macros. */
static void run_sizes(void)
{
    static const size_t sizes[] = { 64 + 16, 64 + 31, 64 + 32, 200, 1000, 4096, 8192, 65536 };

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        blkif_front_ring_t f;

        FRONT_RING_INIT(&f, (blkif_sring_t *)page, sizes[i]);
        printf("size %zu: test=%lu blkif=%lu blkif_front=%u\n", sizes[i],
               (unsigned long)__CONST_RING_SIZE(test, sizes[i]),
               (unsigned long)__CONST_RING_SIZE(blkif, sizes[i]), (unsigned int)RING_SIZE(&f));
    }
}

/* The small helper macros with run-time arguments. */
static void run_helpers(void)
{
    static struct xencons_interface cons;
    XEN_GUEST_HANDLE(char) h;
    char c;
    uint32_t idx = 0xfffffff0u;
    xen_uuid_t uuid = XEN_DEFINE_UUID(0x12345678, 0x9abc, 0xdef0, 0x1234, 0x56, 0x78, 0x9a,
                                      0xbc, 0xde, 0xf0);

    set_xen_guest_handle(h, &c);
    printf("handle set: %d\n", h.p == &c);
    printf("uuid:");
    for (size_t i = 0; i < sizeof(uuid.a); i++)
        printf(" %02x", uuid.a[i]);
    printf("\n");

    for (int i = 0; i < 12; i++, idx += 7) {
        printf("idx %u: in=%lu out=%lu store=%u\n", idx,
               (unsigned long)MASK_XENCONS_IDX(idx, cons.in),
               (unsigned long)MASK_XENCONS_IDX(idx, cons.out),
               (unsigned int)MASK_XENSTORE_IDX(idx));
    }
}

int main(void)
{
    run_traffic(0, 400);
    run_traffic(0xffffff00u, 400);
    run_traffic(0x7ffffff0u, 200);
    run_hostile();
    run_sizes();
    run_helpers();
    return 0;
}
