/* boot-bench.c: how long a domain takes from create to its first console line,
 * and from poweroff to teardown. */
/* SPDX-License-Identifier: MIT */
/*
 * Usage: boot-bench KERNEL [RUNS]
 * Talks to a running lamina-hv through the control library, as `lamina
 * create -c` does: create (paused), build, attach the console, unpause, then
 * wait for the first console bytes, the shutdown event and the destroyed
 * event.  Prints per-phase means and minima in milliseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lamina_ctrl.h>
#include <xenctrl.h>

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct phase {
    const char *name;
    double sum, min;
};

static void add(struct phase *p, double v)
{
    p->sum += v;
    if (v < p->min)
        p->min = v;
}

static int one_run(xc_interface *xch, int kernel_fd, int run, double *t_first, double *t_off,
                   double *t_down)
{
    struct lamina_domain_create_args args = {
        .memory_kb = 32 * 1024, .max_vcpus = 1,
        .on_poweroff = LAMINA_ACTION_DESTROY, .on_reboot = LAMINA_ACTION_DESTROY,
        .on_crash = LAMINA_ACTION_DESTROY, .on_watchdog = LAMINA_ACTION_DESTROY,
    };
    struct lamina_build_info info;
    char name[32];
    double t0, t_shutdown = 0;
    uint32_t domid;
    int got_console = 0;

    snprintf(name, sizeof(name), "boot-bench-%d", run);
    args.name = name;
    args.uuid[0] = (uint8_t)(run + 1);
    args.uuid[15] = 0xbe;
    t0 = now_ms();
    if (lamina_domain_create(xch, &args, &domid) < 0 ||
        lamina_domain_build_pvh(xch, domid, kernel_fd, -1, "boot-bench", &info) < 0 ||
        lamina_subscribe(xch, domid, LAMINA_EVMASK_DOMAIN) < 0 ||
        lamina_console_attach(xch, domid, 0) < 0 || xc_domain_unpause(xch, domid) < 0) {
        fprintf(stderr, "boot-bench: %s\n", xc_get_last_error(xch)->message);
        return -1;
    }
    for (;;) {
        struct lamina_event ev;
        int rc = lamina_next_event(xch, &ev, 30000);

        if (rc <= 0) {
            fprintf(stderr, "boot-bench: no event from domain %u (rc %d)\n", domid, rc);
            return -1;
        }
        if (ev.type == LAMINA_EVENT_CONSOLE && !got_console) {
            *t_first = now_ms() - t0;
            got_console = 1;
        } else if (ev.type == LAMINA_EVENT_DOMAIN && ev.u.domain.event == LAMINA_DOMEV_SHUTDOWN) {
            t_shutdown = now_ms();
            *t_off = t_shutdown - t0;
        } else if (ev.type == LAMINA_EVENT_DOMAIN &&
                   ev.u.domain.event == LAMINA_DOMEV_DESTROYED) {
            *t_down = now_ms() - t_shutdown;
            return got_console && t_shutdown > 0 ? 0 : -1;
        }
    }
}

int main(int argc, char **argv)
{
    struct phase first = { "create -> first console line", 0, 1e30 };
    struct phase off = { "create -> poweroff", 0, 1e30 };
    struct phase down = { "poweroff -> teardown done", 0, 1e30 };
    int runs = argc > 2 ? atoi(argv[2]) : 10;
    xc_interface *xch;
    int fd;

    if (argc < 2) {
        fprintf(stderr, "usage: boot-bench KERNEL [RUNS]\n");
        return 2;
    }
    fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "boot-bench: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        fprintf(stderr, "boot-bench: cannot reach lamina-hv: %s\n", strerror(errno));
        return 1;
    }
    if (runs < 1)
        runs = 1;
    for (int i = 0; i < runs; i++) {
        double a = 0, b = 0, c = 0;

        if (one_run(xch, fd, i, &a, &b, &c) < 0)
            return 1;
        add(&first, a);
        add(&off, b);
        add(&down, c);
    }
    printf("%-32s %9s %9s\n", "phase (ms)", "mean", "min");
    for (struct phase *p = &first; p; p = p == &first ? &off : p == &off ? &down : NULL)
        printf("%-32s %9.2f %9.2f\n", p->name, p->sum / runs, p->min);
    printf("BENCH first_ms=%.3f teardown_ms=%.3f runs=%d\n", first.sum / runs, down.sum / runs,
           runs);
    xc_interface_close(xch);
    close(fd);
    return 0;
}
