/* evtchn-dom0.c: a dom0 program answering a guest's event-channel pings, and isolation checks. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lamina/control.h>
#include <xenevtchn.h>

#include "rawctl.h"

/*
 * Usage: evtchn-dom0 DOMID PORT FOREIGN COUNT
 *
 * Binds to PORT, which guest DOMID offered dom0 (tests/guests/peer.c,
 * role=d), sends one event to start it, answers COUNT of its events and
 * waits for one more (its "bye"), then notifies once more and closes its
 * handle at once (the guest checks that this notify arrives). FOREIGN is a port the
 * guest offered to another domain: binding it must fail. Ports bound by
 * this program must be out of reach of other handles and connections.
 * Prints "PASS ..." lines; exits 0 when every check held.
 */

#define WAIT_MS 30000

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        failures++;
        printf("FAIL %s (errno %d: %s)\n", what, errno, strerror(errno));
    }
}

/* The next event of the handle, within WAIT_MS: its port, or -1. */
static int next_event(xenevtchn_handle *xce, int timeout_ms)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };

    for (;;) {
        int port, n = poll(&pfd, 1, timeout_ms);

        if (n <= 0)
            return -1;
        port = xenevtchn_pending(xce);
        if (port >= 0)
            return port;
        if (errno != EAGAIN)
            return -1;
    }
}

static unsigned long number(const char *s, const char *what)
{
    char *end;
    unsigned long n = strtoul(s, &end, 0);

    if (!*s || *end) {
        fprintf(stderr, "evtchn-dom0: %s '%s' is not a number\n", what, s);
        exit(2);
    }
    return n;
}

static void isolation(xenevtchn_handle *xce, uint32_t domid, evtchn_port_t foreign,
                      evtchn_port_t local)
{
    xenevtchn_handle *other = xenevtchn_open(NULL, 0);
    struct lamina_ctl_evtchn_port p = { local, 0 };
    int sock = rawctl_open();
    int before = failures;

    errno = 0;
    check(xenevtchn_bind_interdomain(xce, domid, foreign) < 0 && errno == EINVAL,
          "binding a port the guest offered to another domain");
    check(xenevtchn_bind_interdomain(xce, DOMID_FIRST_RESERVED - 2, 1) < 0 && errno == ESRCH,
          "binding a port of a domain that does not exist");
    check(other != NULL, "a second handle");
    if (other) {
        check(xenevtchn_notify(other, local) < 0 && errno == EINVAL,
              "another handle notifying our port");
        check(xenevtchn_unbind(other, local) < 0 && errno == EINVAL,
              "another handle unbinding our port");
        xenevtchn_close(other);
    }
    /* The hypervisor's own check, with no library in the way. */
    check(sock >= 0, "a raw control connection");
    if (sock >= 0) {
        check(rawctl_call(sock, LAMINA_CTL_OP_EVTCHN_NOTIFY, &p, sizeof(p)) == -EPERM,
              "another connection notifying our port");
        check(rawctl_call(sock, LAMINA_CTL_OP_EVTCHN_UNBIND, &p, sizeof(p)) == -EPERM,
              "another connection unbinding our port");
        p.port = 0;
        check(rawctl_call(sock, LAMINA_CTL_OP_EVTCHN_NOTIFY, &p, sizeof(p)) < 0,
              "notifying port 0");
        p.port = 1u << 20;
        check(rawctl_call(sock, LAMINA_CTL_OP_EVTCHN_UNBIND, &p, sizeof(p)) < 0,
              "unbinding a port beyond the table");
        close(sock);
    }
    if (failures == before)
        printf("PASS dom0 isolation: foreign ports and other connections refused\n");
}

int main(int argc, char **argv)
{
    xenevtchn_handle *xce;
    uint32_t domid;
    evtchn_port_t port, foreign;
    unsigned long count, answered = 0, seen = 0;
    int local, ev;

    if (argc != 5) {
        fprintf(stderr, "usage: evtchn-dom0 DOMID PORT FOREIGN COUNT\n");
        return 2;
    }
    domid = (uint32_t)number(argv[1], "domid");
    port = (evtchn_port_t)number(argv[2], "port");
    foreign = (evtchn_port_t)number(argv[3], "foreign port");
    count = number(argv[4], "count");

    xce = xenevtchn_open(NULL, 0);
    if (!xce) {
        printf("FAIL xenevtchn_open: %s\n", strerror(errno));
        return 1;
    }
    local = xenevtchn_bind_interdomain(xce, domid, port);
    if (local < 0) {
        printf("FAIL binding guest %u's port %u: %s\n", domid, port, strerror(errno));
        return 1;
    }
    /* Binding raises the new port once, as on Xen: take it. */
    ev = next_event(xce, WAIT_MS);
    check(ev == local, "the event raised by binding");
    check(xenevtchn_unmask(xce, (evtchn_port_t)local) == 0, "unmask");
    isolation(xce, domid, foreign, (evtchn_port_t)local);

    check(xenevtchn_notify(xce, (evtchn_port_t)local) == 0, "the first notify");
    while (seen < count + 1) {
        ev = next_event(xce, WAIT_MS);
        if (ev != local) {
            check(false, "an event from the guest in time");
            break;
        }
        seen++;
        check(xenevtchn_unmask(xce, (evtchn_port_t)local) == 0, "unmask");
        if (seen <= count && xenevtchn_notify(xce, (evtchn_port_t)local) == 0)
            answered++;
    }
    if (seen == count + 1 && answered == count)
        printf("PASS dom0 answered %lu events\n", answered);
    else
        check(false, "all events answered");

    ev = xenevtchn_bind_unbound_port(xce, domid);
    check(ev > 0, "a port offered to the guest");
    check(xenevtchn_unbind(xce, (evtchn_port_t)ev) == 0, "unbind");
    check(xenevtchn_unbind(xce, (evtchn_port_t)ev) < 0 && errno == EINVAL, "a second unbind");
    check(xenevtchn_notify(xce, (evtchn_port_t)ev) < 0, "notify after unbind");
    /* A last notify and the close (every port unbound) right behind it: the guest waits for it. */
    check(xenevtchn_notify(xce, (evtchn_port_t)local) == 0, "the last notify");
    xenevtchn_close(xce);
    printf("evtchn-dom0: done, %d failures\n", failures);
    return failures ? 1 : 0;
}
