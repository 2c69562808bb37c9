/* mac.h: Ethernet addresses of virtual interfaces: parsing, printing, generating. */
/* SPDX-License-Identifier: MIT */
#ifndef NETBACK_MAC_H
#define NETBACK_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NB_MAC_LEN 6
/* "xx:xx:xx:xx:xx:xx" and its NUL. */
#define NB_MAC_STRLEN 18

/* Xen's organisationally unique identifier, which xl uses for generated addresses. */
#define NB_MAC_XEN_OUI0 0x00
#define NB_MAC_XEN_OUI1 0x16
#define NB_MAC_XEN_OUI2 0x3e

/*
 * Parse "xx:xx:xx:xx:xx:xx" (hex digits, either case, exactly that shape).
 * Returns false for anything else.
 */
bool nb_mac_parse(const char *s, uint8_t mac[NB_MAC_LEN]);

/* Lower-case "xx:xx:xx:xx:xx:xx" into buf (NB_MAC_STRLEN bytes). */
void nb_mac_format(const uint8_t mac[NB_MAC_LEN], char buf[NB_MAC_STRLEN]);

static inline bool nb_mac_is_multicast(const uint8_t *mac)
{
    return mac[0] & 1;
}

static inline bool nb_mac_is_zero(const uint8_t *mac)
{
    return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/*
 * A stable address for interface devid of the domain with this UUID, under
 * Xen's 00:16:3e prefix (as xl generates them): the same domain and devid
 * always get the same address, so a guest keeps its address across
 * reboots and restarts. The toolstack calls this when the configuration
 * gives no mac=; netback uses it only as a fallback when the toolstack
 * wrote none.
 */
void netback_mac_generate(const uint8_t uuid[16], uint32_t devid, uint8_t mac[NB_MAC_LEN]);

#endif /* NETBACK_MAC_H */
