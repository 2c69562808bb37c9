/* echo-services.h: the net-echo example's services: ping, and echo (RFC 862) over UDP and TCP. */
/* SPDX-License-Identifier: MIT */
#ifndef NET_ECHO_SERVICES_H
#define NET_ECHO_SERVICES_H

#include <stdint.h>

#include "guest-kit/net.h"

#define ECHO_PORT 7

struct echo_counters {
    uint64_t udp_datagrams;
    uint64_t tcp_connections;
    uint64_t tcp_bytes;             /* echoed */
};

/* Binds UDP port 7 and listens on TCP port 7 (ping needs nothing: the stack answers).
 * Returns 0 or the stack's negative errno. */
int echo_services_start(struct gk_netif *netif, struct echo_counters *counters);

#endif /* NET_ECHO_SERVICES_H */
