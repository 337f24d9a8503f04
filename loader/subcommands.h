/*
 * subcommands.h - the words that make `hugexec WORD ...` a subcommand
 * (`hugexec -- WORD` runs a program of that name), and the function of
 * hugexec-core that runs each: one list for the launcher, which execs the
 * core for them, and the core, which runs them.
 */
#ifndef LD_SUBCOMMANDS_H
#define LD_SUBCOMMANDS_H

/* X(word, function taking argc, argv with argv[0] the word) */
#define LD_SUBCOMMANDS(X)                \
	X("status", ld_status_main)      \
	X("record", rec_main)            \
	X("profile", prof_main)          \
	X("config", ld_config_main)      \
	X("attach", ld_attach_main)      \
	X("undo", ld_undo_main)

#endif
