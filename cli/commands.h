/*
 * laocoon subcommands.  Each lives in its own cli/cmd_<name>.c and is listed
 * once in cli/commands.def; main.c dispatches by name.  A command gets argv
 * after its name (argv[0] is the first argument) and returns the process exit
 * status: 0 success, 1 a negative verdict (findings, not verified), 2 could
 * not complete, 64 usage error.
 */
#ifndef LC_CLI_COMMANDS_H
#define LC_CLI_COMMANDS_H

#define LC_EXIT_USAGE 64

#define LC_COMMAND(name, summary) int lc_cmd_##name(int argc, char **argv);
#include "commands.def"
#undef LC_COMMAND

#endif
