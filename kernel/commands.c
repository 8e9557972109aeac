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
#include "kernel/login.h"
#include "kernel/passwd.h"
#include "kernel/power.h"
#include "kernel/settings.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/time.h"

#define IDLE_POLL_US	50000	/* keep polling this long after input */
#define CONSOLE_MAX_COMMANDS	64
#define ERASE_LINE		"\r\x1b[K"	/* to column 0, clear the row */
#define LOGIN_PROMPT		"Password: "
#define LOGIN_DELAY_MS		2000	/* after a wrong password, doubling */
#define LOGIN_DELAY_MAX_MS	16000

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
	{ "cpu", SHELL_OPT_U64, SHELL_OPT_POSITIONAL, "physical CPU to fault (default: the last one)",
	  SHELL_COMPLETE_NONE },
	{ NULL, 0, 0, NULL, SHELL_COMPLETE_NONE },
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

static int cmd_quit(struct shell *sh, const struct shell_args *a)
{
	(void)sh;
	(void)a;
	return SHELL_EXIT;
}

static const struct shell_cmd session_commands[] = {
	{ "quit", &shell_group_builtin, "quit this interactive terminal",
	  "End this console session; with a console password set, the console asks for "
	  "it again. Domains keep running.", NULL, cmd_quit },
	{ "exit", &shell_group_builtin, "quit this interactive terminal",
	  "The same as quit.", NULL, cmd_quit },
};

static void console_out(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	console_write(s, n);
}

static struct shell shell;
static struct shell_cmd all_commands[CONSOLE_MAX_COMMANDS];
static size_t nr_commands;
static void *cmd_ctx;
static shell_complete_fn cmd_complete;
static void (*between_commands)(void *ctx);

int console_add_commands(const struct shell_cmd *cmds, size_t n)
{
	if (n > ARRAY_SIZE(all_commands) - nr_commands)
		return -E_NOMEM;
	memcpy(&all_commands[nr_commands], cmds, n * sizeof(*cmds));
	nr_commands += n;
	return 0;
}

void console_set_context(void *ctx, shell_complete_fn complete, void (*between)(void *ctx))
{
	cmd_ctx = ctx;
	cmd_complete = complete;
	between_commands = between;
}

/* Waiting for the operator: print the log lines queued meanwhile (then
 * redraw), or run guests (or HLT) after a while without input. */
static int console_poll(uint64_t *last_input, void (*redraw)(void))
{
	int c = uart_getc();

	if (c >= 0) {
		*last_input = rdtsc();
		return c;
	}
	if (between_commands)
		between_commands(cmd_ctx);
	if (log_console_pending()) {
		console_write(ERASE_LINE, sizeof(ERASE_LINE) - 1);
		log_flush_console();
		redraw();
	} else if (tsc_to_ns(rdtsc() - *last_input) > IDLE_POLL_US * 1000ULL) {
		cpu_idle_once();	/* guests, or HLT until the tick */
	} else {
		cpu_relax();
	}
	return -1;
}

static void redraw_shell(void)
{
	shell_redraw(&shell);
}

static void redraw_login(void)
{
	console_write(LOGIN_PROMPT, sizeof(LOGIN_PROMPT) - 1);
}

/* Run guests for `ns`, and forget what was typed meanwhile. */
static void login_pause(uint64_t ns)
{
	uint64_t end = time_since_boot_ns() + ns;

	while (time_since_boot_ns() < end)
		cpu_idle_once();
	while (uart_getc() >= 0)
		;
}

static bool password_ok(const char *hash, struct login *in)
{
	size_t len;
	const char *pw = login_text(in, &len);
	bool ok = !login_overflow(in) && passwd_verify(hash, pw, len);

	login_wipe(in);
	return ok;
}

/* Ask for the console password until it is given; each failure doubles
 * the wait before the next try, up to LOGIN_DELAY_MAX_MS. */
static void console_login(const char *hash)
{
	static struct login in;
	uint64_t last_input = 0, delay_ms = LOGIN_DELAY_MS;
	int c;

	console_write(LOGIN_PROMPT, sizeof(LOGIN_PROMPT) - 1);
	login_reset(&in);
	for (;;) {
		c = console_poll(&last_input, redraw_login);
		if (c < 0)
			continue;
		switch (login_feed(&in, (uint8_t)c)) {
		case LOGIN_CANCEL:
			console_write("^C\r\n" LOGIN_PROMPT, 4 + sizeof(LOGIN_PROMPT) - 1);
			continue;
		case LOGIN_NONE:
			continue;
		case LOGIN_LINE:
			break;
		}
		console_write("\r\n", 2);
		if (password_ok(hash, &in))
			return;
		pr_warn("console: wrong password\n");
		login_pause(delay_ms * 1000000ULL);
		delay_ms = MIN(delay_ms * 2, LOGIN_DELAY_MAX_MS);
		console_write("Login incorrect\r\n" LOGIN_PROMPT, 17 + sizeof(LOGIN_PROMPT) - 1);
	}
}

/* One console session: commands until quit or Ctrl-D. */
static void console_session(void)
{
	uint64_t last_input = 0;
	int c;

	shell_start(&shell);
	for (;;) {
		c = console_poll(&last_input, redraw_shell);
		if (c >= 0 && shell_feed(&shell, (uint8_t)c) == SHELL_ENDED)
			return;
	}
}

void console_shell_run(void)
{
	struct shell_config cfg = { all_commands, 0, console_out, NULL, NULL, NULL };
	const char *hash = settings_console_password();

	console_add_commands(commands, ARRAY_SIZE(commands));
	console_add_commands(session_commands, ARRAY_SIZE(session_commands));
	cfg.ncmds = nr_commands;
	cfg.ctx = cmd_ctx;
	cfg.complete = cmd_complete;
	if (shell_init(&shell, &cfg))
		pr_err("shell: invalid command table\n");
	pr_info("keel: ready in %lu ms since power-on; %s\n", tsc_to_ns(rdtsc()) / 1000000,
		hash ? "the console asks for the password set in keel.cfg" :
		       "the console is open (no password set)");
	log_defer_console(true);
	for (;;) {
		if (hash)
			console_login(hash);
		console_session();
		console_write("Console session ended.\r\n", 24);
	}
}
