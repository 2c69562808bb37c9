/* acpi.h: the ACPI tables a PVH domain boots with: RSDP, XSDT, FADT, DSDT, MADT. */
/* SPDX-License-Identifier: MIT */
#ifndef LAMINA_HV_ACPI_H
#define LAMINA_HV_ACPI_H

#include <stddef.h>
#include <stdint.h>

/*
 * As Xen's toolstack gives PVH guests: a hardware-reduced FADT (no legacy
 * PM blocks, no VGA, no CMOS RTC), an empty DSDT, and a MADT naming one
 * local APIC per vCPU (APIC id and ACPI processor UID both the vCPU id;
 * vCPUs beyond the first `online` are present but disabled-hotpluggable),
 * no I/O APIC and no 8259. Guests find the RSDP through
 * hvm_start_info.rsdp_paddr.
 *
 * acpi_build() lays the tables out in buf (`size` bytes, to be placed at
 * guest-physical `gpa`) and returns the RSDP's offset in it, or -ENOSPC.
 */
#define ACPI_TABLES_MAX_VCPUS 255

/*
 * Powering off and resetting, as hardware-reduced ACPI does them: the DSDT
 * names _S5 with sleep type ACPI_S5_SLEEP_TYPE, and the FADT points the
 * sleep control register and the reset register at these I/O ports, which
 * lamina-hv serves (core/vcpu.c).
 */
#define ACPI_SLEEP_CONTROL_PORT 0x600
#define ACPI_SLEEP_STATUS_PORT  0x601
#define ACPI_RESET_PORT         0xcf9
#define ACPI_RESET_VALUE        0x06
#define ACPI_S5_SLEEP_TYPE      5
#define ACPI_SLEEP_TYPE(v)      (((v) >> 2) & 7)
#define ACPI_SLEEP_ENABLE       0x20

int acpi_build(uint8_t *buf, size_t size, uint64_t gpa, uint32_t nr_vcpus, uint32_t online);

#endif /* LAMINA_HV_ACPI_H */
