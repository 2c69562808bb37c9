/* net.h: guest-kit's network stack: Ethernet, ARP, IPv4, ICMP echo, UDP and TCP. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_NET_H
#define GUEST_KIT_NET_H

/*
 * A small event-driven IPv4 stack for one or more network interfaces.
 *
 * The driver (netfront) fills a struct gk_netif with the MAC address and a
 * transmit function, the program adds the IPv4 configuration and calls
 * gk_netif_init(). From then on:
 *
 *   - the driver hands every received Ethernet frame (no FCS) to
 *     gk_net_input(); the stack reads it during the call and keeps nothing;
 *   - the stack sends frames through netif->transmit(), which must copy or
 *     send the frame before it returns (the buffer is the stack's) and must
 *     not call back into gk_net_input() for the same interface;
 *   - the program calls gk_net_poll() with the current time in milliseconds
 *     from its main loop: after each batch of received frames (delayed ACKs
 *     go out then) and at the latest by the deadline the previous call
 *     returned. All timers (ARP, retransmission, TIME_WAIT) run from there,
 *     so the stack needs no timer service.
 *
 * The stack is single-threaded and not reentrant: one caller at a time per
 * interface. Application callbacks run inside gk_net_input() and
 * gk_net_poll(); they may call any gk_udp_* and gk_tcp_* function, but not
 * gk_net_input(), gk_net_poll() or gk_netif_destroy().
 *
 * Addresses and ports are numbers in host byte order: GK_IPV4(10, 0, 0, 2),
 * port 7. Errors are negative errno values (Linux numbering, as in
 * <errno.h> and <xen/errno.h>).
 *
 * Not implemented (by design, see guest-kit/net/README.md): IP fragmentation
 * and reassembly (fragments are dropped), IP options (ignored), multicast,
 * IPv6, DHCP, TCP window scaling, SACK, timestamps, Nagle's algorithm, urgent
 * data (treated as ordinary data), path MTU discovery.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 address as a number: GK_IPV4(192, 168, 1, 2) == 0xc0a80102. */
#define GK_IPV4(a, b, c, d) \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

#define GK_NET_MTU_DEFAULT 1500u    /* largest IP packet; frames add a 14-byte header */
#define GK_NET_MTU_MIN 576u
#define GK_NET_UDP_PORTS_MAX 8u     /* bound UDP ports per interface */
#define GK_NET_TCP_LISTEN_MAX 8u    /* listening TCP ports per interface */
#define GK_NET_TCP_CONNS_MAX 1024u  /* upper bound for gk_net_config.tcp_max_conns */

struct gk_net_stack;                /* the stack's private state */

struct gk_netif {
    /* Set by the driver before gk_netif_init(). */
    uint8_t mac[6];
    uint16_t mtu;                   /* 0: GK_NET_MTU_DEFAULT; 576..1500 */
    /* Sends one frame (destination MAC first, at least 60 bytes); 0 or a negative errno.
     * A frame the driver cannot take (ring full) is dropped: TCP retransmits. */
    int (*transmit)(struct gk_netif *netif, const void *frame, size_t len);
    void *driver;                   /* the driver's own state */

    /* Set by the program; may change later, but TCP connections do not survive a
     * new address. 0.0.0.0: no address, IP input and output are off. */
    uint32_t addr;
    uint32_t netmask;               /* e.g. GK_IPV4(255, 255, 255, 0) */
    uint32_t gateway;               /* 0: only the local subnet is reachable */

    void *user;                     /* the program's own pointer, unused by the stack */
    struct gk_net_stack *stack;     /* set by gk_netif_init() */
};

/* Limits; any field left 0 takes the default in brackets. */
struct gk_net_config {
    unsigned int tcp_max_conns;     /* connections in any state, incl. handshakes [16] */
    uint32_t tcp_sndbuf;            /* bytes queued for sending per connection [16384] */
    uint32_t tcp_rcvbuf;            /* receive buffer = largest window, <= 65535 [16384] */
    uint32_t time_wait_ms;          /* TIME_WAIT length; short because ISNs are fresh [2000] */
    uint64_t seed;                  /* secret for initial sequence numbers and ports */
};

/* Counters, for tests and diagnostics. */
struct gk_net_stats {
    uint64_t rx_frames, tx_frames;
    uint64_t tx_errors;             /* transmit() failed */
    uint64_t rx_bad_frame;          /* not for us, unknown type, too short, bad source MAC */
    uint64_t rx_bad_arp;            /* malformed or irrelevant ARP */
    uint64_t rx_bad_ip;             /* bad header, length, address or protocol */
    uint64_t rx_bad_checksum;       /* IP, ICMP, UDP or TCP checksum wrong */
    uint64_t rx_fragments;          /* dropped: no reassembly */
    uint64_t rx_bad_l4;             /* malformed ICMP/UDP/TCP headers */
    uint64_t arp_queue_drops;       /* packets lost while resolving an address */
    uint64_t icmp_echo_replies;
    uint64_t icmp_unreachables;     /* port unreachable sent for UDP to a closed port */
    uint64_t udp_no_port;
    uint64_t tcp_resets_sent;
    uint64_t tcp_retransmits;       /* segments sent again (timeout or fast retransmit) */
    uint64_t tcp_syn_drops;         /* SYNs refused: connection table full */
    uint64_t tcp_evictions;         /* half-open or TIME_WAIT connections recycled for a SYN */
    uint64_t tcp_ooo_drops;         /* out-of-order or out-of-window segments */
};

/*
 * Sets up the stack for `netif` (mac, transmit and the addresses already set;
 * `config` may be NULL). Returns 0, -EINVAL (bad MTU, MAC or limits) or -ENOMEM.
 */
int gk_netif_init(struct gk_netif *netif, const struct gk_net_config *config);

/* Frees everything; connections vanish without callbacks or packets. */
void gk_netif_destroy(struct gk_netif *netif);

/* One received Ethernet frame. Anything malformed is counted and dropped. */
void gk_net_input(struct gk_netif *netif, const void *frame, size_t len);

/*
 * Runs the timers at time `now_ms` (any monotonic millisecond clock, the same
 * for every call) and sends delayed ACKs. Returns the time by which it wants
 * to be called again.
 */
uint64_t gk_net_poll(struct gk_netif *netif, uint64_t now_ms);

const struct gk_net_stats *gk_net_stats(const struct gk_netif *netif);

/*
 * "a.b.c.d" (decimal parts of at most 255) into *addr, host order. Returns
 * what follows the address (e.g. "/24"), or NULL when there is none.
 */
const char *gk_ipv4_parse(const char *s, uint32_t *addr);

/* ---- UDP ---- */

/* A datagram for a bound port; `data` is valid during the call only. */
typedef void (*gk_udp_recv_fn)(struct gk_netif *netif, uint32_t src, uint16_t src_port,
                               uint16_t dst_port, const void *data, size_t len, void *arg);

/*
 * Delivers datagrams for `port` (0: pick a free ephemeral port) to `recv`.
 * Returns the port, -EADDRINUSE or -ENOSPC (GK_NET_UDP_PORTS_MAX reached).
 * Datagrams to ports nobody bound get an ICMP port unreachable (rate-limited).
 */
int gk_udp_bind(struct gk_netif *netif, uint16_t port, gk_udp_recv_fn recv, void *arg);
int gk_udp_unbind(struct gk_netif *netif, uint16_t port);        /* 0 or -ENOENT */

/*
 * Sends one datagram (at most MTU - 28 bytes, no fragmentation). 0 when sent
 * or queued waiting for ARP (one packet per destination is kept, the latest),
 * -EMSGSIZE, -EADDRNOTAVAIL (no address or no route), -EINVAL, or the
 * driver's error.
 */
int gk_udp_sendto(struct gk_netif *netif, uint16_t src_port, uint32_t dst, uint16_t dst_port,
                  const void *data, size_t len);

/* ---- TCP ---- */

struct gk_tcp_conn;

enum gk_tcp_event {
    GK_TCP_CONNECTED,   /* gk_tcp_connect() succeeded */
    GK_TCP_EOF,         /* the peer closed its direction; all its data was delivered */
    GK_TCP_RESET,       /* reset by the peer (or refused); the handle dies after the call */
    GK_TCP_TIMEOUT,     /* the peer stopped answering; the handle dies after the call */
};

/*
 * Per-connection callbacks; any may be NULL. None is called after
 * gk_tcp_close() or gk_tcp_abort().
 *
 * recv: in-order data. Returns how many bytes it consumed (0..len); the rest
 *       stays in the receive buffer, shrinks the advertised window (flow
 *       control) and is offered again after the next segment for this
 *       connection and on every gk_net_poll(). `data` is valid during the
 *       call only.
 * sent: `acked` bytes left the send buffer (room for gk_tcp_send()).
 * event: see enum gk_tcp_event.
 */
struct gk_tcp_callbacks {
    size_t (*recv)(struct gk_tcp_conn *conn, const void *data, size_t len, void *arg);
    void (*sent)(struct gk_tcp_conn *conn, size_t acked, void *arg);
    void (*event)(struct gk_tcp_conn *conn, enum gk_tcp_event event, void *arg);
};

/*
 * A new connection finished its handshake. Return 0 to take it (and set its
 * callbacks with gk_tcp_set_callbacks()), or a negative errno to refuse it
 * with a reset. Data that came with the handshake's ACK is delivered after.
 */
typedef int (*gk_tcp_accept_fn)(struct gk_tcp_conn *conn, void *arg);

/*
 * Accepts connections to `port`. Returns 0, -EADDRINUSE, -ENOSPC or -EINVAL.
 * Segments to ports nobody listens on are answered with a reset. When the
 * connection table is full, a new SYN recycles the oldest TIME_WAIT or
 * half-open connection, or is dropped (SYN floods stay bounded).
 */
int gk_tcp_listen(struct gk_netif *netif, uint16_t port, gk_tcp_accept_fn accept, void *arg);
int gk_tcp_unlisten(struct gk_netif *netif, uint16_t port);      /* 0 or -ENOENT */

/*
 * Opens a connection from an ephemeral port; GK_TCP_CONNECTED, GK_TCP_RESET
 * (refused) or GK_TCP_TIMEOUT follows. Data sent before it connects waits.
 * Returns 0 and the handle in *conn, -EADDRNOTAVAIL, -ENOSPC or -ENOMEM.
 */
int gk_tcp_connect(struct gk_netif *netif, uint32_t dst, uint16_t dst_port,
                   const struct gk_tcp_callbacks *callbacks, void *arg,
                   struct gk_tcp_conn **conn);

void gk_tcp_set_callbacks(struct gk_tcp_conn *conn, const struct gk_tcp_callbacks *callbacks,
                          void *arg);

/*
 * Copies up to `len` bytes into the send buffer and sends what the windows
 * allow. Returns the number of bytes taken (less than `len`, possibly 0,
 * when the buffer is full: wait for the `sent` callback), or -ENOTCONN after
 * gk_tcp_shutdown() or once the connection is gone.
 */
int gk_tcp_send(struct gk_tcp_conn *conn, const void *data, size_t len);

/* Room in the send buffer: what gk_tcp_send() would take now. */
size_t gk_tcp_send_space(const struct gk_tcp_conn *conn);

/* Sends FIN after the queued data; receiving continues. 0 or -ENOTCONN. */
int gk_tcp_shutdown(struct gk_tcp_conn *conn);

/*
 * Gives the handle back: queued data is still sent, then FIN; the stack
 * finishes the close on its own. Unread received data, or data arriving
 * later, makes it a reset instead (as Linux does).
 */
void gk_tcp_close(struct gk_tcp_conn *conn);

/* Sends a reset and gives the handle back. */
void gk_tcp_abort(struct gk_tcp_conn *conn);

void gk_tcp_peer(const struct gk_tcp_conn *conn, uint32_t *addr, uint16_t *port);
uint16_t gk_tcp_local_port(const struct gk_tcp_conn *conn);
struct gk_netif *gk_tcp_netif(const struct gk_tcp_conn *conn);

#endif /* GUEST_KIT_NET_H */
