/*
 * The shell's domain commands, in virsh's words: names, options, output
 * layouts and error messages follow virsh so that a libvirt user needs no
 * manual. Keel adds an exit status and a stop reason to dominfo and VM exit
 * counts to domstats.
 *
 * Pure code: every question and request goes through the management ops
 * (vmm/mgmt.h) found in the shell's context, so the unit tests run these
 * commands against a fake domain layer. A command first validates its
 * arguments and looks its domain up, then acts once; on failure it prints
 * virsh's two lines ("error: Failed to <verb> domain '<name>'" and the
 * reason) and changes nothing.
 */
#include "kernel/errno.h"
#include "kernel/shell.h"
#include "vmm/mgmt.h"
#include "vmm/virsh.h"

#define NAME_COL_MIN	4
#define STATE_COL_MIN	5
#define ID_COL		2
#define WHY_MAX		256
#define NOT_RUNNING	"Requested operation is not valid: domain is not running"

static const struct shell_group grp_domain = { "domain", "Domain Management" };
static const struct shell_group grp_monitor = { "monitor", "Domain Monitoring" };

/* Large buffers: the shell runs one command at a time, on one CPU. */
static char text_buf[VIRSH_XML_MAX];
static struct dom_config config_buf;

static const struct mgmt *mg(struct shell *sh)
{
	return shell_ctx(sh);
}

static bool active(const struct mgmt_dom *d)
{
	return d->state == DOM_RUNNING || d->state == DOM_PAUSED;
}

/* virsh's word for a state; a running domain whose vCPUs all halt is idle. */
static const char *state_name(const struct mgmt_dom *d)
{
	switch (d->state) {
	case DOM_RUNNING:
		return d->busy ? "running" : "idle";
	case DOM_PAUSED:
		return "paused";
	case DOM_CRASHED:
		return "crashed";
	default:
		return "shut off";
	}
}

static void id_string(const struct mgmt_dom *d, char out[12])
{
	if (d->id >= 0)
		ksnprintf(out, 12, "%d", d->id);
	else
		ksnprintf(out, 12, "-");
}

#define DOMAIN_OPT(flags) \
	{ "domain", SHELL_OPT_STRING, flags, "domain name, id or uuid", SHELL_COMPLETE_DOMAIN }
#define FILE_OPT(what) \
	{ "file", SHELL_OPT_STRING, SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL, what, \
	  SHELL_COMPLETE_FILE }
#define OPT_END { NULL, 0, 0, NULL, 0 }

static const struct shell_opt domain_opt[] = {
	DOMAIN_OPT(SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL),
	OPT_END,
};

/* The domain named by the "domain" option, or an error printed. */
static int lookup(struct shell *sh, const struct shell_args *a, struct mgmt_dom *d)
{
	const char *key = shell_arg_str(a, "domain");
	int err = mg(sh)->ops->lookup(mg(sh)->ctx, key, d);

	if (err)
		shell_error(sh, "failed to get domain '%s'", key);
	return err;
}

/* ---------------------------------------------------------------- list */

static const struct shell_opt list_opts[] = {
	{ "all", SHELL_OPT_BOOL, 0, "list inactive & active domains", 0 },
	{ "inactive", SHELL_OPT_BOOL, 0, "list inactive domains", 0 },
	{ "name", SHELL_OPT_BOOL, 0, "list domain names only", 0 },
	{ "uuid", SHELL_OPT_BOOL, 0, "list uuid's only", 0 },
	OPT_END,
};

static bool listed(const struct shell_args *a, const struct mgmt_dom *d)
{
	if (shell_arg_bool(a, "all"))
		return true;
	return shell_arg_bool(a, "inactive") ? !active(d) : active(d);
}

static void dashes(struct shell *sh, size_t n)
{
	while (n--)
		shell_write(sh, "-", 1);
	shell_write(sh, "\n", 1);
}

/* --name and --uuid: one domain a line, no table (both: UUID, then name). */
static int list_plain(struct shell *sh, const struct shell_args *a)
{
	bool name = shell_arg_bool(a, "name"), uuid = shell_arg_bool(a, "uuid");
	char ustr[UUID_STR_LEN + 1];
	struct mgmt_dom d;

	for (unsigned i = 0; mg(sh)->ops->get(mg(sh)->ctx, i, &d); i++) {
		if (!listed(a, &d))
			continue;
		uuid_format(d.uuid, ustr);
		shell_printf(sh, "%s%s%s\n", uuid ? ustr : "", uuid && name ? " " : "",
			     name ? d.name : "");
	}
	shell_write(sh, "\n", 1);
	return 0;
}

/* virsh's table: columns as wide as their widest cell, three spaces apart. */
static int cmd_list(struct shell *sh, const struct shell_args *a)
{
	size_t name_w = NAME_COL_MIN, state_w = STATE_COL_MIN;
	struct mgmt_dom d;
	char id[12];

	if (shell_arg_bool(a, "name") || shell_arg_bool(a, "uuid"))
		return list_plain(sh, a);
	for (unsigned i = 0; mg(sh)->ops->get(mg(sh)->ctx, i, &d); i++) {
		if (listed(a, &d)) {
			name_w = MAX(name_w, strlen(d.name));
			state_w = MAX(state_w, strlen(state_name(&d)));
		}
	}
	shell_printf(sh, " %-*s   %-*s   %s\n", ID_COL, "Id", (int)name_w, "Name", "State");
	dashes(sh, 1 + ID_COL + 3 + name_w + 3 + state_w + 2);
	for (unsigned i = 0; mg(sh)->ops->get(mg(sh)->ctx, i, &d); i++) {
		if (!listed(a, &d))
			continue;
		id_string(&d, id);
		shell_printf(sh, " %-*s   %-*s   %s\n", ID_COL, id, (int)name_w, d.name,
			     state_name(&d));
	}
	shell_write(sh, "\n", 1);
	return 0;
}

/* ------------------------------------------------- define, create, undefine */

static const struct shell_opt define_opts[] = {
	FILE_OPT("file containing an XML domain description, or - to paste it"),
	OPT_END,
};

/* The XML of `file`: a file of the boot medium, or pasted for "-". */
static int read_xml(struct shell *sh, const char *file, const char **xml, size_t *len)
{
	const struct mgmt *m = mg(sh);
	int err;

	if (strcmp(file, "-"))
		return m->ops->read_file(m->ctx, file, xml, len);
	shell_printf(sh, "Paste the domain XML, then press Ctrl-D (Ctrl-C cancels):\n");
	err = m->ops->read_paste(m->ctx, text_buf, sizeof(text_buf), len);
	*xml = text_buf;
	return err;
}

static int define_or_create(struct shell *sh, const struct shell_args *a, bool create)
{
	const char *file = shell_arg_str(a, "file"), *xml;
	const char *verb = create ? "create" : "define";
	struct mgmt_dom d;
	char why[WHY_MAX];
	size_t len;
	int err = read_xml(sh, file, &xml, &len);

	if (err == -E_NOENT) {
		shell_error(sh, "Failed to open file '%s': No such file or directory", file);
		return err;
	}
	if (err) {
		shell_error(sh, "Failed to %s domain from %s\nerror: %s", verb, file,
			    err == -E_RANGE ? "the XML is larger than " VIRSH_XML_MAX_TEXT :
			    err == -E_CANCELED ? "cancelled" : err_str(err));
		return err;
	}
	err = mg(sh)->ops->define(mg(sh)->ctx, xml, len, create, &d, why, sizeof(why));
	if (err) {
		shell_error(sh, "Failed to %s domain from %s\nerror: %s", verb, file, why);
		return err;
	}
	shell_printf(sh, "Domain '%s' %s from %s\n\n", d.name, create ? "created" : "defined", file);
	return 0;
}

static int cmd_define(struct shell *sh, const struct shell_args *a)
{
	return define_or_create(sh, a, false);
}

static int cmd_create(struct shell *sh, const struct shell_args *a)
{
	return define_or_create(sh, a, true);
}

static int cmd_undefine(struct shell *sh, const struct shell_args *a)
{
	struct mgmt_dom d;
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	err = mg(sh)->ops->undefine(mg(sh)->ctx, d.uuid);
	if (err) {
		shell_error(sh, "Failed to undefine domain '%s'\nerror: %s", d.name,
			    err == -E_INVAL ? "Requested operation is not valid: cannot undefine "
					      "transient domain" : err_str(err));
		return err;
	}
	shell_printf(sh, "Domain '%s' has been undefined\n\n", d.name);
	return 0;
}

/* ------------------------------------------------------------ lifecycle */

static int cmd_start(struct shell *sh, const struct shell_args *a)
{
	struct mgmt_dom d;
	char why[WHY_MAX];
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	err = mg(sh)->ops->start(mg(sh)->ctx, d.uuid, why, sizeof(why));
	if (err == -E_BUSY) {
		shell_error(sh, "Domain '%s' is already active", d.name);
		return err;
	}
	if (err) {
		shell_error(sh, "Failed to start domain '%s'\nerror: %s", d.name, why);
		return err;
	}
	shell_printf(sh, "Domain '%s' started\n\n", d.name);
	return 0;
}

/* The commands that act on an existing domain in one call and report
 * "Domain '<name>' <done>" or virsh's failure lines. */
enum simple_op { OP_DESTROY, OP_SHUTDOWN, OP_REBOOT, OP_SUSPEND, OP_RESUME };

static const struct {
	const char *verb, *done;
} simple_words[] = {
	[OP_DESTROY] = { "destroy", "destroyed" },
	[OP_SHUTDOWN] = { "shutdown", "is being shutdown" },
	[OP_REBOOT] = { "reboot", "is being rebooted" },
	[OP_SUSPEND] = { "suspend", "suspended" },
	[OP_RESUME] = { "resume", "resumed" },
};

static int simple_call(const struct mgmt *m, enum simple_op op, const uint8_t *uuid)
{
	switch (op) {
	case OP_DESTROY:
		return m->ops->destroy(m->ctx, uuid);
	case OP_SHUTDOWN:
	case OP_REBOOT:
		return m->ops->shutdown(m->ctx, uuid, op == OP_REBOOT);
	case OP_SUSPEND:
		return m->ops->suspend(m->ctx, uuid);
	default:
		return m->ops->resume(m->ctx, uuid);
	}
}

static int simple(struct shell *sh, const struct shell_args *a, enum simple_op op)
{
	struct mgmt_dom d;
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	err = simple_call(mg(sh), op, d.uuid);
	if (err == -E_INVAL || err == -E_NOENT) {
		shell_error(sh, "Failed to %s domain '%s'\nerror: " NOT_RUNNING,
			    simple_words[op].verb, d.name);
		return err;
	}
	if (err == -E_TIMEDOUT) {
		shell_error(sh, "Failed to %s domain '%s'\nerror: its vCPUs did not stop",
			    simple_words[op].verb, d.name);
		return err;
	}
	if (err) {
		shell_error(sh, "Failed to %s domain '%s'\nerror: %s", simple_words[op].verb,
			    d.name, err_str(err));
		return err;
	}
	shell_printf(sh, "Domain '%s' %s\n\n", d.name, simple_words[op].done);
	return 0;
}

static int cmd_destroy(struct shell *sh, const struct shell_args *a)
{
	return simple(sh, a, OP_DESTROY);
}

static int cmd_shutdown(struct shell *sh, const struct shell_args *a)
{
	return simple(sh, a, OP_SHUTDOWN);
}

static int cmd_reboot(struct shell *sh, const struct shell_args *a)
{
	return simple(sh, a, OP_REBOOT);
}

static int cmd_suspend(struct shell *sh, const struct shell_args *a)
{
	return simple(sh, a, OP_SUSPEND);
}

static int cmd_resume(struct shell *sh, const struct shell_args *a)
{
	return simple(sh, a, OP_RESUME);
}

static const struct shell_opt autostart_opts[] = {
	DOMAIN_OPT(SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL),
	{ "disable", SHELL_OPT_BOOL, 0, "disable autostarting", 0 },
	OPT_END,
};

static int cmd_autostart(struct shell *sh, const struct shell_args *a)
{
	bool on = !shell_arg_bool(a, "disable");
	struct mgmt_dom d;
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	err = mg(sh)->ops->set_autostart(mg(sh)->ctx, d.uuid, on);
	if (err) {
		shell_error(sh, "Failed to %smark domain '%s' as autostarted\nerror: %s",
			    on ? "" : "un", d.name,
			    err == -E_INVAL ? "Requested operation is not valid: cannot set "
					      "autostart for transient domain" : err_str(err));
		return err;
	}
	shell_printf(sh, "Domain '%s' %smarked as autostarted\n\n", d.name, on ? "" : "un");
	return 0;
}

/* ------------------------------------------------------------- queries */

#define INFO(sh, label, fmt, ...) shell_printf(sh, "%-15s " fmt "\n", label ":", __VA_ARGS__)

/* "CPU time:       1.5s", tenths as virsh prints them. */
static void print_cpu_time(struct shell *sh, uint64_t ns)
{
	INFO(sh, "CPU time", "%lu.%lus", ns / 1000000000, ns / 100000000 % 10);
}

static void dominfo_keel(struct shell *sh, const struct mgmt_dom *d)
{
	if (!active(d) && d->exit_status >= 0)
		INFO(sh, "Exit status", "%ld", d->exit_status);
	if (d->reason[0] && d->state == DOM_CRASHED)
		INFO(sh, "Crash reason", "%s", d->reason);
	else if (d->reason[0])
		INFO(sh, "Reason", "%s", d->reason);
}

static int cmd_dominfo(struct shell *sh, const struct shell_args *a)
{
	char uuid[UUID_STR_LEN + 1], id[12];
	struct mgmt_dom d;
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	id_string(&d, id);
	uuid_format(d.uuid, uuid);
	INFO(sh, "Id", "%s", id);
	INFO(sh, "Name", "%s", d.name);
	INFO(sh, "UUID", "%s", uuid);
	INFO(sh, "OS Type", "%s", "hvm");
	INFO(sh, "State", "%s", state_name(&d));
	INFO(sh, "CPU(s)", "%u", d.vcpus);
	if (active(&d))
		print_cpu_time(sh, d.cpu_ns);
	INFO(sh, "Max memory", "%lu KiB", d.memory_bytes / KiB);
	INFO(sh, "Used memory", "%lu KiB", active(&d) ? d.current_memory_bytes / KiB : 0UL);
	INFO(sh, "Persistent", "%s", d.persistent ? "yes" : "no");
	INFO(sh, "Autostart", "%s", d.autostart ? "enable" : "disable");
	INFO(sh, "Managed save", "%s", "no");
	INFO(sh, "Security model", "%s", "none");
	INFO(sh, "Security DOI", "%s", "0");
	dominfo_keel(sh, &d);
	shell_write(sh, "\n", 1);
	return 0;
}

/* One-line queries: virsh prints the value, then an empty line. */
enum query { Q_ID, Q_UUID, Q_NAME };

static int query(struct shell *sh, const struct shell_args *a, enum query q)
{
	char text[UUID_STR_LEN + 1];
	struct mgmt_dom d;
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	if (q == Q_ID)
		id_string(&d, text);
	else if (q == Q_UUID)
		uuid_format(d.uuid, text);
	shell_printf(sh, "%s\n\n", q == Q_NAME ? d.name : text);
	return 0;
}

static int cmd_domid(struct shell *sh, const struct shell_args *a)
{
	return query(sh, a, Q_ID);
}

static int cmd_domuuid(struct shell *sh, const struct shell_args *a)
{
	return query(sh, a, Q_UUID);
}

static int cmd_domname(struct shell *sh, const struct shell_args *a)
{
	return query(sh, a, Q_NAME);
}

static const struct shell_opt domstate_opts[] = {
	DOMAIN_OPT(SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL),
	{ "reason", SHELL_OPT_BOOL, 0, "also print reason for the state", 0 },
	OPT_END,
};

/* libvirt's reason words for the states Keel has. */
static const char *state_reason(const struct mgmt_dom *d)
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
		return d->has_stopped ? stopped[d->stop_cause] : "unknown";
	}
}

static int cmd_domstate(struct shell *sh, const struct shell_args *a)
{
	struct mgmt_dom d;
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	if (shell_arg_bool(a, "reason"))
		shell_printf(sh, "%s (%s)\n\n", state_name(&d), state_reason(&d));
	else
		shell_printf(sh, "%s\n\n", state_name(&d));
	return 0;
}

/* virsh's vcpuinfo: where each vCPU runs; for an inactive domain only the
 * vCPU numbers and affinity are known (virsh prints N/A). */
static void vcpu_affinity(struct shell *sh, unsigned host_cpus)
{
	shell_printf(sh, "%-15s ", "CPU Affinity:");
	for (unsigned c = 0; c < host_cpus; c++)
		shell_write(sh, "y", 1);
	shell_write(sh, "\n", 1);
}

static const char *vcpu_state_name(enum vcpu_state s)
{
	switch (s) {
	case VCPU_HALTED:
		return "blocked";
	case VCPU_STOPPED:
	case VCPU_WAIT_SIPI:
		return "offline";
	default:
		return "running";
	}
}

static void vcpuinfo_one(struct shell *sh, unsigned i, const struct mgmt_vcpu *v)
{
	INFO(sh, "VCPU", "%u", i);
	if (!v) {
		INFO(sh, "CPU", "%s", "N/A");
		INFO(sh, "State", "%s", "N/A");
		INFO(sh, "CPU time", "%s", "N/A");
		return;
	}
	if (v->cpu >= 0)
		INFO(sh, "CPU", "%d", v->cpu);
	else
		INFO(sh, "CPU", "%s", "-");
	INFO(sh, "State", "%s", vcpu_state_name(v->state));
	print_cpu_time(sh, v->cpu_ns);
}

static int cmd_vcpuinfo(struct shell *sh, const struct shell_args *a)
{
	const struct mgmt *m = mg(sh);
	struct mgmt_vcpu v[DOM_MAX_VCPUS];
	struct mgmt_dom d;
	int n, err = lookup(sh, a, &d);

	if (err)
		return err;
	n = m->ops->vcpus(m->ctx, d.uuid, v, ARRAY_SIZE(v));
	for (unsigned i = 0; i < d.vcpus && i < ARRAY_SIZE(v); i++) {
		if (i)
			shell_write(sh, "\n", 1);
		vcpuinfo_one(sh, i, n > 0 && i < (unsigned)n ? &v[i] : NULL);
		vcpu_affinity(sh, m->ops->host_cpus(m->ctx));
	}
	shell_write(sh, "\n", 1);
	return 0;
}

/* libvirt's state numbers (virDomainState) for domstats. */
static unsigned state_number(const struct mgmt_dom *d)
{
	static const unsigned numbers[] = {
		[DOM_SHUTOFF] = 5, [DOM_RUNNING] = 1, [DOM_PAUSED] = 3, [DOM_CRASHED] = 6,
	};

	return numbers[d->state];
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

static void domstats_one(struct shell *sh, const struct mgmt_dom *d)
{
	const struct mgmt *m = mg(sh);
	uint64_t counts[EXIT_REASON_COUNT];
	char key[40];

	if (m->ops->exit_counts(m->ctx, d->uuid, counts))
		memset(counts, 0, sizeof(counts));
	shell_printf(sh, "Domain: '%s'\n", d->name);
	shell_printf(sh, "  state.state=%u\n", state_number(d));
	shell_printf(sh, "  cpu.time=%lu\n", d->cpu_ns);
	shell_printf(sh, "  vcpu.current=%u\n", active(d) ? d->vcpus : 0);
	shell_printf(sh, "  vcpu.maximum=%u\n", d->vcpus);
	shell_printf(sh, "  balloon.maximum=%lu\n", d->memory_bytes / KiB);
	for (unsigned r = 0; r < EXIT_REASON_COUNT; r++) {
		if (!counts[r])
			continue;
		reason_key(m->ops->exit_name(r), key, sizeof(key));
		shell_printf(sh, "  keel.exits.%s=%lu\n", key, counts[r]);
	}
	shell_write(sh, "\n", 1);
}

static const struct shell_opt domstats_opts[] = {
	DOMAIN_OPT(SHELL_OPT_POSITIONAL),
	OPT_END,
};

/* virsh's domstats, with Keel's VM exit counts by reason (this run's so
 * far, or the last run's). Without a domain: every active one. */
static int cmd_domstats(struct shell *sh, const struct shell_args *a)
{
	struct mgmt_dom d;

	if (shell_arg_str(a, "domain")) {
		if (lookup(sh, a, &d))
			return -E_NOENT;
		domstats_one(sh, &d);
		return 0;
	}
	for (unsigned i = 0; mg(sh)->ops->get(mg(sh)->ctx, i, &d); i++)
		if (active(&d))
			domstats_one(sh, &d);
	return 0;
}

static const struct shell_opt dumpxml_opts[] = {
	DOMAIN_OPT(SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL),
	{ "inactive", SHELL_OPT_BOOL, 0, "show inactive defined XML", 0 },
	OPT_END,
};

/* The definition as libvirt XML that define reads back to the same
 * configuration, with the UUID even when Keel generated it. */
static int cmd_dumpxml(struct shell *sh, const struct shell_args *a)
{
	struct mgmt_dom d;
	int n, err = lookup(sh, a, &d);

	if (err)
		return err;
	err = mg(sh)->ops->config(mg(sh)->ctx, d.uuid, shell_arg_bool(a, "inactive"),
				  &config_buf);
	if (err) {
		shell_error(sh, "failed to get domain '%s'", d.name);
		return err;
	}
	config_buf.uuid_set = true;
	n = domxml_format(&config_buf, text_buf, sizeof(text_buf));
	if (n < 0 || (size_t)n >= sizeof(text_buf)) {
		shell_error(sh, "the definition of '%s' does not fit in " VIRSH_XML_MAX_TEXT, d.name);
		return -E_RANGE;
	}
	shell_write(sh, text_buf, (size_t)n);
	return 0;
}

static void shell_sink(void *ctx, const char *s, size_t n)
{
	shell_write(ctx, s, n);
}

static int cmd_console(struct shell *sh, const struct shell_args *a)
{
	const struct mgmt *m = mg(sh);
	struct mgmt_dom d;
	int err = lookup(sh, a, &d);

	if (err)
		return err;
	if (active(&d)) {
		shell_printf(sh, "Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n",
			     d.name);
		err = m->ops->console(m->ctx, d.uuid, false, shell_sink, sh);
		if (!err) {
			shell_write(sh, "\n", 1);
			return 0;
		}
	}
	/* Not running (or it just stopped): what its last run wrote. */
	shell_printf(sh, "Domain '%s' is not running; its last output:\n", d.name);
	m->ops->console(m->ctx, d.uuid, true, shell_sink, sh);
	shell_write(sh, "\n", 1);
	return 0;
}

/* ------------------------------------------------------------- the table */

const struct shell_cmd virsh_commands[] = {
	{ "define", &grp_domain, "define (but don't start) a domain from an XML file",
	  "Define a persistent domain from a file in the boot medium's configuration "
	  "directory, or from XML pasted on the console with FILE '-' (end with Ctrl-D). "
	  "A domain of the same name and UUID is redefined: its next start uses the new "
	  "definition. Definitions last until Keel restarts.", define_opts, cmd_define },
	{ "create", &grp_domain, "create a domain from an XML file",
	  "Define a transient domain and start it at once; it is gone when it stops. "
	  "FILE as for define.", define_opts, cmd_create },
	{ "undefine", &grp_domain, "undefine a domain",
	  "Remove a domain's definition. A running domain keeps running, as a transient "
	  "domain that is gone when it stops.", domain_opt, cmd_undefine },
	{ "start", &grp_domain, "start a (previously defined) inactive domain",
	  "Start a defined domain.", domain_opt, cmd_start },
	{ "shutdown", &grp_domain, "gracefully shutdown a domain",
	  "Press the domain's ACPI power button; the guest's own shutdown follows and "
	  "on_poweroff decides what happens next.", domain_opt, cmd_shutdown },
	{ "reboot", &grp_domain, "reboot a domain",
	  "Press the domain's ACPI power button and start the domain again once the "
	  "guest has powered off.", domain_opt, cmd_reboot },
	{ "destroy", &grp_domain, "destroy (stop) a domain",
	  "Forcefully stop a domain: its vCPUs stop at once and its memory is freed.",
	  domain_opt, cmd_destroy },
	{ "suspend", &grp_domain, "suspend a domain",
	  "Pause a running domain: its vCPUs are not scheduled and its clocks and timers "
	  "stand still until resume.", domain_opt, cmd_suspend },
	{ "resume", &grp_domain, "resume a domain",
	  "Let a suspended domain run again from where it stopped.", domain_opt, cmd_resume },
	{ "autostart", &grp_domain, "autostart a domain",
	  "Start the domain when Keel boots (--disable: do not). Lasts until Keel restarts; "
	  "the autostart file of the configuration directory sets it at boot.",
	  autostart_opts, cmd_autostart },
	{ "dumpxml", &grp_domain, "domain information in XML",
	  "Print the domain's definition as libvirt domain XML, which define accepts "
	  "again; --inactive: the definition its next start uses.", dumpxml_opts,
	  cmd_dumpxml },
	{ "console", &grp_domain, "connect to the guest console",
	  "Shows the domain's serial output so far, then passes keystrokes to it until "
	  "Ctrl+]. For a domain that is not running, prints the output of its last run.",
	  domain_opt, cmd_console },
	{ "list", &grp_monitor, "list domains",
	  "Returns list of domains: by default the active ones.", list_opts, cmd_list },
	{ "dominfo", &grp_monitor, "domain information",
	  "Returns basic information about the domain, with its exit status and the "
	  "reason it stopped when it is not running.", domain_opt, cmd_dominfo },
	{ "domid", &grp_domain, "convert a domain name or UUID to domain id",
	  "Print the domain's Id, or '-' when it is not running.", domain_opt, cmd_domid },
	{ "domuuid", &grp_domain, "convert a domain name or id to domain UUID",
	  "Print the domain's UUID.", domain_opt, cmd_domuuid },
	{ "domname", &grp_domain, "convert a domain id or UUID to domain name",
	  "Print the domain's name.", domain_opt, cmd_domname },
	{ "domstate", &grp_monitor, "domain state",
	  "Print the domain's state, with --reason also why it is in it.", domstate_opts,
	  cmd_domstate },
	{ "vcpuinfo", &grp_domain, "detailed domain vcpu information",
	  "For each vCPU: the physical CPU it runs or last ran on, its state (running, "
	  "blocked in HLT, or offline) and its CPU time.", domain_opt, cmd_vcpuinfo },
	{ "domstats", &grp_monitor, "get statistics about one or multiple domains",
	  "State, CPU time, vCPUs, memory and VM exits by reason (keel.exits.*) of "
	  "one domain, or of every active one.", domstats_opts, cmd_domstats },
};

const size_t virsh_command_count = ARRAY_SIZE(virsh_commands);

/* Tab completion of domain names and configuration files. */
void virsh_complete(void *ctx, enum shell_complete kind, shell_complete_add_fn add,
		    void *add_ctx)
{
	const struct mgmt *m = ctx;
	struct mgmt_dom d;
	const char *name;

	if (kind == SHELL_COMPLETE_DOMAIN)
		for (unsigned i = 0; m->ops->get(m->ctx, i, &d); i++)
			add(add_ctx, d.name);
	if (kind == SHELL_COMPLETE_FILE)
		for (unsigned i = 0; m->ops->file_name(m->ctx, i, &name); i++)
			add(add_ctx, name);
}
