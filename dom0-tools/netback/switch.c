/* switch.c: the built-in switch's brain: a learning L2 forwarding table with aging. */
/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "mac.h"
#include "switch.h"

/*
 * A hash table of chained entries from a fixed pool: lookups and learning
 * are O(1) and nothing is allocated per frame. Aged entries are dropped
 * lazily when looked up, and in bulk by nb_switch_age().
 */

#define NO_ENTRY UINT32_MAX

struct entry {
    uint8_t mac[NB_MAC_LEN];
    uint32_t port;
    uint32_t next;              /* chain in its bucket, or the free list */
    uint64_t seen_ms;
};

struct nb_switch {
    struct nb_switch_config cfg;
    struct entry *pool;
    uint32_t free;
    uint32_t *buckets;
    uint32_t nbuckets;          /* a power of two */
    uint32_t used;
    uint32_t *per_port;
};

struct nb_switch *nb_switch_create(const struct nb_switch_config *cfg)
{
    struct nb_switch *sw = calloc(1, sizeof(*sw));

    if (!sw || cfg->max_ports == 0 || cfg->max_entries == 0 || cfg->max_entries >= NO_ENTRY) {
        free(sw);
        return NULL;
    }
    sw->cfg = *cfg;
    sw->nbuckets = 16;
    while (sw->nbuckets < cfg->max_entries)
        sw->nbuckets <<= 1;
    sw->pool = calloc(cfg->max_entries, sizeof(*sw->pool));
    sw->buckets = malloc(sw->nbuckets * sizeof(*sw->buckets));
    sw->per_port = calloc(cfg->max_ports, sizeof(*sw->per_port));
    if (!sw->pool || !sw->buckets || !sw->per_port) {
        nb_switch_destroy(sw);
        return NULL;
    }
    for (uint32_t i = 0; i < sw->nbuckets; i++)
        sw->buckets[i] = NO_ENTRY;
    sw->free = NO_ENTRY;
    for (uint32_t i = cfg->max_entries; i-- > 0;) {
        sw->pool[i].next = sw->free;
        sw->free = i;
    }
    return sw;
}

void nb_switch_destroy(struct nb_switch *sw)
{
    if (!sw)
        return;
    free(sw->pool);
    free(sw->buckets);
    free(sw->per_port);
    free(sw);
}

static uint32_t bucket_of(const struct nb_switch *sw, const uint8_t *mac)
{
    uint32_t h = 2166136261u;

    for (unsigned int i = 0; i < NB_MAC_LEN; i++)
        h = (h ^ mac[i]) * 16777619u;
    return (h ^ (h >> 16)) & (sw->nbuckets - 1);
}

static bool expired(const struct nb_switch *sw, const struct entry *e, uint64_t now_ms)
{
    return now_ms - e->seen_ms > sw->cfg.aging_ms;
}

/* Unlink the entry at *link (a bucket head or a predecessor's next) and free it. */
static void release(struct nb_switch *sw, uint32_t *link)
{
    uint32_t i = *link;
    struct entry *e = &sw->pool[i];

    *link = e->next;
    sw->per_port[e->port]--;
    sw->used--;
    e->next = sw->free;
    sw->free = i;
}

/* The entry for mac, dropping expired entries met on the way; NULL if none. */
static struct entry *find(struct nb_switch *sw, const uint8_t *mac, uint64_t now_ms)
{
    uint32_t *link = &sw->buckets[bucket_of(sw, mac)];

    while (*link != NO_ENTRY) {
        struct entry *e = &sw->pool[*link];

        if (expired(sw, e, now_ms)) {
            release(sw, link);
            continue;
        }
        if (!memcmp(e->mac, mac, NB_MAC_LEN))
            return e;
        link = &e->next;
    }
    return NULL;
}

static void learn(struct nb_switch *sw, unsigned int port, const uint8_t *mac, uint64_t now_ms)
{
    struct entry *e = find(sw, mac, now_ms);
    uint32_t b, i;

    if (e) {
        if (e->port != port) {
            if (sw->per_port[port] >= sw->cfg.max_per_port)
                return;
            sw->per_port[e->port]--;
            sw->per_port[port]++;
            e->port = port;
        }
        e->seen_ms = now_ms;
        return;
    }
    if (sw->per_port[port] >= sw->cfg.max_per_port)
        return;
    if (sw->free == NO_ENTRY && nb_switch_age(sw, now_ms) == 0)
        return;
    i = sw->free;
    e = &sw->pool[i];
    sw->free = e->next;
    memcpy(e->mac, mac, NB_MAC_LEN);
    e->port = port;
    e->seen_ms = now_ms;
    b = bucket_of(sw, mac);
    e->next = sw->buckets[b];
    sw->buckets[b] = i;
    sw->per_port[port]++;
    sw->used++;
}

int nb_switch_route(struct nb_switch *sw, unsigned int in_port, const uint8_t *frame, size_t len,
                    uint64_t now_ms)
{
    const uint8_t *dst = frame, *src = frame + NB_ETH_ALEN;
    struct entry *e;

    if (in_port >= sw->cfg.max_ports || len < NB_ETH_HLEN)
        return NB_SWITCH_DROP;
    /* A multicast or all-zero source is never a station's address. */
    if (!nb_mac_is_multicast(src) && !nb_mac_is_zero(src))
        learn(sw, in_port, src, now_ms);
    if (nb_mac_is_multicast(dst))
        return NB_SWITCH_FLOOD;
    e = find(sw, dst, now_ms);
    if (!e)
        return NB_SWITCH_FLOOD;
    return e->port == in_port ? NB_SWITCH_DROP : (int)e->port;
}

void nb_switch_port_gone(struct nb_switch *sw, unsigned int port)
{
    if (port >= sw->cfg.max_ports)
        return;
    for (uint32_t b = 0; b < sw->nbuckets && sw->per_port[port]; b++) {
        uint32_t *link = &sw->buckets[b];

        while (*link != NO_ENTRY) {
            if (sw->pool[*link].port == port)
                release(sw, link);
            else
                link = &sw->pool[*link].next;
        }
    }
}

unsigned int nb_switch_age(struct nb_switch *sw, uint64_t now_ms)
{
    unsigned int gone = 0;

    for (uint32_t b = 0; b < sw->nbuckets; b++) {
        uint32_t *link = &sw->buckets[b];

        while (*link != NO_ENTRY) {
            if (expired(sw, &sw->pool[*link], now_ms)) {
                release(sw, link);
                gone++;
            } else {
                link = &sw->pool[*link].next;
            }
        }
    }
    return gone;
}

int nb_switch_lookup(struct nb_switch *sw, const uint8_t mac[6], uint64_t now_ms)
{
    struct entry *e = find(sw, mac, now_ms);

    return e ? (int)e->port : -1;
}

unsigned int nb_switch_entries(const struct nb_switch *sw)
{
    return sw->used;
}
