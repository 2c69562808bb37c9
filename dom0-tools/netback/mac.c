/* mac.c: Ethernet addresses of virtual interfaces: parsing, printing, generating. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "mac.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool nb_mac_parse(const char *s, uint8_t mac[NB_MAC_LEN])
{
    for (unsigned int i = 0; i < NB_MAC_LEN; i++) {
        int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);

        if (hi < 0 || lo < 0)
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (*s != (i == NB_MAC_LEN - 1 ? '\0' : ':'))
            return false;
        s++;
    }
    return true;
}

void nb_mac_format(const uint8_t mac[NB_MAC_LEN], char buf[NB_MAC_STRLEN])
{
    snprintf(buf, NB_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
}

void netback_mac_generate(const uint8_t uuid[16], uint32_t devid, uint8_t mac[NB_MAC_LEN])
{
    /* FNV-1a over the UUID and the devid: cheap, stable and well spread over 24 bits. */
    uint32_t h = 2166136261u;

    for (unsigned int i = 0; i < 16; i++)
        h = (h ^ uuid[i]) * 16777619u;
    for (unsigned int i = 0; i < 4; i++)
        h = (h ^ (uint8_t)(devid >> (8 * i))) * 16777619u;
    h ^= h >> 24;
    mac[0] = NB_MAC_XEN_OUI0;
    mac[1] = NB_MAC_XEN_OUI1;
    mac[2] = NB_MAC_XEN_OUI2;
    /* Xen keeps the top bit of the fourth octet clear for generated addresses. */
    mac[3] = (uint8_t)((h >> 16) & 0x7f);
    mac[4] = (uint8_t)(h >> 8);
    mac[5] = (uint8_t)h;
}
