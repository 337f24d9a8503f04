/*
 * sigvictim.c - counts the signals it receives (handlers from siglib.c)
 * and prints the counts: each signal sent once must arrive once.
 *   sigvictim [SECONDS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern volatile sig_atomic_t sig_usr1, sig_winch, sig_cont;

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 5;
	struct timespec ts = {0, 10 * 1000 * 1000};
	for (int i = 0; i < secs * 100 && !(sig_usr1 && sig_winch && sig_cont); i++)
		nanosleep(&ts, NULL);
	ts.tv_nsec = 200 * 1000 * 1000; /* time for a duplicate to show up */
	nanosleep(&ts, NULL);
	printf("usr1=%d winch=%d cont=%d\n", (int)sig_usr1, (int)sig_winch, (int)sig_cont);
	return 0;
}
