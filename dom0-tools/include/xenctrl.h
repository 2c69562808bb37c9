/* xenctrl.h: libxenctrl-compatible control interface to the Lamina hypervisor. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XENCTRL_H__
#define __LAMINA_XENCTRL_H__

/*
 * The subset of Xen 4.17's xenctrl.h that Lamina implements, with the same
 * names, types and signatures, so that toolstack code written for Xen
 * compiles unchanged against it.  Calls travel over lamina-hv's control
 * socket (see <lamina/control.h>) instead of privcmd hypercalls.
 *
 * As in libxenctrl, every function returns 0 (or a count, or a non-NULL
 * pointer) on success and -1 (or NULL) with errno set on failure; the last
 * failure is also kept on the handle for xc_get_last_error().  Operations
 * the hypervisor cannot perform (yet) fail with EOPNOTSUPP rather than
 * pretending to succeed.
 *
 * A handle must be used by one thread at a time (the semantics Xen gives to
 * XC_OPENFLAG_NON_REENTRANT); open one handle per thread.  After fork() the
 * child must open its own handle.
 */

#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif

#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sched.h>
#include <xen/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Loggers are accepted for source compatibility and not used. */
typedef struct xentoollog_logger xentoollog_logger;

typedef struct xc_interface_core xc_interface;

enum xc_error_code {
    XC_ERROR_NONE = 0,
    XC_INTERNAL_ERROR = 1,
    XC_INVALID_KERNEL = 2,
    XC_INVALID_PARAM = 3,
    XC_OUT_OF_MEMORY = 4,
};
typedef enum xc_error_code xc_error_code;

enum xc_open_flags {
    XC_OPENFLAG_DUMMY = 1 << 0,         /* no connection: every call fails with ENOTCONN */
    XC_OPENFLAG_NON_REENTRANT = 1 << 1, /* accepted; handles are never reentrant anyway */
};

/*
 * Connect to lamina-hv's control socket (lamina_ctl_socket_path()) and
 * greet it.  Fails with ENOENT or ECONNREFUSED when the hypervisor is not
 * running, EPROTONOSUPPORT when it speaks another protocol version.
 */
xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                unsigned open_flags);
int xc_interface_close(xc_interface *xch);

typedef struct xen_domctl_getdomaininfo xc_domaininfo_t;

/*
 * Create a paused, unbuilt domain: handle is the UUID, max_vcpus the vCPU
 * count; other fields are ignored, and *pdomid must be 0 (the hypervisor
 * picks ids).  A Lamina domain gets its memory when it is created and the
 * Xen interface passes no size here, so the domain gets
 * LAMINA_XC_DEFAULT_MEMORY_KB; it is named "xc-" and the UUID in hex (random
 * hex for a zero UUID), and shut-down is left to the caller as in Xen (every
 * on_* action is preserve).  Callers that know the size, or want a name,
 * actions or a stored config, use lamina_domain_create() from
 * <lamina_ctrl.h>.
 */
#define LAMINA_XC_DEFAULT_MEMORY_KB (128u * 1024u)
int xc_domain_create(xc_interface *xch, uint32_t *pdomid,
                     struct xen_domctl_createdomain *config);

int xc_domain_destroy(xc_interface *xch, uint32_t domid);
int xc_domain_pause(xc_interface *xch, uint32_t domid);
int xc_domain_unpause(xc_interface *xch, uint32_t domid);

/* Shut the domain down as if it had asked (reason: SHUTDOWN_*). */
int xc_domain_shutdown(xc_interface *xch, uint32_t domid, int reason);

/*
 * Fill info with up to max_domains domains whose id is >= first_domain, in
 * increasing id order.  Returns the number of records filled.
 */
int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains,
                          xc_domaininfo_t *info);

/* One domain (the Xen 4.18 call): ESRCH when there is no such domain. */
int xc_domain_getinfo_single(xc_interface *xch, uint32_t domid, xc_domaininfo_t *info);

/*
 * Memory and vCPU count are fixed when a Lamina domain is created: these
 * succeed when asked for the current value and fail with EOPNOTSUPP
 * otherwise.
 */
int xc_domain_setmaxmem(xc_interface *xch, uint32_t domid, uint64_t max_memkb);
int xc_domain_max_vcpus(xc_interface *xch, uint32_t domid, unsigned int max);

/*
 * XENVER_version returns (major << 16) | minor; XENVER_extraversion fills a
 * xen_extraversion_t.  Other commands fail with EOPNOTSUPP.
 */
int xc_version(xc_interface *xch, int cmd, void *arg);

#define XC_MAX_ERROR_MSG_LEN 1024

#define XC_PAGE_SHIFT 12
#define XC_PAGE_SIZE (1UL << XC_PAGE_SHIFT)
#define XC_PAGE_MASK (~(XC_PAGE_SIZE - 1))
typedef struct xc_error {
    enum xc_error_code code;
    char message[XC_MAX_ERROR_MSG_LEN];
} xc_error;

const char *xc_error_code_to_desc(int code);
const char *xc_strerror(xc_interface *xch, int errcode);
/* The last failure on this handle; valid until the next call on it. */
const xc_error *xc_get_last_error(xc_interface *xch);
void xc_clear_last_error(xc_interface *xch);

#ifdef __cplusplus
}
#endif

#endif /* __LAMINA_XENCTRL_H__ */
