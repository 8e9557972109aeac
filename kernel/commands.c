/*
 * The serial-console shell's commands (the core is kernel/shell.c). Names,
 * output layouts and error wording follow virsh.
 */
#include "arch/cpu.h"
#include "arch/vmx.h"
#include "drivers/uart.h"
#include "kernel/bootinfo.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/power.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/time.h"

#define IDLE_POLL_US	50000	/* keep polling this long after input */
#define CONSOLE_MAX_COMMANDS	64
#define ERASE_LINE		"\r\x1b[K"	/* to column 0, clear the row */

static const struct shell_group grp_host = { "host", "Host and Hypervisor" };
static const struct shell_group grp_debug = { "debug", "Debugging" };

static int cmd_version(struct shell *sh, const struct shell_args *a)
{
	(void)a;
	shell_printf(sh, "Compiled against library: Keel %s\n", KEEL_VERSION);
	shell_printf(sh, "Using library: Keel %s\n", KEEL_VERSION);
	shell_printf(sh, "Running hypervisor: Keel %s (git %s)\n", KEEL_VERSION, KEEL_GITREV);
	return 0;
}

static void cpu_model(char out[49])
{
	struct cpuid_regs r;

	if (cpuid(0x80000000, 0).eax < 0x80000004) {
		memcpy(out, "x86_64", 7);
		return;
	}
	for (uint32_t i = 0; i < 3; i++) {
		r = cpuid(0x80000002 + i, 0);
		memcpy(out + 16 * i, &r, 16);
	}
	out[48] = '\0';
}

static int cmd_nodeinfo(struct shell *sh, const struct shell_args *a)
{
	uint32_t n = smp_online_count();
	char virt[128], model[49];
	const char *m = model;

	(void)a;
	cpu_model(model);
	while (*m == ' ')
		m++;
	vmx_describe(virt, sizeof(virt));
	shell_printf(sh, "%-20s %s\n", "CPU model:", "x86_64");
	shell_printf(sh, "%-20s %u\n", "CPU(s):", n);
	shell_printf(sh, "%-20s %lu MHz\n", "CPU frequency:", tsc_hz / 1000000);
	shell_printf(sh, "%-20s %u\n", "CPU socket(s):", 1);
	shell_printf(sh, "%-20s %u\n", "Core(s) per socket:", n);
	shell_printf(sh, "%-20s %u\n", "Thread(s) per core:", 1);
	shell_printf(sh, "%-20s %u\n", "NUMA cell(s):", 1);
	shell_printf(sh, "%-20s %lu KiB\n", "Memory size:", bootinfo_ram_bytes(boot_info) / KiB);
	shell_printf(sh, "%-20s %s\n", "CPU name:", m);
	shell_printf(sh, "%-20s %s\n", "Virtualization:", virt);
	return 0;
}

static void shell_sink(void *ctx, const char *s, size_t n)
{
	shell_write(ctx, s, n);
}

static int cmd_dmesg(struct shell *sh, const struct shell_args *a)
{
	(void)a;
	log_dump(shell_sink, sh);
	return 0;
}

static int cmd_reboot(struct shell *sh, const struct shell_args *a)
{
	(void)a;
	shell_printf(sh, "Resetting the machine.\n");
	power_reset();
}

static void raise_ud(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
}

static const struct shell_opt debug_exception_opts[] = {
	{ "cpu", SHELL_OPT_U64, SHELL_OPT_POSITIONAL, "physical CPU to fault (default: the last one)" },
	{ NULL, 0, 0, NULL },
};

static int cmd_debug_exception(struct shell *sh, const struct shell_args *a)
{
	uint64_t cpu = cpu_count - 1;
	int err;

	shell_arg_u64(a, "cpu", &cpu);
	if (cpu == 0 || cpu >= cpu_count) {
		shell_error(sh, "CPU %lu cannot be faulted: choose an application processor, 1 to %u",
			    cpu, cpu_count - 1);
		return -E_INVAL;
	}
	err = smp_call((uint32_t)cpu, raise_ud, NULL);
	if (err) {
		shell_error(sh, "CPU %lu is not online", cpu);
		return err;
	}
	udelay(100000);		/* let its dump reach the console first */
	return 0;
}

static const struct shell_cmd commands[] = {
	{ "nodeinfo", &grp_host, "node information",
	  "Returns basic information about the node.", NULL, cmd_nodeinfo },
	{ "version", &grp_host, "show version", "Display the system version information.",
	  NULL, cmd_version },
	{ "dmesg", &grp_host, "show the kernel log",
	  "Prints Keel's kernel log since boot.", NULL, cmd_dmesg },
	{ "host-reboot", &grp_host, "reset the machine",
	  "Resets the physical machine, ending every domain.", NULL, cmd_reboot },
	{ "debug-exception", &grp_debug, "fault a CPU on purpose",
	  "Makes an application processor execute an invalid instruction, to test "
	  "the exception path: the CPU prints its state and stops.",
	  debug_exception_opts, cmd_debug_exception },
};

static void console_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	console_write(s, n);
}

static struct shell shell;
static struct shell_cmd all_commands[CONSOLE_MAX_COMMANDS];
static size_t nr_commands;

int console_add_commands(const struct shell_cmd *cmds, size_t n)
{
	if (n > ARRAY_SIZE(all_commands) - nr_commands)
		return -E_NOMEM;
	memcpy(&all_commands[nr_commands], cmds, n * sizeof(*cmds));
	nr_commands += n;
	return 0;
}

void console_shell_run(void)
{
	struct shell_config cfg = { all_commands, 0, console_out, NULL, NULL };
	uint64_t last_input = 0;
	int c;

	console_add_commands(commands, ARRAY_SIZE(commands));
	cfg.ncmds = nr_commands;
	if (shell_init(&shell, &cfg))
		pr_err("shell: invalid command table\n");
	pr_info("keel: ready in %lu ms since power-on; the console is open (no password set)\n",
		tsc_to_ns(rdtsc()) / 1000000);
	shell_start(&shell);
	log_defer_console(true);
	for (;;) {
		c = uart_getc();
		if (c < 0 && log_console_pending()) {
			console_write(ERASE_LINE, sizeof(ERASE_LINE) - 1);
			log_flush_console();
			shell_redraw(&shell);
		} else if (c >= 0) {
			shell_feed(&shell, (uint8_t)c);
			last_input = rdtsc();
		} else if (tsc_to_ns(rdtsc() - last_input) > IDLE_POLL_US * 1000ULL) {
			cpu_idle_once();	/* guests, or HLT until the tick */
		} else {
			cpu_relax();
		}
	}
}
