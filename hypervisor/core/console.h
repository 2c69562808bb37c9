/* console.h: each domain's console: history, log file and attached readers. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_CONSOLE_H
#define LAMINA_HV_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct domain;

#define CONSOLE_HISTORY     (64u * 1024u)

int console_init(struct domain *d);
void console_free(struct domain *d);

/* Guest output (any thread): to the log file and the history. */
void console_write(struct domain *d, const void *buf, size_t len);

/*
 * Copy output after *cursor (a count of bytes ever written) into dst.
 * Output that fell out of the history before it was read is counted in
 * *lost.  Returns the number of bytes copied and advances *cursor.
 */
size_t console_fetch(struct domain *d, uint64_t *cursor, void *dst, size_t max, uint64_t *lost);
uint64_t console_head(struct domain *d);
/* How much history a replaying reader gets: the cursor to start from. */
uint64_t console_replay_start(struct domain *d);

/*
 * The console ring (xencons_interface) in the domain's console page, served
 * by the hypervisor itself at the dom0 end of the console event channel.
 * console_connect sets it up at build time (HVM_PARAM_CONSOLE_EVTCHN),
 * console_disconnect closes the hypervisor's end before the domain goes.
 */
int console_connect(struct domain *d);
void console_disconnect(struct domain *d);

/* Bytes for the guest's console input ring; returns how many fitted. */
int console_input(struct domain *d, const void *buf, size_t len);

/* Called (from any thread) when new output is available. */
void console_set_notify(void (*fn)(void));

#endif /* LAMINA_HV_CONSOLE_H */
