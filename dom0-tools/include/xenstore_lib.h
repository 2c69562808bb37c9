/* xenstore_lib.h: xenstore permissions and helpers shared by the client library and xenstored. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XENSTORE_LIB_H__
#define __LAMINA_XENSTORE_LIB_H__

/*
 * Names, types and signatures follow Xen 4.17's xenstore_lib.h so that code
 * written against Xen's libxenstore compiles unchanged.
 */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One entry of a node's permission list. The first entry names the owner
 * (who always has full access) and the access of every domain not listed
 * in the later entries.
 */
struct xs_permissions {
    unsigned int id;            /* domain id */
    unsigned int perms;         /* XS_PERM_* bits */
};

#define XS_PERM_NONE 0x00
#define XS_PERM_READ 0x01
#define XS_PERM_WRITE 0x02
/* Used inside xenstored only, never on the wire. */
#define XS_PERM_ENOENT_OK 0x04
#define XS_PERM_OWNER 0x08
#define XS_PERM_IGNORE 0x10

/* Room for an unsigned integer type x in decimal, with sign and NUL. */
#define MAX_STRLEN(x) ((sizeof(x) * CHAR_BIT + CHAR_BIT - 1) / 10 * 3 + 2)

/*
 * Where the daemon listens: $XENSTORED_PATH if set, else
 * $XENSTORED_RUNDIR/socket, where the run directory defaults to
 * /var/run/xenstored. There is no separate read-only socket: the
 * read-only name is the same path.
 */
const char *xs_daemon_rundir(void);
const char *xs_daemon_socket(void);
const char *xs_daemon_socket_ro(void);

/* Write all len bytes to fd (retrying on EINTR and short writes). */
bool xs_write_all(int fd, const void *data, unsigned int len);

/*
 * Parse num NUL-terminated permission strings ("r5", "b0", "n12", "w3")
 * laid out one after the other. Fails with EINVAL on a bad letter or id.
 */
bool xs_strings_to_perms(struct xs_permissions *perms, unsigned int num, const char *strings);

/*
 * Format one permission as its wire string into buffer (buf_len bytes,
 * MAX_STRLEN(unsigned int) + 1 is always enough). Fails with EINVAL on
 * unknown permission bits and with ENOBUFS when buffer is too small.
 */
bool xs_perm_to_string(const struct xs_permissions *perm, char *buffer, size_t buf_len);

/* Number of NUL-terminated strings in the first len bytes of strings. */
unsigned int xs_count_strings(const char *strings, unsigned int len);

#ifdef __cplusplus
}
#endif

#endif /* __LAMINA_XENSTORE_LIB_H__ */
