/* switchd.h: the built-in switch: one process per switch, vifs as SOCK_SEQPACKET ports. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_SWITCHD_H
#define NETBACK_SWITCHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"

/*
 * A switch is named by the toolstack (vif key "switch"); its process
 * listens on $LAMINA_RUNDIR/netback/switch-<name>.sock. Each vif worker
 * connects once (one port) and then exchanges messages that are exactly
 * what the vif's TAP device would carry: a struct virtio_net_hdr and an
 * Ethernet frame. The first message of a connection is a hello naming
 * the port (for messages and statistics).
 */
#define NB_SWITCH_NAME_MAX 32

/* Letters, digits, '-', '_' and '.', not starting with '.': safe in a file name. */
bool nb_switch_name_ok(const char *name);
/* The switch's socket path; -ENAMETOOLONG if it does not fit. */
int nb_switch_socket_path(const char *name, char *buf, size_t size);

struct nb_switchd_config {
    uint64_t aging_ms;          /* forget addresses not seen for this long (default 300 s) */
    unsigned int idle_ms;       /* exit after this long without any port (0: never) */
    unsigned int max_ports;
};

struct nb_switchd_stats {
    uint64_t frames;            /* taken from ports */
    uint64_t flooded;           /* of those, sent to every other port */
    uint64_t dropped;           /* copies a port had no room for, malformed frames */
    unsigned int ports;         /* connected now (and past their hello) */
};

struct nb_switchd;

/*
 * Take the switch's lock and socket. Returns 0, -EBUSY when another
 * process serves this switch, or another negative errno.
 */
int nb_switchd_open(struct nb_switchd **out, const char *name,
                    const struct nb_switchd_config *cfg);
/* Forward frames until stop_fd is readable, or the switch has been idle for idle_ms. */
int nb_switchd_run(struct nb_switchd *sd, int stop_fd);
void nb_switchd_close(struct nb_switchd *sd);
/* Safe from another thread. */
void nb_switchd_stats(struct nb_switchd *sd, struct nb_switchd_stats *out);

/* A new port on switch name: a connected, non-blocking descriptor, or a negative errno. */
int nb_switch_connect(const char *name, const char *port);

/*
 * A vif's link to switch name. When no process serves the switch yet and
 * self is given, `self --switch <name> <extra_args...>` is run first (it
 * detaches and returns once the switch listens). The link reconnects by
 * itself when the switch goes away and comes back.
 */
int nb_switch_link_open(struct nb_link **out, const char *name, const char *port,
                        const char *self, char *const *extra_args, char *err, size_t errlen);

#endif /* NETBACK_SWITCHD_H */
