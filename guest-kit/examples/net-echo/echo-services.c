/* echo-services.c: echo (RFC 862) over UDP and TCP; built for the guest and the host tests. */
/* SPDX-License-Identifier: MIT */
#include "echo-services.h"

static void udp_echo(struct gk_netif *netif, uint32_t src, uint16_t src_port, uint16_t dst_port,
                     const void *data, size_t len, void *arg)
{
    struct echo_counters *counters = arg;

    counters->udp_datagrams++;
    if (src_port)
        gk_udp_sendto(netif, dst_port, src, src_port, data, len);
}

/* Takes only what fits in the send buffer: the rest waits in the receive
 * buffer, the window closes and the client slows down to our pace. */
static size_t tcp_echo_recv(struct gk_tcp_conn *conn, const void *data, size_t len, void *arg)
{
    struct echo_counters *counters = arg;
    int n = gk_tcp_send(conn, data, len);

    if (n < 0)
        return len;                 /* we cannot send any more: nothing to keep it for */
    counters->tcp_bytes += (uint64_t)n;
    return (size_t)n;
}

static void tcp_echo_event(struct gk_tcp_conn *conn, enum gk_tcp_event event, void *arg)
{
    /* The client is done: send what is queued, then FIN. */
    if (event == GK_TCP_EOF)
        gk_tcp_close(conn);
}

static const struct gk_tcp_callbacks tcp_echo_callbacks = {
    .recv = tcp_echo_recv,
    .event = tcp_echo_event,
};

static int tcp_echo_accept(struct gk_tcp_conn *conn, void *arg)
{
    struct echo_counters *counters = arg;

    counters->tcp_connections++;
    gk_tcp_set_callbacks(conn, &tcp_echo_callbacks, counters);
    return 0;
}

int echo_services_start(struct gk_netif *netif, struct echo_counters *counters)
{
    int rc = gk_udp_bind(netif, ECHO_PORT, udp_echo, counters);

    if (rc < 0)
        return rc;
    rc = gk_tcp_listen(netif, ECHO_PORT, tcp_echo_accept, counters);
    if (rc < 0) {
        gk_udp_unbind(netif, ECHO_PORT);
        return rc;
    }
    return 0;
}
