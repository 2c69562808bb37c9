/* malloc.c: the heap: an address-ordered free list, first fit, merged on free. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

#define ALIGN       16u
#define MIN_BLOCK   32u                         /* header and a little payload */
#define USED        0x5553454455534544ull       /* never a free block's next pointer */

/* Every block, free or used, starts with this; the payload follows it. */
struct block {
    size_t size;                    /* header included, a multiple of ALIGN */
    union {
        struct block *next;         /* free: the next free block, higher up */
        uint64_t used;              /* used: USED */
    };
};

_Static_assert(sizeof(struct block) == ALIGN, "payloads stay 16-byte aligned");

static struct block *free_list;
/* Event handlers may allocate too: the lock keeps interrupts off. */
static gk_spinlock_t lock = GK_SPINLOCK_INIT;

static uintptr_t end_of(const struct block *b)
{
    return (uintptr_t)b + b->size;
}

/* Puts a block on the free list, merged with the neighbours it touches. */
static void insert_free(struct block *b)
{
    struct block *prev = NULL, *next = free_list;

    while (next && next < b) {
        prev = next;
        next = next->next;
    }
    if ((prev && end_of(prev) > (uintptr_t)b) || (next && end_of(b) > (uintptr_t)next))
        gk_panic("heap corrupted: block %p (%zu bytes) overlaps a free block",
                 (void *)b, b->size);
    b->next = next;
    if (next && end_of(b) == (uintptr_t)next) {
        b->size += next->size;
        b->next = next->next;
    }
    if (prev && end_of(prev) == (uintptr_t)b) {
        prev->size += b->size;
        prev->next = b->next;
    } else if (prev) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

void gk_heap_add(uintptr_t base, size_t len)
{
    uintptr_t start = (base + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    struct block *b = (struct block *)start;

    if (start < base || len < start - base + MIN_BLOCK)
        return;
    b->size = (len - (start - base)) & ~(size_t)(ALIGN - 1);
    insert_free(b);
}

/* The header of a block malloc() gave out; anything else is a fatal bug. */
static struct block *used_block(void *ptr, const char *who)
{
    struct block *b = (struct block *)ptr - 1;

    if (((uintptr_t)ptr & (ALIGN - 1)) || b->used != USED || b->size < MIN_BLOCK ||
        (b->size & (ALIGN - 1)))
        gk_panic("%s(%p): not a heap block, or already freed", who, ptr);
    return b;
}

/*
 * Where in free block f a payload of `payload` bytes aligned to
 * `alignment` fits, or 0. Blocks are carved from the end of a free block,
 * so the free block only shrinks and keeps its place in the list; any
 * slack above the payload joins the new block.
 */
static uintptr_t fit(const struct block *f, size_t payload, size_t alignment)
{
    uintptr_t lowest = (uintptr_t)f + sizeof(struct block), data, gap;

    if (f->size < payload + sizeof(struct block))
        return 0;
    data = (end_of(f) - payload) & ~(uintptr_t)(alignment - 1);
    if (data < lowest)
        return 0;
    /* What stays free below must be nothing or a whole block (gap is a multiple of 16). */
    gap = data - lowest;
    if (gap != 0 && gap < MIN_BLOCK) {
        if (gap < alignment)
            return 0;
        data -= alignment;
    }
    return data;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    unsigned long flags;
    size_t payload;

    if (alignment < ALIGN)
        alignment = ALIGN;
    if (alignment & (alignment - 1)) {
        errno = EINVAL;
        return NULL;
    }
    if (size > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    payload = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (payload < MIN_BLOCK - sizeof(struct block))
        payload = MIN_BLOCK - sizeof(struct block);

    flags = gk_spin_lock_irqsave(&lock);
    for (struct block **link = &free_list; *link; link = &(*link)->next) {
        struct block *f = *link, *b;
        uintptr_t data = fit(f, payload, alignment), end = end_of(f);

        if (!data)
            continue;
        b = (struct block *)data - 1;
        if (b == f)
            *link = f->next;
        else
            f->size = (uintptr_t)b - (uintptr_t)f;
        b->size = end - (uintptr_t)b;
        b->used = USED;
        gk_spin_unlock_irqrestore(&lock, flags);
        return (void *)data;
    }
    gk_spin_unlock_irqrestore(&lock, flags);
    errno = ENOMEM;
    return NULL;
}

void *malloc(size_t size)
{
    return aligned_alloc(ALIGN, size);
}

void *calloc(size_t count, size_t size)
{
    size_t total;
    void *p;

    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(total);
    if (p)
        memset(p, 0, total);
    return p;
}

void free(void *ptr)
{
    unsigned long flags;
    struct block *b;

    if (!ptr)
        return;
    flags = gk_spin_lock_irqsave(&lock);
    b = used_block(ptr, "free");
    b->used = 0;
    insert_free(b);
    gk_spin_unlock_irqrestore(&lock, flags);
}

void *realloc(void *ptr, size_t size)
{
    struct block *b;
    size_t have;
    void *p;

    if (!ptr)
        return malloc(size);
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    b = used_block(ptr, "realloc");
    have = b->size - sizeof(struct block);
    if (size <= have)
        return ptr;
    p = malloc(size);
    if (!p)
        return NULL;
    memcpy(p, ptr, have);
    free(ptr);
    return p;
}
