/* xen/xen-compat.h: interface-version selection, fixed at the newest level Lamina speaks. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_XEN_COMPAT_H__
#define __LAMINA_XEN_PUBLIC_XEN_COMPAT_H__

/*
 * Xen lets old guests ask for an older interface through
 * __XEN_INTERFACE_VERSION__. Lamina only implements the newest one (what
 * Xen 4.17 exposes to its own tools), so the headers never branch on it; the
 * macros exist for code that checks them.
 */
#define __XEN_LATEST_INTERFACE_VERSION__ 0x00040e00

#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#endif

#endif /* __LAMINA_XEN_PUBLIC_XEN_COMPAT_H__ */
