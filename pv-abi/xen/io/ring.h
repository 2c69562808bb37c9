/* xen/io/ring.h: shared-memory request/response rings used by every split driver. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_IO_RING_H__
#define __LAMINA_XEN_PUBLIC_IO_RING_H__

#include <stddef.h>
#include <stdint.h>

#include "../xen-compat.h"

/*
 * A ring is one shared page: four free-running indexes, then an array of
 * slots, each holding either a request or the response that replaced it.
 * The frontend produces requests and consumes responses; the backend does
 * the reverse. Each side keeps a private copy of the index it produces
 * (req_prod_pvt / rsp_prod_pvt) and publishes it with a RING_PUSH_*. The
 * *_event fields say at which index the other side wants a notification.
 *
 * Indexes only ever grow and wrap at 2^32; a slot is index & (size - 1),
 * so the number of slots is a power of two.
 *
 * Memory barriers: xen_mb/xen_rmb/xen_wmb may be defined by the includer
 * (a kernel has its own); otherwise these defaults order accesses to
 * memory that another domain (another CPU) reads and writes.
 */
#ifndef xen_mb
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#ifndef xen_rmb
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif
#ifndef xen_wmb
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

typedef unsigned int RING_IDX;

/* Largest power of two not above x (0 for 0), as a constant expression. */
#define __RD2(x) (((x) & 0x00000002) ? 0x2 : ((x) & 0x1))
#define __RD4(x) (((x) & 0x0000000c) ? __RD2((x) >> 2) << 2 : __RD2(x))
#define __RD8(x) (((x) & 0x000000f0) ? __RD4((x) >> 4) << 4 : __RD4(x))
#define __RD16(x) (((x) & 0x0000ff00) ? __RD8((x) >> 8) << 8 : __RD8(x))
#define __RD32(x) (((x) & 0xffff0000) ? __RD16((x) >> 16) << 16 : __RD16(x))

/* Slots in a ring of type name occupying size bytes (usually one page). */
#define __CONST_RING_SIZE(name, size) \
    (__RD32(((size) - offsetof(struct name##_sring, ring)) / \
            sizeof(((struct name##_sring *)0)->ring[0])))

/* The same, from a pointer to the shared ring. */
#define __RING_SIZE(sring, size) \
    (__RD32(((size) - (size_t)((const char *)(sring)->ring - (const char *)(sring))) / \
            sizeof((sring)->ring[0])))

/*
 * Declare the ring types for one protocol:
 *   union  <name>_sring_entry   one slot;
 *   struct <name>_sring         the shared page (64-byte header, then slots);
 *   struct <name>_front_ring    the frontend's private view;
 *   struct <name>_back_ring     the backend's private view;
 * plus <name>_sring_t, <name>_front_ring_t and <name>_back_ring_t.
 * The header padding (pvt, __pad) is reserved and must be zeroed.
 */
#define DEFINE_RING_TYPES(ring_name, req_type, rsp_type) \
union ring_name##_sring_entry { \
    req_type req; \
    rsp_type rsp; \
}; \
struct ring_name##_sring { \
    RING_IDX req_prod; \
    RING_IDX req_event; \
    RING_IDX rsp_prod; \
    RING_IDX rsp_event; \
    union { \
        struct { \
            uint8_t smartpoll_active; \
        } netif; \
        struct { \
            uint8_t msg; \
        } tapif_user; \
        uint8_t pvt_pad[4]; \
    } pvt; \
    uint8_t __pad[44]; \
    union ring_name##_sring_entry ring[1]; \
}; \
struct ring_name##_front_ring { \
    RING_IDX req_prod_pvt; \
    RING_IDX rsp_cons; \
    unsigned int nr_ents; \
    struct ring_name##_sring *sring; \
}; \
struct ring_name##_back_ring { \
    RING_IDX rsp_prod_pvt; \
    RING_IDX req_cons; \
    unsigned int nr_ents; \
    struct ring_name##_sring *sring; \
}; \
typedef struct ring_name##_sring ring_name##_sring_t; \
typedef struct ring_name##_front_ring ring_name##_front_ring_t; \
typedef struct ring_name##_back_ring ring_name##_back_ring_t

/* Reset the shared page: no requests or responses, notify on the first of each. */
#define SHARED_RING_INIT(s) do { \
    (s)->req_prod = 0; \
    (s)->rsp_prod = 0; \
    (s)->req_event = 1; \
    (s)->rsp_event = 1; \
    __builtin_memset((s)->pvt.pvt_pad, 0, sizeof((s)->pvt.pvt_pad)); \
    __builtin_memset((s)->__pad, 0, sizeof((s)->__pad)); \
} while (0)

/* Attach a private view to a shared ring whose indexes already stand at i. */
#define FRONT_RING_ATTACH(r, s, i, size) do { \
    (r)->req_prod_pvt = (i); \
    (r)->rsp_cons = (i); \
    (r)->nr_ents = __RING_SIZE(s, size); \
    (r)->sring = (s); \
} while (0)
#define FRONT_RING_INIT(r, s, size) FRONT_RING_ATTACH(r, s, 0, size)
#define XEN_FRONT_RING_INIT(r, s, size) do { \
    SHARED_RING_INIT(s); \
    FRONT_RING_INIT(r, s, size); \
} while (0)

#define BACK_RING_ATTACH(r, s, i, size) do { \
    (r)->rsp_prod_pvt = (i); \
    (r)->req_cons = (i); \
    (r)->nr_ents = __RING_SIZE(s, size); \
    (r)->sring = (s); \
} while (0)
#define BACK_RING_INIT(r, s, size) BACK_RING_ATTACH(r, s, 0, size)

#define RING_SIZE(r) ((r)->nr_ents)

/* Slots the frontend may still fill: those not holding an unconsumed request or response. */
#define RING_FREE_REQUESTS(r) (RING_SIZE(r) - ((r)->req_prod_pvt - (r)->rsp_cons))
#define RING_FULL(r) (RING_FREE_REQUESTS(r) == 0)

/* Responses published but not yet consumed by the frontend. */
#define XEN_RING_NR_UNCONSUMED_RESPONSES(r) ((r)->sring->rsp_prod - (r)->rsp_cons)

/*
 * Requests published but not yet consumed by the backend. Capped by the
 * slots the backend has not answered yet, so a frontend that moves
 * req_prod too far cannot make the backend overrun the ring.
 */
#define XEN_RING_NR_UNCONSUMED_REQUESTS(r) \
    (((r)->sring->req_prod - (r)->req_cons) < \
     (RING_SIZE(r) - ((r)->req_cons - (r)->rsp_prod_pvt)) ? \
     ((r)->sring->req_prod - (r)->req_cons) : \
     (RING_SIZE(r) - ((r)->req_cons - (r)->rsp_prod_pvt)))

/* Non-zero when there is work; a count unless the includer asks for 0/1. */
#ifdef XEN_RING_HAS_UNCONSUMED_IS_BOOL
#define RING_HAS_UNCONSUMED_RESPONSES(r) (!!XEN_RING_NR_UNCONSUMED_RESPONSES(r))
#define RING_HAS_UNCONSUMED_REQUESTS(r) (!!XEN_RING_NR_UNCONSUMED_REQUESTS(r))
#else
#define RING_HAS_UNCONSUMED_RESPONSES(r) XEN_RING_NR_UNCONSUMED_RESPONSES(r)
#define RING_HAS_UNCONSUMED_REQUESTS(r) XEN_RING_NR_UNCONSUMED_REQUESTS(r)
#endif

/* Pointer to the slot for index idx. */
#define RING_GET_REQUEST(r, idx) (&((r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].req))
#define RING_GET_RESPONSE(r, idx) (&((r)->sring->ring[(idx) & (RING_SIZE(r) - 1)].rsp))

/*
 * Copy a slot into private memory in one read, so that the other side
 * cannot change it between the checks and the use of a field.
 */
#define RING_COPY_REQUEST(r, idx, dest) do { \
    *(dest) = *(volatile __typeof__(dest))RING_GET_REQUEST(r, idx); \
} while (0)
#define RING_COPY_RESPONSE(r, idx, dest) do { \
    *(dest) = *(volatile __typeof__(dest))RING_GET_RESPONSE(r, idx); \
} while (0)

/* True when consuming the request at cons would read a slot not yet answered. */
#define RING_REQUEST_CONS_OVERFLOW(r, cons) (((cons) - (r)->rsp_prod_pvt) >= RING_SIZE(r))

/* Sanity checks on a producer index read from the shared page. */
#define RING_REQUEST_PROD_OVERFLOW(r, prod) (((prod) - (r)->rsp_prod_pvt) > RING_SIZE(r))
#define RING_RESPONSE_PROD_OVERFLOW(r, prod) (((prod) - (r)->rsp_cons) > RING_SIZE(r))

/* Publish the private producer index; the slots must be visible first. */
#define RING_PUSH_REQUESTS(r) do { \
    xen_wmb(); \
    (r)->sring->req_prod = (r)->req_prod_pvt; \
} while (0)
#define RING_PUSH_RESPONSES(r) do { \
    xen_wmb(); \
    (r)->sring->rsp_prod = (r)->rsp_prod_pvt; \
} while (0)

/*
 * Publish, then set notify if the other side asked to be told about one
 * of the entries just published (its *_event lies in (old, new]). The full
 * barrier keeps the event read from moving before the index write.
 */
#define RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(r, notify) do { \
    RING_IDX lamina_ring_old_ = (r)->sring->req_prod; \
    RING_IDX lamina_ring_new_ = (r)->req_prod_pvt; \
    xen_wmb(); \
    (r)->sring->req_prod = lamina_ring_new_; \
    xen_mb(); \
    (notify) = ((RING_IDX)(lamina_ring_new_ - (r)->sring->req_event) < \
                (RING_IDX)(lamina_ring_new_ - lamina_ring_old_)); \
} while (0)
#define RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r, notify) do { \
    RING_IDX lamina_ring_old_ = (r)->sring->rsp_prod; \
    RING_IDX lamina_ring_new_ = (r)->rsp_prod_pvt; \
    xen_wmb(); \
    (r)->sring->rsp_prod = lamina_ring_new_; \
    xen_mb(); \
    (notify) = ((RING_IDX)(lamina_ring_new_ - (r)->sring->rsp_event) < \
                (RING_IDX)(lamina_ring_new_ - lamina_ring_old_)); \
} while (0)

/*
 * Before going idle: if nothing is pending, ask to be notified about the
 * next entry and look once more, closing the race with a producer that
 * published just before the event index was moved.
 */
#define RING_FINAL_CHECK_FOR_REQUESTS(r, work_to_do) do { \
    (work_to_do) = RING_HAS_UNCONSUMED_REQUESTS(r); \
    if (work_to_do) \
        break; \
    (r)->sring->req_event = (r)->req_cons + 1; \
    xen_mb(); \
    (work_to_do) = RING_HAS_UNCONSUMED_REQUESTS(r); \
} while (0)
#define RING_FINAL_CHECK_FOR_RESPONSES(r, work_to_do) do { \
    (work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(r); \
    if (work_to_do) \
        break; \
    (r)->sring->rsp_event = (r)->rsp_cons + 1; \
    xen_mb(); \
    (work_to_do) = RING_HAS_UNCONSUMED_RESPONSES(r); \
} while (0)

/* Page size of the ring protocols, which is always 4 KiB. */
#ifndef XEN_PAGE_SHIFT
#define XEN_PAGE_SHIFT 12
#endif

/* Bytes in each direction of a byte-stream ring of 2^order pages. */
#define XEN_FLEX_RING_SIZE(order) (1UL << ((order) + XEN_PAGE_SHIFT - 1))

#endif /* __LAMINA_XEN_PUBLIC_IO_RING_H__ */
