/* errno.h: guest-kit's C library: errno and the error numbers (Xen's, which are Linux's). */
/* SPDX-License-Identifier: MIT */
#ifndef GUEST_KIT_ERRNO_H
#define GUEST_KIT_ERRNO_H

#include <xen/errno.h>

/* Set only by the functions whose description says so (strtol and friends, malloc). */
extern int errno;

#define E2BIG          XEN_E2BIG
#define EACCES         XEN_EACCES
#define EADDRINUSE     XEN_EADDRINUSE
#define EADDRNOTAVAIL  XEN_EADDRNOTAVAIL
#define EAGAIN         XEN_EAGAIN
#define EBADF          XEN_EBADF
#define EBADMSG        XEN_EBADMSG
#define EBUSY          XEN_EBUSY
#define ECHILD         XEN_ECHILD
#define ECONNREFUSED   XEN_ECONNREFUSED
#define EDEADLK        XEN_EDEADLK
#define EDOM           XEN_EDOM
#define EEXIST         XEN_EEXIST
#define EFAULT         XEN_EFAULT
#define EILSEQ         XEN_EILSEQ
#define EINVAL         XEN_EINVAL
#define EIO            XEN_EIO
#define EISCONN        XEN_EISCONN
#define EISDIR         XEN_EISDIR
#define EMFILE         XEN_EMFILE
#define EMLINK         XEN_EMLINK
#define EMSGSIZE       XEN_EMSGSIZE
#define ENAMETOOLONG   XEN_ENAMETOOLONG
#define ENFILE         XEN_ENFILE
#define ENOBUFS        XEN_ENOBUFS
#define ENODATA        XEN_ENODATA
#define ENODEV         XEN_ENODEV
#define ENOENT         XEN_ENOENT
#define ENOEXEC        XEN_ENOEXEC
#define ENOLCK         XEN_ENOLCK
#define ENOMEM         XEN_ENOMEM
#define ENOSPC         XEN_ENOSPC
#define ENOSYS         XEN_ENOSYS
#define ENOTCONN       XEN_ENOTCONN
#define ENOTDIR        XEN_ENOTDIR
#define ENOTEMPTY      XEN_ENOTEMPTY
#define ENOTSOCK       XEN_ENOTSOCK
#define ENXIO          XEN_ENXIO
#define EOPNOTSUPP     XEN_EOPNOTSUPP
#define EOVERFLOW      XEN_EOVERFLOW
#define EPERM          XEN_EPERM
#define ERANGE         XEN_ERANGE
#define EROFS          XEN_EROFS
#define ESRCH          XEN_ESRCH
#define ETIME          XEN_ETIME
#define ETIMEDOUT      XEN_ETIMEDOUT
#define EXDEV          XEN_EXDEV
#define EWOULDBLOCK    XEN_EAGAIN
#define ENOTSUP        XEN_EOPNOTSUPP

#endif /* GUEST_KIT_ERRNO_H */
