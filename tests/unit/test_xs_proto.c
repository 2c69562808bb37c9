/* test_xs_proto.c: Check tests of lamina-xenstored's requests, paths, permissions and domains. */
/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "quota.h"
#include "test_xs_harness.h"

/* A request whose payload is a literal with embedded NULs, NUL-terminated. */
#define REQ(t, type, lit) xt_req((t), (type), 0, (lit), sizeof(lit))

/* ---- Basic operations ---- */

START_TEST(test_initial_tree)
{
    struct tconn *d0 = xt_dom0();

    ck_assert_str_eq(xt_dir(d0, 0, "/"), "tool");
    ck_assert_str_eq(xt_dir(d0, 0, "/tool"), "xenstored");
    ck_assert_str_eq(xt_read(d0, 0, "/tool/xenstored"), "");
    ck_assert_str_eq(xt_getperms(d0, 0, "/"), "n0");
    ck_assert_str_eq(xt_getperms(d0, 0, "@releaseDomain"), "n0");
    ck_assert_str_eq(xt_getperms(d0, 0, "@introduceDomain"), "n0");
    ck_assert_str_eq(xt_read(d0, 0, "/local"), "ENOENT");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_write_read)
{
    struct tconn *d0 = xt_dom0();

    ck_assert_str_eq(xt_write(d0, 0, "/a/b/c", "hello"), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/a/b/c"), "hello");
    /* Missing parents were created empty, in order. */
    ck_assert_str_eq(xt_read(d0, 0, "/a"), "");
    ck_assert_str_eq(xt_read(d0, 0, "/a/b"), "");
    ck_assert_str_eq(xt_dir(d0, 0, "/"), "tool,a");
    ck_assert_str_eq(xt_write(d0, 0, "/a/b/c", "bye"), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/a/b/c"), "bye");
    ck_assert_str_eq(xt_write(d0, 0, "/a/b/c", ""), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/a/b/c"), "");
    ck_assert_str_eq(xt_read(d0, 0, "/a/b/nope"), "ENOENT");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_binary_value)
{
    struct tconn *d0 = xt_dom0();
    static const char msg[] = "/bin\0a\0b\0";
    struct xmsg m;

    xt_send(d0, XS_WRITE, 0, msg, sizeof(msg) - 1);
    xt_run();
    ck_assert(xt_reply(d0, &m));
    ck_assert_str_eq(m.body, "OK");
    xt_send(d0, XS_READ, 0, "/bin", 5);
    xt_run();
    ck_assert(xt_reply(d0, &m));
    ck_assert_uint_eq(m.hdr.len, 4);
    ck_assert_mem_eq(m.body, "a\0b\0", 4);
}
END_TEST

START_TEST(test_max_value)
{
    struct tconn *d0 = xt_dom0();
    char buf[XENSTORE_PAYLOAD_MAX];

    memcpy(buf, "/big", 5);
    memset(buf + 5, 'x', sizeof(buf) - 5);
    ck_assert_str_eq(xt_req(d0, XS_WRITE, 0, buf, sizeof(buf)), "OK");
    ck_assert_uint_eq(strlen(xt_read(d0, 0, "/big")), sizeof(buf) - 5);
}
END_TEST

START_TEST(test_mkdir)
{
    struct tconn *d0 = xt_dom0();

    ck_assert_str_eq(xt_mkdir(d0, 0, "/m/n"), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/m/n"), "");
    ck_assert_str_eq(xt_write(d0, 0, "/m/n", "v"), "OK");
    /* MKDIR leaves an existing value alone. */
    ck_assert_str_eq(xt_mkdir(d0, 0, "/m/n"), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/m/n"), "v");
}
END_TEST

START_TEST(test_rm)
{
    struct tconn *d0 = xt_dom0();

    ck_assert_str_eq(xt_write(d0, 0, "/r/a/b", "1"), "OK");
    ck_assert_str_eq(xt_write(d0, 0, "/r/a/c", "2"), "OK");
    ck_assert_str_eq(xt_write(d0, 0, "/r/d", "3"), "OK");
    ck_assert_str_eq(xt_rm(d0, 0, "/r/a"), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/r/a/b"), "ENOENT");
    ck_assert_str_eq(xt_read(d0, 0, "/r/a"), "ENOENT");
    ck_assert_str_eq(xt_dir(d0, 0, "/r"), "d");
    /* Absent node with an existing parent: fine. Absent parent: ENOENT. */
    ck_assert_str_eq(xt_rm(d0, 0, "/r/a"), "OK");
    ck_assert_str_eq(xt_rm(d0, 0, "/r/x/y"), "ENOENT");
    ck_assert_str_eq(xt_rm(d0, 0, "/"), "EINVAL");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_directory)
{
    struct tconn *d0 = xt_dom0();

    ck_assert_str_eq(xt_mkdir(d0, 0, "/d"), "OK");
    ck_assert_str_eq(xt_dir(d0, 0, "/d"), "");
    ck_assert_str_eq(xt_write(d0, 0, "/d/z", ""), "OK");
    ck_assert_str_eq(xt_write(d0, 0, "/d/a", ""), "OK");
    ck_assert_str_eq(xt_write(d0, 0, "/d/m", ""), "OK");
    /* Creation order, like Xen. */
    ck_assert_str_eq(xt_dir(d0, 0, "/d"), "z,a,m");
    ck_assert_str_eq(xt_rm(d0, 0, "/d/a"), "OK");
    ck_assert_str_eq(xt_dir(d0, 0, "/d"), "z,m");
    ck_assert_str_eq(xt_dir(d0, 0, "/nope"), "ENOENT");
}
END_TEST

/* Enough children that the list exceeds one payload. */
static void make_many_children(struct tconn *d0, unsigned int n)
{
    char path[64];

    for (unsigned int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "/many/child-number-%05u", i);
        ck_assert_str_eq(xt_write(d0, 0, path, ""), "OK");
    }
}

static const char *dir_part(struct tconn *d0, const char *path, unsigned int off, size_t *len,
                            char *gen)
{
    static struct xmsg m;
    char buf[256];
    size_t plen = strlen(path) + 1;
    int n = snprintf(buf + plen, sizeof(buf) - plen, "%u", off);

    memcpy(buf, path, plen);
    xt_send(d0, XS_DIRECTORY_PART, 0, buf, plen + (size_t)n + 1);
    xt_run();
    ck_assert(xt_reply(d0, &m));
    if (m.hdr.type == XS_ERROR)
        return m.body;
    ck_assert_uint_eq(m.hdr.type, XS_DIRECTORY_PART);
    strcpy(gen, m.body);
    *len = m.hdr.len - strlen(m.body) - 1;
    return m.body + strlen(m.body) + 1;
}

START_TEST(test_directory_part)
{
    struct tconn *d0 = xt_dom0();
    char gen[32], gen2[32], all[65536];
    size_t len, total = 0;
    unsigned int names = 0;
    const char *chunk;

    make_many_children(d0, 400);
    ck_assert_str_eq(xt_dir(d0, 0, "/many"), "E2BIG");
    for (;;) {
        chunk = dir_part(d0, "/many", (unsigned int)total, &len, total ? gen2 : gen);
        ck_assert_uint_gt(len, 0);
        if (total)
            ck_assert_str_eq(gen, gen2);
        if (len == 1 || chunk[len - 2] == '\0') {
            memcpy(all + total, chunk, len - 1);
            total += len - 1;
            break;
        }
        memcpy(all + total, chunk, len);
        total += len;
    }
    for (size_t off = 0; off < total; off += strlen(all + off) + 1) {
        char want[32];

        snprintf(want, sizeof(want), "child-number-%05u", names);
        ck_assert_str_eq(all + off, want);
        names++;
    }
    ck_assert_uint_eq(names, 400);
    /* Past the end: the generation and one empty name. */
    chunk = dir_part(d0, "/many", 1000000, &len, gen2);
    ck_assert_uint_eq(len, 1);
    ck_assert_str_eq(gen, gen2);
    /* A change makes a new generation. */
    ck_assert_str_eq(xt_write(d0, 0, "/many/extra", ""), "OK");
    dir_part(d0, "/many", 0, &len, gen2);
    ck_assert_str_ne(gen, gen2);
    /* Offsets must fall on a name. */
    ck_assert_str_eq(dir_part(d0, "/many", 3, &len, gen2), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_DIRECTORY_PART, "/many\0x"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_DIRECTORY_PART, "/many"), "EINVAL");
}
END_TEST

START_TEST(test_get_domain_path)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(7);

    ck_assert_str_eq(REQ(d0, XS_GET_DOMAIN_PATH, "7"), "/local/domain/7");
    ck_assert_str_eq(REQ(u, XS_GET_DOMAIN_PATH, "0"), "/local/domain/0");
    ck_assert_str_eq(REQ(d0, XS_GET_DOMAIN_PATH, "x"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_GET_DOMAIN_PATH, "99999"), "EINVAL");
}
END_TEST

/* ---- Paths ---- */

START_TEST(test_path_syntax)
{
    struct tconn *d0 = xt_dom0();
    static const char *const bad[] = { "/a//b", "/a/", "/a b", "/a.b", "/a:b", "/\xc3\xa9", "",
                                       "@foo" };
    char longpath[XENSTORE_ABS_PATH_MAX + 2];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(strcmp(xt_write(d0, 0, bad[i], "x"), "EINVAL") == 0, "path '%s'", bad[i]);
    ck_assert_str_eq(xt_write(d0, 0, "/A-z_0@9", "ok"), "OK");
    memset(longpath, 'a', sizeof(longpath));
    longpath[0] = '/';
    longpath[XENSTORE_ABS_PATH_MAX] = '\0';
    ck_assert_str_eq(xt_write(d0, 0, longpath, ""), "OK");
    longpath[XENSTORE_ABS_PATH_MAX] = 'a';
    longpath[XENSTORE_ABS_PATH_MAX + 1] = '\0';
    ck_assert_str_eq(xt_write(d0, 0, longpath, ""), "EINVAL");
}
END_TEST

START_TEST(test_relative_paths)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(3);

    ck_assert_str_eq(xt_mkdir(d0, 0, "/local/domain/3"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/3", "b3"), "OK");
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/3/x", "dom0 wrote"), "OK");
    ck_assert_str_eq(xt_read(u, 0, "x"), "dom0 wrote");
    ck_assert_str_eq(xt_write(u, 0, "y/z", "guest"), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/local/domain/3/y/z"), "guest");
    /* dom0's relative paths live under /local/domain/0. */
    ck_assert_str_eq(xt_write(d0, 0, "name", "Domain-0"), "OK");
    ck_assert_str_eq(xt_read(d0, 0, "/local/domain/0/name"), "Domain-0");
    ck_assert_str_eq(xt_read(u, 0, "y/"), "EINVAL");
}
END_TEST

START_TEST(test_path_length_quota)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(3);
    char rel[XENSTORE_REL_PATH_MAX + 2];

    ck_assert_str_eq(xt_setperms(d0, 0, "/", "n0,b3"), "OK");
    quota[Q_NODE_SIZE] = 8192;
    memset(rel, 'r', sizeof(rel));
    rel[XENSTORE_REL_PATH_MAX] = '\0';
    ck_assert_str_eq(xt_write(u, 0, rel, ""), "OK");
    rel[XENSTORE_REL_PATH_MAX] = 'r';
    rel[XENSTORE_REL_PATH_MAX + 1] = '\0';
    ck_assert_str_eq(xt_write(u, 0, rel, ""), "EINVAL");
    /* dom0 is held only to the absolute limit. */
    ck_assert_str_eq(xt_write(d0, 0, rel, ""), "OK");
    /* Depth. */
    quota[Q_DEPTH] = 4;
    ck_assert_str_eq(xt_write(u, 0, "/a/b/c/d", ""), "OK");
    ck_assert_str_eq(xt_write(u, 0, "/a/b/c/d/e", ""), "EINVAL");
    ck_assert_str_eq(xt_write(d0, 0, "/a/b/c/d/e", ""), "OK");
}
END_TEST

/* ---- Permissions ---- */

START_TEST(test_perms_owner_and_inheritance)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(5);

    ck_assert_str_eq(xt_mkdir(d0, 0, "/local/domain/5"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/5", "n5,r0"), "OK");
    ck_assert_str_eq(xt_getperms(d0, 0, "/local/domain/5"), "n5,r0");
    /* The owner has full access, whatever the list says for others. */
    ck_assert_str_eq(xt_write(u, 0, "/local/domain/5/data/x", "1"), "OK");
    /* New nodes inherit the nearest existing ancestor's list, owner = creator. */
    ck_assert_str_eq(xt_getperms(u, 0, "/local/domain/5/data"), "n5,r0");
    ck_assert_str_eq(xt_getperms(u, 0, "/local/domain/5/data/x"), "n5,r0");
    /* dom0 creating below keeps the inherited owner. */
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/5/from-dom0/y", "2"), "OK");
    ck_assert_str_eq(xt_getperms(d0, 0, "/local/domain/5/from-dom0/y"), "n5,r0");
    ck_assert_str_eq(xt_write(u, 0, "/local/domain/5/from-dom0/y", "3"), "OK");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_perms_cross_domain)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *a = xt_domu(1), *b = xt_domu(2);

    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/1/secret", "s"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/1", "n1"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/1/secret", "n1"), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/local/domain/1/secret"), "s");
    ck_assert_str_eq(xt_read(b, 0, "/local/domain/1/secret"), "EACCES");
    ck_assert_str_eq(xt_write(b, 0, "/local/domain/1/secret", "x"), "EACCES");
    ck_assert_str_eq(xt_dir(b, 0, "/local/domain/1"), "EACCES");
    ck_assert_str_eq(xt_getperms(b, 0, "/local/domain/1/secret"), "EACCES");
    ck_assert_str_eq(xt_rm(b, 0, "/local/domain/1/secret"), "EACCES");
    /* Whether a node exists under an unreadable parent is not revealed. */
    ck_assert_str_eq(xt_read(b, 0, "/local/domain/1/nothing"), "EACCES");
    ck_assert_str_eq(xt_read(a, 0, "/local/domain/1/nothing"), "ENOENT");
    /* Creating needs write access to the nearest existing ancestor. */
    ck_assert_str_eq(xt_write(b, 0, "/local/domain/1/new/x", "x"), "EACCES");
    ck_assert_str_eq(xt_write(b, 0, "/elsewhere", "x"), "EACCES");
    ck_assert_str_eq(xt_read(d0, 0, "/local/domain/1/secret"), "s");
}
END_TEST

START_TEST(test_perms_letters)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *a = xt_domu(1);

    ck_assert_str_eq(xt_write(d0, 0, "/p/x", "v"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/p", "b0"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/p/x", "n0,r1"), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/p/x"), "v");
    ck_assert_str_eq(xt_write(a, 0, "/p/x", "w"), "EACCES");
    ck_assert_str_eq(xt_setperms(d0, 0, "/p/x", "n0,w1"), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/p/x"), "EACCES");
    ck_assert_str_eq(xt_write(a, 0, "/p/x", "w"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/p/x", "n0,b1"), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/p/x"), "w");
    ck_assert_str_eq(xt_setperms(d0, 0, "/p/x", "n0,n1"), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/p/x"), "EACCES");
    /* The first entry is the default for domains not listed. */
    ck_assert_str_eq(xt_setperms(d0, 0, "/p/x", "r0"), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/p/x"), "w");
    ck_assert_str_eq(xt_write(a, 0, "/p/x", "z"), "EACCES");
    ck_assert_str_eq(xt_setperms(d0, 0, "/p/x", "b0,n1"), "OK");
    ck_assert_str_eq(xt_read(a, 0, "/p/x"), "EACCES");
}
END_TEST

START_TEST(test_perms_set_rules)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *a = xt_domu(1), *b = xt_domu(2);

    ck_assert_str_eq(xt_write(d0, 0, "/q/own", ""), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/q/own", "n1,b2"), "OK");
    /* b may write but is not the owner. */
    ck_assert_str_eq(xt_setperms(b, 0, "/q/own", "b1"), "EACCES");
    ck_assert_str_eq(xt_setperms(a, 0, "/q/own", "r1,b2"), "OK");
    ck_assert_str_eq(xt_getperms(a, 0, "/q/own"), "r1,b2");
    /* A guest cannot give its node away. */
    ck_assert_str_eq(xt_setperms(a, 0, "/q/own", "n2"), "EPERM");
    /* Parse errors. */
    ck_assert_str_eq(xt_setperms(d0, 0, "/q/own", "x1"), "EINVAL");
    ck_assert_str_eq(xt_setperms(d0, 0, "/q/own", "r"), "EINVAL");
    ck_assert_str_eq(xt_setperms(d0, 0, "/q/own", "r70000"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_SET_PERMS, "/q/own"), "EINVAL");
    ck_assert_str_eq(xt_setperms(d0, 0, "/q/none", "r1"), "ENOENT");
    /* dom0 may change the owner; the accounting follows. */
    ck_assert_str_eq(xt_setperms(d0, 0, "/q/own", "n2"), "OK");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_set_target)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *dm = xt_domu(8);

    xt_domu(9);
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/9/device-model", "x"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/9", "n9"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/9/device-model", "n9"), "OK");
    ck_assert_str_eq(xt_read(dm, 0, "/local/domain/9/device-model"), "EACCES");
    ck_assert_str_eq(REQ(dm, XS_SET_TARGET, "8\0009"), "EACCES");
    ck_assert_str_eq(REQ(d0, XS_SET_TARGET, "8\0009"), "OK");
    ck_assert_str_eq(xt_read(dm, 0, "/local/domain/9/device-model"), "x");
    ck_assert_str_eq(REQ(d0, XS_SET_TARGET, "77\0009"), "ENOENT");
    ck_assert_str_eq(REQ(d0, XS_SET_TARGET, "8"), "EINVAL");
}
END_TEST

/* ---- Domains ---- */

START_TEST(test_domain_ops)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u;

    ck_assert_str_eq(REQ(d0, XS_IS_DOMAIN_INTRODUCED, "4"), "F");
    ck_assert_str_eq(REQ(d0, XS_IS_DOMAIN_INTRODUCED, "0"), "T");
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "4\00012345\0007"), "OK");
    ck_assert_str_eq(REQ(d0, XS_IS_DOMAIN_INTRODUCED, "4"), "T");
    /* Signed mfn, as Xen documents it. */
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "6\000-1\0007"), "OK");
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "0\0001\0007"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "x\0001\0007"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "5\0001"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "32752\0001\0007"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_RESUME, "4"), "OK");
    ck_assert_str_eq(REQ(d0, XS_RESUME, "5"), "ENOENT");
    u = xt_domu(4);
    ck_assert_str_eq(REQ(u, XS_INTRODUCE, "9\0001\0007"), "EACCES");
    ck_assert_str_eq(REQ(u, XS_RELEASE, "4"), "EACCES");
    ck_assert_str_eq(REQ(u, XS_IS_DOMAIN_INTRODUCED, "4"), "EACCES");
    ck_assert_str_eq(REQ(u, XS_RESUME, "4"), "EACCES");
    ck_assert_str_eq(REQ(d0, XS_RELEASE, "4"), "OK");
    xt_run();
    /* The domain's connection went with it. */
    ck_assert(u->closed);
    ck_assert_str_eq(REQ(d0, XS_IS_DOMAIN_INTRODUCED, "4"), "F");
    ck_assert_str_eq(REQ(d0, XS_RELEASE, "4"), "ENOENT");
    ck_assert_str_eq(REQ(d0, XS_RELEASE, "0"), "EINVAL");
}
END_TEST

START_TEST(test_special_watches)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *root = xt_dom0();
    struct tconn *u = xt_domu(2);

    ck_assert_str_eq(xt_watch(d0, "@introduceDomain", "in"), "OK");
    ck_assert_str_eq(xt_watch(d0, "@releaseDomain", "out"), "OK");
    ck_assert_str_eq(xt_watch(root, "/", "all"), "OK");
    ck_assert_str_eq(xt_watch(u, "@releaseDomain", "guest"), "OK");
    ck_assert_str_eq(xt_event(d0), "@introduceDomain|in");
    ck_assert_str_eq(xt_event(d0), "@releaseDomain|out");
    ck_assert_str_eq(xt_event(root), "/|all");
    ck_assert_str_eq(xt_event(u), "@releaseDomain|guest");
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "3\0001\0001"), "OK");
    ck_assert_str_eq(xt_event(d0), "@introduceDomain|in");
    ck_assert_ptr_null(xt_event(d0));
    /* A watch on "/" sees special events too, as with Xen. */
    ck_assert_str_eq(xt_event(root), "@introduceDomain|all");
    ck_assert_str_eq(REQ(d0, XS_RELEASE, "3"), "OK");
    ck_assert_str_eq(xt_event(d0), "@releaseDomain|out");
    ck_assert_str_eq(xt_event(root), "@releaseDomain|all");
    /* Guests need read access to the special node. */
    ck_assert_ptr_null(xt_event(u));
    ck_assert_str_eq(xt_setperms(d0, 0, "@releaseDomain", "n0,r2"), "OK");
    domain_shut_down(2);
    xt_run();
    ck_assert_str_eq(xt_event(u), "@releaseDomain|guest");
    /* Once per shutdown until RESUME. */
    domain_shut_down(2);
    xt_run();
    ck_assert_ptr_null(xt_event(u));
    ck_assert_str_eq(REQ(d0, XS_RESUME, "2"), "OK");
    domain_shut_down(2);
    xt_run();
    ck_assert_str_eq(xt_event(u), "@releaseDomain|guest");
}
END_TEST

START_TEST(test_reintroduce_resets)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(4);

    ck_assert_str_eq(xt_watch(u, "/local", "t"), "OK");
    xt_drop_events(u);
    xt_txn_start(u);
    ck_assert_uint_eq(u->c->nwatches, 1);
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "4\0001\0009"), "OK");
    ck_assert_uint_eq(u->c->nwatches, 0);
    ck_assert_uint_eq(u->c->ntxns, 0);
    ck_assert_ptr_eq(domain_find(4)->conn, u->c);
}
END_TEST

/* ---- Quotas ---- */

START_TEST(test_quota_nodes)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(6);
    char path[64];

    quota[Q_NODES] = 10;
    ck_assert_str_eq(xt_mkdir(d0, 0, "/local/domain/6"), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/6", "n6"), "OK");
    /* The home node itself counts. */
    for (int i = 0; i < 9; i++) {
        snprintf(path, sizeof(path), "n%d", i);
        ck_assert_str_eq(xt_write(u, 0, path, ""), "OK");
    }
    ck_assert_str_eq(xt_write(u, 0, "one-too-many", ""), "ENOSPC");
    ck_assert_str_eq(xt_write(u, 0, "n0/deep/er", ""), "ENOSPC");
    /* Nothing half-made. */
    ck_assert_str_eq(xt_read(u, 0, "n0/deep"), "ENOENT");
    ck_assert_str_eq(xt_rm(u, 0, "n8"), "OK");
    ck_assert_str_eq(xt_write(u, 0, "fits", ""), "OK");
    /* dom0 is exempt, even when it creates nodes the guest owns. */
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/6/by-dom0", ""), "OK");
    ck_assert_str_eq(xt_control(d0, "quota", "6"), "domain 6: 11 nodes, 0 watches, 0 "
                     "transactions, 0 replies and 0 events queued\n");
    ck_assert_str_eq(xt_check(), "OK");
}
END_TEST

START_TEST(test_quota_node_size)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(6);
    char big[600];

    quota[Q_NODE_SIZE] = 512;
    ck_assert_str_eq(xt_setperms(d0, 0, "/", "n0,b6"), "OK");
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_str_eq(xt_write(u, 0, "/v", big), "ENOSPC");
    ck_assert_str_eq(xt_read(d0, 0, "/v"), "ENOENT");
    big[400] = '\0';
    ck_assert_str_eq(xt_write(u, 0, "/v", big), "OK");
    big[400] = 'v';
    ck_assert_str_eq(xt_write(u, 0, "/v", big), "ENOSPC");
    ck_assert_str_eq(xt_write(d0, 0, "/v", big), "OK");
}
END_TEST

START_TEST(test_quota_watches_transactions_perms)
{
    struct tconn *u = xt_domu(6);
    char tok[16];

    quota[Q_WATCHES] = 3;
    quota[Q_TRANSACTIONS] = 2;
    quota[Q_PERMS] = 2;
    for (int i = 0; i < 3; i++) {
        snprintf(tok, sizeof(tok), "t%d", i);
        ck_assert_str_eq(xt_watch(u, "/x", tok), "OK");
    }
    ck_assert_str_eq(xt_watch(u, "/x", "t9"), "E2BIG");
    ck_assert_str_eq(xt_unwatch(u, "/x", "t0"), "OK");
    ck_assert_str_eq(xt_watch(u, "/x", "t9"), "OK");
    xt_txn_start(u);
    xt_txn_start(u);
    ck_assert_str_eq(REQ(u, XS_TRANSACTION_START, ""), "ENOSPC");
    ck_assert_str_eq(xt_write(u, 0, "mine", ""), "EACCES");
}
END_TEST

START_TEST(test_quota_perms_count)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(6);

    quota[Q_PERMS] = 2;
    ck_assert_str_eq(xt_write(d0, 0, "/local/domain/6/x", ""), "OK");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/6/x", "n6"), "OK");
    ck_assert_str_eq(xt_setperms(u, 0, "/local/domain/6/x", "n6,r1"), "OK");
    ck_assert_str_eq(xt_setperms(u, 0, "/local/domain/6/x", "n6,r1,r2"), "ENOSPC");
    ck_assert_str_eq(xt_setperms(d0, 0, "/local/domain/6/x", "n6,r1,r2"), "OK");
}
END_TEST

START_TEST(test_quota_control)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *u = xt_domu(6);
    const char *list;

    list = xt_control(d0, "quota", NULL);
    ck_assert_ptr_nonnull(strstr(list, "nodes"));
    ck_assert_ptr_nonnull(strstr(list, "1000"));
    ck_assert_str_eq(REQ(d0, XS_CONTROL, "quota\0watches\0001"), "OK");
    ck_assert_uint_eq(quota[Q_WATCHES], 1);
    ck_assert_str_eq(REQ(d0, XS_CONTROL, "quota\0bogus\0001"), "EINVAL");
    ck_assert_str_eq(REQ(d0, XS_CONTROL, "quota\0watches\0x"), "EINVAL");
    ck_assert_str_eq(xt_watch(u, "/a", "1"), "OK");
    ck_assert_str_eq(xt_watch(u, "/b", "1"), "E2BIG");
    ck_assert_str_eq(xt_control(u, "quota", NULL), "EACCES");
}
END_TEST

/* ---- CONTROL ---- */

START_TEST(test_control)
{
    struct tconn *d0 = xt_dom0();

    ck_assert_ptr_nonnull(strstr(xt_control(d0, "help", NULL), "quota"));
    ck_assert_str_eq(xt_control(d0, "print", "hello from a test"), "OK");
    ck_assert_str_eq(xt_control(d0, "log", "on"), "OK");
    ck_assert_str_eq(xt_control(d0, "log", "off"), "OK");
    ck_assert_str_eq(xt_control(d0, "log", "maybe"), "EINVAL");
    ck_assert_str_eq(xt_control(d0, "no-such-command", NULL), "EINVAL");
    ck_assert_ptr_nonnull(strstr(xt_control(d0, "stats", NULL), "nodes 5"));
    ck_assert_str_eq(REQ(d0, XS_CONTROL, ""), "EINVAL");
}
END_TEST

START_TEST(test_control_attach_domain)
{
    struct tconn *d0 = xt_dom0();
    struct tconn *s = xt_dom0();

    ck_assert_str_eq(xt_control(s, "attach-domain", "12"), "ENOENT");
    ck_assert_str_eq(REQ(d0, XS_INTRODUCE, "12\0001\0001"), "OK");
    ck_assert_str_eq(xt_control(s, "attach-domain", "12"), "OK");
    ck_assert_uint_eq(s->c->domid, 12);
    ck_assert(!s->c->privileged);
    ck_assert_str_eq(xt_write(s, 0, "/x", "y"), "EACCES");
    ck_assert_str_eq(xt_control(s, "attach-domain", "12"), "EACCES");
    ck_assert_str_eq(xt_control(d0, "attach-domain", "12"), "EBUSY");
}
END_TEST

static Suite *proto_suite(void)
{
    Suite *s = suite_create("xenstored-proto");
    TCase *ops = tcase_create("ops"), *paths = tcase_create("paths");
    TCase *perms = tcase_create("perms"), *doms = tcase_create("domains");
    TCase *quotas = tcase_create("quotas"), *control = tcase_create("control");
    TCase *all[] = { ops, paths, perms, doms, quotas, control };

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        tcase_add_checked_fixture(all[i], xt_setup, xt_teardown);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(ops, test_initial_tree);
    tcase_add_test(ops, test_write_read);
    tcase_add_test(ops, test_binary_value);
    tcase_add_test(ops, test_max_value);
    tcase_add_test(ops, test_mkdir);
    tcase_add_test(ops, test_rm);
    tcase_add_test(ops, test_directory);
    tcase_add_test(ops, test_directory_part);
    tcase_add_test(ops, test_get_domain_path);
    tcase_add_test(paths, test_path_syntax);
    tcase_add_test(paths, test_relative_paths);
    tcase_add_test(paths, test_path_length_quota);
    tcase_add_test(perms, test_perms_owner_and_inheritance);
    tcase_add_test(perms, test_perms_cross_domain);
    tcase_add_test(perms, test_perms_letters);
    tcase_add_test(perms, test_perms_set_rules);
    tcase_add_test(perms, test_set_target);
    tcase_add_test(doms, test_domain_ops);
    tcase_add_test(doms, test_special_watches);
    tcase_add_test(doms, test_reintroduce_resets);
    tcase_add_test(quotas, test_quota_nodes);
    tcase_add_test(quotas, test_quota_node_size);
    tcase_add_test(quotas, test_quota_watches_transactions_perms);
    tcase_add_test(quotas, test_quota_perms_count);
    tcase_add_test(quotas, test_quota_control);
    tcase_add_test(control, test_control);
    tcase_add_test(control, test_control_attach_domain);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(proto_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
