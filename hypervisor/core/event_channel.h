/* event_channel.h: Xen's 2-level event channels between domains and dom0. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_EVENT_CHANNEL_H
#define LAMINA_HV_EVENT_CHANNEL_H

#include <pthread.h>
#include <stdint.h>

#include <xen/event_channel.h>

struct domain;
struct vcpu;

#define EVTCHN_GUEST_MAX_PORTS  1024    /* xl's default max_event_channels + 1 */
#define EVTCHN_DOM0_MAX_PORTS   EVTCHN_2L_NR_CHANNELS
#define EVTCHN_NR_VIRQS         24

/* Port states, as Xen names them. */
enum evtchn_state {
    ECS_FREE,
    ECS_RESERVED,
    ECS_UNBOUND,
    ECS_INTERDOMAIN,
    ECS_PIRQ,
    ECS_VIRQ,
    ECS_IPI,
};

struct evtchn_kick;

/*
 * Who is at the dom0 end of a port: a dom0 process, which gave a pipe the
 * hypervisor writes when the port fires (notify_fd) and one it writes to
 * send on the port (kick_fd), both opened non-blocking by the hypervisor; or
 * a part of the hypervisor itself (internal, called with no event-channel
 * lock held).  The table owns the descriptors.
 */
struct evtchn_owner {
    void *conn;             /* the control connection that bound it, or NULL */
    int notify_fd;          /* pipe to write a byte to, or -1 */
    int kick_fd;            /* pipe the owner writes to send, or -1 */
    void (*internal)(void *arg, uint32_t port);
    void *internal_arg;
    struct evtchn_kick *kick;   /* the event thread's watch on kick_fd */
};

struct evtchn {
    uint8_t state;
    uint32_t notify_vcpu;
    union {
        struct {
            domid_t remote_domid;
        } unbound;
        struct {
            struct domain *remote;      /* a reference while bound */
            uint32_t remote_port;
        } interdomain;
        uint32_t virq;
    } u;
    struct evtchn_owner owner;          /* dom0 ports only */
};

struct evtchn_table {
    pthread_mutex_t lock;
    struct evtchn *ports;
    uint32_t max_ports;
    uint32_t global_virq[EVTCHN_NR_VIRQS];
};

int evtchn_domain_init(struct domain *d, uint32_t max_ports);
/* Close every port (peers see their ports unbound) and free the table. */
void evtchn_domain_destroy(struct domain *d);

long do_event_channel_op(struct vcpu *v, const uint64_t a[6]);

/* Raise a virtual IRQ on a vCPU (per-vCPU VIRQs) or on its domain (global). */
void evtchn_send_virq(struct vcpu *v, uint32_t virq);

/* How often an upcall the guest has not taken is looked at (and raised again). */
#define UPCALL_WATCH_NS     100000000ull
void evtchn_upcall_watch(struct vcpu *v);
/* Set a vCPU's upcall vector (0: none), delivering what is already pending. */
void vcpu_set_upcall_vector(struct vcpu *v, uint8_t vector);
void evtchn_send_global_virq(struct domain *d, uint32_t virq);

/* Is any of these ports pending in d?  (SCHEDOP_poll) */
int evtchn_check_pending(struct domain *d, const uint32_t *ports, unsigned int n);

/*
 * Operations on behalf of a caller domain, used by the guest hypercalls and
 * by dom0's control requests.  owner is NULL for guests.  Each returns 0 or
 * a negative errno and, on success, the port in *port.
 */
int evtchn_alloc_unbound(struct domain *d, domid_t remote, const struct evtchn_owner *owner,
                         uint32_t *port);
int evtchn_bind_interdomain(struct domain *d, domid_t remote, uint32_t remote_port,
                            const struct evtchn_owner *owner, uint32_t *port);
int evtchn_bind_virq(struct domain *d, uint32_t virq, uint32_t vcpu,
                     const struct evtchn_owner *owner, uint32_t *port);
int evtchn_close(struct domain *d, uint32_t port, const void *conn);
int evtchn_send(struct domain *d, uint32_t port, const void *conn);
int evtchn_unmask(struct domain *d, uint32_t port);

/* Close every dom0 port bound through connection conn (it went away). */
void evtchn_release_conn(void *conn);

/*
 * The shared page holding dom0's pending and mask bitmaps (a struct
 * shared_info), which dom0 processes map to receive events without a
 * round trip.
 */
int evtchn_dom0_page_fd(void);

#endif /* LAMINA_HV_EVENT_CHANNEL_H */
