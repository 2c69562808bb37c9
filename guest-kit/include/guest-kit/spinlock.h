/* spinlock.h: spinlocks for data shared between vCPUs and with event handlers. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_SPINLOCK_H
#define GUEST_KIT_SPINLOCK_H

#include <stdint.h>

#include <guest-kit/x86.h>

/*
 * A test-and-test-and-set lock. Data that event handlers also touch must
 * be locked with the _irqsave variants: a handler spinning on a lock its
 * own vCPU holds would wait forever.
 */
typedef struct {
    uint32_t locked;
} gk_spinlock_t;

#define GK_SPINLOCK_INIT { 0 }

static inline void gk_spin_lock(gk_spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            gk_cpu_relax();
}

static inline void gk_spin_unlock(gk_spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline unsigned long gk_spin_lock_irqsave(gk_spinlock_t *l)
{
    unsigned long flags = gk_irq_save();

    gk_spin_lock(l);
    return flags;
}

static inline void gk_spin_unlock_irqrestore(gk_spinlock_t *l, unsigned long flags)
{
    gk_spin_unlock(l);
    gk_irq_restore(flags);
}

#endif /* GUEST_KIT_SPINLOCK_H */
