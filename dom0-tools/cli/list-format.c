/* list-format.c: one line of `lamina list`, in the columns of `xl list`. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli.h"

int cli_list_format(char *buf, size_t size, const struct lamina_dominfo *d)
{
    /* xl's fifth state letter is the shutdown code: poweroff, reboot, suspend, crash, watchdog. */
    static const char reason_letters[] = "-rscw";
    unsigned int reason = lamina_dominfo_shutdown_reason(d->flags);
    int shutdown = !!(d->flags & LAMINA_DOMINF_SHUTDOWN);
    char code = '-';

    if (shutdown)
        code = reason < sizeof(reason_letters) - 1 ? reason_letters[reason] : '?';
    if (d->flags & LAMINA_DOMINF_CRASHED)
        code = 'c';
    return snprintf(buf, size, "%-40s %5u %5lu %5u     %c%c%c%c%c%c  %8.1f",
                    d->name, d->domid, (unsigned long)(d->tot_pages * 4 / 1024),
                    d->nr_online_vcpus,
                    d->flags & LAMINA_DOMINF_RUNNING ? 'r' : '-',
                    d->flags & LAMINA_DOMINF_BLOCKED ? 'b' : '-',
                    d->flags & LAMINA_DOMINF_PAUSED ? 'p' : '-',
                    shutdown ? 's' : '-',
                    code,
                    d->flags & LAMINA_DOMINF_DYING ? 'd' : '-',
                    (float)d->cpu_time_ns / 1e9); /* as xl rounds it */
}
