/* stub_arch.c: a test double of the KVM backend: memory slots recorded, never given to KVM. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "arch.h"
#include "stub_arch.h"

/*
 * Only the calls the physmap makes are doubled.  Like KVM, the double
 * refuses a slot number out of range, a size or address that is not
 * page-aligned and a slot that overlaps another; unlike KVM it keeps what
 * it was told for the tests to look at.
 */

struct stub_arch_slot stub_arch_slots[STUB_ARCH_SLOTS];
int stub_arch_fail_next;

int arch_set_memory(struct domain *d, uint32_t slot, uint64_t gpa, uint64_t size, void *hva)
{
    (void)d;
    if (stub_arch_fail_next) {
        int rc = stub_arch_fail_next;

        stub_arch_fail_next = 0;
        return rc;
    }
    if (slot >= STUB_ARCH_SLOTS || stub_arch_slots[slot].used || size == 0 ||
        ((gpa | size) & 0xfff) || ((uintptr_t)hva & 0xfff))
        return -EINVAL;
    for (unsigned int i = 0; i < STUB_ARCH_SLOTS; i++) {
        const struct stub_arch_slot *s = &stub_arch_slots[i];

        if (s->used && gpa < s->gpa + s->size && s->gpa < gpa + size)
            return -EEXIST;
    }
    stub_arch_slots[slot] = (struct stub_arch_slot){ true, gpa, size, hva };
    return 0;
}

int arch_clear_memory(struct domain *d, uint32_t slot)
{
    (void)d;
    if (slot >= STUB_ARCH_SLOTS || !stub_arch_slots[slot].used)
        return -EINVAL;
    memset(&stub_arch_slots[slot], 0, sizeof(stub_arch_slots[slot]));
    return 0;
}

const struct stub_arch_slot *stub_arch_find(uint64_t gpa)
{
    for (unsigned int i = 0; i < STUB_ARCH_SLOTS; i++) {
        const struct stub_arch_slot *s = &stub_arch_slots[i];

        if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size)
            return s;
    }
    return NULL;
}

unsigned int stub_arch_nslots(void)
{
    unsigned int n = 0;

    for (unsigned int i = 0; i < STUB_ARCH_SLOTS; i++)
        n += stub_arch_slots[i].used;
    return n;
}

void stub_arch_reset(void)
{
    memset(stub_arch_slots, 0, sizeof(stub_arch_slots));
    stub_arch_fail_next = 0;
}
