/*
 * What happens when Keel itself takes an exception: print the vector, the
 * error code, the registers and a stack trace on the console, then stop
 * this CPU. The other CPUs (and the shell, unless it was this CPU) go on.
 */
#include "arch/cpu.h"
#include "arch/trap.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/percpu.h"

#define STACK_TRACE_MAX	16

extern char __kernel_start[], __text_end[];

static const char *const exception_names[NR_EXCEPTIONS] = {
	[0] = "#DE divide error",		[1] = "#DB debug",
	[2] = "NMI",				[3] = "#BP breakpoint",
	[4] = "#OF overflow",			[5] = "#BR bound range",
	[6] = "#UD invalid opcode",		[7] = "#NM device not available",
	[8] = "#DF double fault",		[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",	[12] = "#SS stack fault",
	[13] = "#GP general protection",	[14] = "#PF page fault",
	[16] = "#MF x87 error",			[17] = "#AC alignment check",
	[18] = "#MC machine check",		[19] = "#XM SIMD exception",
	[20] = "#VE virtualization exception",	[21] = "#CP control protection",
};

static bool is_kernel_text(uint64_t a)
{
	return a >= (uint64_t)__kernel_start && a < (uint64_t)__text_end;
}

static void print_frame(uint64_t addr)
{
	uint64_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		pr_err("  [<%016lx>] %s+0x%lx\n", addr, name, off);
	else
		pr_err("  [<%016lx>]\n", addr);
}

/* Follow the RBP chain (the kernel is built with frame pointers); stop at
 * anything that does not look like a kernel stack frame. */
static void stack_trace(uint64_t rip, uint64_t rbp)
{
	pr_err("stack trace:\n");
	print_frame(rip);
	for (int i = 0; i < STACK_TRACE_MAX && rbp && !(rbp & 7); i++) {
		uint64_t *frame = (uint64_t *)rbp;
		uint64_t ret;

		if (rbp < (uint64_t)__kernel_start && rbp < 0x1000)
			break;
		ret = frame[1];
		if (!is_kernel_text(ret))
			break;
		print_frame(ret);
		rbp = frame[0];
	}
}

static void dump_registers(const struct trap_frame *f)
{
	pr_err("RIP: %04lx:%016lx RFLAGS: %016lx\n", f->cs, f->rip, f->rflags);
	pr_err("RSP: %04lx:%016lx\n", f->ss, f->rsp);
	pr_err("RAX: %016lx RBX: %016lx RCX: %016lx\n", f->rax, f->rbx, f->rcx);
	pr_err("RDX: %016lx RSI: %016lx RDI: %016lx\n", f->rdx, f->rsi, f->rdi);
	pr_err("RBP: %016lx R08: %016lx R09: %016lx\n", f->rbp, f->r8, f->r9);
	pr_err("R10: %016lx R11: %016lx R12: %016lx\n", f->r10, f->r11, f->r12);
	pr_err("R13: %016lx R14: %016lx R15: %016lx\n", f->r13, f->r14, f->r15);
	pr_err("CR0: %016lx CR2: %016lx CR3: %016lx CR4: %016lx\n",
	       read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

void trap_exception(struct trap_frame *f);
void trap_exception(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();
	const char *name = exception_names[f->vector];

	/* The dump goes straight to the console: the shell's CPU may be the
	 * one stopping, and then nobody would print queued lines. */
	log_defer_console(false);
	pr_err("EXCEPTION %s (vector %lu, error code 0x%lx) on CPU %u\n",
	       name ? name : "reserved", f->vector, f->error, cpu ? cpu->id : 0);
	dump_registers(f);
	stack_trace(f->rip, f->rbp);
	if (cpu)
		cpu->state = CPU_STOPPED;
	pr_err("CPU %u stopped.\n", cpu ? cpu->id : 0);
	cpu_stop();
}
