/* cli.h: shared declarations of the lamina command line tool. */
/* SPDX-License-Identifier: MIT */
#ifndef __LAMINA_CLI_H__
#define __LAMINA_CLI_H__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <lamina_ctrl.h>
#include <xenctrl.h>

#include "domcfg.h"

/* Exit statuses of every command. */
#define CLI_OK      0
#define CLI_FAILED  1
#define CLI_USAGE   2

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args;           /* synopsis after the command name */
    const char *summary;        /* one line for `lamina help` */
    const char *help;           /* option descriptions, or NULL */
};

/* Print a command's usage on stderr and return CLI_USAGE. */
int cli_usage(const char *command);

/* Print a command's help on stdout (for -h) and return CLI_OK. */
int cli_help(const char *command);

/* Print "lamina: <message>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report the last failure on xch, with a hint when the hypervisor went away. */
void cli_xc_err(xc_interface *xch);

/*
 * Connect to the hypervisor. With start_hv, start it first if it is not
 * running (quiet: say nothing about it). Errors are printed; NULL then.
 */
xc_interface *cli_open(int start_hv, int quiet);

/*
 * Resolve a domain name or id, printing
 *     lamina: no domain named 'foo' (see 'lamina list')
 * when there is none.  Returns 0 or -1.
 */
int cli_find_domain(xc_interface *xch, const char *arg, uint32_t *domid);

/* All domains, in id order; *info is for free(). Returns the count or -1. */
int cli_list_domains(xc_interface *xch, struct lamina_dominfo **info);

/* The action the domain's config takes for a shutdown reason (SHUTDOWN_*). */
uint32_t cli_shutdown_action(const struct lamina_dominfo *info, unsigned int reason);

/* Write all of buf, retrying on EINTR; 0 or -errno. */
int cli_write_all(int fd, const void *buf, size_t len);

/* list-format.c: `lamina list` output, as `xl list` prints it. */
#define CLI_LIST_HEADER "Name                                        ID   Mem VCPUs\tState\tTime(s)"
int cli_list_format(char *buf, size_t size, const struct lamina_dominfo *d);

/* build.c: create a paused, built domain from a validated config. */
struct cli_build_opts {
    int debug;                  /* print what the builder did */
};

int cli_domain_build(xc_interface *xch, const struct domcfg *dc, const char *json,
                     const struct cli_build_opts *opts, uint32_t *domid);

/* console.c: stream a console until the user detaches or the domain goes away. */
enum cli_console_end {
    CLI_CONSOLE_DETACHED,       /* Ctrl-] or stdout closed */
    CLI_CONSOLE_SHUTDOWN,       /* reason and action filled */
    CLI_CONSOLE_DESTROYED,
    CLI_CONSOLE_FAILED,         /* error printed */
};

struct cli_console_result {
    enum cli_console_end end;
    uint32_t reason;            /* SHUTDOWN_* */
    uint32_t action;            /* enum lamina_action */
};

#define CLI_CONSOLE_ESCAPE 0x1d /* Ctrl-], as in xl */

/*
 * The caller has subscribed to the domain's events and attached its
 * console.  stdin goes to the guest (raw mode while it is a terminal).
 */
void cli_console_run(xc_interface *xch, uint32_t domid, struct cli_console_result *res);

/* domtree.c: xenstore, as xl's toolstack uses it. */
/* Start lamina-xenstored if nothing answers on its socket. */
int cli_xenstored_ensure(int quiet);
/* Write the domain's /local/domain/<id> and /vm/<uuid> trees and introduce it. */
int cli_domtree_create(const struct domcfg *dc, uint32_t domid, const struct lamina_build_info *bi);
/* Remove them (uuid NULL: only /local/domain/<id>); quiet if xenstored is gone. */
void cli_domtree_remove(uint32_t domid, const uint8_t uuid[16]);

/* block.c: disks (vbd), as libxl sets them up, and what other devices share with them. */
/* Add a disk (a canonical diskspec) to a domain and wait for the backend. */
int cli_vbd_add(uint32_t domid, const char *spec);

#define CLI_BACKEND_WAIT_MS 20000   /* for a backend to take or release a device */

struct xs_handle;
/* <dir>/<node> as a new string (NULL when missing), or as a number (dflt when missing). */
char *cli_xs_read(struct xs_handle *xs, const char *dir, const char *node);
int cli_xs_read_int(struct xs_handle *xs, const char *dir, const char *node, int dflt);
/* Write <dir>/<node> in transaction t (XBT_NULL: none). */
bool cli_xs_write(struct xs_handle *xs, uint32_t t, const char *dir, const char *node,
                  const char *value);
int64_t cli_now_ms(void);
/*
 * Wait until the backend has taken a device (InitWait or later, with
 * hotplug-status connected) or refused it (hotplug-status error, the
 * reason printed). `backend` and `what` name them in messages, `log` is
 * the backend's log file. 0 or -1.
 */
int cli_wait_backend(struct xs_handle *xs, const char *be, const char *backend,
                     const char *what, const char *log);
/*
 * Ask the backend at `be` to let go (online = 0, Closing), wait for Closed
 * (or for it to notice the domain is gone), then remove both directories.
 * -1 when there is no such device.
 */
int cli_device_remove(struct xs_handle *xs, const char *be, const char *fe);

/* What a device command works on: a domain, with the hypervisor and xenstored connected. */
struct cli_devctx {
    xc_interface *xch;
    struct xs_handle *xs;
    uint32_t domid;
};
/* Connect both and find <domain> (a name or an id): 0, or -1 after a message. */
int cli_devctx_open(struct cli_devctx *c, const char *domain);
void cli_devctx_close(struct cli_devctx *c);

/* network.c: network interfaces (vif), as libxl sets them up. */
/* Add vif `devid` (a canonical vifspec) to a domain and wait for the backend. */
int cli_vif_add(uint32_t domid, uint32_t devid, const char *spec);

/* monitor.c: fork the background process that restarts the domain on reboot. */
int cli_monitor_spawn(xc_interface *xch, const char *name, uint32_t domid);

/* Commands */
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_domid(int argc, char **argv);
int cmd_domname(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_block_attach(int argc, char **argv);
int cmd_block_detach(int argc, char **argv);
int cmd_block_list(int argc, char **argv);
int cmd_network_attach(int argc, char **argv);
int cmd_network_detach(int argc, char **argv);
int cmd_network_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_help(int argc, char **argv);

#endif /* __LAMINA_CLI_H__ */
