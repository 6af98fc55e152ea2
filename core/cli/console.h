/* console.h: `spotcheck console`, an interactive Lua REPL in the style of lua.c (multi-line input,
 * expression echo, libedit line editing and history in ~/.spotcheck_history, Ctrl-C interrupts the
 * running chunk, Ctrl-D leaves), and `spotcheck run FILE.lua [args]`. Both run in a console session
 * of adminapi.h (the server's sandbox with the admin API) and audit every run with its code.
 * Uses adminapi.h, worker.h, config.h and libedit. */
#ifndef SPOT_CONSOLE_H
#define SPOT_CONSOLE_H

/* The subcommands (main.c's table): argc/argv after the command name. Return the exit status. */
int console_main(int argc, char **argv);
int console_run_main(int argc, char **argv);

#endif
