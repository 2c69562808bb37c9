/* console.c: `lamina console` and the console loop `lamina create -c` shares. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

struct console_state {
    xc_interface *xch;
    uint32_t domid;
    struct cli_console_result *res;
    int tty_raw;
    int no_input;               /* the domain takes no input: only watch for Ctrl-] */
    struct termios saved_tty;
    struct sigaction saved_sig[3];
};

static const int stop_signals[3] = { SIGINT, SIGTERM, SIGHUP };

/*
 * Raw input, so that keys reach the guest as typed and Ctrl-C is the
 * guest's; output processing stays on so that a bare "\n" from the guest
 * still starts a new line.
 */
static void enter_console(struct console_state *st)
{
    struct sigaction sa;
    struct termios raw;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    for (int i = 0; i < 3; i++)
        sigaction(stop_signals[i], &sa, &st->saved_sig[i]);

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &st->saved_tty) < 0)
        return;
    raw = st->saved_tty;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
        st->tty_raw = 1;
}

static void leave_console(struct console_state *st)
{
    if (st->tty_raw)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &st->saved_tty);
    st->tty_raw = 0;
    for (int i = 0; i < 3; i++)
        sigaction(stop_signals[i], &st->saved_sig[i], NULL);
}

/* The domain's state, for when events were lost: 1 if it has ended, 0 if not, -1. */
static int check_state(struct console_state *st)
{
    struct lamina_dominfo info;

    if (lamina_domain_getinfo_single(st->xch, st->domid, &info) < 0) {
        if (errno != ESRCH) {
            cli_xc_err(st->xch);
            st->res->end = CLI_CONSOLE_FAILED;
            return -1;
        }
        st->res->end = CLI_CONSOLE_DESTROYED;
        return 1;
    }
    if (!(info.flags & LAMINA_DOMINF_SHUTDOWN))
        return 0;
    st->res->end = CLI_CONSOLE_SHUTDOWN;
    st->res->reason = lamina_dominfo_shutdown_reason(info.flags);
    st->res->action = cli_shutdown_action(&info, st->res->reason);
    return 1;
}

/* Act on one event: 1 when the console session is over. */
static int handle_event(struct console_state *st, const struct lamina_event *ev)
{
    switch (ev->type) {
    case LAMINA_EVENT_CONSOLE:
        if (ev->domid != st->domid)
            return 0;
        if (cli_write_all(STDOUT_FILENO, ev->u.console.data, ev->u.console.len) < 0) {
            st->res->end = CLI_CONSOLE_DETACHED;
            return 1;
        }
        return 0;
    case LAMINA_EVENT_DOMAIN:
        if (ev->domid != st->domid)
            return 0;
        if (ev->u.domain.event == LAMINA_DOMEV_SHUTDOWN) {
            st->res->end = CLI_CONSOLE_SHUTDOWN;
            st->res->reason = ev->u.domain.reason;
            st->res->action = ev->u.domain.action;
            return 1;
        }
        if (ev->u.domain.event == LAMINA_DOMEV_DESTROYED) {
            st->res->end = CLI_CONSOLE_DESTROYED;
            return 1;
        }
        return 0;
    case LAMINA_EVENT_LOST:
        if (ev->u.lost.console_bytes)
            cli_err("%llu bytes of console output were lost (the event queue was full)",
                    (unsigned long long)ev->u.lost.console_bytes);
        return ev->u.lost.domain_events ? check_state(st) != 0 : 0;
    }
    return 0;
}

/* Forward what the user typed: 1 when the session is over. */
static int forward_input(struct console_state *st, int *stdin_open)
{
    char buf[4096];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    char *esc;

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) {
        *stdin_open = 0;        /* end of input: keep showing output */
        return 0;
    }
    esc = memchr(buf, CLI_CONSOLE_ESCAPE, (size_t)n);
    if (esc)
        n = esc - buf;
    if (n > 0 && !st->no_input && lamina_console_input(st->xch, st->domid, buf, (size_t)n) < 0) {
        if (errno != EOPNOTSUPP) {
            cli_xc_err(st->xch);
            st->res->end = CLI_CONSOLE_FAILED;
            return 1;
        }
        /* Output still flows; say once that typing goes nowhere. */
        cli_err("%s; what you type is ignored (Ctrl-] detaches)",
                xc_get_last_error(st->xch)->message);
        st->no_input = 1;
    }
    if (esc) {
        st->res->end = CLI_CONSOLE_DETACHED;
        return 1;
    }
    return 0;
}

void cli_console_run(xc_interface *xch, uint32_t domid, struct cli_console_result *res)
{
    struct console_state st = { .xch = xch, .domid = domid, .res = res };
    int stdin_open = 1;

    memset(res, 0, sizeof(*res));
    res->end = CLI_CONSOLE_FAILED;
    enter_console(&st);
    for (;;) {
        struct pollfd pfd[2];
        struct lamina_event ev;
        int rc;

        /* Events may already sit in the library's queue: drain before polling. */
        while ((rc = lamina_next_event(xch, &ev, 0)) == 1) {
            if (handle_event(&st, &ev))
                goto done;
        }
        if (rc < 0) {
            int err = errno;

            cli_xc_err(xch);
            if (err != EPROTO)  /* a malformed event is dropped; the stream goes on */
                goto done;
            continue;
        }
        if (stop_signal) {
            res->end = CLI_CONSOLE_DETACHED;
            goto done;
        }
        pfd[0].fd = lamina_fd(xch);
        pfd[0].events = POLLIN;
        pfd[1].fd = stdin_open ? STDIN_FILENO : -1;
        pfd[1].events = POLLIN;
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            cli_err("waiting for console output: %s", strerror(errno));
            goto done;
        }
        if (pfd[1].revents & POLLNVAL)
            stdin_open = 0;
        else if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) && forward_input(&st, &stdin_open))
            goto done;
    }
done:
    leave_console(&st);
}

int cmd_console(int argc, char **argv)
{
    struct cli_console_result res;
    struct lamina_dominfo info;
    uint32_t domid, flags = 0;
    xc_interface *xch;
    int opt, status = CLI_FAILED;

    while ((opt = getopt(argc, argv, "rh")) != -1) {
        switch (opt) {
        case 'r':
            flags |= LAMINA_CONSOLE_F_REPLAY;
            break;
        case 'h':
            return cli_help("console");
        default:
            return cli_usage("console");
        }
    }
    if (optind != argc - 1)
        return cli_usage("console");
    xch = cli_open(0, 0);
    if (!xch)
        return CLI_FAILED;
    if (cli_find_domain(xch, argv[optind], &domid) < 0)
        goto out;
    /* Subscribe before looking, so that an end right after the look is still seen. */
    if (lamina_subscribe(xch, domid, LAMINA_EVMASK_DOMAIN) < 0 ||
        lamina_console_attach(xch, domid, flags) < 0) {
        cli_xc_err(xch);
        goto out;
    }
    if (lamina_domain_getinfo_single(xch, domid, &info) < 0) {
        if (errno == ESRCH)
            cli_err("domain '%s' went away", argv[optind]);
        else
            cli_xc_err(xch);
        goto out;
    }
    cli_console_run(xch, domid, &res);
    if (res.end == CLI_CONSOLE_DETACHED)
        lamina_console_detach(xch, domid);
    status = res.end == CLI_CONSOLE_FAILED ? CLI_FAILED : CLI_OK;
out:
    xc_interface_close(xch);
    return status;
}
