/* xen/io/xs_wire.h: the xenstore wire protocol and the shared xenstore ring page. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_IO_XS_WIRE_H__
#define __LAMINA_XEN_PUBLIC_IO_XS_WIRE_H__

#include <stdint.h>

/*
 * Message types. Every message is a struct xsd_sockmsg header followed by
 * len bytes of payload, usually NUL-separated strings. A reply carries the
 * request's type and req_id, or XS_ERROR with an errno name as payload.
 * Number 20 belonged to a removed request and stays unused.
 */
enum xsd_sockmsg_type {
    XS_CONTROL = 0,
    XS_DIRECTORY = 1,
    XS_READ = 2,
    XS_GET_PERMS = 3,
    XS_WATCH = 4,
    XS_UNWATCH = 5,
    XS_TRANSACTION_START = 6,
    XS_TRANSACTION_END = 7,
    XS_INTRODUCE = 8,
    XS_RELEASE = 9,
    XS_GET_DOMAIN_PATH = 10,
    XS_WRITE = 11,
    XS_MKDIR = 12,
    XS_RM = 13,
    XS_SET_PERMS = 14,
    XS_WATCH_EVENT = 15,
    XS_ERROR = 16,
    XS_IS_DOMAIN_INTRODUCED = 17,
    XS_RESUME = 18,
    XS_SET_TARGET = 19,
    XS_RESET_WATCHES = 21,
    XS_DIRECTORY_PART = 22,
    XS_TYPE_COUNT = 23,
    XS_INVALID = 0xffff
};

/* The older name of XS_CONTROL. */
#define XS_DEBUG XS_CONTROL

/* Flags of the old XS_WRITE variant, kept for their spelling. */
#define XS_WRITE_NONE "NONE"
#define XS_WRITE_CREATE "CREATE"
#define XS_WRITE_CREATE_EXCL "CREATE|EXCL"

/* An errno value and the name that travels in an XS_ERROR reply. */
struct xsd_errors {
    int errnum;
    const char *errstring;
};

/*
 * The error names the protocol uses, in their traditional order. Only
 * available where <errno.h> (or an equivalent) has been included first.
 */
#ifdef EINVAL
static const struct xsd_errors xsd_errors[] __attribute__((unused)) = {
    { EINVAL, "EINVAL" },
    { EACCES, "EACCES" },
    { EEXIST, "EEXIST" },
    { EISDIR, "EISDIR" },
    { ENOENT, "ENOENT" },
    { ENOMEM, "ENOMEM" },
    { ENOSPC, "ENOSPC" },
    { EIO, "EIO" },
    { ENOTEMPTY, "ENOTEMPTY" },
    { ENOSYS, "ENOSYS" },
    { EROFS, "EROFS" },
    { EBUSY, "EBUSY" },
    { EAGAIN, "EAGAIN" },
    { EISCONN, "EISCONN" },
    { E2BIG, "E2BIG" },
    { EPERM, "EPERM" },
};
#endif

struct xsd_sockmsg {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
};

/* Positions of the strings in an XS_WATCH_EVENT payload. */
enum xs_watch_type {
    XS_WATCH_PATH = 0,
    XS_WATCH_TOKEN = 1
};

/*
 * The page a domain shares with xenstored: a request ring and a response
 * ring of free-running byte counters (producer advances after writing,
 * consumer after reading).
 */
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))
struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE];
    char rsp[XENSTORE_RING_SIZE];
    XENSTORE_RING_IDX req_cons;
    XENSTORE_RING_IDX req_prod;
    XENSTORE_RING_IDX rsp_cons;
    XENSTORE_RING_IDX rsp_prod;
    uint32_t server_features;
    uint32_t connection;
    uint32_t error;
};

/* Largest payload of one message, and longest absolute / relative path. */
#define XENSTORE_PAYLOAD_MAX 4096
#define XENSTORE_ABS_PATH_MAX 3072
#define XENSTORE_REL_PATH_MAX 2048

/* xenstore_domain_interface.server_features */
#define XENSTORE_SERVER_FEATURE_RECONNECTION 1
#define XENSTORE_SERVER_FEATURE_ERROR 2

/* xenstore_domain_interface.connection: the guest writes RECONNECT to reset the rings. */
#define XENSTORE_CONNECTED 0
#define XENSTORE_RECONNECT 1

/* xenstore_domain_interface.error: why the server gave up on the ring. */
#define XENSTORE_ERROR_NONE 0
#define XENSTORE_ERROR_COMM 1
#define XENSTORE_ERROR_RINGIDX 2
#define XENSTORE_ERROR_PROTO 3

#endif /* __LAMINA_XEN_PUBLIC_IO_XS_WIRE_H__ */
