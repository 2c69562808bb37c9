/* console.c: the domain console: console_io hypercalls, a line buffer, the debug port early on. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <guest-kit/guest-kit.h>

#include "../internal.h"

/* Reaches the same domain console, one exit per string instruction. */
#define DEBUGCON_PORT   0xe9
/* Keeps one hypercall's copy in the hypervisor small. */
#define WRITE_CHUNK     4096u
#define LINE_SIZE       512u

static char line[LINE_SIZE] GK_NOINIT;
static size_t line_len;

/* The vCPU holding the lock (UINT32_MAX: none) and how often it took it. */
static gk_spinlock_t lock = GK_SPINLOCK_INIT;
static uint32_t owner = UINT32_MAX;
static unsigned int depth;

unsigned long gk_console_lock(void)
{
    unsigned long flags = gk_irq_save();
    uint32_t me = gk_this_cpu()->id;

    /* Only this vCPU ever stores its own id: a stale read cannot look like us. */
    if (__atomic_load_n(&owner, __ATOMIC_RELAXED) != me) {
        gk_spin_lock(&lock);
        __atomic_store_n(&owner, me, __ATOMIC_RELAXED);
    }
    depth++;
    return flags;
}

void gk_console_unlock(unsigned long flags)
{
    if (--depth == 0) {
        __atomic_store_n(&owner, UINT32_MAX, __ATOMIC_RELAXED);
        gk_spin_unlock(&lock);
    }
    gk_irq_restore(flags);
}

/*
 * Until the hypercall page is installed (and should console_io fail) the
 * debug port is the only way out; it is slower only for long output.
 */
void gk_console_write_direct(const char *buf, size_t len)
{
    unsigned long flags = gk_console_lock();

    while (len && gk_hypercall_ready()) {
        int n = len > WRITE_CHUNK ? (int)WRITE_CHUNK : (int)len;
        int rc = HYPERVISOR_console_io(CONSOLEIO_write, n, buf);

        if (rc <= 0 || rc > n)
            break;
        buf += rc;
        len -= (size_t)rc;
    }
    if (len)
        gk_outsb(DEBUGCON_PORT, buf, len);
    gk_console_unlock(flags);
}

void gk_console_flush(void)
{
    unsigned long flags = gk_console_lock();

    if (line_len) {
        gk_console_write_direct(line, line_len);
        line_len = 0;
    }
    gk_console_unlock(flags);
}

void gk_console_write(const char *buf, size_t len)
{
    unsigned long flags = gk_console_lock();

    gk_console_flush();
    gk_console_write_direct(buf, len);
    gk_console_unlock(flags);
}

void gk_console_put(const char *s, size_t n)
{
    unsigned long flags = gk_console_lock();

    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t seg = nl ? (size_t)(nl - s) + 1 : n;
        size_t take = seg < LINE_SIZE - line_len ? seg : LINE_SIZE - line_len;

        memcpy(line + line_len, s, take);
        line_len += take;
        s += take;
        n -= take;
        if (line_len == LINE_SIZE || (nl && take == seg))
            gk_console_flush();
    }
    gk_console_unlock(flags);
}
