/* proto.h: the xenstore requests: parsing, permission checks and the operations. */
/* SPDX-License-Identifier: MIT */
#ifndef XSD_PROTO_H
#define XSD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <xenstore_lib.h>

struct conn;
struct txn;

/* One request being handled. */
struct req {
    struct conn *c;
    const struct xsd_sockmsg *hdr;
    const char *p;                  /* payload, NUL-terminated one byte past len */
    uint32_t len;
    struct txn *t;                  /* the transaction named by tx_id, or NULL */
};

/* Handle one complete message from c; payload has a NUL at payload[hdr->len]. */
void proto_handle(struct conn *c, const struct xsd_sockmsg *hdr, const char *payload);

/* Name of a message type for logs ("READ"), or "unknown". */
const char *proto_type_name(uint32_t type);

/* The i-th NUL-terminated string of the payload, or NULL when there are fewer. */
const char *req_arg(const struct req *r, unsigned int i);
unsigned int req_nargs(const struct req *r);

/* A decimal number in [0, max]; -EINVAL otherwise. */
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/* CONTROL (control.c): replies itself or returns -errno. */
int control_handle(struct req *r);

/* Creating the initial nodes ("/", "/tool", ...), for xsd_init(). */
int proto_setup_tree(void);

#endif /* XSD_PROTO_H */
