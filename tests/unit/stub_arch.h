/* stub_arch.h: a test double of the KVM backend's memory-slot calls (what it recorded). */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_TEST_STUB_ARCH_H
#define LAMINA_TEST_STUB_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#define STUB_ARCH_SLOTS 512

/* What the core last told "KVM" about each memory slot. */
struct stub_arch_slot {
    bool used;
    uint64_t gpa;
    uint64_t size;
    void *hva;
};

extern struct stub_arch_slot stub_arch_slots[STUB_ARCH_SLOTS];

/* When non-zero, the next arch_set_memory() fails with this value (then it resets). */
extern int stub_arch_fail_next;

/* The slot mapping gpa, or NULL. */
const struct stub_arch_slot *stub_arch_find(uint64_t gpa);
unsigned int stub_arch_nslots(void);
void stub_arch_reset(void);

#endif /* LAMINA_TEST_STUB_ARCH_H */
