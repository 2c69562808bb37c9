/* net-echo.c: a guest-kit OS that answers ping and echoes UDP and TCP on port 7. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guest-kit/guest-kit.h>
#include <guest-kit/net.h>
#include <guest-kit/netfront.h>

#include "echo-services.h"

const char gk_program_name[] = "net-echo";

/* Waits until frames arrive or `deadline_ms` (gk_net_poll()'s answer) passes,
 * handing each received frame to gk_net_input(). */
typedef void (*net_wait_fn)(struct gk_netif *netif, uint64_t deadline_ms);

/*
 * The netfront-facing glue: the domain's first network interface (the
 * first vif = [...] entry) for the stack. It sets netif->mac, mtu,
 * transmit and driver, and gives the function the main loop waits in.
 */
static int attach_netfront(struct gk_netif *netif, net_wait_fn *wait)
{
    uint32_t devid;
    int n = gk_netfront_list(&devid, 1);

    if (n <= 0)
        return n < 0 ? n : -ENODEV;
    n = gk_netfront_netif_attach(netif, devid, NULL);
    if (n < 0)
        return n;
    *wait = gk_netfront_netif_wait;
    return 0;
}

/* ip=a.b.c.d/len and gw=a.b.c.d from the command line. */
static int parse_args(int argc, char **argv, struct gk_netif *netif)
{
    for (int i = 1; i < argc; i++) {
        const char *rest;

        if (!strncmp(argv[i], "ip=", 3)) {
            char *end;
            unsigned long len;

            rest = gk_ipv4_parse(argv[i] + 3, &netif->addr);
            if (!rest || *rest != '/')
                return -EINVAL;
            len = strtoul(rest + 1, &end, 10);
            if (end == rest + 1 || *end || len < 1 || len > 32)
                return -EINVAL;
            netif->netmask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
        } else if (!strncmp(argv[i], "gw=", 3)) {
            rest = gk_ipv4_parse(argv[i] + 3, &netif->gateway);
            if (!rest || *rest)
                return -EINVAL;
        } else {
            return -EINVAL;
        }
    }
    return netif->addr ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
    static struct gk_netif netif;
    static struct echo_counters counters;
    struct gk_net_config config = { 0 };
    net_wait_fn wait;
    bool down = false;
    uint32_t a;
    int rc;

    if (parse_args(argc, argv, &netif) < 0) {
        printf("net-echo: usage: cmdline = \"ip=ADDRESS/PREFIX [gw=GATEWAY]\", "
               "e.g. \"ip=10.0.0.2/24 gw=10.0.0.1\"\n");
        return 1;
    }
    rc = attach_netfront(&netif, &wait);
    if (rc < 0) {
        printf("net-echo: no usable network interface (error %d): give the domain one with "
               "vif = [ ... ] in its configuration\n", rc);
        return 1;
    }
    config.seed = gk_rdtsc() ^ gk_wallclock();
    rc = gk_netif_init(&netif, &config);
    if (rc == 0)
        rc = echo_services_start(&netif, &counters);
    if (rc < 0) {
        printf("net-echo: cannot start the network stack (error %d)\n", rc);
        return 1;
    }
    a = netif.addr;
    printf("net-echo: %u.%u.%u.%u (%02x:%02x:%02x:%02x:%02x:%02x) answers ping, UDP and TCP "
           "echo on port %u\n", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff, netif.mac[0],
           netif.mac[1], netif.mac[2], netif.mac[3], netif.mac[4], netif.mac[5], ECHO_PORT);
    for (;;) {
        wait(&netif, gk_net_poll(&netif, gk_monotonic_ns() / 1000000));
        if (!down && !gk_netfront_connected(gk_netfront_netif_device(&netif))) {
            down = true;
            printf("net-echo: the network interface went away (%llu datagrams, %llu TCP "
                   "connections, %llu bytes echoed)\n",
                   (unsigned long long)counters.udp_datagrams,
                   (unsigned long long)counters.tcp_connections,
                   (unsigned long long)counters.tcp_bytes);
        }
    }
}
