// layout_cases.cc - what moved functions must still do (t_layout.sh runs it
// plain and under --move=all and compares the output line by line).
//
// Each case prints one line; none prints an address. Functions are kept
// out of line so that calls, returns and unwinding cross function bounds,
// and many take a volatile argument so that nothing folds at build time.
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <execinfo.h>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile int knob = 7;
static int destroyed = 0;

struct Guard {
	int *counter;
	explicit Guard(int *c) : counter(c) {}
	~Guard() { ++*counter; }
};

// a switch dense enough to become a jump table
NOINLINE static int dispatch(int op, int x)
{
	switch (op) {
	case 0: return x + 1;
	case 1: return x * 3;
	case 2: return x - 7;
	case 3: return x ^ 0x55;
	case 4: return x << 2;
	case 5: return x >> 1;
	case 6: return ~x;
	case 7: return x * x;
	case 8: return x + 100;
	case 9: return -x;
	default: return 0;
	}
}

NOINLINE static long fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// a tail call at -O2
NOINLINE static int leaf(int x) { return x * 2 + knob; }
NOINLINE static int tail(int x) { return leaf(x + 1); }

NOINLINE static int target_fn(int x) { return x + 1; }
typedef int (*fn_t)(int);
static fn_t volatile stored = target_fn;

static jmp_buf jb;
NOINLINE static void deep_jump(int n)
{
	if (n == 0)
		longjmp(jb, 42);
	deep_jump(n - 1);
	knob = knob + 0; // keep it from being a tail call
}

static volatile sig_atomic_t handled = 0;
NOINLINE static int in_handler(int x) { return dispatch(x % 10, x); }
static void on_usr1(int sig)
{
	(void)sig;
	handled = in_handler(knob) + 1;
}

NOINLINE static void thrower(int n)
{
	Guard g(&destroyed);
	if (n == 0)
		throw std::runtime_error("thrown from a moved function");
	thrower(n - 1);
}

NOINLINE static int bt_depth(int n)
{
	if (n == 0) {
		void *frames[64];
		return backtrace(frames, 64);
	}
	int d = bt_depth(n - 1);
	knob = knob + 0;
	return d;
}

static int cancel_destroyed = 0;
NOINLINE static void spin(volatile int *stop)
{
	Guard g(&cancel_destroyed);
	while (!*stop)
		pthread_testcancel();
}
static void *canceled(void *arg)
{
	spin((volatile int *)arg);
	return nullptr;
}

static int exit_destroyed = 0;
NOINLINE static void leave(int n)
{
	Guard g(&exit_destroyed);
	if (n == 0)
		pthread_exit(nullptr);
	leave(n - 1);
}
static void *exits(void *) { leave(3); return nullptr; }

struct Work {
	unsigned long sum;
	int seed;
};
NOINLINE static unsigned long mix(unsigned long h, int v)
{
	return (h ^ (unsigned long)v) * 1099511628211ul;
}
static void *worker(void *arg)
{
	Work *w = (Work *)arg;
	unsigned long h = 1469598103934665603ul;
	for (int i = 0; i < 200000; i++)
		h = mix(h, dispatch(i % 10, i + w->seed));
	w->sum = h;
	return nullptr;
}

// Does fn's entry jump elsewhere (the layout's patch, after an endbr64)?
static int patched(const void *fn)
{
	const unsigned char *p = (const unsigned char *)fn;
	if (memcmp(p, "\xf3\x0f\x1e\xfa", 4) == 0)
		p += 4;
	return p[0] == 0xe9;
}

int main(int argc, char **argv)
{
	// --wait: first wait for SIGUSR2 (t_attach: attached meanwhile)
	if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
		sigset_t s;
		int sig;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR2);
		sigprocmask(SIG_BLOCK, &s, nullptr);
		fprintf(stderr, "layout_cases: waiting\n");
		sigwait(&s, &sig);
	}
	// on stderr: the test compares stdout, and checks this under --move=all
	const void *fns[] = {(void *)dispatch, (void *)fib, (void *)tail, (void *)deep_jump,
			     (void *)in_handler, (void *)thrower, (void *)bt_depth, (void *)spin,
			     (void *)leave, (void *)mix};
	int n = 0;
	for (const void *f : fns)
		n += patched(f);
	fprintf(stderr, "layout_cases: %d of %zu functions patched\n", n, sizeof(fns) / sizeof(*fns));
	int acc = 0;
	for (int i = 0; i < 10; i++)
		acc += dispatch(i, knob + i);
	printf("switch %d\n", acc);
	printf("recursion %ld\n", fib(20));
	printf("tail %d\n", tail(knob));
	printf("pointer equal %d calls %d\n", stored == &target_fn, stored(41));
	int v = setjmp(jb);
	if (v == 0)
		deep_jump(5);
	printf("longjmp %d\n", v);
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	printf("signal %d\n", (int)handled);
	try {
		thrower(4);
	} catch (const std::exception &e) {
		printf("exception '%s' destructors %d\n", e.what(), destroyed);
	}
	// backtrace from 6 frames deep: the same depth as without moving
	printf("backtrace depth %d\n", bt_depth(6) - bt_depth(0));
	pthread_t t;
	int stop = 0;
	pthread_create(&t, nullptr, canceled, &stop);
	usleep(10000);
	pthread_cancel(t);
	void *res;
	pthread_join(t, &res);
	printf("cancel %d destructors %d\n", res == PTHREAD_CANCELED, cancel_destroyed);
	pthread_create(&t, nullptr, exits, nullptr);
	pthread_join(t, nullptr);
	printf("pthread_exit destructors %d\n", exit_destroyed);
	Work w[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		w[i].seed = i;
		pthread_create(&th[i], nullptr, worker, &w[i]);
	}
	unsigned long all = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], nullptr);
		all ^= w[i].sum;
	}
	printf("threads %lx\n", all);
	fflush(stdout);
	// --hold: stay until stdin ends, for a test to look at the process
	if (argc > 1 && strcmp(argv[1], "--hold") == 0) {
		char c;
		while (read(0, &c, 1) > 0)
			;
	}
	return 3;
}
