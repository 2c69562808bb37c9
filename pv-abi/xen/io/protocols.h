/* xen/io/protocols.h: ABI names a frontend writes to its "protocol" node. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_IO_PROTOCOLS_H__
#define __LAMINA_XEN_PUBLIC_IO_PROTOCOLS_H__

/* Layouts of ring structures differ between these ABIs; the backend must know which it reads. */
#define XEN_IO_PROTO_ABI_X86_32 "x86_32-abi"
#define XEN_IO_PROTO_ABI_X86_64 "x86_64-abi"
#define XEN_IO_PROTO_ABI_ARM "arm-abi"

/* Lamina runs x86-64 only. */
#define XEN_IO_PROTO_ABI_NATIVE XEN_IO_PROTO_ABI_X86_64

#endif /* __LAMINA_XEN_PUBLIC_IO_PROTOCOLS_H__ */
