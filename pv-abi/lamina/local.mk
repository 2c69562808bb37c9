## pv-abi/lamina/local.mk: Lamina's own dom0 <-> hypervisor protocol, and the
## small runtime every host program shares (paths, log, daemon start-up).

noinst_LTLIBRARIES += pv-abi/lamina/libctlwire.la
pv_abi_lamina_libctlwire_la_SOURCES = \
	pv-abi/lamina/control.h \
	pv-abi/lamina/ctl-wire.c \
	pv-abi/lamina/ctl-wire.h \
	pv-abi/lamina/daemon.c \
	pv-abi/lamina/daemon.h \
	pv-abi/lamina/log.c \
	pv-abi/lamina/log.h

laminaincdir = $(includedir)/lamina/lamina
laminainc_HEADERS = pv-abi/lamina/control.h
