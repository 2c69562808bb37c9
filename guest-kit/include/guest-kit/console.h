/* console.h: the domain console (what `lamina console` shows and the domain's log). */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_CONSOLE_H
#define GUEST_KIT_CONSOLE_H

#include <stddef.h>

/*
 * Each write costs an exit to the hypervisor (~10 us here), so printf()
 * and friends gather output into lines; gk_console_write() sends bytes
 * right away, after anything printf() still holds.
 */
void gk_console_write(const char *buf, size_t len);

/* Sends what printf() has gathered but not yet sent (an unfinished line). */
void gk_console_flush(void);

#endif /* GUEST_KIT_CONSOLE_H */
