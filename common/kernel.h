/*
 * kernel.h - kernel constants newer than some build machines' headers
 * (Debian 12's glibc headers predate several). The values are the
 * kernel's ABI; whether the running kernel supports them is always probed,
 * never assumed from their presence here.
 * Must never: define anything that is not a fixed kernel ABI number.
 */
#ifndef HX_KERNEL_H
#define HX_KERNEL_H

#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* 4.17 */
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)      /* MAP_HUGE_SHIFT = 26, log2(2 MB) = 21 */
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22        /* 5.14 */
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25             /* 6.1 */
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41        /* 5.17, with CONFIG_ANON_VMA_NAME */
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65               /* 6.3 */
#define PR_GET_MDWE 66
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59 /* 5.11 */
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#define HX_PR_SYS_DISPATCH_INCLUSIVE_ON 2 /* 6.17: dispatch calls *from* the range */
/* Syscall User Dispatch seen and set through ptrace (6.4); <linux/ptrace.h>
 * of older machines lacks it. */
#define HX_PTRACE_SET_SUD_CONFIG 0x4210
#define HX_PTRACE_GET_SUD_CONFIG 0x4211
struct hx_sud_config {
	uint64_t mode, selector, offset, len;
};
#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61    /* Yama */
#endif
/* PROCMAP_QUERY (6.11): one mapping of /proc/PID/maps by address, with the
 * build-id of its file as the kernel reads it. <linux/fs.h> of older
 * machines lacks it. */
struct hx_procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define HX_PROCMAP_QUERY 0xc0686611u /* _IOWR('f', 17, struct hx_procmap_query) */

#endif
