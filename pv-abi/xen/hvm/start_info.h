/* xen/hvm/start_info.h: the PVH start info under the path Linux and others include. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_XEN_PUBLIC_HVM_START_INFO_H__
#define __LAMINA_XEN_PUBLIC_HVM_START_INFO_H__

#include "../arch-x86/hvm/start_info.h"

#endif /* __LAMINA_XEN_PUBLIC_HVM_START_INFO_H__ */
