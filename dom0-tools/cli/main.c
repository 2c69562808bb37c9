/* main.c: the lamina command line tool: command table and dispatch. */
/* SPDX-License-Identifier: MIT */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
    { "create", cmd_create, "[-c] [-p] [-q] [-n] [-d] <config-file> [key=value ...]",
      "create a domain from a config file",
      "  -c   attach to the console (Ctrl-] detaches)\n"
      "  -p   leave the domain paused after building it\n"
      "  -q   quiet: print only errors\n"
      "  -n   dry run: check the config and print it as JSON, create nothing\n"
      "  -d   print what the domain builder did\n"
      "  key=value settings override the file's\n" },
    { "list", cmd_list, "[-l] [domain ...]", "list domains",
      "  -l   print the domains' stored configs as a JSON array\n" },
    { "console", cmd_console, "[-r] <domain>", "attach to a domain's console",
      "  -r   first print what the console said before the attach\n"
      "  Ctrl-] detaches; the command ends when the domain goes away\n" },
    { "domid", cmd_domid, "<domain>", "print a domain's id, given its name", NULL },
    { "domname", cmd_domname, "<domain>", "print a domain's name, given its id", NULL },
    { "pause", cmd_pause, "<domain>", "pause a domain", NULL },
    { "unpause", cmd_unpause, "<domain>", "unpause a domain", NULL },
    { "destroy", cmd_destroy, "<domain>", "terminate a domain immediately", NULL },
    { "shutdown", cmd_shutdown, "[-w] [-F] [-t SECONDS] <domain>",
      "ask a domain to shut down (control/shutdown in xenstore)",
      "  -w   wait until the domain has shut down\n"
      "  -F   force: if the guest has no PV control interface (or, with -w, has not\n"
      "       shut down after -t seconds, default 60), the hypervisor powers it off\n"
      "  -t   with -w: give up (or, with -F, force) after SECONDS\n" },
    { "block-attach", cmd_block_attach, "<domain> <diskspec>",
      "attach a disk to a running domain (xl's disk syntax, see lamina.cfg(5))", NULL },
    { "block-detach", cmd_block_detach, "<domain> <vdev|devid>",
      "detach a disk from a domain", NULL },
    { "block-list", cmd_block_list, "<domain>", "list a domain's disks (xl's columns)", NULL },
    { "network-attach", cmd_network_attach, "<domain> <vifspec>",
      "attach a network interface to a running domain (xl's vif syntax, see lamina.cfg(5))",
      NULL },
    { "network-detach", cmd_network_detach, "<domain> <devid|mac>",
      "detach a network interface from a domain", NULL },
    { "network-list", cmd_network_list, "<domain>",
      "list a domain's network interfaces (xl's columns)", NULL },
    { "reboot", cmd_reboot, "[-w] [-F] [-t SECONDS] <domain>",
      "ask a domain to reboot (its on_reboot action follows)",
      "  -w   wait until the domain has gone down\n"
      "  -F   force: if the guest has no PV control interface (or, with -w, has not\n"
      "       rebooted after -t seconds, default 60), the hypervisor reboots it\n"
      "  -t   with -w: give up (or, with -F, force) after SECONDS\n" },
    { "info", cmd_info, "", "show information about the hypervisor", NULL },
    { "help", cmd_help, "[command]", "show help on lamina or one command", NULL },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; i < NR_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static void print_command_help(FILE *out, const struct cli_command *c)
{
    fprintf(out, "Usage: lamina %s%s%s\n\n%c%s.\n", c->name, *c->args ? " " : "", c->args,
            c->summary[0] - 'a' + 'A', c->summary + 1);
    if (c->help)
        fprintf(out, "\n%s", c->help);
}

static void print_main_help(FILE *out)
{
    int width = 0;

    for (size_t i = 0; i < NR_COMMANDS; i++)
        if ((int)strlen(commands[i].name) > width)
            width = (int)strlen(commands[i].name);
    fprintf(out, "Usage: lamina [-h | --version] <command> [args]\n\n"
                 "Manage the domains of the Lamina hypervisor.\n\nCommands:\n");
    for (size_t i = 0; i < NR_COMMANDS; i++)
        fprintf(out, "  %-*s  %s\n", width, commands[i].name, commands[i].summary);
    fprintf(out, "\nDomains are named by name or id. 'lamina help <command>' "
                 "describes a command.\n");
}

int cli_usage(const char *command)
{
    const struct cli_command *c = command ? find_command(command) : NULL;

    if (c)
        print_command_help(stderr, c);
    else
        print_main_help(stderr);
    return CLI_USAGE;
}

int cli_help(const char *command)
{
    const struct cli_command *c = find_command(command);

    if (c)
        print_command_help(stdout, c);
    return CLI_OK;
}

int cmd_help(int argc, char **argv)
{
    const struct cli_command *c;

    if (argc > 2)
        return cli_usage("help");
    if (argc < 2) {
        print_main_help(stdout);
        return CLI_OK;
    }
    c = find_command(argv[1]);
    if (!c) {
        cli_err("unknown command '%s' (see 'lamina help')", argv[1]);
        return CLI_USAGE;
    }
    print_command_help(stdout, c);
    return CLI_OK;
}

int main(int argc, char **argv)
{
    const struct cli_command *c;

    /* A closed stdout or console pipe is reported where it is written. */
    signal(SIGPIPE, SIG_IGN);

    if (argc < 2)
        return cli_usage(NULL);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        print_main_help(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("lamina (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
        return CLI_OK;
    }
    if (argv[1][0] == '-') {
        cli_err("unknown option '%s'", argv[1]);
        return cli_usage(NULL);
    }
    c = find_command(argv[1]);
    if (!c) {
        cli_err("unknown command '%s' (see 'lamina help')", argv[1]);
        return CLI_USAGE;
    }
    /* Each command parses its own options with getopt, from argv[1] on. */
    return c->run(argc - 1, argv + 1);
}
