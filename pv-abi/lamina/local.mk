## pv-abi/lamina/local.mk: Lamina's own dom0 <-> hypervisor protocol.

# Framing code shared by lamina-hv and every dom0 program.
noinst_LTLIBRARIES += pv-abi/lamina/libctlwire.la
pv_abi_lamina_libctlwire_la_SOURCES = \
	pv-abi/lamina/ctl-wire.c \
	pv-abi/lamina/ctl-wire.h \
	pv-abi/lamina/control.h

laminaincdir = $(includedir)/lamina/lamina
laminainc_HEADERS = pv-abi/lamina/control.h
