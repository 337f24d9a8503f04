/*
 * sud.c - a program whose library (libsud.so, sudlib.c) turns on Syscall
 * User Dispatch in its constructor, before the entry point, as emulators
 * and sandboxes do (t_signals.sh): system calls from outside libc's text go
 * to its SIGSYS handler, which runs them itself. Linked with 4 MB of
 * generated text, so that hugexec has text to remap (and system calls to
 * inject, from the vDSO: outside libc).
 *
 *   sud
 *
 * main makes one raw system call (getpid) from its own text: the handler
 * must see it. Prints "sud: handled=N pid_ok=B" (N: calls the handler ran),
 * exits 0. If the handler was lost (reset to SIG_DFL), the raw call kills
 * it with SIGSYS. Exits 77 when the kernel has no Syscall User Dispatch.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

extern volatile long sud_handled;
extern int sud_unsupported;
extern volatile char sud_selector;
#define FILTER_ALLOW 0

int main(void)
{
	if (sud_unsupported) {
		printf("sud: no Syscall User Dispatch here\n");
		return 77;
	}
	long pid;
	/* a raw system call from the program's own text: dispatched */
	__asm__ volatile("syscall" : "=a"(pid) : "0"((long)SYS_getpid) : "rcx", "r11", "memory");
	sud_selector = FILTER_ALLOW;
	printf("sud: handled=%ld pid_ok=%d\n", sud_handled, pid == getpid());
	return 0;
}
