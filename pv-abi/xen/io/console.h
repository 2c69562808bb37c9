/* xen/io/console.h: the PV console page: two byte rings between guest and console daemon. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_IO_CONSOLE_H__
#define __LAMINA_XEN_PUBLIC_IO_CONSOLE_H__

#include <stdint.h>

/* Free-running byte counters; the position in a ring is the counter modulo its size. */
typedef uint32_t XENCONS_RING_IDX;

/* Position of counter idx in ring (one of the arrays below; both sizes are powers of two). */
#define MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

/*
 * in carries keyboard input to the guest, out carries guest output. The
 * writer advances *_prod after writing the bytes, the reader *_cons after
 * reading them; either then notifies the console event channel.
 */
struct xencons_interface {
    char in[1024];
    char out[2048];
    XENCONS_RING_IDX in_cons;
    XENCONS_RING_IDX in_prod;
    XENCONS_RING_IDX out_cons;
    XENCONS_RING_IDX out_prod;
};

#endif /* __LAMINA_XEN_PUBLIC_IO_CONSOLE_H__ */
