/* hello.c: the smallest guest-kit program: who it is, what runs it, what it was told. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include <guest-kit/guest-kit.h>

const char gk_program_name[] = "hello";

int main(int argc, char **argv)
{
    struct gk_xen_version xen;
    uint64_t up = gk_monotonic_ns();
    int rc = gk_xen_version(&xen);

    if (rc < 0) {
        printf("hello: cannot read the hypervisor's version (error %d)\n", rc);
        return 1;
    }
    printf("Hello from Lamina domain %u\n", gk_domid());
    printf("Xen version %u.%u%s\n", xen.major, xen.minor, xen.extra);
    printf("Command line: %s\n", gk_cmdline());
    for (int i = 1; i < argc; i++)
        printf("argv[%d]: %s\n", i, argv[i]);
    printf("Started %lu.%03lu ms after the domain was created\n", up / 1000000,
           up / 1000 % 1000);
    return 0;
}
