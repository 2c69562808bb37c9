/* errno.h: guest-kit's C library: errno and the error numbers (Xen's, which are Linux's). */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_ERRNO_H
#define GUEST_KIT_ERRNO_H

#include <xen/errno.h>

/* Set only by the functions whose description says so (strtol and friends, malloc). */
extern int errno;

#define EPERM   XEN_EPERM
#define ENOENT  XEN_ENOENT
#define ESRCH   XEN_ESRCH
#define EIO     XEN_EIO
#define E2BIG   XEN_E2BIG
#define EAGAIN  XEN_EAGAIN
#define ENOMEM  XEN_ENOMEM
#define EACCES  XEN_EACCES
#define EFAULT  XEN_EFAULT
#define EBUSY   XEN_EBUSY
#define EEXIST  XEN_EEXIST
#define ENODEV  XEN_ENODEV
#define EINVAL  XEN_EINVAL
#define ENOSPC  XEN_ENOSPC
#define EDOM    XEN_EDOM
#define ERANGE  XEN_ERANGE
#define ENOSYS  XEN_ENOSYS
#define ENOTSUP XEN_EOPNOTSUPP
#define ETIME   XEN_ETIME
#define ETIMEDOUT XEN_ETIMEDOUT

#endif /* GUEST_KIT_ERRNO_H */
