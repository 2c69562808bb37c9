/* tcp.c: TCP connections: the program's API, the connection table, sending and timers. */
/* SPDX-License-Identifier: MIT */
#include "tcp.h"

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static inline uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* ---- Listeners and the connection table ---- */

struct net_tcp_listener *tcp_listener_find(struct gk_net_stack *s, uint16_t port)
{
    for (unsigned int i = 0; i < GK_NET_TCP_LISTEN_MAX; i++)
        if (s->listeners[i].port == port)
            return &s->listeners[i];
    return NULL;
}

int gk_tcp_listen(struct gk_netif *netif, uint16_t port, gk_tcp_accept_fn accept, void *arg)
{
    struct gk_net_stack *s = netif->stack;
    struct net_tcp_listener *l;

    if (!port || !accept)
        return -XEN_EINVAL;
    if (tcp_listener_find(s, port))
        return -XEN_EADDRINUSE;
    l = tcp_listener_find(s, 0);
    if (!l)
        return -XEN_ENOSPC;
    l->port = port;
    l->accept = accept;
    l->arg = arg;
    return 0;
}

int gk_tcp_unlisten(struct gk_netif *netif, uint16_t port)
{
    struct net_tcp_listener *l = port ? tcp_listener_find(netif->stack, port) : NULL;

    if (!l)
        return -XEN_ENOENT;
    l->port = 0;
    l->accept = NULL;
    return 0;
}

struct gk_tcp_conn *tcp_conn_find(struct gk_net_stack *s, uint32_t ip, uint16_t rport,
                                  uint16_t lport)
{
    for (unsigned int i = 0; i < s->cfg.tcp_max_conns; i++) {
        struct gk_tcp_conn *c = s->conns[i];

        if (c && c->state != TCP_CLOSED && c->remote_ip == ip && c->remote_port == rport &&
            c->local_port == lport)
            return c;
    }
    return NULL;
}

static bool tcp_port_in_use(struct gk_net_stack *s, uint16_t port)
{
    if (tcp_listener_find(s, port))
        return true;
    for (unsigned int i = 0; i < s->cfg.tcp_max_conns; i++)
        if (s->conns[i] && s->conns[i]->local_port == port)
            return true;
    return false;
}

void net_tcp_reap(struct gk_net_stack *s)
{
    for (unsigned int i = 0; i < s->cfg.tcp_max_conns; i++) {
        struct gk_tcp_conn *c = s->conns[i];

        if (c && c->state == TCP_CLOSED && !c->owned) {
            free(c);
            s->conns[i] = NULL;
        }
    }
}

void net_tcp_destroy(struct gk_net_stack *s)
{
    for (unsigned int i = 0; i < s->cfg.tcp_max_conns; i++) {
        free(s->conns[i]);
        s->conns[i] = NULL;
    }
}

/*
 * A free slot; with `evict` (only from a SYN arriving at a listener, when no
 * caller holds a connection pointer) the oldest connection nobody needs is
 * recycled: TIME_WAIT first, then a half-open one.
 */
static int tcp_slot(struct gk_net_stack *s, bool evict)
{
    int victim = -1;

    for (unsigned int i = 0; i < s->cfg.tcp_max_conns; i++)
        if (!s->conns[i])
            return (int)i;
    if (!evict)
        return -1;
    net_tcp_reap(s);
    for (unsigned int pass = 0; pass < 2 && victim < 0; pass++) {
        enum tcp_state want = pass == 0 ? TCP_TIME_WAIT : TCP_SYN_RCVD;

        for (unsigned int i = 0; i < s->cfg.tcp_max_conns; i++) {
            struct gk_tcp_conn *c = s->conns[i];

            if (!c)
                return (int)i;
            if (c->state == want && !c->owned &&
                (victim < 0 || (int32_t)(c->serial - s->conns[victim]->serial) < 0))
                victim = (int)i;
        }
    }
    if (victim < 0)
        return -1;
    s->stats.tcp_evictions++;
    free(s->conns[victim]);
    s->conns[victim] = NULL;
    return victim;
}

struct gk_tcp_conn *tcp_conn_new(struct gk_net_stack *s, bool evict)
{
    int slot = tcp_slot(s, evict);
    struct gk_tcp_conn *c;

    if (slot < 0)
        return NULL;
    c = malloc(sizeof(*c) + s->cfg.tcp_rcvbuf + s->cfg.tcp_sndbuf);
    if (!c)
        return NULL;
    memset(c, 0, sizeof(*c));
    c->stack = s;
    c->serial = s->conn_serial++;
    c->rx_buf = (uint8_t *)(c + 1);
    c->rx_size = s->cfg.tcp_rcvbuf;
    c->tx_buf = c->rx_buf + c->rx_size;
    c->tx_size = s->cfg.tcp_sndbuf;
    c->rto_ms = TCP_RTO_INITIAL_MS;
    c->mss = (uint16_t)tcp_our_mss(s);
    s->conns[slot] = c;
    return c;
}

/* RFC 6528: a clock plus a keyed hash of the connection's addresses. */
uint32_t tcp_isn(struct gk_tcp_conn *c)
{
    struct gk_net_stack *s = c->stack;
    uint64_t h = net_mix64(s->secret ^ ((uint64_t)c->remote_ip << 32 |
                                        (uint64_t)c->remote_port << 16 | c->local_port));

    h = net_mix64(h ^ s->netif->addr);
    return (uint32_t)h + (uint32_t)(s->now_ms * 250);
}

void tcp_set_mss(struct gk_tcp_conn *c, uint16_t peer_mss)
{
    uint32_t mss = peer_mss ? peer_mss : TCP_MSS_DEFAULT;

    mss = min_u32(max_u32(mss, TCP_MSS_MIN), tcp_our_mss(c->stack));
    c->mss = (uint16_t)mss;
    /* RFC 5681 3.1's initial window. */
    c->cwnd = min_u32(4 * mss, max_u32(2 * mss, 4380));
    c->ssthresh = TCP_CWND_MAX;
}

/* ---- Timers ---- */

uint32_t tcp_rto_base(const struct gk_tcp_conn *c)
{
    int32_t rto;

    if (!c->rtt_valid)
        return TCP_RTO_INITIAL_MS;
    rto = (c->srtt8 >> 3) + (c->rttvar4 > 1 ? c->rttvar4 : 1);
    return min_u32(max_u32((uint32_t)rto, TCP_RTO_MIN_MS), TCP_RTO_MAX_MS);
}

/* RFC 6298 2.2-2.3 in Jacobson's scaled integers. */
void tcp_rtt_sample(struct gk_tcp_conn *c, uint32_t ms)
{
    int32_t r = (int32_t)min_u32(ms, TCP_RTO_MAX_MS), err;

    if (!c->rtt_valid) {
        c->srtt8 = r << 3;
        c->rttvar4 = r << 1;
        c->rtt_valid = true;
    } else {
        err = r - (c->srtt8 >> 3);
        c->srtt8 += err;
        if (err < 0)
            err = -err;
        c->rttvar4 += err - (c->rttvar4 >> 2);
    }
    c->rto_ms = tcp_rto_base(c);
}

void tcp_set_closed(struct gk_tcp_conn *c)
{
    c->state = TCP_CLOSED;
    c->rto_at = 0;
    c->close_at = 0;
}

/* The connection is gone under the program: tell it, once. */
void tcp_notify_gone(struct gk_tcp_conn *c, enum gk_tcp_event ev)
{
    tcp_set_closed(c);
    if (c->owned) {
        c->owned = false;
        if (c->cb.event)
            c->cb.event(c, ev, c->arg);
    }
}

/* ---- Sending ---- */

/* The window to advertise; the right edge moves only by a useful amount
 * (receiver-side silly window avoidance, RFC 1122 4.2.3.3) and never back. */
static uint16_t tcp_advertise(struct gk_tcp_conn *c)
{
    uint32_t edge = c->rcv_nxt + (c->rx_size - c->rx_len);

    if (c->state == TCP_SYN_SENT)
        return (uint16_t)c->rx_size;
    if (SEQ_LT(c->rcv_adv, c->rcv_nxt))
        c->rcv_adv = c->rcv_nxt;
    if (SEQ_GT(edge, c->rcv_adv) && edge - c->rcv_adv >= min_u32(c->rx_size / 2, c->mss))
        c->rcv_adv = edge;
    return (uint16_t)(c->rcv_adv - c->rcv_nxt);
}

/* How far the window could open now beyond what the peer was told. */
static uint32_t tcp_window_grow(const struct gk_tcp_conn *c)
{
    uint32_t edge = c->rcv_nxt + (c->rx_size - c->rx_len);

    return SEQ_GT(edge, c->rcv_adv) ? edge - c->rcv_adv : 0;
}

void tcp_send_rst(struct gk_net_stack *s, uint32_t dst, uint16_t sport, uint16_t dport,
                  uint32_t seq, uint32_t ack, bool with_ack)
{
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *t = frame + NET_L4_OFF;

    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, with_ack ? ack : 0);
    t[12] = (TCP_HLEN / 4) << 4;
    t[13] = (uint8_t)(TCP_RST | (with_ack ? TCP_ACK : 0));
    memset(t + 14, 0, 6);
    net_csum_store(t + 16, net_csum_fold(net_sum(net_sum_pseudo(s->netif->addr, dst, IP_PROTO_TCP,
                                                                TCP_HLEN), t, TCP_HLEN)));
    s->stats.tcp_resets_sent++;
    net_ipv4_output(s, frame, TCP_HLEN, dst, IP_PROTO_TCP);
}

/* One segment: `len` bytes of the send buffer from `seq` on, with `flags`. */
static void tcp_xmit(struct gk_tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
    struct gk_net_stack *s = c->stack;
    uint8_t frame[NET_FRAME_MAX];
    uint8_t *t = frame + NET_L4_OFF;
    uint32_t hlen = TCP_HLEN;

    put16(t, c->local_port);
    put16(t + 2, c->remote_port);
    put32(t + 4, seq);
    put32(t + 8, (flags & TCP_ACK) ? c->rcv_nxt : 0);
    if (flags & TCP_SYN) {
        t[20] = 2;                      /* MSS option */
        t[21] = 4;
        put16(t + 22, (uint16_t)tcp_our_mss(s));
        hlen += 4;
    }
    t[12] = (uint8_t)((hlen / 4) << 4);
    t[13] = flags;
    put16(t + 14, tcp_advertise(c));
    put16(t + 16, 0);
    put16(t + 18, 0);
    if (len) {
        uint32_t pos = (c->tx_head + (seq - c->tx_seq)) % c->tx_size;
        uint32_t first = min_u32(len, c->tx_size - pos);

        memcpy(t + hlen, c->tx_buf + pos, first);
        memcpy(t + hlen + first, c->tx_buf, len - first);
    }
    net_csum_store(t + 16, net_csum_fold(net_sum(net_sum_pseudo(s->netif->addr, c->remote_ip,
                                                                IP_PROTO_TCP,
                                                                (uint16_t)(hlen + len)),
                                                 t, hlen + len)));
    c->ack_now = false;
    c->acks_owed = 0;
    net_ipv4_output(s, frame, hlen + len, c->remote_ip, IP_PROTO_TCP);
}

/* Bookkeeping after `n` sequence numbers went out at `seq`. */
static void tcp_sent(struct gk_tcp_conn *c, uint32_t seq, uint32_t n)
{
    struct gk_net_stack *s = c->stack;
    bool idle = c->snd_una == c->snd_max;

    if (SEQ_LT(seq, c->snd_max))
        s->stats.tcp_retransmits++;
    else if (!c->rtt_timing) {
        /* Karn: only segments sent once are timed. */
        c->rtt_timing = true;
        c->rtt_seq = seq + n;
        c->rtt_start = s->now_ms;
    }
    c->snd_nxt = seq + n;
    if (SEQ_GT(c->snd_nxt, c->snd_max))
        c->snd_max = c->snd_nxt;
    /* The first segment in flight starts the timer afresh (it may have been
     * running as the persist timer). */
    if (!c->rto_at || idle)
        c->rto_at = s->now_ms + c->rto_ms;
}

/* Data in the send buffer from `seq` on. */
static uint32_t tcp_unsent(const struct gk_tcp_conn *c, uint32_t seq)
{
    uint32_t end = c->tx_seq + c->tx_len;

    return SEQ_LT(seq, end) ? end - seq : 0;
}

/*
 * Sends what the windows allow from snd_nxt on, and an ACK if one is owed.
 * `force` sends one segment whatever the windows say (a retransmission after
 * a timeout, or a one-byte probe into a zero window).
 */
void tcp_output(struct gk_tcp_conn *c, bool force)
{
    struct gk_net_stack *s = c->stack;

    if (c->state == TCP_CLOSED)
        return;
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RCVD) {
        if (c->snd_nxt == c->iss) {
            tcp_xmit(c, c->iss, 0, c->state == TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK);
            tcp_sent(c, c->iss, 1);
        } else if (c->ack_now && c->state == TCP_SYN_RCVD) {
            tcp_xmit(c, c->snd_nxt, 0, TCP_ACK);
        }
        return;
    }
    for (;;) {
        uint32_t seq = c->snd_nxt;
        uint32_t avail = tcp_unsent(c, seq);
        uint32_t in_flight = seq - c->snd_una;
        uint32_t wnd = min_u32(c->snd_wnd, c->cwnd);
        uint32_t usable = wnd > in_flight ? wnd - in_flight : 0;
        uint32_t len;
        uint8_t flags = TCP_ACK;
        bool fin;

        if (force && usable == 0)
            usable = 1;
        len = min_u32(min_u32(avail, usable), c->mss);
        /* Sender-side silly window avoidance (RFC 1122 4.2.3.4), without Nagle:
         * a short segment only when it empties the buffer, or nothing is out. */
        if (len && len < c->mss && len < avail && in_flight && !force &&
            len < c->max_snd_wnd / 2)
            len = 0;
        fin = c->fin_queued && seq + len == tcp_fin_seq(c);
        if (fin)
            flags |= TCP_FIN;
        if (len && len == avail)
            flags |= TCP_PSH;
        if (!len && !fin && !c->ack_now)
            break;
        tcp_xmit(c, seq, len, flags);
        if (len || fin)
            tcp_sent(c, seq, len + fin);
        if (force || !len || fin)
            break;
    }
    /* Data waits on a zero window with nothing in flight: the retransmission
     * timer becomes the persist timer (RFC 1122 4.2.2.17). */
    if (!c->rto_at && c->snd_una == c->snd_max && c->snd_wnd == 0 &&
        tcp_unsent(c, c->snd_nxt))
        c->rto_at = s->now_ms + c->rto_ms;
}

/* Sends the oldest unacknowledged segment again (fast retransmit, NewReno's
 * partial ACKs, a retransmitted SYN), without touching snd_nxt. */
void tcp_retransmit_first(struct gk_tcp_conn *c)
{
    struct gk_net_stack *s = c->stack;
    uint32_t seq = c->snd_una, len;
    uint8_t flags = TCP_ACK;

    if (seq == c->snd_max)
        return;
    c->rtt_timing = false;
    s->stats.tcp_retransmits++;
    c->rto_at = s->now_ms + c->rto_ms;
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RCVD) {
        tcp_xmit(c, c->iss, 0, c->state == TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK);
        return;
    }
    len = min_u32(min_u32(tcp_unsent(c, seq), c->snd_max - seq), c->mss);
    if (c->fin_queued && seq + len == tcp_fin_seq(c) && SEQ_LT(tcp_fin_seq(c), c->snd_max))
        flags |= TCP_FIN;
    tcp_xmit(c, seq, len, flags);
}

/* The retransmission timer fired. */
static void tcp_timeout(struct gk_tcp_conn *c)
{
    struct gk_net_stack *s = c->stack;
    unsigned int limit = c->state == TCP_SYN_RCVD ? TCP_SYN_RCVD_RETRIES :
                         c->state == TCP_SYN_SENT ? TCP_SYN_SENT_RETRIES : TCP_RETRIES;

    c->rto_at = 0;
    if (c->retries >= limit) {
        if (c->state != TCP_SYN_SENT && c->state != TCP_SYN_RCVD)
            tcp_send_rst(s, c->remote_ip, c->local_port, c->remote_port, c->snd_nxt, 0, false);
        tcp_notify_gone(c, GK_TCP_TIMEOUT);
        return;
    }
    c->retries++;
    c->rto_ms = min_u32(c->rto_ms * 2, TCP_RTO_MAX_MS);
    if (c->snd_una != c->snd_max) {
        /* RFC 5681 3.1 (7): back to one segment; go back N from the hole.
         * A probe into a zero window that went unanswered is no congestion. */
        if (c->snd_wnd) {
            c->ssthresh = max_u32((c->snd_max - c->snd_una) / 2, 2u * c->mss);
            c->cwnd = c->mss;
        }
        c->in_recovery = false;
        c->recover = c->snd_max;
        c->dupacks = 0;
        c->rtt_timing = false;
        c->snd_nxt = c->snd_una;
    }
    tcp_output(c, true);
    if (!c->rto_at && c->state != TCP_CLOSED &&
        (c->snd_una != c->snd_max || tcp_unsent(c, c->snd_nxt)))
        c->rto_at = s->now_ms + c->rto_ms;
}

/* ---- Receiving into the program ---- */

void tcp_deliver(struct gk_tcp_conn *c)
{
    while (c->rx_len && c->owned && c->cb.recv) {
        uint32_t chunk = min_u32(c->rx_len, c->rx_size - c->rx_head);
        size_t took;

        c->in_recv = true;
        took = c->cb.recv(c, c->rx_buf + c->rx_head, chunk, c->arg);
        c->in_recv = false;
        if (took > chunk)
            took = chunk;
        c->rx_head = (uint32_t)((c->rx_head + took) % c->rx_size);
        c->rx_len -= (uint32_t)took;
        if (c->state == TCP_CLOSED || took < chunk)
            break;
    }
    if (c->state == TCP_CLOSED)
        return;
    /* Closed from inside recv() with data still unread: as gk_tcp_close() would have. */
    if (!c->owned && c->rx_len) {
        tcp_send_rst(c->stack, c->remote_ip, c->local_port, c->remote_port, c->snd_nxt, 0,
                     false);
        tcp_set_closed(c);
        return;
    }
    if (c->fin_rcvd && !c->rx_len && !c->eof_delivered && c->owned) {
        c->eof_delivered = true;
        if (c->cb.event)
            c->cb.event(c, GK_TCP_EOF, c->arg);
        if (c->state == TCP_CLOSED)
            return;
    }
    /* Tell the peer about room the program made (a window update). */
    if (!c->fin_rcvd && tcp_window_grow(c) >= min_u32(c->rx_size / 2, 2u * c->mss))
        c->ack_now = true;
}

uint64_t net_tcp_poll(struct gk_net_stack *s)
{
    uint64_t next = UINT64_MAX;

    for (unsigned int i = 0; i < s->cfg.tcp_max_conns; i++) {
        struct gk_tcp_conn *c = s->conns[i];

        if (!c || c->state == TCP_CLOSED)
            continue;
        if (c->close_at && s->now_ms >= c->close_at) {
            tcp_set_closed(c);
            continue;
        }
        if (c->rto_at && s->now_ms >= c->rto_at)
            tcp_timeout(c);
        if (c->state == TCP_CLOSED)
            continue;
        tcp_deliver(c);
        if (c->state == TCP_CLOSED)
            continue;
        /* Delayed ACKs wait at most until the next poll. */
        if (c->acks_owed)
            c->ack_now = true;
        if (c->ack_now)
            tcp_output(c, false);
        if (c->rto_at && c->rto_at < next)
            next = c->rto_at;
        if (c->close_at && c->close_at < next)
            next = c->close_at;
    }
    return next;
}

/* ---- The program's API ---- */

int gk_tcp_connect(struct gk_netif *netif, uint32_t dst, uint16_t dst_port,
                   const struct gk_tcp_callbacks *callbacks, void *arg,
                   struct gk_tcp_conn **conn)
{
    struct gk_net_stack *s = netif->stack;
    struct gk_tcp_conn *c;
    uint16_t port;

    if (!conn || !dst_port)
        return -XEN_EINVAL;
    if (netif->addr == 0 || dst == 0 || dst == netif->addr || (dst >> 28) >= 0xe ||
        net_ipv4_is_broadcast(s, dst))
        return -XEN_EADDRNOTAVAIL;
    port = net_ephemeral_port(s, tcp_port_in_use);
    if (!port)
        return -XEN_EADDRINUSE;
    c = tcp_conn_new(s, false);
    if (!c)
        return -XEN_ENOSPC;
    c->remote_ip = dst;
    c->remote_port = dst_port;
    c->local_port = port;
    c->iss = tcp_isn(c);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->recover = c->iss;
    c->tx_seq = c->iss + 1;
    c->state = TCP_SYN_SENT;
    c->owned = true;
    c->accepted = true;
    if (callbacks)
        c->cb = *callbacks;
    c->arg = arg;
    tcp_output(c, false);
    *conn = c;
    return 0;
}

void gk_tcp_set_callbacks(struct gk_tcp_conn *c, const struct gk_tcp_callbacks *callbacks,
                          void *arg)
{
    if (callbacks)
        c->cb = *callbacks;
    else
        memset(&c->cb, 0, sizeof(c->cb));
    c->arg = arg;
}

int gk_tcp_send(struct gk_tcp_conn *c, const void *data, size_t len)
{
    uint32_t n, pos, first;

    if (!c->owned || c->fin_queued ||
        (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT &&
         c->state != TCP_SYN_SENT && c->state != TCP_SYN_RCVD))
        return -XEN_ENOTCONN;
    n = (uint32_t)(len < c->tx_size - c->tx_len ? len : c->tx_size - c->tx_len);
    if (!n)
        return 0;
    pos = (c->tx_head + c->tx_len) % c->tx_size;
    first = min_u32(n, c->tx_size - pos);
    memcpy(c->tx_buf + pos, data, first);
    memcpy(c->tx_buf, (const uint8_t *)data + first, n - first);
    c->tx_len += n;
    tcp_output(c, false);
    return (int)n;
}

size_t gk_tcp_send_space(const struct gk_tcp_conn *c)
{
    if (!c->owned || c->fin_queued ||
        (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT &&
         c->state != TCP_SYN_SENT && c->state != TCP_SYN_RCVD))
        return 0;
    return c->tx_size - c->tx_len;
}

int gk_tcp_shutdown(struct gk_tcp_conn *c)
{
    if (!c->owned)
        return -XEN_ENOTCONN;
    if (c->fin_queued)
        return 0;
    switch (c->state) {
    case TCP_ESTABLISHED:
        c->state = TCP_FIN_WAIT_1;
        break;
    case TCP_CLOSE_WAIT:
        c->state = TCP_LAST_ACK;
        break;
    case TCP_SYN_SENT:
    case TCP_SYN_RCVD:
        break;                          /* the FIN follows the handshake */
    default:
        return -XEN_ENOTCONN;
    }
    c->fin_queued = true;
    tcp_output(c, false);
    return 0;
}

void gk_tcp_abort(struct gk_tcp_conn *c)
{
    if (!c || !c->owned)
        return;
    c->owned = false;
    if (c->state != TCP_CLOSED && c->state != TCP_SYN_SENT && c->state != TCP_TIME_WAIT)
        tcp_send_rst(c->stack, c->remote_ip, c->local_port, c->remote_port, c->snd_nxt, 0,
                     false);
    tcp_set_closed(c);
}

void gk_tcp_close(struct gk_tcp_conn *c)
{
    if (!c || !c->owned)
        return;
    if (c->state == TCP_CLOSED || c->state == TCP_SYN_SENT) {
        c->owned = false;
        tcp_set_closed(c);
        return;
    }
    /* Unread data means the program lost something: say so with a reset
     * (RFC 2525 2.17). Inside recv() tcp_deliver() decides, once it knows
     * what was consumed. */
    if (c->rx_len && !c->in_recv) {
        gk_tcp_abort(c);
        return;
    }
    gk_tcp_shutdown(c);
    c->owned = false;
    if (c->state == TCP_FIN_WAIT_2)
        c->close_at = c->stack->now_ms + TCP_FIN_WAIT_2_MS;
}

void gk_tcp_peer(const struct gk_tcp_conn *c, uint32_t *addr, uint16_t *port)
{
    if (addr)
        *addr = c->remote_ip;
    if (port)
        *port = c->remote_port;
}

uint16_t gk_tcp_local_port(const struct gk_tcp_conn *c)
{
    return c->local_port;
}

struct gk_netif *gk_tcp_netif(const struct gk_tcp_conn *c)
{
    return c->stack->netif;
}
