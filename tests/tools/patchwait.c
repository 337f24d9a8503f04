/*
 * patchwait.c - threads that stand in the first bytes of functions an
 * entry patch would overwrite, for `hugexec attach --move=all` (t_attach).
 *
 *   patchwait [--hold-malloc]
 *
 * pw_pause is `mov %edi,%eax; syscall; ret`: a thread blocked in its
 * pause() has its instruction pointer at pw_pause+4, inside the 5 bytes a
 * jmp rel32 at the entry would take. pw_call is `push %rbx; call *%rsi;
 * pop %rbx; ret`: a thread waiting in the function it called has
 * pw_call+3 as its return address. A third thread, in pw_call_alt (the
 * same code), waits in a signal handler that runs on an alternate stack:
 * pw_call_alt+3 is on its normal stack, under the handler's frame. Patched,
 * any of them would resume in the middle of the jmp.
 * Prints "patchwait: running" once all three wait; SIGUSR2 (to the process)
 * makes the main thread wake them (SIGUSR1), which then return through
 * those bytes; prints "patchwait: ok" and exits 0.
 * It also maps a page of its own text again, far away (as node does with
 * part of its text near V8's heap): that mapping is not its image.
 * --hold-malloc: from then on, a malloc called by the main thread waits
 * forever (a lock the stopped thread would hold), as a function attach
 * calls in the program (the unwinder's registration) would find it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

long pw_pause(long nr);
void pw_call(long unused, void (*fn)(void));
__asm__(".text\n"
	".globl pw_pause\n.type pw_pause, @function\n.p2align 6\npw_pause:\n"
	".cfi_startproc\n"
	"\tmov %edi, %eax\n\tsyscall\n\tret\n"
	".cfi_endproc\n.size pw_pause, .-pw_pause\n"
	".globl pw_call\n.type pw_call, @function\n.p2align 6\npw_call:\n"
	".cfi_startproc\n"
	"\tpush %rbx\n.cfi_adjust_cfa_offset 8\n"
	"\tcall *%rsi\n"
	"\tpop %rbx\n.cfi_adjust_cfa_offset -8\n\tret\n"
	".cfi_endproc\n.size pw_call, .-pw_call\n"
	".globl pw_call_alt\n.type pw_call_alt, @function\n.p2align 6\npw_call_alt:\n"
	".cfi_startproc\n"
	"\tpush %rbx\n.cfi_adjust_cfa_offset 8\n"
	"\tcall *%rsi\n"
	"\tpop %rbx\n.cfi_adjust_cfa_offset -8\n\tret\n"
	".cfi_endproc\n.size pw_call_alt, .-pw_call_alt\n");
void pw_call_alt(long unused, void (*fn)(void));

static volatile sig_atomic_t go, woken;
static volatile int waiting, out[3];
static volatile int hold_malloc;
static pthread_t main_thread;

void *__libc_malloc(size_t n);

/* The program's malloc (libgcc's __register_frame calls it): with
 * --hold-malloc, the main thread's calls wait forever. */
void *malloc(size_t n)
{
	if (hold_malloc && pthread_equal(pthread_self(), main_thread)) {
		static int never;
		for (;;)
			syscall(SYS_futex, &never, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0);
	}
	return __libc_malloc(n);
}

static void on_usr1(int s)
{
	(void)s;
	go = 1;
}

static void on_usr2(int s)
{
	(void)s;
	woken = 1;
}

static void wait_go(void)
{
	__atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
	while (!go)
		pause();
}

static void *in_pause(void *arg)
{
	(void)arg;
	__atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
	while (!go)
		pw_pause(SYS_pause);
	out[0] = 1;
	return NULL;
}

static void *in_call(void *arg)
{
	(void)arg;
	pw_call(0, wait_go);
	out[1] = 1;
	return NULL;
}

/* SIGURG's handler, on the alternate stack: waits there. */
static void on_urg(int s)
{
	(void)s;
	wait_go();
}

static void raise_urg(void)
{
	pthread_kill(pthread_self(), SIGURG);
}

static void *in_alt(void *arg)
{
	(void)arg;
	stack_t ss = {.ss_size = 1 << 16};
	ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0)
		return NULL;
	pw_call_alt(0, raise_urg);
	out[2] = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	main_thread = pthread_self();
	int fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0 || mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED)
		return 1;
	close(fd);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_urg;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGURG, &sa, NULL);
	/* SIGUSR2 for the main thread only, SIGUSR1 for the two waiters */
	sigset_t s2, s1;
	sigemptyset(&s2);
	sigaddset(&s2, SIGUSR2);
	sigemptyset(&s1);
	sigaddset(&s1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s2, NULL);
	pthread_t t[3];
	if (pthread_create(&t[0], NULL, in_pause, NULL) || pthread_create(&t[1], NULL, in_call, NULL) ||
	    pthread_create(&t[2], NULL, in_alt, NULL))
		return 1;
	pthread_sigmask(SIG_UNBLOCK, &s2, NULL);
	pthread_sigmask(SIG_BLOCK, &s1, NULL);
	while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < 3)
		usleep(1000);
	usleep(20000); /* (both in pause by now) */
	hold_malloc = argc > 1 && strcmp(argv[1], "--hold-malloc") == 0;
	if (write(1, "patchwait: running\n", 19) != 19)
		return 1;
	while (!woken)
		pause();
	hold_malloc = 0;
	for (int i = 0; i < 3; i++) { /* each until it is out of its pause */
		for (int k = 0; k < 1000 && !out[i]; k++) {
			pthread_kill(t[i], SIGUSR1);
			usleep(2000);
		}
		pthread_join(t[i], NULL);
	}
	printf("patchwait: ok\n");
	return 0;
}
