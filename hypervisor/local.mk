## hypervisor/local.mk: lamina-hv, the hypervisor daemon.

# Everything but main(), so unit tests can link the parts they exercise.
noinst_LTLIBRARIES += hypervisor/libhv.la
hypervisor_libhv_la_SOURCES = \
	hypervisor/core/arch.h \
	hypervisor/core/console.c \
	hypervisor/core/console.h \
	hypervisor/core/control.c \
	hypervisor/core/control.h \
	hypervisor/core/ctl_evtchn.c \
	hypervisor/core/ctl_gnttab.c \
	hypervisor/core/domain.c \
	hypervisor/core/event_channel.c \
	hypervisor/core/event_channel.h \
	hypervisor/core/grant_table.c \
	hypervisor/core/grant_table.h \
	hypervisor/core/events.h \
	hypervisor/core/guest_mem.c \
	hypervisor/core/guest_mem.h \
	hypervisor/core/hv.h \
	hypervisor/core/hvm.c \
	hypervisor/core/hypercall.c \
	hypervisor/core/log.h \
	hypervisor/core/loop.c \
	hypervisor/core/loop.h \
	hypervisor/core/memory.c \
	hypervisor/core/sched.c \
	hypervisor/core/time.c \
	hypervisor/core/timer.c \
	hypervisor/core/timer.h \
	hypervisor/core/vcpu.c \
	hypervisor/core/vcpu_op.c \
	hypervisor/core/xen_version.c \
	hypervisor/kvm/kvm.c \
	hypervisor/loader/acpi.c \
	hypervisor/loader/acpi.h \
	hypervisor/loader/bzimage.c \
	hypervisor/loader/bzimage.h \
	hypervisor/loader/elf.c \
	hypervisor/loader/elf.h \
	hypervisor/loader/pvh.c
hypervisor_libhv_la_CFLAGS = $(AM_CFLAGS) $(KERNEL_UNPACK_CFLAGS)
hypervisor_libhv_la_LIBADD = pv-abi/lamina/libctlwire.la $(KERNEL_UNPACK_LIBS)

sbin_PROGRAMS += hypervisor/lamina-hv
hypervisor_lamina_hv_SOURCES = hypervisor/main.c
hypervisor_lamina_hv_LDADD = hypervisor/libhv.la
dist_man_MANS += docs/man/lamina-hv.8
