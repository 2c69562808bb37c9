/* tcp.h: TCP's connection state, shared by tcp.c and tcp_input.c; not installed. */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_NET_TCP_H
#define GUEST_KIT_NET_TCP_H

#include "stack.h"

/* Sequence-number comparisons modulo 2^32 (RFC 793 3.3). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

#define TCP_MSS_DEFAULT 536u            /* RFC 1122 4.2.2.6, when the peer sends none */
#define TCP_MSS_MIN 88u                 /* below this a peer only makes us work harder */
#define TCP_RTO_INITIAL_MS 1000u
#define TCP_RTO_MIN_MS 200u             /* Linux's floor; RFC 6298 suggests 1 s */
#define TCP_RTO_MAX_MS 60000u
#define TCP_SYN_RCVD_RETRIES 4u         /* SYN-ACKs before a half-open connection goes */
#define TCP_SYN_SENT_RETRIES 5u
#define TCP_RETRIES 10u                 /* data retransmissions before giving up */
#define TCP_FIN_WAIT_2_MS 30000u        /* an orphan waiting for the peer's FIN */
#define TCP_CWND_MAX (1u << 20)

enum tcp_state {
    TCP_CLOSED,                         /* dead: freed once the program lets go */
    TCP_SYN_SENT,
    TCP_SYN_RCVD,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
};

/*
 * Lifetime: a connection is created by a SYN to a listener or by
 * gk_tcp_connect(). `owned` is set while the program holds the handle (from
 * accept/connect until gk_tcp_close(), gk_tcp_abort() or a RESET/TIMEOUT
 * event). A connection is freed only by net_tcp_reap(), at the end of
 * gk_net_input() and gk_net_poll(), once it is CLOSED and not owned: code
 * that called back into the program may still look at it until then.
 */
struct gk_tcp_conn {
    struct gk_net_stack *stack;
    enum tcp_state state;
    uint32_t serial;                    /* creation order */
    uint32_t remote_ip;
    uint16_t local_port, remote_port;

    /* Send sequence space (RFC 793 3.2); snd_max is the highest sent so far:
     * after a timeout snd_nxt goes back to snd_una and climbs again. */
    uint32_t iss, snd_una, snd_nxt, snd_max;
    uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint16_t mss;                       /* largest segment we send */
    uint32_t cwnd, ssthresh, recover;   /* congestion control (RFC 5681, 6582) */
    uint8_t dupacks;
    bool in_recovery;

    /* Send buffer: a ring holding the bytes from tx_seq (the oldest
     * unacknowledged data byte) on. SYN and FIN take sequence numbers but
     * no room. After gk_tcp_shutdown() the FIN is at tx_seq + tx_len. */
    uint8_t *tx_buf;
    uint32_t tx_size, tx_head, tx_len, tx_seq;

    /* Receive side: rcv_adv is the right edge of the window we advertised;
     * it never moves left. */
    uint32_t irs, rcv_nxt, rcv_adv;
    uint8_t *rx_buf;
    uint32_t rx_size, rx_head, rx_len;
    uint8_t acks_owed;                  /* in-order segments not acknowledged yet */

    /* Retransmission timer (also the zero-window probe timer) and RTT (RFC 6298). */
    uint64_t rto_at;                    /* 0: not running */
    uint32_t rto_ms;
    int32_t srtt8, rttvar4;             /* scaled by 8 and 4, valid once rtt_valid */
    bool rtt_valid, rtt_timing;
    uint32_t rtt_seq;                   /* timing the segment that ends here */
    uint64_t rtt_start;
    uint8_t retries;
    uint64_t close_at;                  /* TIME_WAIT / orphaned FIN_WAIT_2 end, 0: none */

    bool owned;
    bool accepted;                      /* the program has seen it */
    bool fin_queued;                    /* gk_tcp_shutdown() done */
    bool fin_rcvd, eof_delivered;
    bool ack_now;
    bool in_recv;                       /* inside the recv callback */

    struct gk_tcp_callbacks cb;
    void *arg;
    gk_tcp_accept_fn accept;
    void *accept_arg;
};

/* tcp.c */
struct net_tcp_listener *tcp_listener_find(struct gk_net_stack *s, uint16_t port);
struct gk_tcp_conn *tcp_conn_new(struct gk_net_stack *s, bool evict);
struct gk_tcp_conn *tcp_conn_find(struct gk_net_stack *s, uint32_t ip, uint16_t rport,
                                  uint16_t lport);
uint32_t tcp_isn(struct gk_tcp_conn *c);
void tcp_set_mss(struct gk_tcp_conn *c, uint16_t peer_mss);
void tcp_output(struct gk_tcp_conn *c, bool force);
void tcp_retransmit_first(struct gk_tcp_conn *c);
void tcp_send_rst(struct gk_net_stack *s, uint32_t dst, uint16_t sport, uint16_t dport,
                  uint32_t seq, uint32_t ack, bool with_ack);
void tcp_deliver(struct gk_tcp_conn *c);
void tcp_rtt_sample(struct gk_tcp_conn *c, uint32_t ms);
uint32_t tcp_rto_base(const struct gk_tcp_conn *c);
void tcp_set_closed(struct gk_tcp_conn *c);
void tcp_notify_gone(struct gk_tcp_conn *c, enum gk_tcp_event ev);

static inline uint32_t tcp_fin_seq(const struct gk_tcp_conn *c)
{
    return c->tx_seq + c->tx_len;
}

/* Our FIN went out and the peer acknowledged it. */
static inline bool tcp_fin_acked(const struct gk_tcp_conn *c)
{
    return c->fin_queued && SEQ_GT(c->snd_una, tcp_fin_seq(c));
}

static inline uint32_t tcp_our_mss(const struct gk_net_stack *s)
{
    return net_mtu(s) - IP_HLEN - TCP_HLEN;
}

#endif /* GUEST_KIT_NET_TCP_H */
