/* xen/io/netif.h: the network device split-driver protocol (netfront <-> netback). */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_IO_NETIF_H__
#define __LAMINA_XEN_PUBLIC_IO_NETIF_H__

#include <stdint.h>

#include "ring.h"
#include "../grant_table.h"

/*
 * Two rings per queue: on tx the frontend sends packets, on rx it posts
 * empty granted pages that the backend fills with received packets. A
 * packet spans several slots (NETTXF_more_data / NETRXF_more_data), and
 * extra-info slots (NETTXF_extra_info) may follow the first one.
 */

/* Slots per packet every backend must accept, whatever the frontend negotiated. */
#define XEN_NETIF_NR_SLOTS_MIN 18

/*
 * Optional control ring (feature-ctrl-ring): the frontend configures
 * receive-side hashing. Hash types (bit numbers, then masks) say which
 * headers feed the hash.
 */
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV4 0
#define XEN_NETIF_CTRL_HASH_TYPE_IPV4 (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV4)
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP 1
#define XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP)
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6 2
#define XEN_NETIF_CTRL_HASH_TYPE_IPV6 (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV6)
#define _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP 3
#define XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP (1 << _XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)

#define XEN_NETIF_CTRL_HASH_ALGORITHM_NONE 0
#define XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ 1

/* xen_netif_ctrl_request.type */
#define XEN_NETIF_CTRL_TYPE_INVALID 0
#define XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS 1
#define XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS 2
#define XEN_NETIF_CTRL_TYPE_SET_HASH_KEY 3
#define XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE 4
#define XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE 5
#define XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING 6
#define XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM 7
#define XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE 8
#define XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING 9
#define XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING 10

struct xen_netif_ctrl_request {
    uint16_t id;
    uint16_t type;
    uint32_t data[3];
};

/* xen_netif_ctrl_response.status */
#define XEN_NETIF_CTRL_STATUS_SUCCESS 0
#define XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED 1
#define XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER 2
#define XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW 3

struct xen_netif_ctrl_response {
    uint16_t id;
    uint16_t type;
    uint32_t status;
    uint32_t data;
};

/* A grant the frontend hands over for persistent mapping through the control ring. */
#define _XEN_NETIF_CTRLF_GREF_readonly 0
#define XEN_NETIF_CTRLF_GREF_readonly (1U << _XEN_NETIF_CTRLF_GREF_readonly)
struct xen_netif_gref {
    grant_ref_t ref;
    uint16_t flags;
    uint16_t status;
};

DEFINE_RING_TYPES(xen_netif_ctrl, struct xen_netif_ctrl_request, struct xen_netif_ctrl_response);

/* netif_tx_request.flags */
#define _NETTXF_csum_blank (0)
#define NETTXF_csum_blank (1U << _NETTXF_csum_blank)
#define _NETTXF_data_validated (1)
#define NETTXF_data_validated (1U << _NETTXF_data_validated)
#define _NETTXF_more_data (2)
#define NETTXF_more_data (1U << _NETTXF_more_data)
#define _NETTXF_extra_info (3)
#define NETTXF_extra_info (1U << _NETTXF_extra_info)

/* Largest packet, which the first slot's size (the whole packet length) must fit. */
#define XEN_NETIF_MAX_TX_SIZE 0xFFFF

/*
 * One tx slot: offset/size bytes of the granted page. In the first slot of
 * a packet size is the length of the whole packet.
 */
struct netif_tx_request {
    grant_ref_t gref;
    uint16_t offset;
    uint16_t flags;
    uint16_t id;
    uint16_t size;
};
typedef struct netif_tx_request netif_tx_request_t;

/* netif_extra_info.type */
#define XEN_NETIF_EXTRA_TYPE_NONE (0)
#define XEN_NETIF_EXTRA_TYPE_GSO (1)
#define XEN_NETIF_EXTRA_TYPE_MCAST_ADD (2)
#define XEN_NETIF_EXTRA_TYPE_MCAST_DEL (3)
#define XEN_NETIF_EXTRA_TYPE_HASH (4)
#define XEN_NETIF_EXTRA_TYPE_MAX (5)
/*
 * Linux's extension: the rx headroom an XDP program needs (u.xdp). Only
 * sent to backends that advertise feature-xdp-headroom; Xen's own header
 * stops at XEN_NETIF_EXTRA_TYPE_MAX, so a backend that checks types
 * against it rejects these, which is what Lamina's netback wants.
 */
#define XEN_NETIF_EXTRA_TYPE_XDP (5)

/* netif_extra_info.flags: another extra-info slot follows. */
#define _XEN_NETIF_EXTRA_FLAG_MORE (0)
#define XEN_NETIF_EXTRA_FLAG_MORE (1U << _XEN_NETIF_EXTRA_FLAG_MORE)

/* netif_extra_info.u.gso.type */
#define XEN_NETIF_GSO_TYPE_NONE (0)
#define XEN_NETIF_GSO_TYPE_TCPV4 (1)
#define XEN_NETIF_GSO_TYPE_TCPV6 (2)

/* An extra-info slot, the same size as a tx request or rx response. */
struct netif_extra_info {
    uint8_t type;
    uint8_t flags;
    union {
        struct {
            uint16_t size;
            uint8_t type;
            uint8_t pad;
            uint16_t features;
        } gso;
        struct {
            uint8_t addr[6];
        } mcast;
        struct {
            uint8_t type;
            uint8_t algorithm;
            uint8_t value[4];
        } hash;
        struct {
            uint16_t headroom;
            uint16_t pad[2];
        } xdp;
        uint16_t pad[3];
    } u;
};
typedef struct netif_extra_info netif_extra_info_t;

struct netif_tx_response {
    uint16_t id;
    int16_t status;
};
typedef struct netif_tx_response netif_tx_response_t;

/* An empty page posted for reception; id comes back in the response. */
struct netif_rx_request {
    uint16_t id;
    uint16_t pad;
    grant_ref_t gref;
};
typedef struct netif_rx_request netif_rx_request_t;

/* netif_rx_response.flags */
#define _NETRXF_data_validated (0)
#define NETRXF_data_validated (1U << _NETRXF_data_validated)
#define _NETRXF_csum_blank (1)
#define NETRXF_csum_blank (1U << _NETRXF_csum_blank)
#define _NETRXF_more_data (2)
#define NETRXF_more_data (1U << _NETRXF_more_data)
#define _NETRXF_extra_info (3)
#define NETRXF_extra_info (1U << _NETRXF_extra_info)
#define _NETRXF_gso_prefix (4)
#define NETRXF_gso_prefix (1U << _NETRXF_gso_prefix)

/* status is the byte count received into the page, or a negative NETIF_RSP_*. */
struct netif_rx_response {
    uint16_t id;
    uint16_t offset;
    uint16_t flags;
    int16_t status;
};
typedef struct netif_rx_response netif_rx_response_t;

DEFINE_RING_TYPES(netif_tx, struct netif_tx_request, struct netif_tx_response);
DEFINE_RING_TYPES(netif_rx, struct netif_rx_request, struct netif_rx_response);

/* Response status values; NULL marks the response slot of an extra-info request. */
#define NETIF_RSP_DROPPED -2
#define NETIF_RSP_ERROR -1
#define NETIF_RSP_OKAY 0
#define NETIF_RSP_NULL 1

/* The same values under the names Linux's copy of this header uses. */
#define XEN_NETIF_RSP_DROPPED NETIF_RSP_DROPPED
#define XEN_NETIF_RSP_ERROR NETIF_RSP_ERROR
#define XEN_NETIF_RSP_OKAY NETIF_RSP_OKAY
#define XEN_NETIF_RSP_NULL NETIF_RSP_NULL

#endif /* __LAMINA_XEN_PUBLIC_IO_NETIF_H__ */
