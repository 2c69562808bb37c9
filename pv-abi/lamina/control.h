/* control.h: the control protocol between dom0 programs and lamina-hv. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_CONTROL_H__
#define __LAMINA_CONTROL_H__

/*
 * Dom0 programs (the lamina CLI, xenstored, backends) reach the hypervisor
 * through one UNIX SOCK_SEQPACKET socket, $LAMINA_RUNDIR/hv.sock, owned by
 * root with mode 0600.  Every message, in both directions, is one packet: a
 * fixed header followed by `len` bytes of payload.  File descriptors (kernel
 * images, memory, event fds) travel with their packet as SCM_RIGHTS
 * ancillary data and are counted in `nfds`.  Packets keep framing intact
 * whatever a client sends.
 *
 * A client sends requests with a sequence number of its choosing; the
 * hypervisor answers each request with exactly one reply carrying the same
 * type and seq, LAMINA_CTL_F_REPLY set and `status` 0 or a negative errno.
 * Replies come in request order.  A client that subscribed to events also
 * receives messages with LAMINA_CTL_F_EVENT set (seq 0) interleaved with
 * replies.
 *
 * The hypervisor checks every field: a header with the wrong magic or
 * version, a payload longer than LAMINA_CTL_MAX_PAYLOAD or shorter than the
 * operation's fixed part, unexpected file descriptors, or strings without a
 * terminating NUL get an error reply (or, when the stream can no longer be
 * framed, a closed connection).
 *
 * All integers are host-endian (both ends run on the same host); every
 * structure is laid out with explicit padding so that it has the same size
 * in every compiler mode.
 */

#include <stdint.h>

#define LAMINA_CTL_MAGIC        0x434e4d4cu /* "LMNC" in memory */
#define LAMINA_CTL_VERSION      1
#define LAMINA_CTL_SOCKET_NAME  "hv.sock"
#define LAMINA_CTL_MAX_PAYLOAD  (64u * 1024u)
#define LAMINA_CTL_MAX_FDS      4

#define LAMINA_CTL_F_REPLY      (1u << 0)
#define LAMINA_CTL_F_EVENT      (1u << 1)

struct lamina_ctl_hdr {
    uint32_t magic;
    uint16_t version;
    uint16_t type;      /* LAMINA_CTL_OP_* or LAMINA_CTL_EV_* */
    uint32_t seq;
    int32_t status;     /* replies: 0 or -errno; requests and events: 0 */
    uint32_t len;       /* bytes of payload after this header */
    uint16_t flags;     /* LAMINA_CTL_F_* */
    uint16_t nfds;      /* descriptors passed with this message */
};

/* Operations (client -> hypervisor). */
enum lamina_ctl_op {
    LAMINA_CTL_OP_HELLO = 1,
    LAMINA_CTL_OP_DOMAIN_CREATE = 2,
    LAMINA_CTL_OP_DOMAIN_BUILD_PVH = 3,
    LAMINA_CTL_OP_DOMAIN_UNPAUSE = 4,
    LAMINA_CTL_OP_DOMAIN_PAUSE = 5,
    LAMINA_CTL_OP_DOMAIN_DESTROY = 6,
    LAMINA_CTL_OP_DOMAIN_SHUTDOWN = 7,
    LAMINA_CTL_OP_DOMAIN_GETINFO = 8,
    LAMINA_CTL_OP_DOMAIN_GET_CONFIG = 9,
    LAMINA_CTL_OP_CONSOLE_ATTACH = 10,
    LAMINA_CTL_OP_CONSOLE_DETACH = 11,
    LAMINA_CTL_OP_CONSOLE_INPUT = 12,
    LAMINA_CTL_OP_SUBSCRIBE = 13,
    LAMINA_CTL_OP_XEN_VERSION = 14,
    LAMINA_CTL_OP_EVTCHN_OPEN = 15,
    LAMINA_CTL_OP_EVTCHN_BIND = 16,
    LAMINA_CTL_OP_EVTCHN_UNBIND = 17,
    LAMINA_CTL_OP_EVTCHN_NOTIFY = 18,
    LAMINA_CTL_OP_GNTTAB_MAP = 19,
    LAMINA_CTL_OP_GNTTAB_UNMAP = 20,
    LAMINA_CTL_OP_GNTTAB_COPY = 21,
    LAMINA_CTL_OP_MAX
};

/* Events (hypervisor -> subscribed client). */
enum lamina_ctl_event {
    LAMINA_CTL_EV_DOMAIN = 0x100,       /* struct lamina_ctl_ev_domain */
    LAMINA_CTL_EV_CONSOLE = 0x101,      /* struct lamina_ctl_ev_console + bytes */
};

/* LAMINA_CTL_OP_HELLO: first request on a connection. */
struct lamina_ctl_hello {
    uint32_t version;           /* LAMINA_CTL_VERSION the client speaks */
    uint32_t pad;
    char client[32];            /* program name, for the log */
};

struct lamina_ctl_hello_reply {
    uint32_t version;           /* protocol version of the hypervisor */
    uint32_t features;          /* LAMINA_CTL_FEAT_* */
    uint32_t xen_major;         /* Xen version the guest ABI reports */
    uint32_t xen_minor;
    char hv_version[32];        /* lamina-hv package version */
};

#define LAMINA_CTL_FEAT_KVM_XEN (1u << 0) /* host KVM intercepts Xen hypercalls */

/* Domain life-cycle actions, as xl names them (on_poweroff= etc.). */
enum lamina_action {
    LAMINA_ACTION_DESTROY = 0,
    LAMINA_ACTION_RESTART = 1,
    LAMINA_ACTION_RENAME_RESTART = 2,
    LAMINA_ACTION_PRESERVE = 3,
    LAMINA_ACTION_COREDUMP_DESTROY = 4,
    LAMINA_ACTION_COREDUMP_RESTART = 5,
    LAMINA_ACTION_SOFT_RESET = 6,
    LAMINA_ACTION_MAX
};

#define LAMINA_NAME_MAX 64      /* including the NUL */

/*
 * LAMINA_CTL_OP_DOMAIN_CREATE: a new domain, paused, with memory but no
 * kernel yet.  Followed by config_len bytes of the toolstack's JSON config,
 * which the hypervisor stores verbatim and hands back on GET_CONFIG.
 */
struct lamina_ctl_domain_create {
    uint8_t uuid[16];
    char name[LAMINA_NAME_MAX];
    uint64_t memory_kb;
    uint64_t maxmem_kb;
    uint32_t max_vcpus;
    uint32_t flags;             /* LAMINA_CREATE_* */
    uint8_t on_poweroff;        /* enum lamina_action */
    uint8_t on_reboot;
    uint8_t on_crash;
    uint8_t on_watchdog;
    uint32_t config_len;
    /* uint8_t config[config_len]; */
};

#define LAMINA_CREATE_F_MASK 0u /* no flags defined yet */

struct lamina_ctl_domid {
    uint32_t domid;
    uint32_t pad;
};

/*
 * LAMINA_CTL_OP_DOMAIN_BUILD_PVH: load a PVH kernel into a domain that was
 * created but not built.  Descriptors: the kernel image, then optionally the
 * ramdisk.  Followed by cmdline_len bytes of command line, NUL included.
 */
struct lamina_ctl_domain_build_pvh {
    uint32_t domid;
    uint32_t cmdline_len;
    /* char cmdline[cmdline_len]; */
};

struct lamina_ctl_domain_build_reply {
    uint64_t entry;             /* guest-physical PVH entry point */
    uint64_t start_info;        /* guest-physical hvm_start_info */
    uint64_t console_pfn;
    uint64_t store_pfn;
    uint32_t console_port;      /* console event channel in the guest */
    uint32_t store_port;        /* xenstore event channel in the guest */
};

/* LAMINA_CTL_OP_DOMAIN_SHUTDOWN: as if the guest had asked (SHUTDOWN_*). */
struct lamina_ctl_domain_shutdown {
    uint32_t domid;
    uint32_t reason;
};

/* LAMINA_CTL_OP_DOMAIN_GETINFO: up to max records of domains >= first. */
struct lamina_ctl_getinfo {
    uint32_t first_domid;
    uint32_t max;
};

/* State bits: the values of Xen's XEN_DOMINF_* flags. */
#define LAMINA_DOMINF_DYING         (1u << 0)
#define LAMINA_DOMINF_HVM_GUEST     (1u << 1)
#define LAMINA_DOMINF_SHUTDOWN      (1u << 2)
#define LAMINA_DOMINF_PAUSED        (1u << 3)
#define LAMINA_DOMINF_BLOCKED       (1u << 4)
#define LAMINA_DOMINF_RUNNING       (1u << 5)
#define LAMINA_DOMINF_HAP           (1u << 8)
#define LAMINA_DOMINF_SHUTDOWN_SHIFT 16
#define LAMINA_DOMINF_SHUTDOWN_MASK 0xffu

/* Lamina-specific state bits above Xen's, never set in Xen's flags. */
#define LAMINA_DOMINF_BUILT         (1u << 24)  /* a kernel is loaded */
#define LAMINA_DOMINF_CRASHED       (1u << 25)  /* shut down with SHUTDOWN_crash */

struct lamina_ctl_dominfo {
    uint32_t domid;
    uint32_t flags;             /* LAMINA_DOMINF_* */
    uint8_t uuid[16];
    char name[LAMINA_NAME_MAX];
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t shared_info_frame;
    uint64_t cpu_time_ns;
    uint64_t uptime_ns;         /* since the domain was created */
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
    uint8_t on_poweroff;
    uint8_t on_reboot;
    uint8_t on_crash;
    uint8_t on_watchdog;
    uint32_t pad;
};

struct lamina_ctl_getinfo_reply {
    uint32_t count;
    uint32_t pad;
    /* struct lamina_ctl_dominfo info[count]; */
};

/*
 * LAMINA_CTL_OP_CONSOLE_ATTACH: stream the domain's console on this
 * connection as LAMINA_CTL_EV_CONSOLE events.  With LAMINA_CONSOLE_F_REPLAY
 * the bytes the hypervisor still holds from before the attach come first.
 */
struct lamina_ctl_console_attach {
    uint32_t domid;
    uint32_t flags;
};

#define LAMINA_CONSOLE_F_REPLAY     (1u << 0)

/* LAMINA_CTL_OP_CONSOLE_INPUT: bytes for the guest's console. */
struct lamina_ctl_console_input {
    uint32_t domid;
    uint32_t len;
    /* uint8_t data[len]; */
};

/* LAMINA_CTL_OP_SUBSCRIBE: domain events for one domain or all. */
struct lamina_ctl_subscribe {
    uint32_t domid;             /* LAMINA_DOMID_ANY for all */
    uint32_t mask;              /* LAMINA_EVMASK_* */
};

#define LAMINA_DOMID_ANY            0xffffffffu
#define LAMINA_EVMASK_DOMAIN        (1u << 0)

/* LAMINA_CTL_EV_DOMAIN */
enum lamina_domain_event {
    LAMINA_DOMEV_CREATED = 1,
    LAMINA_DOMEV_UNPAUSED = 2,
    LAMINA_DOMEV_PAUSED = 3,
    LAMINA_DOMEV_SHUTDOWN = 4,  /* reason: SHUTDOWN_* */
    LAMINA_DOMEV_DESTROYED = 5,
};

struct lamina_ctl_ev_domain {
    uint32_t domid;
    uint32_t event;             /* enum lamina_domain_event */
    uint32_t reason;            /* SHUTDOWN_* for LAMINA_DOMEV_SHUTDOWN */
    uint32_t action;            /* enum lamina_action the hypervisor applied */
};

/* LAMINA_CTL_EV_CONSOLE */
struct lamina_ctl_ev_console {
    uint32_t domid;
    uint32_t len;
    /* uint8_t data[len]; */
};

/* LAMINA_CTL_OP_XEN_VERSION: the version the guest ABI reports. */
struct lamina_ctl_xen_version_reply {
    uint32_t major;
    uint32_t minor;
    char extra[16];
};

/*
 * Event channels for dom0 processes.  Domain 0 is the host's userspace: its
 * ports belong to the connection that bound them and are closed with it.
 *
 * LAMINA_CTL_OP_EVTCHN_OPEN (no payload): the reply carries one descriptor,
 * a page holding dom0's struct shared_info, whose evtchn_pending and
 * evtchn_mask bitmaps are dom0's event state.  Map it read-write.
 *
 * LAMINA_CTL_OP_EVTCHN_BIND: bind a port, passing two pipe ends: first the
 * write end of a pipe the hypervisor writes a byte to when the port becomes
 * pending while unmasked (notify), then the read end of a pipe the process
 * writes a byte to in order to send on the port (kick).  The hypervisor
 * opens each pipe afresh, non-blocking, so nothing a process does to its
 * own descriptors can make the hypervisor wait; a full pipe just means a
 * wake-up is already on its way.  The process takes an event by atomically
 * setting the port's mask bit and clearing its pending bit; it unmasks by
 * clearing the mask bit and, if the pending bit is then set, treating the
 * port as pending again.
 */
enum lamina_evtchn_bind_kind {
    LAMINA_EVTCHN_BIND_UNBOUND = 1,     /* alloc_unbound for remote_domid */
    LAMINA_EVTCHN_BIND_INTERDOMAIN = 2, /* to remote_domid's remote_port */
    LAMINA_EVTCHN_BIND_VIRQ = 3,        /* a global VIRQ (VIRQ_DOM_EXC ...) */
};

struct lamina_ctl_evtchn_bind {
    uint32_t kind;
    uint32_t remote_domid;
    uint32_t remote_port;
    uint32_t virq;
};

/* LAMINA_CTL_OP_EVTCHN_BIND reply; UNBIND and NOTIFY take the same struct. */
struct lamina_ctl_evtchn_port {
    uint32_t port;
    uint32_t pad;
};

/*
 * Grant mapping for dom0 processes.  LAMINA_CTL_OP_GNTTAB_MAP holds `count`
 * grants of one domain; the reply gives, per grant, the offset of the
 * granted frame in that domain's memory, which travels as the reply's one
 * descriptor (when any grant succeeded), and a handle for the unmap.  The
 * grants stay held (GTF_reading/GTF_writing set, the granter's end of
 * access refused) until unmapped or the connection closes.
 */
#define LAMINA_GNTTAB_MAX_BATCH     512
#define LAMINA_GNTTAB_F_READONLY    (1u << 0)

struct lamina_ctl_gnttab_map {
    uint32_t domid;
    uint32_t count;
    uint32_t flags;                 /* LAMINA_GNTTAB_F_* */
    uint32_t pad;
    /* uint32_t refs[count]; */
};

struct lamina_ctl_gnttab_mapped {
    uint64_t offset;
    uint32_t handle;
    int32_t status;                 /* GNTST_* */
};

struct lamina_ctl_gnttab_map_reply {
    uint32_t count;
    uint32_t pad;
    /* struct lamina_ctl_gnttab_mapped maps[count]; */
};

struct lamina_ctl_gnttab_unmap {
    uint32_t count;
    uint32_t pad;
    /* uint32_t handles[count]; */
};

/*
 * LAMINA_CTL_OP_GNTTAB_COPY: copies between granted pages and the request
 * or reply.  The request holds `count` segments, then the bytes of every
 * TO_GUEST segment in order; the reply holds one status per segment (GNTST_*,
 * padded to 8 bytes), then the bytes of every FROM_GUEST segment that
 * succeeded, in order.
 */
#define LAMINA_GNTCOPY_TO_GUEST     1
#define LAMINA_GNTCOPY_FROM_GUEST   2

struct lamina_ctl_gnttab_copy_seg {
    uint32_t domid;
    uint32_t ref;
    uint16_t offset;
    uint16_t len;
    uint8_t dir;                    /* LAMINA_GNTCOPY_* */
    uint8_t pad[3];
};

struct lamina_ctl_gnttab_copy {
    uint32_t count;
    uint32_t pad;
    /* struct lamina_ctl_gnttab_copy_seg segs[count]; uint8_t data[]; */
};

#endif /* __LAMINA_CONTROL_H__ */
