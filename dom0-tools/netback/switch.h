/* switch.h: the built-in switch's brain: a learning L2 forwarding table with aging. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_SWITCH_H
#define NETBACK_SWITCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Pure decisions, no I/O: the switch daemon (switchd.c) feeds every frame
 * through nb_switch_route() and sends it where it is told. Ports are small
 * integers below the max_ports given at creation.
 *
 * The table is bounded in total and per port, so a guest that sends from
 * thousands of made-up addresses cannot push other guests' addresses out:
 * beyond its share it simply stops being learned (frames to unknown
 * addresses are flooded, which is always correct, only slower).
 */
struct nb_switch;

struct nb_switch_config {
    unsigned int max_ports;
    unsigned int max_entries;       /* addresses in the table */
    unsigned int max_per_port;      /* addresses one port may own */
    uint64_t aging_ms;              /* an address not seen for this long is forgotten */
};

#define NB_SWITCH_FLOOD (-1)        /* to every port but the one it came from */
#define NB_SWITCH_DROP (-2)         /* nowhere: bad frame, or for its own port */

struct nb_switch *nb_switch_create(const struct nb_switch_config *cfg);
void nb_switch_destroy(struct nb_switch *sw);

/*
 * Learn the frame's source address on in_port and say where the frame
 * goes: a port number, NB_SWITCH_FLOOD (broadcast, multicast, unknown
 * destination) or NB_SWITCH_DROP. now_ms is any monotonic clock.
 */
int nb_switch_route(struct nb_switch *sw, unsigned int in_port, const uint8_t *frame, size_t len,
                    uint64_t now_ms);

/* Forget every address learned on port (it went away). */
void nb_switch_port_gone(struct nb_switch *sw, unsigned int port);

/* Drop addresses not seen for the aging time; returns how many went. */
unsigned int nb_switch_age(struct nb_switch *sw, uint64_t now_ms);

/* The port an address was learned on (if not aged out), or -1. */
int nb_switch_lookup(struct nb_switch *sw, const uint8_t mac[6], uint64_t now_ms);

/* Addresses in the table now. */
unsigned int nb_switch_entries(const struct nb_switch *sw);

#endif /* NETBACK_SWITCH_H */
