/*
 * siglib.c - a shared library whose constructor installs signal handlers
 * before the program's entry point (where hugexec stops it), so that
 * signals sent while hugexec works meet a handler when they are delivered.
 * Linked with 4 MB of generated text, so hugexec has something to move.
 */
#include <signal.h>
#include <string.h>

volatile sig_atomic_t sig_usr1, sig_winch, sig_cont;

static void count(int sig)
{
	if (sig == SIGUSR1)
		sig_usr1++;
	else if (sig == SIGWINCH)
		sig_winch++;
	else if (sig == SIGCONT)
		sig_cont++;
}

__attribute__((constructor)) static void install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGCONT, &sa, NULL);
}
