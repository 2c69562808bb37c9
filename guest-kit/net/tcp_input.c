/* tcp_input.c: TCP segment arrival: RFC 793 3.9 with RFC 5961's checks and RFC 5681/6582's ACKs. */
/* SPDX-License-Identifier: MIT */
#include "tcp.h"

/* A received segment, after the header checks. */
struct tcp_seg {
    uint32_t seq, ack;
    uint16_t wnd;
    uint16_t mss;                       /* from the MSS option; 0: none */
    uint8_t flags;
    const uint8_t *data;
    uint32_t len;                       /* data bytes */
};

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static inline bool in_window(uint32_t seq, uint32_t start, uint32_t len)
{
    return seq - start < len;
}

/* Only MSS matters to us. A malformed list is ignored as a whole, as if the
 * segment carried no options. */
static uint16_t tcp_parse_mss(const uint8_t *o, size_t len)
{
    uint16_t mss = 0;

    while (len) {
        if (o[0] == 0)                  /* end of list */
            break;
        if (o[0] == 1) {                /* padding */
            o++;
            len--;
            continue;
        }
        if (len < 2 || o[1] < 2 || o[1] > len)
            return 0;
        if (o[0] == 2) {
            if (o[1] != 4)
                return 0;
            mss = get16(o + 2);
        }
        len -= o[1];
        o += o[1];
    }
    return mss;
}

static void tcp_ack_now(struct gk_tcp_conn *c)
{
    c->ack_now = true;
    tcp_output(c, false);
}

/* A reset for a segment that belongs to no connection (RFC 793 3.4). */
static void tcp_reply_rst(struct gk_net_stack *s, uint32_t src, uint16_t lport, uint16_t rport,
                          const struct tcp_seg *seg)
{
    if (seg->flags & TCP_RST)
        return;
    if (seg->flags & TCP_ACK)
        tcp_send_rst(s, src, lport, rport, seg->ack, 0, false);
    else
        tcp_send_rst(s, src, lport, rport, 0,
                     seg->seq + seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN),
                     true);
}

static void tcp_enter_time_wait(struct gk_tcp_conn *c)
{
    c->state = TCP_TIME_WAIT;
    c->rto_at = 0;
    c->close_at = c->stack->now_ms + c->stack->cfg.time_wait_ms;
}

/* A SYN for a listening port: a new half-open connection answers it. */
static void tcp_listen_input(struct gk_net_stack *s, const struct net_tcp_listener *l,
                             uint32_t src, uint16_t sport, uint16_t dport,
                             const struct tcp_seg *seg)
{
    struct gk_tcp_conn *c;

    if (seg->flags & TCP_RST)
        return;
    if (seg->flags & TCP_ACK) {
        tcp_reply_rst(s, src, dport, sport, seg);
        return;
    }
    if ((seg->flags & (TCP_SYN | TCP_FIN)) != TCP_SYN) {
        s->stats.rx_bad_l4++;
        return;
    }
    c = tcp_conn_new(s, true);
    if (!c) {
        s->stats.tcp_syn_drops++;
        return;
    }
    c->remote_ip = src;
    c->remote_port = sport;
    c->local_port = dport;
    /* Data on the SYN is not taken: it is not acknowledged and comes again. */
    c->irs = seg->seq;
    c->rcv_nxt = c->rcv_adv = seg->seq + 1;
    c->iss = tcp_isn(c);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    c->recover = c->iss;
    c->tx_seq = c->iss + 1;
    c->snd_wnd = c->max_snd_wnd = seg->wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = c->iss;
    tcp_set_mss(c, seg->mss);
    c->accept = l->accept;
    c->accept_arg = l->arg;
    c->state = TCP_SYN_RCVD;
    tcp_output(c, false);
}

/* A SYN (with ACK) for our SYN (RFC 793 3.9, SYN-SENT). */
static void tcp_syn_sent_input(struct gk_tcp_conn *c, const struct tcp_seg *seg)
{
    struct gk_net_stack *s = c->stack;
    bool ack_ok = false;

    if (seg->flags & TCP_ACK) {
        if (SEQ_LEQ(seg->ack, c->iss) || SEQ_GT(seg->ack, c->snd_max)) {
            if (!(seg->flags & TCP_RST))
                tcp_send_rst(s, c->remote_ip, c->local_port, c->remote_port, seg->ack, 0, false);
            return;
        }
        ack_ok = true;
    }
    if (seg->flags & TCP_RST) {
        if (ack_ok)
            tcp_notify_gone(c, GK_TCP_RESET);
        return;
    }
    if (!(seg->flags & TCP_SYN))
        return;
    c->irs = seg->seq;
    c->rcv_nxt = c->rcv_adv = seg->seq + 1;
    c->snd_wnd = c->max_snd_wnd = seg->wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = seg->ack;
    tcp_set_mss(c, seg->mss);
    if (!ack_ok) {
        /* Simultaneous open: our SYN goes again, now with an ACK. */
        c->state = TCP_SYN_RCVD;
        c->snd_nxt = c->iss;
        tcp_output(c, false);
        return;
    }
    if (c->rtt_timing) {
        c->rtt_timing = false;
        tcp_rtt_sample(c, (uint32_t)(s->now_ms - c->rtt_start));
    }
    c->snd_una = seg->ack;
    c->retries = 0;
    c->rto_at = 0;
    c->state = c->fin_queued ? TCP_FIN_WAIT_1 : TCP_ESTABLISHED;
    c->ack_now = true;
    if (c->owned && c->cb.event) {
        c->cb.event(c, GK_TCP_CONNECTED, c->arg);
        if (c->state == TCP_CLOSED)
            return;
    }
    tcp_output(c, false);
}

/* Congestion window on an ACK of new data (RFC 5681 3.1, NewReno's RFC 6582 3.2). */
static void tcp_cong_ack(struct gk_tcp_conn *c, uint32_t acked)
{
    if (c->in_recovery) {
        if (SEQ_GEQ(c->snd_una, c->recover)) {
            c->in_recovery = false;
            c->cwnd = c->ssthresh;
        } else {
            /* A partial ACK: the next hole is lost too. */
            tcp_retransmit_first(c);
            c->cwnd = c->cwnd > acked ? c->cwnd - acked + c->mss : c->mss;
        }
        return;
    }
    if (!acked)
        return;                         /* only SYN or FIN: no data left the network */
    if (c->cwnd < c->ssthresh)
        c->cwnd += min_u32(acked, c->mss);
    else
        c->cwnd += c->mss * c->mss / c->cwnd ? c->mss * c->mss / c->cwnd : 1;
    if (c->cwnd > TCP_CWND_MAX)
        c->cwnd = TCP_CWND_MAX;
}

static void tcp_dupack(struct gk_tcp_conn *c, uint32_t ack)
{
    if (c->dupacks < UINT8_MAX)
        c->dupacks++;
    if (c->in_recovery) {
        c->cwnd += c->mss;              /* a segment left the network */
    } else if (c->dupacks == 3 && SEQ_GT(ack, c->recover)) {
        c->ssthresh = (c->snd_max - c->snd_una) / 2;
        if (c->ssthresh < 2u * c->mss)
            c->ssthresh = 2u * c->mss;
        c->recover = c->snd_max;
        c->in_recovery = true;
        tcp_retransmit_first(c);
        c->cwnd = c->ssthresh + 3u * c->mss;
    }
}

/*
 * The ACK field and window of an acceptable segment. Returns false if the
 * segment must go no further (the connection may be closed).
 */
static bool tcp_ack_input(struct gk_tcp_conn *c, const struct tcp_seg *seg)
{
    struct gk_net_stack *s = c->stack;
    uint32_t data_acked = 0;
    uint32_t old_limit = c->max_snd_wnd > c->mss ? c->max_snd_wnd : c->mss;

    if (SEQ_GT(seg->ack, c->snd_max)) {
        tcp_ack_now(c);                 /* acknowledges what we never sent */
        return false;
    }
    if (SEQ_LT(seg->ack, c->snd_una - old_limit)) {
        tcp_ack_now(c);                 /* RFC 5961 5.2: far too old, a blind guess */
        return false;
    }
    if (SEQ_GT(seg->ack, c->snd_una)) {
        if (c->rtt_timing && SEQ_GEQ(seg->ack, c->rtt_seq)) {
            c->rtt_timing = false;
            tcp_rtt_sample(c, (uint32_t)(s->now_ms - c->rtt_start));
        }
        if (SEQ_GT(seg->ack, c->tx_seq)) {
            data_acked = min_u32(seg->ack - c->tx_seq, c->tx_len);
            c->tx_seq += data_acked;
            c->tx_len -= data_acked;
            c->tx_head = (c->tx_head + data_acked) % c->tx_size;
        }
        c->snd_una = seg->ack;
        if (SEQ_LT(c->snd_nxt, c->snd_una))
            c->snd_nxt = c->snd_una;
        c->retries = 0;
        c->rto_ms = tcp_rto_base(c);
        c->rto_at = c->snd_una == c->snd_max ? 0 : s->now_ms + c->rto_ms;
        c->dupacks = 0;
        tcp_cong_ack(c, data_acked);
    } else if (seg->ack == c->snd_una && seg->len == 0 && !(seg->flags & TCP_FIN) &&
               seg->wnd == c->snd_wnd && c->snd_wnd && c->snd_una != c->snd_max) {
        /* RFC 5681 2's duplicate ACK; answers to zero-window probes are not. */
        tcp_dupack(c, seg->ack);
    }
    /* RFC 793's window update rule: only from segments newer than the last. */
    if (SEQ_LT(c->snd_wl1, seg->seq) ||
        (c->snd_wl1 == seg->seq && SEQ_LEQ(c->snd_wl2, seg->ack))) {
        /* The window reopens: probe bytes it did not take go again now. */
        if (c->snd_wnd == 0 && seg->wnd && SEQ_LT(c->snd_una, c->snd_nxt)) {
            c->snd_nxt = c->snd_una;
            c->rtt_timing = false;
        }
        c->snd_wnd = seg->wnd;
        c->snd_wl1 = seg->seq;
        c->snd_wl2 = seg->ack;
        if (seg->wnd > c->max_snd_wnd)
            c->max_snd_wnd = seg->wnd;
    }
    /* A peer that answers with a closed window is alive: probe it for as
     * long as the program keeps the connection (RFC 1122 4.2.2.17). */
    if (c->snd_wnd == 0 && c->owned)
        c->retries = 0;

    if (tcp_fin_acked(c)) {
        switch (c->state) {
        case TCP_FIN_WAIT_1:
            c->state = TCP_FIN_WAIT_2;
            if (!c->owned)
                c->close_at = s->now_ms + TCP_FIN_WAIT_2_MS;
            break;
        case TCP_CLOSING:
            tcp_enter_time_wait(c);
            break;
        case TCP_LAST_ACK:
            tcp_set_closed(c);
            return false;
        default:
            break;
        }
    }
    if (data_acked && c->owned && c->cb.sent) {
        c->cb.sent(c, data_acked, c->arg);
        if (c->state == TCP_CLOSED)
            return false;
    }
    return true;
}

/* SYN-RCVD: the ACK that completes a passive open (or a simultaneous one). */
static bool tcp_handshake_done(struct gk_tcp_conn *c, const struct tcp_seg *seg)
{
    struct gk_net_stack *s = c->stack;
    int rc;

    if (SEQ_LEQ(seg->ack, c->snd_una) || SEQ_GT(seg->ack, c->snd_max)) {
        tcp_send_rst(s, c->remote_ip, c->local_port, c->remote_port, seg->ack, 0, false);
        return false;
    }
    c->state = c->fin_queued ? TCP_FIN_WAIT_1 : TCP_ESTABLISHED;
    c->snd_wnd = seg->wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = seg->ack;
    if (c->accepted) {
        if (c->owned && c->cb.event)
            c->cb.event(c, GK_TCP_CONNECTED, c->arg);
        return c->state != TCP_CLOSED;
    }
    c->accepted = true;
    c->owned = true;
    rc = c->accept ? c->accept(c, c->accept_arg) : -XEN_ECONNREFUSED;
    if (c->state == TCP_CLOSED)
        return false;
    if (rc < 0) {
        c->owned = false;
        tcp_send_rst(s, c->remote_ip, c->local_port, c->remote_port, seg->ack, 0, false);
        tcp_set_closed(c);
        return false;
    }
    return true;
}

/* Data and FIN of an acceptable segment, trimmed to start at rcv_nxt. */
static void tcp_data_input(struct gk_tcp_conn *c, struct tcp_seg *seg, uint32_t wnd)
{
    struct gk_net_stack *s = c->stack;

    if (seg->len) {
        if (c->state != TCP_ESTABLISHED && c->state != TCP_FIN_WAIT_1 &&
            c->state != TCP_FIN_WAIT_2) {
            /* Past the peer's FIN there is no more data. */
            seg->len = 0;
            seg->flags &= (uint8_t)~TCP_FIN;
            c->ack_now = true;
        } else if (seg->seq != c->rcv_nxt) {
            /* Out of order: dropped; the duplicate ACK brings the hole back. */
            s->stats.tcp_ooo_drops++;
            seg->len = 0;
            seg->flags &= (uint8_t)~TCP_FIN;
            c->ack_now = true;
        } else if (!c->owned) {
            /* Data for a program that closed: nobody will read it. */
            tcp_send_rst(s, c->remote_ip, c->local_port, c->remote_port, c->snd_nxt, 0, false);
            tcp_set_closed(c);
            return;
        } else {
            uint32_t n = min_u32(min_u32(seg->len, wnd), c->rx_size - c->rx_len);
            uint32_t pos = (c->rx_head + c->rx_len) % c->rx_size;
            uint32_t first = min_u32(n, c->rx_size - pos);

            if (n < seg->len) {
                seg->flags &= (uint8_t)~TCP_FIN;
                c->ack_now = true;
            }
            memcpy(c->rx_buf + pos, seg->data, first);
            memcpy(c->rx_buf, seg->data + first, n - first);
            c->rx_len += n;
            c->rcv_nxt += n;
            seg->len = n;
            /* RFC 1122 4.2.3.2: at least every second segment. */
            if (++c->acks_owed >= 2)
                c->ack_now = true;
        }
    }
    if (!(seg->flags & TCP_FIN) || seg->seq + seg->len != c->rcv_nxt)
        return;
    switch (c->state) {
    case TCP_ESTABLISHED:
        c->state = TCP_CLOSE_WAIT;
        break;
    case TCP_FIN_WAIT_1:
        if (tcp_fin_acked(c))
            tcp_enter_time_wait(c);
        else
            c->state = TCP_CLOSING;
        break;
    case TCP_FIN_WAIT_2:
        tcp_enter_time_wait(c);
        break;
    default:
        return;                         /* a FIN again: the ACK below is all it needs */
    }
    c->rcv_nxt++;
    c->fin_rcvd = true;
    c->ack_now = true;
}

/* A segment for an existing connection. */
static void tcp_conn_input(struct gk_tcp_conn *c, const struct tcp_seg *in)
{
    struct gk_net_stack *s = c->stack;
    struct tcp_seg seg = *in;
    uint32_t wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    uint32_t seg_len;
    bool ok;

    if (c->state == TCP_SYN_SENT) {
        tcp_syn_sent_input(c, &seg);
        return;
    }
    /* RFC 5961 3.2: only an exact RST resets; one in the window earns a challenge ACK. */
    if (seg.flags & TCP_RST) {
        if (seg.seq == c->rcv_nxt)
            tcp_notify_gone(c, GK_TCP_RESET);
        else if (in_window(seg.seq, c->rcv_nxt, wnd ? wnd : 1))
            tcp_ack_now(c);
        return;
    }
    if (seg.flags & TCP_SYN) {
        if (c->state == TCP_SYN_RCVD && !(seg.flags & TCP_ACK) && seg.seq == c->irs)
            tcp_retransmit_first(c);    /* our SYN-ACK was lost */
        else
            tcp_ack_now(c);             /* RFC 5961 4.2: challenge ACK */
        return;
    }

    /* RFC 793's acceptability test. */
    seg_len = seg.len + !!(seg.flags & TCP_FIN);
    if (seg_len == 0)
        ok = wnd ? in_window(seg.seq, c->rcv_nxt, wnd) : seg.seq == c->rcv_nxt;
    else
        ok = wnd && (in_window(seg.seq, c->rcv_nxt, wnd) ||
                     in_window(seg.seq + seg_len - 1, c->rcv_nxt, wnd));
    if (!ok) {
        if (wnd == 0 && seg.seq == c->rcv_nxt) {
            /* A probe into our closed window: its ACK still counts (RFC 793). */
            seg.len = 0;
            seg.flags &= (uint8_t)~TCP_FIN;
            c->ack_now = true;
        } else {
            s->stats.tcp_ooo_drops++;
            if (c->state == TCP_TIME_WAIT && (seg.flags & TCP_FIN))
                c->close_at = s->now_ms + s->cfg.time_wait_ms;
            tcp_ack_now(c);
            return;
        }
    }
    /* Drop what was received already. */
    if (SEQ_LT(seg.seq, c->rcv_nxt)) {
        uint32_t dup = c->rcv_nxt - seg.seq;

        if (dup > seg.len) {
            seg.data += seg.len;
            seg.len = 0;
            seg.flags &= (uint8_t)~TCP_FIN;     /* that FIN was taken already */
        } else {
            seg.data += dup;
            seg.len -= dup;
        }
        seg.seq = c->rcv_nxt;
        c->ack_now = true;
    }
    if (!(seg.flags & TCP_ACK)) {
        if (c->ack_now)
            tcp_output(c, false);
        return;
    }
    if (c->state == TCP_SYN_RCVD && !tcp_handshake_done(c, &seg))
        return;
    if (!tcp_ack_input(c, &seg))
        return;
    tcp_data_input(c, &seg, wnd);
    if (c->state == TCP_CLOSED)
        return;
    tcp_deliver(c);
    tcp_output(c, false);
}

void net_tcp_input(struct gk_net_stack *s, const struct net_ip_rx *ip, const uint8_t *t,
                   size_t len)
{
    const struct net_tcp_listener *l;
    struct gk_tcp_conn *c;
    struct tcp_seg seg;
    uint16_t sport, dport;
    size_t doff;

    if (len < TCP_HLEN) {
        s->stats.rx_bad_l4++;
        return;
    }
    doff = (size_t)(t[12] >> 4) * 4;
    if (doff < TCP_HLEN || doff > len) {
        s->stats.rx_bad_l4++;
        return;
    }
    if (net_csum_fold(net_sum(net_sum_pseudo(ip->src, ip->dst, IP_PROTO_TCP, (uint16_t)len),
                              t, len))) {
        s->stats.rx_bad_checksum++;
        return;
    }
    sport = get16(t);
    dport = get16(t + 2);
    /* RFC 1122 4.2.3.10: never to or from a broadcast address. */
    if (ip->broadcast || !sport || !dport) {
        s->stats.rx_bad_l4++;
        return;
    }
    seg.seq = get32(t + 4);
    seg.ack = get32(t + 8);
    seg.flags = t[13] & (TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK);
    seg.wnd = get16(t + 14);
    seg.mss = tcp_parse_mss(t + TCP_HLEN, doff - TCP_HLEN);
    seg.data = t + doff;
    seg.len = (uint32_t)(len - doff);

    c = tcp_conn_find(s, ip->src, sport, dport);
    l = tcp_listener_find(s, dport);
    /* RFC 1122 4.2.2.13: a new SYN may take over a connection in TIME_WAIT. */
    if (c && c->state == TCP_TIME_WAIT && !c->owned && l &&
        (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN && SEQ_GT(seg.seq, c->rcv_nxt)) {
        tcp_set_closed(c);
        c = NULL;
    }
    if (c)
        tcp_conn_input(c, &seg);
    else if (l)
        tcp_listen_input(s, l, ip->src, sport, dport, &seg);
    else
        tcp_reply_rst(s, ip->src, dport, sport, &seg);
}
