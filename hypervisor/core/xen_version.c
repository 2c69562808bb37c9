/* xen_version.c: XENVER_* — which Xen the guest runs on, and its features. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <xen/features.h>
#include <xen/version.h>

#include "guest_mem.h"
#include "hv.h"

static uint32_t feature_submap(const struct domain *d)
{
    return (1u << XENFEAT_writable_page_tables) | (1u << XENFEAT_auto_translated_physmap) |
           (1u << XENFEAT_hvm_callback_vector) | (1u << XENFEAT_hvm_safe_pvclock) |
           (1u << XENFEAT_linux_rsdp_unrestricted) |
           (d->is_privileged ? 1u << XENFEAT_dom0 : 0);
}

long do_xen_version(struct vcpu *v, const uint64_t a[6])
{
    uint64_t cmd = a[0], arg = a[1];

    switch (cmd) {
    case XENVER_version:
        return (HV_XEN_MAJOR << 16) | HV_XEN_MINOR;
    case XENVER_extraversion: {
        xen_extraversion_t extra = { 0 };

        snprintf(extra, sizeof(extra), "%s", HV_XEN_EXTRAVERSION);
        return copy_to_guest(v, arg, extra, sizeof(extra));
    }
    case XENVER_compile_info: {
        struct xen_compile_info info;

        memset(&info, 0, sizeof(info));
        snprintf(info.compiler, sizeof(info.compiler), "gcc %s", __VERSION__);
        snprintf(info.compile_by, sizeof(info.compile_by), "lamina");
        snprintf(info.compile_domain, sizeof(info.compile_domain), "lamina");
        snprintf(info.compile_date, sizeof(info.compile_date), "%s", __DATE__);
        return copy_to_guest(v, arg, &info, sizeof(info));
    }
    case XENVER_capabilities: {
        xen_capabilities_info_t caps = { 0 };

        snprintf(caps, sizeof(caps), "hvm-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p");
        return copy_to_guest(v, arg, caps, sizeof(caps));
    }
    case XENVER_changeset: {
        xen_changeset_info_t cs = { 0 };

        snprintf(cs, sizeof(cs), "lamina %s", PACKAGE_VERSION);
        return copy_to_guest(v, arg, cs, sizeof(cs));
    }
    case XENVER_platform_parameters: {
        struct xen_platform_parameters pp = { .virt_start = 0 };

        return copy_to_guest(v, arg, &pp, sizeof(pp));
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        int rc = copy_from_guest(v, &fi, arg, sizeof(fi));

        if (rc < 0)
            return rc;
        if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
            return -EINVAL;
        fi.submap = fi.submap_idx == 0 ? feature_submap(v->d) : 0;
        return copy_to_guest(v, arg, &fi, sizeof(fi));
    }
    case XENVER_pagesize:
        return HV_PAGE_SIZE;
    case XENVER_guest_handle:
        return copy_to_guest(v, arg, v->d->uuid, sizeof(xen_domain_handle_t));
    case XENVER_commandline:
    case XENVER_build_id:
        /* Facts about the host are not an unprivileged guest's business. */
        return -EPERM;
    default:
        return -ENOSYS;
    }
}
