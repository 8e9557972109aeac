/*
 * The shell's domain commands: list, start, shutdown, reboot, destroy,
 * dominfo, domid, domuuid, domname, domstate, domstats, dumpxml, console.
 * Names, layouts and messages follow virsh; Keel adds an "Exit status"
 * and a "Reason" line to dominfo.
 */
#include "drivers/uart.h"
#include "kernel/errno.h"
#include "kernel/kernel.h"
#include "kernel/log.h"
#include "kernel/mm.h"
#include "kernel/shell.h"
#include "kernel/smp.h"
#include "kernel/time.h"
#include "vmm/exit.h"
#include "vmm/vmm.h"

#define CTRL_RIGHT_BRACKET	0x1d	/* virsh console's escape */
#define CONSOLE_CHUNK		256
#define NAME_COL_MIN		4
#define STATE_COL_MIN		5
#define ID_COL			2

static const struct shell_group grp_domain = { "domain", "Domain Management" };

static bool active(const struct domain *d)
{
	return d->state == DOM_RUNNING || d->state == DOM_PAUSED;
}

static const struct shell_opt list_opts[] = {
	{ "all", SHELL_OPT_BOOL, 0, "list inactive & active domains" },
	{ "inactive", SHELL_OPT_BOOL, 0, "list inactive domains" },
	{ "name", SHELL_OPT_BOOL, 0, "list domain names only" },
	{ "uuid", SHELL_OPT_BOOL, 0, "list uuid's only" },
	{ NULL, 0, 0, NULL },
};

static void dashes(struct shell *sh, size_t n)
{
	while (n--)
		shell_write(sh, "-", 1);
	shell_write(sh, "\n", 1);
}

/* --name and --uuid: one domain a line, no table (both: UUID, then name). */
static int list_plain(struct shell *sh, const struct shell_args *a, const bool *show)
{
	bool name = shell_arg_bool(a, "name"), uuid = shell_arg_bool(a, "uuid");
	char ustr[UUID_STR_LEN + 1];

	for (unsigned i = 0; i < nr_domains; i++) {
		const struct domain *d = domains[i];

		if (!show[i])
			continue;
		uuid_format(d->cfg.uuid, ustr);
		shell_printf(sh, "%s%s%s\n", uuid ? ustr : "", uuid && name ? " " : "",
			     name ? d->cfg.name : "");
	}
	shell_write(sh, "\n", 1);
	return 0;
}

/* virsh's table: columns as wide as their widest cell, three spaces apart. */
static int cmd_list(struct shell *sh, const struct shell_args *a)
{
	bool all = shell_arg_bool(a, "all"), inactive = shell_arg_bool(a, "inactive");
	size_t name_w = NAME_COL_MIN, state_w = STATE_COL_MIN;
	bool show[MAX_DOMAINS];

	for (unsigned i = 0; i < nr_domains; i++) {
		struct domain *d = domains[i];

		show[i] = all || (inactive ? !active(d) : active(d));
		if (show[i]) {
			name_w = MAX(name_w, strlen(d->cfg.name));
			state_w = MAX(state_w, strlen(domain_state_name(d)));
		}
	}
	if (shell_arg_bool(a, "name") || shell_arg_bool(a, "uuid"))
		return list_plain(sh, a, show);
	shell_printf(sh, " %-*s   %-*s   %s\n", ID_COL, "Id", (int)name_w, "Name", "State");
	dashes(sh, 1 + ID_COL + 3 + name_w + 3 + state_w + 2);
	for (unsigned i = 0; i < nr_domains; i++) {
		struct domain *d = domains[i];
		char id[12] = "-";

		if (!show[i])
			continue;
		if (d->id >= 0)
			ksnprintf(id, sizeof(id), "%d", d->id);
		shell_printf(sh, " %-*s   %-*s   %s\n", ID_COL, id, (int)name_w, d->cfg.name,
			     domain_state_name(d));
	}
	shell_write(sh, "\n", 1);
	return 0;
}

static const struct shell_opt domain_opt[] = {
	{ "domain", SHELL_OPT_STRING, SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL,
	  "domain name, id or uuid" },
	{ NULL, 0, 0, NULL },
};

static struct domain *lookup(struct shell *sh, const struct shell_args *a)
{
	const char *key = shell_arg_str(a, "domain");
	struct domain *d = domain_find(key);

	if (!d)
		shell_error(sh, "failed to get domain '%s'", key);
	return d;
}

static int cmd_start(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);
	char why[160];
	int err;

	if (!d)
		return -E_NOENT;
	if (active(d)) {
		shell_error(sh, "Domain '%s' is already active", d->cfg.name);
		return -E_BUSY;
	}
	err = domain_start(d, why, sizeof(why));
	if (err) {
		shell_error(sh, "Failed to start domain '%s'\nerror: %s", d->cfg.name, why);
		return err;
	}
	shell_printf(sh, "Domain '%s' started\n\n", d->cfg.name);
	return 0;
}

static int cmd_destroy(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);
	int err;

	if (!d)
		return -E_NOENT;
	err = domain_destroy(d);
	if (err == -E_INVAL) {
		shell_error(sh, "Failed to destroy domain '%s'\nerror: Requested operation is not "
			    "valid: domain is not running", d->cfg.name);
		return err;
	}
	if (err) {
		shell_error(sh, "Failed to destroy domain '%s'\nerror: its vCPUs did not stop (%s)",
			    d->cfg.name, err_str(err));
		return err;
	}
	shell_printf(sh, "Domain '%s' destroyed\n\n", d->cfg.name);
	return 0;
}

#define INFO(sh, label, fmt, ...) shell_printf(sh, "%-15s " fmt "\n", label ":", __VA_ARGS__)

static int cmd_dominfo(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);
	char uuid[UUID_STR_LEN + 1], id[12] = "-";
	uint64_t ns;

	if (!d)
		return -E_NOENT;
	if (d->id >= 0)
		ksnprintf(id, sizeof(id), "%d", d->id);
	uuid_format(d->cfg.uuid, uuid);
	INFO(sh, "Id", "%s", id);
	INFO(sh, "Name", "%s", d->cfg.name);
	INFO(sh, "UUID", "%s", uuid);
	INFO(sh, "OS Type", "%s", "hvm");
	INFO(sh, "State", "%s", domain_state_name(d));
	INFO(sh, "CPU(s)", "%u", d->cfg.vcpus);
	if (active(d)) {
		ns = tsc_to_ns(domain_cpu_tsc(d));
		INFO(sh, "CPU time", "%lu.%lus", ns / 1000000000, ns / 100000000 % 10);
	}
	INFO(sh, "Max memory", "%lu KiB", d->cfg.memory_bytes / KiB);
	INFO(sh, "Used memory", "%lu KiB", active(d) ? d->cfg.current_memory_bytes / KiB : 0UL);
	INFO(sh, "Persistent", "%s", "yes");
	INFO(sh, "Autostart", "%s", d->autostart ? "enable" : "disable");
	INFO(sh, "Managed save", "%s", "no");
	INFO(sh, "Security model", "%s", "none");
	INFO(sh, "Security DOI", "%s", "0");
	if (!active(d) && d->exit_status >= 0)
		INFO(sh, "Exit status", "%ld", d->exit_status);
	if (d->reason[0] && d->state == DOM_CRASHED)
		INFO(sh, "Crash reason", "%s", d->reason);
	else if (d->reason[0])
		INFO(sh, "Reason", "%s", d->reason);
	shell_write(sh, "\n", 1);
	return 0;
}

/* ---- one-line queries: virsh prints the value, then an empty line */

static int cmd_domid(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);

	if (!d)
		return -E_NOENT;
	if (d->id >= 0)
		shell_printf(sh, "%d\n\n", d->id);
	else
		shell_printf(sh, "-\n\n");
	return 0;
}

static int cmd_domuuid(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);
	char uuid[UUID_STR_LEN + 1];

	if (!d)
		return -E_NOENT;
	uuid_format(d->cfg.uuid, uuid);
	shell_printf(sh, "%s\n\n", uuid);
	return 0;
}

static int cmd_domname(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);

	if (!d)
		return -E_NOENT;
	shell_printf(sh, "%s\n\n", d->cfg.name);
	return 0;
}

static const struct shell_opt domstate_opts[] = {
	{ "domain", SHELL_OPT_STRING, SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL,
	  "domain name, id or uuid" },
	{ "reason", SHELL_OPT_BOOL, 0, "also print reason for the state" },
	{ NULL, 0, 0, NULL },
};

/* libvirt's reason words for the states Keel has. */
static const char *state_reason(const struct domain *d)
{
	static const char *const stopped[] = {
		[STOP_DESTROY] = "destroyed", [STOP_POWEROFF] = "shutdown",
		[STOP_RESET] = "shutdown", [STOP_CRASH] = "crashed",
	};

	switch (d->state) {
	case DOM_RUNNING:
		return "booted";
	case DOM_PAUSED:
		return "user";
	case DOM_CRASHED:
		return "panicked";
	default:
		return d->stop_tsc ? stopped[d->stop_cause] : "unknown";
	}
}

static int cmd_domstate(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);

	if (!d)
		return -E_NOENT;
	if (shell_arg_bool(a, "reason"))
		shell_printf(sh, "%s (%s)\n\n", domain_state_name(d), state_reason(d));
	else
		shell_printf(sh, "%s\n\n", domain_state_name(d));
	return 0;
}

/* libvirt's state numbers (virDomainState) for domstats. */
static unsigned state_number(const struct domain *d)
{
	switch (d->state) {
	case DOM_RUNNING:
		return 1;
	case DOM_PAUSED:
		return 3;
	case DOM_CRASHED:
		return 6;
	default:
		return 5;
	}
}

/* An exit reason as a statistics key: "EPT violation" -> "ept_violation". */
static void reason_key(const char *name, char *out, size_t size)
{
	size_t n = 0;

	for (; *name && n + 1 < size; name++) {
		char c = *name;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		out[n++] = c;
	}
	out[n] = '\0';
}

static void domstats_one(struct shell *sh, struct domain *d)
{
	uint64_t counts[EXIT_REASON_COUNT];
	char key[40];

	domain_exit_counts(d, counts);
	shell_printf(sh, "Domain: '%s'\n", d->cfg.name);
	shell_printf(sh, "  state.state=%u\n", state_number(d));
	shell_printf(sh, "  cpu.time=%lu\n", tsc_to_ns(domain_cpu_tsc(d)));
	shell_printf(sh, "  vcpu.current=%u\n", active(d) ? d->cfg.vcpus : 0);
	shell_printf(sh, "  vcpu.maximum=%u\n", d->cfg.vcpus);
	shell_printf(sh, "  balloon.maximum=%lu\n", d->cfg.memory_bytes / KiB);
	for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
		if (!counts[r])
			continue;
		reason_key(vmexit_reason_name(r), key, sizeof(key));
		shell_printf(sh, "  keel.exits.%s=%lu\n", key, counts[r]);
	}
	shell_write(sh, "\n", 1);
}

static const struct shell_opt domstats_opts[] = {
	{ "domain", SHELL_OPT_STRING, SHELL_OPT_POSITIONAL, "domain name, id or uuid" },
	{ NULL, 0, 0, NULL },
};

/* virsh's domstats, with Keel's VM exit counts by reason (this run's so
 * far, or the last run's). Without a domain: every active one. */
static int cmd_domstats(struct shell *sh, const struct shell_args *a)
{
	struct domain *d;

	if (shell_arg_str(a, "domain")) {
		d = lookup(sh, a);
		if (!d)
			return -E_NOENT;
		domstats_one(sh, d);
		return 0;
	}
	for (unsigned i = 0; i < nr_domains; i++)
		if (active(domains[i]))
			domstats_one(sh, domains[i]);
	return 0;
}

#define DUMPXML_MAX	16384	/* bytes: a definition with every element fits */

/* The definition as libvirt XML that the parser reads back to the same
 * configuration (domxml_format), with the UUID even when it was generated. */
static int cmd_dumpxml(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);
	struct dom_config *cfg;
	char *buf;
	int n;

	if (!d)
		return -E_NOENT;
	cfg = kmalloc(sizeof(*cfg));
	buf = kmalloc(DUMPXML_MAX);
	if (!cfg || !buf) {
		kfree(cfg);
		kfree(buf);
		shell_error(sh, "out of memory");
		return -E_NOMEM;
	}
	*cfg = d->cfg;
	cfg->uuid_set = true;
	n = domxml_format(cfg, buf, DUMPXML_MAX);
	if (n >= 0 && n < DUMPXML_MAX)
		shell_write(sh, buf, (size_t)n);
	kfree(cfg);
	kfree(buf);
	if (n < 0 || n >= DUMPXML_MAX) {
		shell_error(sh, "the definition of '%s' does not fit in %u bytes", d->cfg.name,
			    DUMPXML_MAX);
		return -E_RANGE;
	}
	return 0;
}

/* Copy what the guest wrote since *pos to the console; false when there
 * was nothing. */
static bool drain(struct domain *d, uint64_t *pos)
{
	uint8_t buf[CONSOLE_CHUNK];
	uint64_t lost;
	size_t n = con_ring_read(&d->uart.out, pos, buf, sizeof(buf), &lost);
	char note[64];

	if (lost) {
		ksnprintf(note, sizeof(note), "\r\n[console: %lu bytes dropped]\r\n", lost);
		console_write(note, strlen(note));
	}
	if (n)
		console_write((const char *)buf, n);
	return n > 0;
}

static void attach(struct domain *d, uint64_t pos)
{
	int c;

	for (;;) {
		bool busy = drain(d, &pos);

		if (!active(d)) {
			while (drain(d, &pos))
				;
			return;
		}
		c = uart_getc();
		if (c == CTRL_RIGHT_BRACKET)
			return;
		if (c >= 0) {
			uint8_t byte = (uint8_t)c;

			vuart_receive(&d->uart, &byte, 1);
			plat_uart_update(d);
			domain_wake(d);
			busy = true;
		}
		if (!busy)
			cpu_idle_once();
	}
}

static int cmd_console(struct shell *sh, const struct shell_args *a)
{
	struct domain *d = lookup(sh, a);
	uint64_t pos;

	if (!d)
		return -E_NOENT;
	pos = con_ring_oldest(&d->uart.out);
	if (!active(d)) {
		shell_printf(sh, "Domain '%s' is not running; its last output:\n", d->cfg.name);
		while (drain(d, &pos))
			;
		shell_write(sh, "\n", 1);
		return 0;
	}
	shell_printf(sh, "Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n",
		     d->cfg.name);
	attach(d, pos);
	shell_write(sh, "\n", 1);
	return 0;
}

/* virsh's shutdown and reboot: ask the guest (ACPI power button) and
 * return at once; the guest decides when, and whether, it goes. */
static int power_request(struct shell *sh, const struct shell_args *a, bool reboot)
{
	struct domain *d = lookup(sh, a);
	const char *verb = reboot ? "reboot" : "shutdown";

	if (!d)
		return -E_NOENT;
	if (domain_shutdown(d, reboot)) {
		shell_error(sh, "Failed to %s domain '%s'\nerror: Requested operation is not "
			    "valid: domain is not running", verb, d->cfg.name);
		return -E_INVAL;
	}
	shell_printf(sh, "Domain '%s' is being %s\n\n", d->cfg.name,
		     reboot ? "rebooted" : "shutdown");
	return 0;
}

static int cmd_shutdown(struct shell *sh, const struct shell_args *a)
{
	return power_request(sh, a, false);
}

static int cmd_reboot(struct shell *sh, const struct shell_args *a)
{
	return power_request(sh, a, true);
}

static const struct shell_cmd domain_commands[] = {
	{ "list", &grp_domain, "list domains",
	  "Returns list of domains: by default the active ones.", list_opts, cmd_list },
	{ "start", &grp_domain, "start a (previously defined) inactive domain",
	  "Start a domain defined in the configuration directory.", domain_opt, cmd_start },
	{ "destroy", &grp_domain, "destroy (stop) a domain",
	  "Forcefully stop a domain: its vCPUs stop at once and its memory is freed.",
	  domain_opt, cmd_destroy },
	{ "shutdown", &grp_domain, "gracefully shutdown a domain",
	  "Press the domain's ACPI power button; the guest's own shutdown follows and "
	  "on_poweroff decides what happens next.", domain_opt, cmd_shutdown },
	{ "reboot", &grp_domain, "reboot a domain",
	  "Press the domain's ACPI power button and start the domain again once the "
	  "guest has powered off.", domain_opt, cmd_reboot },
	{ "dominfo", &grp_domain, "domain information",
	  "Returns basic information about the domain, with its exit status and the "
	  "reason it stopped when it is not running.", domain_opt, cmd_dominfo },
	{ "domid", &grp_domain, "convert a domain name or UUID to domain id",
	  "Print the domain's Id, or '-' when it is not running.", domain_opt, cmd_domid },
	{ "domuuid", &grp_domain, "convert a domain name or id to domain UUID",
	  "Print the domain's UUID.", domain_opt, cmd_domuuid },
	{ "domname", &grp_domain, "convert a domain id or UUID to domain name",
	  "Print the domain's name.", domain_opt, cmd_domname },
	{ "domstate", &grp_domain, "domain state",
	  "Print the domain's state, with --reason also why it is in it.", domstate_opts,
	  cmd_domstate },
	{ "domstats", &grp_domain, "get statistics about one or multiple domains",
	  "State, CPU time, vCPUs, memory and VM exits by reason (keel.exits.*) of "
	  "one domain, or of every active one.", domstats_opts, cmd_domstats },
	{ "dumpxml", &grp_domain, "domain information in XML",
	  "Print the domain's definition as libvirt domain XML.", domain_opt, cmd_dumpxml },
	{ "console", &grp_domain, "connect to the guest console",
	  "Shows the domain's serial output so far, then passes keystrokes to it until "
	  "Ctrl+]. For a domain that is not running, prints the output of its last run.",
	  domain_opt, cmd_console },
};

void vmm_commands_init(void)
{
	if (console_add_commands(domain_commands, ARRAY_SIZE(domain_commands)))
		pr_err("vmm: the shell's command table is full\n");
}
