/* xc_domain.c: domain life-cycle and information calls, Xen-compatible and Lamina's own. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "xc_private.h"

static int domid_ok(uint32_t domid)
{
    return domid < XC_DOMID_LIMIT;
}

static int domid_op(xc_interface *xch, uint16_t op, uint32_t domid)
{
    struct lamina_ctl_domid req = { .domid = domid };

    if (!domid_ok(domid))
        return -EINVAL;
    return xc__call_simple(xch, op, &req, sizeof(req));
}

int xc_domain_destroy(xc_interface *xch, uint32_t domid)
{
    int rc;

    xc__begin(xch);
    rc = domid_op(xch, LAMINA_CTL_OP_DOMAIN_DESTROY, domid);
    return rc < 0 ? xc__fail(xch, rc, "destroying domain %u", domid) : 0;
}

int xc_domain_pause(xc_interface *xch, uint32_t domid)
{
    int rc;

    xc__begin(xch);
    rc = domid_op(xch, LAMINA_CTL_OP_DOMAIN_PAUSE, domid);
    return rc < 0 ? xc__fail(xch, rc, "pausing domain %u", domid) : 0;
}

int xc_domain_unpause(xc_interface *xch, uint32_t domid)
{
    int rc;

    xc__begin(xch);
    rc = domid_op(xch, LAMINA_CTL_OP_DOMAIN_UNPAUSE, domid);
    return rc < 0 ? xc__fail(xch, rc, "unpausing domain %u", domid) : 0;
}

int xc_domain_shutdown(xc_interface *xch, uint32_t domid, int reason)
{
    struct lamina_ctl_domain_shutdown req = { .domid = domid, .reason = (uint32_t)reason };
    int rc = -EINVAL;

    xc__begin(xch);
    if (domid_ok(domid) && reason >= 0 && reason <= SHUTDOWN_MAX)
        rc = xc__call_simple(xch, LAMINA_CTL_OP_DOMAIN_SHUTDOWN, &req, sizeof(req));
    return rc < 0 ? xc__fail(xch, rc, "shutting down domain %u", domid) : 0;
}

/* Send a DOMAIN_CREATE and read the new domain's id from the reply. */
static int create_domain(xc_interface *xch, const struct lamina_ctl_domain_create *create,
                         const char *json, size_t json_len, uint32_t *domid)
{
    struct xc_request req = {
        .op = LAMINA_CTL_OP_DOMAIN_CREATE,
        .fixed = create, .fixed_len = sizeof(*create),
        .tail = json, .tail_len = json_len,
    };
    struct lamina_ctl_msg reply;
    struct lamina_ctl_domid out;
    int rc;

    if (json_len > LAMINA_CTL_MAX_PAYLOAD - sizeof(*create))
        return -E2BIG;
    rc = xc__call(xch, &req, &reply);
    if (rc < 0)
        return rc;
    rc = -EPROTO;
    if (reply.hdr.len == sizeof(out)) {
        memcpy(&out, reply.payload, sizeof(out));
        if (domid_ok(out.domid)) {
            *domid = out.domid;
            rc = 0;
        }
    }
    lamina_ctl_msg_release(&reply);
    return rc;
}

/*
 * Lamina domains have names; Xen's create call gives none.  The UUID is
 * unique among live domains, so a name made from it is too; without a
 * UUID, random bytes stand in.
 */
static int xc_default_name(const uint8_t uuid[16], char *name, size_t size)
{
    static const uint8_t zero[16];
    uint8_t bytes[16];

    memcpy(bytes, uuid, sizeof(bytes));
    if (memcmp(bytes, zero, sizeof(bytes)) == 0 &&
        getrandom(bytes, sizeof(bytes), 0) != (ssize_t)sizeof(bytes))
        return -errno;
    snprintf(name, size, "xc-");
    for (size_t i = 0; i < sizeof(bytes); i++)
        snprintf(name + 3 + 2 * i, size - 3 - 2 * i, "%02x", bytes[i]);
    return 0;
}

int xc_domain_create(xc_interface *xch, uint32_t *pdomid, struct xen_domctl_createdomain *config)
{
    struct lamina_ctl_domain_create create;
    int rc;

    xc__begin(xch);
    if (!pdomid || !config || config->max_vcpus == 0)
        return xc__fail(xch, -EINVAL, "xc_domain_create");
    /* Xen lets a caller pick the id; Lamina's hypervisor always allocates it. */
    if (*pdomid != 0 && *pdomid < XC_DOMID_LIMIT)
        return xc__fail(xch, -EOPNOTSUPP, "xc_domain_create with a chosen domid %u", *pdomid);

    memset(&create, 0, sizeof(create));
    memcpy(create.uuid, config->handle, sizeof(create.uuid));
    rc = xc_default_name(create.uuid, create.name, sizeof(create.name));
    if (rc < 0)
        return xc__fail(xch, rc, "creating a domain");
    create.memory_kb = LAMINA_XC_DEFAULT_MEMORY_KB;
    create.maxmem_kb = LAMINA_XC_DEFAULT_MEMORY_KB;
    create.max_vcpus = config->max_vcpus;
    /* Xen's hypervisor never tears a shut-down domain down by itself: the toolstack does. */
    create.on_poweroff = LAMINA_ACTION_PRESERVE;
    create.on_reboot = LAMINA_ACTION_PRESERVE;
    create.on_crash = LAMINA_ACTION_PRESERVE;
    create.on_watchdog = LAMINA_ACTION_PRESERVE;
    rc = create_domain(xch, &create, NULL, 0, pdomid);
    return rc < 0 ? xc__fail(xch, rc, "creating a domain") : 0;
}

int lamina_domain_name_valid(const char *name)
{
    size_t len;
    int digits_only = 1;

    if (!name)
        return 0;
    len = strlen(name);
    if (len == 0 || len >= LAMINA_NAME_MAX)
        return 0;
    /* The characters lamina-hv accepts: names end up in paths and shell commands. */
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
        if (c < '0' || c > '9')
            digits_only = 0;
    }
    return !digits_only;        /* a number would read as a domain id */
}

int lamina_domain_create(xc_interface *xch, const struct lamina_domain_create_args *args,
                         uint32_t *domid)
{
    struct lamina_ctl_domain_create create;
    size_t json_len;
    int rc;

    xc__begin(xch);
    if (!args || !domid || !lamina_domain_name_valid(args->name))
        return xc__fail(xch, -EINVAL, "domain name '%s' is not valid",
                        args && args->name ? args->name : "");
    if (args->memory_kb == 0 || args->max_vcpus == 0 ||
        (args->maxmem_kb && args->maxmem_kb < args->memory_kb) ||
        args->on_poweroff >= LAMINA_ACTION_MAX || args->on_reboot >= LAMINA_ACTION_MAX ||
        args->on_crash >= LAMINA_ACTION_MAX || args->on_watchdog >= LAMINA_ACTION_MAX)
        return xc__fail(xch, -EINVAL, "creating domain '%s'", args->name);

    memset(&create, 0, sizeof(create));
    memcpy(create.uuid, args->uuid, sizeof(create.uuid));
    memcpy(create.name, args->name, strlen(args->name) + 1);
    create.memory_kb = args->memory_kb;
    create.maxmem_kb = args->maxmem_kb ? args->maxmem_kb : args->memory_kb;
    create.max_vcpus = args->max_vcpus;
    create.on_poweroff = args->on_poweroff;
    create.on_reboot = args->on_reboot;
    create.on_crash = args->on_crash;
    create.on_watchdog = args->on_watchdog;
    json_len = args->config_json ? strlen(args->config_json) : 0;
    if (json_len > UINT32_MAX)
        return xc__fail(xch, -E2BIG, "creating domain '%s'", args->name);
    create.config_len = (uint32_t)json_len;
    rc = create_domain(xch, &create, args->config_json, json_len, domid);
    if (rc == -E2BIG)
        return xc__fail(xch, rc, "creating domain '%s': config of %zu bytes", args->name,
                        json_len);
    return rc < 0 ? xc__fail(xch, rc, "creating domain '%s'", args->name) : 0;
}

int lamina_domain_build_pvh(xc_interface *xch, uint32_t domid, int kernel_fd, int ramdisk_fd,
                            const char *cmdline, struct lamina_build_info *out)
{
    struct lamina_ctl_domain_build_pvh build = { .domid = domid };
    struct lamina_ctl_domain_build_reply br;
    int fds[2] = { kernel_fd, ramdisk_fd };
    struct xc_request req = {
        .op = LAMINA_CTL_OP_DOMAIN_BUILD_PVH,
        .fixed = &build, .fixed_len = sizeof(build),
        .fds = fds, .nfds = ramdisk_fd >= 0 ? 2 : 1,
    };
    struct lamina_ctl_msg reply;
    size_t cmdline_len;
    int rc;

    xc__begin(xch);
    if (!cmdline)
        cmdline = "";
    cmdline_len = strlen(cmdline) + 1;
    if (!domid_ok(domid) || kernel_fd < 0)
        return xc__fail(xch, -EINVAL, "building domain %u", domid);
    if (cmdline_len > LAMINA_CTL_MAX_PAYLOAD - sizeof(build))
        return xc__fail(xch, -E2BIG, "building domain %u: command line of %zu bytes", domid,
                        cmdline_len - 1);
    build.cmdline_len = (uint32_t)cmdline_len;
    req.tail = cmdline;
    req.tail_len = cmdline_len;
    rc = xc__call(xch, &req, &reply);
    if (rc < 0)
        return xc__fail(xch, rc, "building domain %u", domid);
    if (reply.hdr.len != sizeof(br)) {
        lamina_ctl_msg_release(&reply);
        return xc__fail(xch, -EPROTO, "building domain %u: reply of %u bytes", domid,
                        reply.hdr.len);
    }
    memcpy(&br, reply.payload, sizeof(br));
    lamina_ctl_msg_release(&reply);
    if (out) {
        out->entry = br.entry;
        out->start_info = br.start_info;
        out->console_pfn = br.console_pfn;
        out->store_pfn = br.store_pfn;
        out->console_port = br.console_port;
        out->store_port = br.store_port;
    }
    return 0;
}

int lamina_domain_get_config(xc_interface *xch, uint32_t domid, char **json)
{
    struct lamina_ctl_domid req = { .domid = domid };
    struct xc_request r = {
        .op = LAMINA_CTL_OP_DOMAIN_GET_CONFIG, .fixed = &req, .fixed_len = sizeof(req),
    };
    struct lamina_ctl_msg reply;
    const char *nul;
    size_t len;
    char *s;
    int rc;

    xc__begin(xch);
    if (!json || !domid_ok(domid))
        return xc__fail(xch, -EINVAL, "reading the config of domain %u", domid);
    rc = xc__call(xch, &r, &reply);
    if (rc < 0)
        return xc__fail(xch, rc, "reading the config of domain %u", domid);
    len = reply.hdr.len;
    /* Text, possibly NUL-terminated, never with a NUL inside. */
    nul = len ? memchr(reply.payload, '\0', len) : NULL;
    if (nul && (size_t)(nul - (const char *)reply.payload) != len - 1) {
        lamina_ctl_msg_release(&reply);
        return xc__fail(xch, -EPROTO, "reading the config of domain %u", domid);
    }
    s = malloc(len + 1);
    if (!s) {
        lamina_ctl_msg_release(&reply);
        return xc__fail(xch, -ENOMEM, "reading the config of domain %u", domid);
    }
    if (len)
        memcpy(s, reply.payload, len);
    s[len] = '\0';
    lamina_ctl_msg_release(&reply);
    *json = s;
    return 0;
}

int xc__getinfo(xc_interface *xch, uint32_t first, unsigned int max,
                struct lamina_ctl_dominfo *out)
{
    struct lamina_ctl_getinfo req = { .first_domid = first };
    struct xc_request r = {
        .op = LAMINA_CTL_OP_DOMAIN_GETINFO, .fixed = &req, .fixed_len = sizeof(req),
    };
    struct lamina_ctl_getinfo_reply head;
    struct lamina_ctl_msg reply;
    uint32_t prev = 0;
    int rc;

    if (max > XC_GETINFO_CHUNK)
        max = XC_GETINFO_CHUNK;
    if (max == 0 || first >= XC_DOMID_LIMIT)
        return 0;
    req.max = max;
    rc = xc__call(xch, &r, &reply);
    if (rc < 0)
        return rc;
    rc = -EPROTO;
    if (reply.hdr.len < sizeof(head))
        goto out;
    memcpy(&head, reply.payload, sizeof(head));
    if (head.count > max ||
        reply.hdr.len != sizeof(head) + (size_t)head.count * sizeof(*out))
        goto out;
    memcpy(out, reply.payload + sizeof(head), (size_t)head.count * sizeof(*out));
    for (uint32_t i = 0; i < head.count; i++) {
        if (out[i].domid < first || out[i].domid >= XC_DOMID_LIMIT ||
            (i > 0 && out[i].domid <= prev) ||
            !memchr(out[i].name, '\0', sizeof(out[i].name)))
            goto out;
        prev = out[i].domid;
    }
    rc = (int)head.count;
out:
    lamina_ctl_msg_release(&reply);
    return rc;
}

/* Fill up to max records through as many GETINFO round trips as needed. */
static int getinfo_all(xc_interface *xch, uint32_t first, unsigned int max,
                       void (*convert)(const struct lamina_ctl_dominfo *, void *, size_t),
                       void *out)
{
    struct lamina_ctl_dominfo *chunk;
    unsigned int done = 0;
    int rc = 0;

    if (max > (unsigned int)INT32_MAX)
        max = INT32_MAX;
    chunk = malloc(XC_GETINFO_CHUNK * sizeof(*chunk));
    if (!chunk)
        return -ENOMEM;
    while (done < max) {
        unsigned int want = max - done;

        rc = xc__getinfo(xch, first, want, chunk);
        if (rc <= 0)
            break;
        for (int i = 0; i < rc; i++)
            convert(&chunk[i], out, done + (size_t)i);
        done += (unsigned int)rc;
        first = chunk[rc - 1].domid + 1;
        if ((unsigned int)rc < (want < XC_GETINFO_CHUNK ? want : XC_GETINFO_CHUNK))
            break;              /* the hypervisor has no more */
    }
    free(chunk);
    return rc < 0 ? rc : (int)done;
}

static void to_xen(const struct lamina_ctl_dominfo *in, void *out, size_t i)
{
    xc_domaininfo_t *x = (xc_domaininfo_t *)out + i;
    const uint32_t xen_flags = XEN_DOMINF_dying | XEN_DOMINF_hvm_guest | XEN_DOMINF_shutdown |
                               XEN_DOMINF_paused | XEN_DOMINF_blocked | XEN_DOMINF_running |
                               XEN_DOMINF_hap |
                               (XEN_DOMINF_shutdownmask << XEN_DOMINF_shutdownshift);

    memset(x, 0, sizeof(*x));
    x->domain = (domid_t)in->domid;
    x->flags = in->flags & xen_flags;
    x->tot_pages = in->tot_pages;
    x->max_pages = in->max_pages;
    x->shared_info_frame = in->shared_info_frame;
    x->cpu_time = in->cpu_time_ns;
    x->nr_online_vcpus = in->nr_online_vcpus;
    x->max_vcpu_id = in->max_vcpu_id;
    memcpy(x->handle, in->uuid, sizeof(x->handle));
}

static void to_lamina(const struct lamina_ctl_dominfo *in, void *out, size_t i)
{
    struct lamina_dominfo *l = (struct lamina_dominfo *)out + i;

    memset(l, 0, sizeof(*l));
    l->domid = in->domid;
    l->flags = in->flags;
    memcpy(l->uuid, in->uuid, sizeof(l->uuid));
    memcpy(l->name, in->name, sizeof(l->name));
    l->tot_pages = in->tot_pages;
    l->max_pages = in->max_pages;
    l->cpu_time_ns = in->cpu_time_ns;
    l->uptime_ns = in->uptime_ns;
    l->nr_online_vcpus = in->nr_online_vcpus;
    l->max_vcpu_id = in->max_vcpu_id;
    l->on_poweroff = in->on_poweroff;
    l->on_reboot = in->on_reboot;
    l->on_crash = in->on_crash;
    l->on_watchdog = in->on_watchdog;
}

int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains,
                          xc_domaininfo_t *info)
{
    int rc;

    xc__begin(xch);
    rc = getinfo_all(xch, first_domain, max_domains, to_xen, info);
    return rc < 0 ? xc__fail(xch, rc, "listing domains") : rc;
}

int lamina_domain_getinfo(xc_interface *xch, uint32_t first, unsigned int max,
                          struct lamina_dominfo *info)
{
    int rc;

    xc__begin(xch);
    rc = getinfo_all(xch, first, max, to_lamina, info);
    return rc < 0 ? xc__fail(xch, rc, "listing domains") : rc;
}

/* The wire record of exactly one domain, or -ESRCH. */
static int getinfo_one(xc_interface *xch, uint32_t domid, struct lamina_ctl_dominfo *rec)
{
    int rc;

    if (!domid_ok(domid))
        return -ESRCH;
    rc = xc__getinfo(xch, domid, 1, rec);
    if (rc < 0)
        return rc;
    return rc == 1 && rec->domid == domid ? 0 : -ESRCH;
}

int xc_domain_getinfo_single(xc_interface *xch, uint32_t domid, xc_domaininfo_t *info)
{
    struct lamina_ctl_dominfo rec;
    int rc;

    xc__begin(xch);
    rc = getinfo_one(xch, domid, &rec);
    if (rc < 0)
        return xc__fail(xch, rc, "domain %u", domid);
    to_xen(&rec, info, 0);
    return 0;
}

int lamina_domain_getinfo_single(xc_interface *xch, uint32_t domid, struct lamina_dominfo *info)
{
    struct lamina_ctl_dominfo rec;
    int rc;

    xc__begin(xch);
    rc = getinfo_one(xch, domid, &rec);
    if (rc < 0)
        return xc__fail(xch, rc, "domain %u", domid);
    to_lamina(&rec, info, 0);
    return 0;
}

int xc_domain_setmaxmem(xc_interface *xch, uint32_t domid, uint64_t max_memkb)
{
    struct lamina_ctl_dominfo rec;
    int rc;

    xc__begin(xch);
    rc = getinfo_one(xch, domid, &rec);
    if (rc == 0 && rec.max_pages * 4 != max_memkb)
        rc = -EOPNOTSUPP;
    return rc < 0 ? xc__fail(xch, rc, "setting the memory of domain %u", domid) : 0;
}

int xc_domain_max_vcpus(xc_interface *xch, uint32_t domid, unsigned int max)
{
    struct lamina_ctl_dominfo rec;
    int rc;

    xc__begin(xch);
    rc = getinfo_one(xch, domid, &rec);
    if (rc == 0 && (uint64_t)rec.max_vcpu_id + 1 != max)
        rc = -EOPNOTSUPP;
    return rc < 0 ? xc__fail(xch, rc, "setting the vCPU count of domain %u", domid) : 0;
}

int lamina_domain_lookup(xc_interface *xch, const char *name_or_id, uint32_t *domid)
{
    struct lamina_ctl_dominfo *chunk;
    uint32_t first = 0;
    uint64_t id = 0;
    const char *p;
    int rc;

    xc__begin(xch);
    if (!name_or_id || !*name_or_id || !domid)
        return xc__fail(xch, -EINVAL, "looking up a domain");
    for (p = name_or_id; *p >= '0' && *p <= '9'; p++) {
        if (id < XC_DOMID_LIMIT)
            id = id * 10 + (uint64_t)(*p - '0');
    }
    if (!*p) {
        struct lamina_ctl_dominfo rec;

        rc = id < XC_DOMID_LIMIT ? getinfo_one(xch, (uint32_t)id, &rec) : -ESRCH;
        if (rc < 0)
            return xc__fail(xch, rc, "no domain with id %s", name_or_id);
        *domid = (uint32_t)id;
        return 0;
    }

    chunk = malloc(XC_GETINFO_CHUNK * sizeof(*chunk));
    if (!chunk)
        return xc__fail(xch, -ENOMEM, "looking up domain '%s'", name_or_id);
    for (;;) {
        rc = xc__getinfo(xch, first, XC_GETINFO_CHUNK, chunk);
        if (rc <= 0)
            break;
        for (int i = 0; i < rc; i++) {
            if (strcmp(chunk[i].name, name_or_id) == 0) {
                *domid = chunk[i].domid;
                free(chunk);
                return 0;
            }
        }
        if ((unsigned int)rc < XC_GETINFO_CHUNK) {
            rc = 0;
            break;
        }
        first = chunk[rc - 1].domid + 1;
    }
    free(chunk);
    if (rc == 0)
        return xc__fail(xch, -ESRCH, "no domain named '%s'", name_or_id);
    return xc__fail(xch, rc, "looking up domain '%s'", name_or_id);
}

int xc_version(xc_interface *xch, int cmd, void *arg)
{
    struct xc_request r = { .op = LAMINA_CTL_OP_XEN_VERSION };
    struct lamina_ctl_xen_version_reply v;
    struct lamina_ctl_msg reply;
    int rc;

    xc__begin(xch);
    if (cmd != XENVER_version && cmd != XENVER_extraversion)
        return xc__fail(xch, -EOPNOTSUPP, "xc_version command %d", cmd);
    if (cmd == XENVER_extraversion && !arg)
        return xc__fail(xch, -EFAULT, "xc_version");
    rc = xc__call(xch, &r, &reply);
    if (rc < 0)
        return xc__fail(xch, rc, "reading the Xen version");
    rc = reply.hdr.len == sizeof(v) ? 0 : -EPROTO;
    if (rc == 0)
        memcpy(&v, reply.payload, sizeof(v));
    lamina_ctl_msg_release(&reply);
    if (rc < 0 || v.major > 0x7fff || v.minor > 0xffff)
        return xc__fail(xch, -EPROTO, "reading the Xen version");
    if (cmd == XENVER_version)
        return (int)((v.major << 16) | v.minor);
    memset(arg, 0, sizeof(xen_extraversion_t));
    memcpy(arg, v.extra, strnlen(v.extra, sizeof(xen_extraversion_t) - 1));
    return 0;
}
