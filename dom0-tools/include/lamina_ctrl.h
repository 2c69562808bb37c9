/* lamina_ctrl.h: Lamina's extensions to the libxenctrl-compatible control interface. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_CTRL_H__
#define __LAMINA_CTRL_H__

/*
 * Calls that Xen's libxenctrl has no counterpart for, on the same
 * xc_interface handle: full domain creation (memory, name, life-cycle
 * actions and the toolstack's JSON config in one step), the PVH builder,
 * name lookup, console streaming and domain events, and starting the
 * hypervisor.  Error convention as in <xenctrl.h>: -1 (or NULL) and errno.
 */

#include <stddef.h>
#include <stdint.h>
#include <lamina/control.h>
#include <xenctrl.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lamina_domain_create_args {
    const char *name;           /* 1..LAMINA_NAME_MAX-1 of [A-Za-z0-9_.-], not all digits */
    uint8_t uuid[16];
    uint64_t memory_kb;
    uint64_t maxmem_kb;         /* 0: same as memory_kb */
    uint32_t max_vcpus;
    uint8_t on_poweroff;        /* enum lamina_action */
    uint8_t on_reboot;
    uint8_t on_crash;
    uint8_t on_watchdog;
    const char *config_json;    /* stored verbatim, handed back by get_config; may be NULL */
};

/* Create a paused domain with memory but no kernel. */
int lamina_domain_create(xc_interface *xch, const struct lamina_domain_create_args *args,
                         uint32_t *domid);

/* Where the PVH builder put things in the guest. */
struct lamina_build_info {
    uint64_t entry;
    uint64_t start_info;
    uint64_t console_pfn;
    uint64_t store_pfn;
    uint32_t console_port;
    uint32_t store_port;
};

/*
 * Load a PVH kernel (and an optional ramdisk; -1 for none) into a created
 * domain.  The descriptors stay owned by the caller.  cmdline may be NULL.
 * out may be NULL.
 */
int lamina_domain_build_pvh(xc_interface *xch, uint32_t domid, int kernel_fd, int ramdisk_fd,
                            const char *cmdline, struct lamina_build_info *out);

/* The JSON config stored at creation, NUL-terminated, to free(); "" if none. */
int lamina_domain_get_config(xc_interface *xch, uint32_t domid, char **json);

/* What lamina-hv reports about one domain. */
struct lamina_dominfo {
    uint32_t domid;
    uint32_t flags;             /* LAMINA_DOMINF_* */
    uint8_t uuid[16];
    char name[LAMINA_NAME_MAX];
    uint64_t tot_pages;
    uint64_t max_pages;
    uint64_t cpu_time_ns;
    uint64_t uptime_ns;
    uint32_t nr_online_vcpus;
    uint32_t max_vcpu_id;
    uint8_t on_poweroff;        /* enum lamina_action */
    uint8_t on_reboot;
    uint8_t on_crash;
    uint8_t on_watchdog;
};

/* Up to max domains with id >= first, in id order; returns the count. */
int lamina_domain_getinfo(xc_interface *xch, uint32_t first, unsigned int max,
                          struct lamina_dominfo *info);

/* One domain; ESRCH when there is none. */
int lamina_domain_getinfo_single(xc_interface *xch, uint32_t domid, struct lamina_dominfo *info);

/* The shutdown code (SHUTDOWN_*) held in flags, meaningful with LAMINA_DOMINF_SHUTDOWN. */
static inline unsigned int lamina_dominfo_shutdown_reason(uint32_t flags)
{
    return (flags >> LAMINA_DOMINF_SHUTDOWN_SHIFT) & LAMINA_DOMINF_SHUTDOWN_MASK;
}

/*
 * Resolve what a user typed: a string of decimal digits is a domain id
 * (which must exist), anything else a domain name.  ESRCH when no domain
 * matches, EINVAL for an empty string or an id out of range.
 */
int lamina_domain_lookup(xc_interface *xch, const char *name_or_id, uint32_t *domid);

/* Whether name is acceptable for a domain (see lamina_domain_create_args). */
int lamina_domain_name_valid(const char *name);

/*
 * Console streaming: after attach, the domain's console output arrives as
 * LAMINA_EVENT_CONSOLE events (LAMINA_CONSOLE_F_REPLAY: the bytes the
 * hypervisor still holds from before come first).
 */
int lamina_console_attach(xc_interface *xch, uint32_t domid, uint32_t flags);
int lamina_console_detach(xc_interface *xch, uint32_t domid);
int lamina_console_input(xc_interface *xch, uint32_t domid, const void *buf, size_t len);

/* Domain events for one domain or LAMINA_DOMID_ANY; mask 0 unsubscribes. */
int lamina_subscribe(xc_interface *xch, uint32_t domid, uint32_t mask);

enum lamina_event_type {
    LAMINA_EVENT_DOMAIN = 1,
    LAMINA_EVENT_CONSOLE = 2,
    LAMINA_EVENT_LOST = 3,      /* events were dropped: the queue was full */
};

struct lamina_event {
    enum lamina_event_type type;
    uint32_t domid;             /* DOMAIN and CONSOLE */
    union {
        struct {
            uint32_t event;     /* enum lamina_domain_event */
            uint32_t reason;    /* SHUTDOWN_* with LAMINA_DOMEV_SHUTDOWN */
            uint32_t action;    /* enum lamina_action the hypervisor applied */
        } domain;
        struct {
            const uint8_t *data; /* valid until the next lamina_next_event/close */
            size_t len;
        } console;
        struct {
            uint64_t domain_events;
            uint64_t console_events;
            uint64_t console_bytes;
        } lost;
    } u;
};

/*
 * Events that arrive while a call waits for its reply are queued on the
 * handle, in order, up to LAMINA_EVENT_QUEUE_MAX events or
 * LAMINA_EVENT_QUEUE_BYTES bytes of payload.  Past that, arriving events
 * are dropped and counted; once the queued events have been delivered, one
 * LAMINA_EVENT_LOST event reports the counts.  Everything dropped is newer
 * than everything queued, so a caller that re-reads domain state with
 * lamina_domain_getinfo() on LAMINA_EVENT_LOST is up to date again.
 */
#define LAMINA_EVENT_QUEUE_MAX      4096u
#define LAMINA_EVENT_QUEUE_BYTES    (1024u * 1024u)

/*
 * Next event: queued ones first, then from the socket, waiting up to
 * timeout_ms (-1: forever, 0: don't wait).  Returns 1 with *ev filled, 0 on
 * timeout, -1 with errno (ECONNRESET: the hypervisor went away; EPROTO: a
 * malformed event, which is dropped, and the next call goes on).
 */
int lamina_next_event(xc_interface *xch, struct lamina_event *ev, int timeout_ms);

/*
 * A descriptor to poll for POLLIN.  Events may already be queued on the
 * handle, so drain lamina_next_event(xch, &ev, 0) before polling.
 */
int lamina_fd(xc_interface *xch);

/* Bound the wait for any reply (default 60000 ms; -1: forever). */
void lamina_set_reply_timeout(xc_interface *xch, int timeout_ms);

/* What the hypervisor said when the handle connected. */
struct lamina_hv_info {
    uint32_t protocol_version;
    uint32_t features;          /* LAMINA_CTL_FEAT_* */
    uint32_t xen_major;
    uint32_t xen_minor;
    char hv_version[33];
};

int lamina_hv_info(xc_interface *xch, struct lamina_hv_info *info);

/*
 * The lamina-hv binary to start: $LAMINA_HV, else ../hypervisor/lamina-hv
 * next to the running program's directory (a build tree), else the
 * installed one.
 */
int lamina_hv_binary(char *buf, size_t size);

/*
 * The same for any Lamina daemon by name ("lamina-hv", "lamina-xenstored",
 * "lamina-blkback", "lamina-netback"): $LAMINA_HV, $LAMINA_XENSTORED,
 * $LAMINA_BLKBACK or $LAMINA_NETBACK, else the build tree's, else the
 * installed one.
 */
int lamina_daemon_binary(const char *name, char *buf, size_t size);

/*
 * Start the hypervisor daemon and wait until its control socket accepts
 * connections (the daemon's foreground process exits 0 then).  binary NULL
 * means lamina_hv_binary().  The daemon's diagnostics go to our stderr.
 * Fails with EIO when the daemon's foreground process exits non-zero and
 * ETIMEDOUT (after killing it) when it does not exit within timeout_ms
 * (-1: wait forever).
 */
int lamina_hv_start(const char *binary, int timeout_ms);

/* The same for any daemon: binary is a path, or a daemon name as above. */
int lamina_daemon_start(const char *binary, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* __LAMINA_CTRL_H__ */
