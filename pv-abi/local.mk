## pv-abi/local.mk: the Xen-compatible public headers (pv-abi/xen), installed
## as $(includedir)/lamina/xen/...; users compile with -I$(includedir)/lamina
## and #include <xen/xen.h>. Every header must be listed here (tests/abi
## checks that none is forgotten).

pvabi_xendir = $(includedir)/lamina/xen
pvabi_xen_HEADERS = \
	pv-abi/xen/domctl.h \
	pv-abi/xen/elfnote.h \
	pv-abi/xen/errno.h \
	pv-abi/xen/event_channel.h \
	pv-abi/xen/features.h \
	pv-abi/xen/grant_table.h \
	pv-abi/xen/memory.h \
	pv-abi/xen/physdev.h \
	pv-abi/xen/sched.h \
	pv-abi/xen/vcpu.h \
	pv-abi/xen/version.h \
	pv-abi/xen/xen-compat.h \
	pv-abi/xen/xen.h

pvabi_xen_archx86dir = $(includedir)/lamina/xen/arch-x86
pvabi_xen_archx86_HEADERS = \
	pv-abi/xen/arch-x86/cpuid.h \
	pv-abi/xen/arch-x86/xen-x86_64.h \
	pv-abi/xen/arch-x86/xen.h

pvabi_xen_archx86hvmdir = $(includedir)/lamina/xen/arch-x86/hvm
pvabi_xen_archx86hvm_HEADERS = \
	pv-abi/xen/arch-x86/hvm/start_info.h

pvabi_xen_hvmdir = $(includedir)/lamina/xen/hvm
pvabi_xen_hvm_HEADERS = \
	pv-abi/xen/hvm/hvm_op.h \
	pv-abi/xen/hvm/hvm_vcpu.h \
	pv-abi/xen/hvm/params.h \
	pv-abi/xen/hvm/start_info.h

pvabi_xen_iodir = $(includedir)/lamina/xen/io
pvabi_xen_io_HEADERS = \
	pv-abi/xen/io/blkif.h \
	pv-abi/xen/io/console.h \
	pv-abi/xen/io/netif.h \
	pv-abi/xen/io/protocols.h \
	pv-abi/xen/io/ring.h \
	pv-abi/xen/io/xenbus.h \
	pv-abi/xen/io/xs_wire.h

EXTRA_DIST += pv-abi/README.md
