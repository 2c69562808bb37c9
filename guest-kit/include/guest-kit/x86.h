/* x86.h: x86-64 CPU helpers for guest-kit OSes: CPUID, MSRs, port I/O, control registers. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_X86_H
#define GUEST_KIT_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gk_cpuid {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct gk_cpuid gk_cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct gk_cpuid r;

    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t gk_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void gk_wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr"
                     :
                     : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

static inline uint64_t gk_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void gk_outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t gk_inb(uint16_t port)
{
    uint8_t value;

    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

/* Writes a whole buffer to a port: one exit to the hypervisor, not one per byte. */
static inline void gk_outsb(uint16_t port, const void *buf, size_t len)
{
    __asm__ volatile("rep outsb" : "+S"(buf), "+c"(len) : "d"(port) : "memory");
}

#define GK_DEFINE_READ_CR(n)                                        \
    static inline uint64_t gk_read_cr##n(void)                      \
    {                                                               \
        uint64_t v;                                                 \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));           \
        return v;                                                   \
    }
GK_DEFINE_READ_CR(0)
GK_DEFINE_READ_CR(2)
GK_DEFINE_READ_CR(3)
GK_DEFINE_READ_CR(4)
#undef GK_DEFINE_READ_CR

static inline void gk_write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void gk_irq_disable(void)
{
    __asm__ volatile("cli" : : : "memory");
}

static inline void gk_irq_enable(void)
{
    __asm__ volatile("sti" : : : "memory");
}

#define GK_RFLAGS_IF 0x200ul

/* Disables interrupts and returns the previous flags, for gk_irq_restore(). */
static inline unsigned long gk_irq_save(void)
{
    unsigned long flags;

    __asm__ volatile("pushfq\n\tpop %0\n\tcli" : "=r"(flags) : : "memory");
    return flags;
}

/* Enables interrupts again if they were enabled when `flags` was saved. */
static inline void gk_irq_restore(unsigned long flags)
{
    if (flags & GK_RFLAGS_IF)
        __asm__ volatile("sti" : : : "memory");
}

static inline bool gk_irq_enabled(void)
{
    unsigned long flags;

    __asm__ volatile("pushfq\n\tpop %0" : "=r"(flags));
    return flags & GK_RFLAGS_IF;
}

/* Waits for an interrupt; with interrupts disabled, forever. */
static inline void gk_halt(void)
{
    __asm__ volatile("hlt" : : : "memory");
}

static inline void gk_cpu_relax(void)
{
    __asm__ volatile("pause" : : : "memory");
}

/*
 * The index of the lowest set bit of a non-zero word. Written out because
 * the compiler's __builtin_ctzl may emit tzcnt, which KVM's instruction
 * emulator does not know.
 */
static inline unsigned int gk_ffs64(uint64_t word)
{
    uint64_t bit;

    __asm__("bsf %1, %0" : "=r"(bit) : "rm"(word) : "cc");
    return (unsigned int)bit;
}

/* A compiler barrier: the x86 memory model orders the rest. */
static inline void gk_barrier(void)
{
    __asm__ volatile("" : : : "memory");
}

#endif /* GUEST_KIT_X86_H */
