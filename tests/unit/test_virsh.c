/*
 * Unit tests for the shell's domain commands (vmm/virsh.c), run through the
 * real shell core against a fake domain layer (the management ops of
 * vmm/mgmt.h): the command table, argument handling, every output layout
 * and every error message, and completion of domain and file names.
 *
 * The fake keeps domains in an array with the same rules as the kernel
 * (transient domains vanish when they stop, undefine of a running domain
 * makes it transient, suspend/resume are idempotent, ...) and records the
 * calls it gets, so a test can also check that a failing command changed
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "kernel/shell.h"
#include "vmm/mgmt.h"
#include "vmm/virsh.h"

#define MAX_FAKE	8

/* ------------------------------------------------------------ the fake */

struct fake_dom {
	struct mgmt_dom d;
	struct dom_config cfg;
	struct dom_config next;		/* a redefinition while active */
	bool has_next;
	struct mgmt_vcpu vcpu[4];
	uint64_t exits[EXIT_REASON_COUNT];
	const char *history;		/* console output kept */
};

static struct {
	struct fake_dom dom[MAX_FAKE];
	unsigned n;
	int next_id;
	unsigned calls;			/* ops that change something */
	int fail_start;			/* start fails with this, 0: succeeds */
	const char *paste;		/* what read_paste returns */
	int paste_err;
	unsigned attached;		/* console sessions */
} fk;

static struct fake_dom *fake_find_uuid(const uint8_t *uuid)
{
	for (unsigned i = 0; i < fk.n; i++)
		if (!memcmp(fk.dom[i].d.uuid, uuid, UUID_LEN))
			return &fk.dom[i];
	return NULL;
}

static bool fake_active(const struct fake_dom *f)
{
	return f->d.state == DOM_RUNNING || f->d.state == DOM_PAUSED;
}

static void fake_remove(struct fake_dom *f)
{
	unsigned i = (unsigned)(f - fk.dom);

	memmove(&fk.dom[i], &fk.dom[i + 1], (fk.n - i - 1) * sizeof(fk.dom[0]));
	fk.n--;
}

static bool op_get(void *ctx, unsigned index, struct mgmt_dom *out)
{
	(void)ctx;
	if (index >= fk.n)
		return false;
	*out = fk.dom[index].d;
	return true;
}

static int op_lookup(void *ctx, const char *key, struct mgmt_dom *out)
{
	uint8_t uuid[UUID_LEN];
	bool is_uuid = !uuid_parse(key, uuid);
	char *end;
	long id = strtol(key, &end, 10);

	(void)ctx;
	for (unsigned i = 0; i < fk.n; i++) {
		struct mgmt_dom *d = &fk.dom[i].d;

		if (!strcmp(d->name, key) || (is_uuid && !memcmp(d->uuid, uuid, UUID_LEN)) ||
		    (*key && !*end && d->id >= 0 && d->id == id)) {
			*out = *d;
			return 0;
		}
	}
	return -E_NOENT;
}

static void fake_run(struct fake_dom *f)
{
	f->d.state = DOM_RUNNING;
	f->d.busy = true;
	f->d.id = fk.next_id++;
	f->d.cpu_ns = 1500000000;
	f->d.reason[0] = '\0';
	f->d.exit_status = -1;
	for (unsigned i = 0; i < f->d.vcpus && i < 4; i++)
		f->vcpu[i] = (struct mgmt_vcpu){ (int)i + 1, i ? VCPU_HALTED : VCPU_RUNNING,
						 (i + 1) * 250000000ULL };
}

static struct fake_dom *fake_add(const struct dom_config *cfg, bool persistent)
{
	struct fake_dom *f = &fk.dom[fk.n++];

	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	snprintf(f->d.name, sizeof(f->d.name), "%s", cfg->name);
	memcpy(f->d.uuid, cfg->uuid, UUID_LEN);
	f->d.id = -1;
	f->d.state = DOM_SHUTOFF;
	f->d.persistent = persistent;
	f->d.vcpus = cfg->vcpus;
	f->d.memory_bytes = cfg->memory_bytes;
	f->d.current_memory_bytes = cfg->current_memory_bytes;
	f->d.exit_status = -1;
	f->history = "";
	return f;
}

static int op_define(void *ctx, const char *xml, size_t len, bool start, struct mgmt_dom *out,
		     char *why, size_t whylen)
{
	static struct dom_config cfg;
	struct domxml_error err;
	struct fake_dom *f;
	int rc = domxml_parse(xml, len, &cfg, &err);

	(void)ctx;
	fk.calls++;
	if (rc) {
		snprintf(why, whylen, "XML error: line %u: %s", err.line, err.msg);
		return rc;
	}
	if (!cfg.uuid_set)
		memset(cfg.uuid, 0x42, UUID_LEN);
	for (unsigned i = 0; i < fk.n; i++) {
		f = &fk.dom[i];
		if (strcmp(f->d.name, cfg.name) && memcmp(f->d.uuid, cfg.uuid, UUID_LEN))
			continue;
		if (start || strcmp(f->d.name, cfg.name) || memcmp(f->d.uuid, cfg.uuid, UUID_LEN)) {
			snprintf(why, whylen, "operation failed: domain '%s' already exists",
				 f->d.name);
			return -E_EXIST;
		}
		if (fake_active(f)) {
			f->next = cfg;
			f->has_next = true;
		} else {
			f->cfg = cfg;
		}
		f->d.persistent = true;
		*out = f->d;
		return 0;
	}
	f = fake_add(&cfg, !start);
	if (start) {
		if (fk.fail_start) {
			snprintf(why, whylen, "kernel 'x' is not on the boot partition");
			fk.n--;
			return fk.fail_start;
		}
		fake_run(f);
	}
	*out = f->d;
	return 0;
}

#define FAKE(f, uuid) \
	struct fake_dom *f = fake_find_uuid(uuid); \
	(void)ctx; \
	fk.calls++; \
	if (!f) \
		return -E_NOENT

static int op_undefine(void *ctx, const uint8_t *uuid)
{
	FAKE(f, uuid);
	if (!f->d.persistent)
		return -E_INVAL;
	if (fake_active(f)) {
		f->d.persistent = false;
		f->d.autostart = false;
	} else {
		fake_remove(f);
	}
	return 0;
}

static int op_start(void *ctx, const uint8_t *uuid, char *why, size_t whylen)
{
	FAKE(f, uuid);
	if (fake_active(f))
		return -E_BUSY;
	if (fk.fail_start) {
		snprintf(why, whylen, "cannot allocate 64 MiB for the guest: out of memory");
		return fk.fail_start;
	}
	fake_run(f);
	return 0;
}

static void fake_stopped(struct fake_dom *f, enum stop_cause cause)
{
	f->d.state = DOM_SHUTOFF;
	f->d.id = -1;
	f->d.has_stopped = true;
	f->d.stop_cause = cause;
	if (f->has_next) {
		f->cfg = f->next;
		f->has_next = false;
	}
	if (!f->d.persistent)
		fake_remove(f);
}

static int op_destroy(void *ctx, const uint8_t *uuid)
{
	FAKE(f, uuid);
	if (!fake_active(f))
		return -E_INVAL;
	snprintf(f->d.reason, sizeof(f->d.reason), "destroyed by the operator");
	fake_stopped(f, STOP_DESTROY);
	return 0;
}

static int op_shutdown(void *ctx, const uint8_t *uuid, bool reboot)
{
	FAKE(f, uuid);
	(void)reboot;
	return f->d.state == DOM_RUNNING ? 0 : -E_INVAL;
}

static int op_suspend(void *ctx, const uint8_t *uuid)
{
	FAKE(f, uuid);
	if (!fake_active(f))
		return -E_INVAL;
	f->d.state = DOM_PAUSED;
	return 0;
}

static int op_resume(void *ctx, const uint8_t *uuid)
{
	FAKE(f, uuid);
	if (!fake_active(f))
		return -E_INVAL;
	f->d.state = DOM_RUNNING;
	return 0;
}

static int op_set_autostart(void *ctx, const uint8_t *uuid, bool on)
{
	FAKE(f, uuid);
	if (!f->d.persistent)
		return -E_INVAL;
	f->d.autostart = on;
	return 0;
}

static int op_config(void *ctx, const uint8_t *uuid, bool inactive, struct dom_config *out)
{
	struct fake_dom *f = fake_find_uuid(uuid);

	(void)ctx;
	if (!f)
		return -E_NOENT;
	*out = inactive && f->has_next ? f->next : f->cfg;
	return 0;
}

static int op_vcpus(void *ctx, const uint8_t *uuid, struct mgmt_vcpu *out, unsigned max)
{
	struct fake_dom *f = fake_find_uuid(uuid);
	unsigned n;

	(void)ctx;
	if (!f || !fake_active(f))
		return -E_INVAL;
	n = f->d.vcpus < max ? f->d.vcpus : max;
	memcpy(out, f->vcpu, n * sizeof(*out));
	return (int)n;
}

static int op_exit_counts(void *ctx, const uint8_t *uuid, uint64_t counts[EXIT_REASON_COUNT])
{
	struct fake_dom *f = fake_find_uuid(uuid);

	(void)ctx;
	if (!f)
		return -E_NOENT;
	memcpy(counts, f->exits, sizeof(f->exits));
	return 0;
}

static const char *op_exit_name(unsigned reason)
{
	return reason == 10 ? "CPUID" : reason == 48 ? "EPT violation" : "other";
}

static unsigned op_host_cpus(void *ctx)
{
	(void)ctx;
	return 4;
}

static const char *const files[][2] = {
	{ "web.xml", "<domain type='keel'><name>web</name><memory unit='MiB'>64</memory>"
		     "<os><type>hvm</type><kernel>web.elf</kernel></os></domain>" },
	{ "bad.xml", "<domain type='keel'>\n<name>bad</name>\n<memory unit='MiB'>64</memory>\n"
		     "<bogus/>\n</domain>\n" },
	{ "web.elf", "\x7f" "ELF" },
};

static int op_read_file(void *ctx, const char *name, const char **data, size_t *len)
{
	(void)ctx;
	for (unsigned i = 0; i < ARRAY_SIZE(files); i++) {
		if (!strcmp(files[i][0], name)) {
			*data = files[i][1];
			*len = strlen(files[i][1]);
			return 0;
		}
	}
	return -E_NOENT;
}

static bool op_file_name(void *ctx, unsigned index, const char **name)
{
	(void)ctx;
	if (index >= ARRAY_SIZE(files))
		return false;
	*name = files[index][0];
	return true;
}

static int op_read_paste(void *ctx, char *buf, size_t max, size_t *len)
{
	(void)ctx;
	if (fk.paste_err)
		return fk.paste_err;
	*len = strlen(fk.paste);
	assert_true(*len <= max);
	memcpy(buf, fk.paste, *len);
	return 0;
}

static int op_console(void *ctx, const uint8_t *uuid, bool history_only, mgmt_sink_fn sink,
		      void *sink_ctx)
{
	struct fake_dom *f = fake_find_uuid(uuid);

	(void)ctx;
	if (!f)
		return -E_NOENT;
	if (!history_only && !fake_active(f))
		return -E_INVAL;
	if (!history_only)
		fk.attached++;
	else
		sink(sink_ctx, f->history, strlen(f->history));
	return 0;
}

static const struct mgmt_ops fake_ops = {
	.get = op_get,
	.lookup = op_lookup,
	.define = op_define,
	.undefine = op_undefine,
	.start = op_start,
	.destroy = op_destroy,
	.shutdown = op_shutdown,
	.suspend = op_suspend,
	.resume = op_resume,
	.set_autostart = op_set_autostart,
	.config = op_config,
	.vcpus = op_vcpus,
	.exit_counts = op_exit_counts,
	.exit_name = op_exit_name,
	.host_cpus = op_host_cpus,
	.read_file = op_read_file,
	.file_name = op_file_name,
	.read_paste = op_read_paste,
	.console = op_console,
};

static struct mgmt fake_mgmt = { &fake_ops, NULL };

/* ----------------------------------------------------------- the shell */

static char out[1 << 17];
static size_t out_len;
static struct shell sh;

/* Output with the shell's "\r\n" folded back to "\n". */
static void capture(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r')
			continue;
		assert_true(out_len + 1 < sizeof(out));
		out[out_len++] = s[i];
	}
	out[out_len] = '\0';
}

static const char *run(const char *line)
{
	out_len = 0;
	out[0] = '\0';
	shell_execute(&sh, line);
	return out;
}

static void define_fake(const char *name, unsigned uuid_byte, enum dom_state state)
{
	struct dom_config cfg;
	struct fake_dom *f;

	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.name, sizeof(cfg.name), "%s", name);
	memset(cfg.uuid, (int)uuid_byte, UUID_LEN);
	cfg.uuid_set = true;
	cfg.memory_bytes = 128 * MiB;
	cfg.current_memory_bytes = 128 * MiB;
	cfg.vcpus = 2;
	cfg.arch = DOM_ARCH_X86_64;
	snprintf(cfg.kernel, sizeof(cfg.kernel), "%s.elf", name);
	f = fake_add(&cfg, true);
	if (state != DOM_SHUTOFF)
		fake_run(f);
	f->d.state = state;
}

static int setup(void **state)
{
	struct shell_config cfg = { virsh_commands, virsh_command_count, capture, NULL,
				    &fake_mgmt, virsh_complete };

	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.next_id = 1;
	assert_int_equal(shell_init(&sh, &cfg), 0);
	define_fake("web", 0x11, DOM_RUNNING);
	define_fake("db", 0x22, DOM_SHUTOFF);
	define_fake("batch-job-long-name", 0x33, DOM_PAUSED);
	return 0;
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("expected \"%s\" in:\n%s", part, text);
}

/* ------------------------------------------------------------- tests */

static void test_table_is_valid_and_listed(void **state)
{
	static const char *const names[] = {
		"list", "define", "create", "undefine", "start", "shutdown", "reboot",
		"destroy", "suspend", "resume", "autostart", "dumpxml", "console", "dominfo",
		"domid", "domuuid", "domname", "domstate", "vcpuinfo", "domstats",
	};
	const char *o = run("help");

	(void)state;
	assert_int_equal(virsh_command_count, ARRAY_SIZE(names));
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		assert_has(o, names[i]);
	assert_has(o, "Domain Management (help keyword 'domain')");
	assert_has(o, "Domain Monitoring (help keyword 'monitor')");
	assert_null(strstr(o, "save"));
	assert_null(strstr(o, "migrate"));
	o = run("help autostart");
	assert_has(o, "[--domain] <string>");
	assert_has(o, "--disable");
}

static void test_list_layouts(void **state)
{
	(void)state;
	assert_string_equal(run("list"),
			    " Id   Name                  State\n"
			    "-------------------------------------\n"
			    " 1    web                   running\n"
			    " 2    batch-job-long-name   paused\n\n");
	assert_string_equal(run("list --inactive"),
			    " Id   Name   State\n"
			    "-----------------------\n"
			    " -    db     shut off\n\n");
	assert_has(run("list --all"), " -    db                    shut off\n");
	assert_string_equal(run("list --all --name"), "web\ndb\nbatch-job-long-name\n\n");
	assert_string_equal(run("list --inactive --uuid"),
			    "22222222-2222-2222-2222-222222222222\n\n");
	assert_string_equal(run("list --uuid --name"),
			    "11111111-1111-1111-1111-111111111111 web\n"
			    "33333333-3333-3333-3333-333333333333 batch-job-long-name\n\n");
}

static void test_idle_state(void **state)
{
	(void)state;
	fk.dom[0].d.busy = false;
	assert_has(run("list"), " 1    web                   idle\n");
	assert_string_equal(run("domstate web"), "idle\n\n");
}

static void test_argument_errors(void **state)
{
	unsigned calls = fk.calls;

	(void)state;
	assert_string_equal(run("start"), "error: command 'start' requires <domain> option\n");
	assert_has(run("start db --bogus"), "error: command 'start' doesn't support option --bogus");
	assert_has(run("start db web"), "error: unexpected data 'web'");
	assert_string_equal(run("start nosuch"), "error: failed to get domain 'nosuch'\n");
	assert_has(run("frobnicate"), "error: unknown command: 'frobnicate'");
	assert_int_equal(fk.calls, calls);	/* nothing was asked of the domains */
}

static void test_lookup_by_name_id_uuid(void **state)
{
	(void)state;
	assert_string_equal(run("domname 1"), "web\n\n");
	assert_string_equal(run("domname 33333333-3333-3333-3333-333333333333"),
			    "batch-job-long-name\n\n");
	assert_string_equal(run("domid web"), "1\n\n");
	assert_string_equal(run("domid db"), "-\n\n");
	assert_string_equal(run("domuuid db"), "22222222-2222-2222-2222-222222222222\n\n");
	/* An inactive domain has no Id to be found by. */
	assert_string_equal(run("domname 5"), "error: failed to get domain '5'\n");
}

static void test_start(void **state)
{
	(void)state;
	assert_string_equal(run("start db"), "Domain 'db' started\n\n");
	assert_string_equal(run("domstate db"), "running\n\n");
	assert_string_equal(run("start db"), "error: Domain 'db' is already active\n");
	run("destroy db");
	fk.fail_start = -E_NOMEM;
	assert_string_equal(run("start db"),
			    "error: Failed to start domain 'db'\n"
			    "error: cannot allocate 64 MiB for the guest: out of memory\n");
	assert_string_equal(run("domstate db"), "shut off\n\n");
}

static void test_lifecycle_messages(void **state)
{
	(void)state;
	assert_string_equal(run("shutdown web"), "Domain 'web' is being shutdown\n\n");
	assert_string_equal(run("reboot web"), "Domain 'web' is being rebooted\n\n");
	assert_string_equal(run("suspend web"), "Domain 'web' suspended\n\n");
	assert_string_equal(run("suspend web"), "Domain 'web' suspended\n\n");
	assert_string_equal(run("domstate web --reason"), "paused (user)\n\n");
	assert_string_equal(run("shutdown web"),
			    "error: Failed to shutdown domain 'web'\n"
			    "error: Requested operation is not valid: domain is not running\n");
	assert_string_equal(run("resume web"), "Domain 'web' resumed\n\n");
	assert_string_equal(run("resume web"), "Domain 'web' resumed\n\n");
	assert_string_equal(run("destroy web"), "Domain 'web' destroyed\n\n");
	assert_string_equal(run("domstate web --reason"), "shut off (destroyed)\n\n");
}

static void test_wrong_state_errors(void **state)
{
	static const char *const verbs[] = { "shutdown", "reboot", "destroy", "suspend",
					     "resume" };
	char line[64], want[256];

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(verbs); i++) {
		snprintf(line, sizeof(line), "%s db", verbs[i]);
		snprintf(want, sizeof(want), "error: Failed to %s domain 'db'\n"
			 "error: Requested operation is not valid: domain is not running\n",
			 verbs[i]);
		assert_string_equal(run(line), want);
	}
	assert_string_equal(run("domstate db --reason"), "shut off (unknown)\n\n");
}

static void test_dominfo(void **state)
{
	(void)state;
	assert_string_equal(run("dominfo web"),
			    "Id:             1\n"
			    "Name:           web\n"
			    "UUID:           11111111-1111-1111-1111-111111111111\n"
			    "OS Type:        hvm\n"
			    "State:          running\n"
			    "CPU(s):         2\n"
			    "CPU time:       1.5s\n"
			    "Max memory:     131072 KiB\n"
			    "Used memory:    131072 KiB\n"
			    "Persistent:     yes\n"
			    "Autostart:      disable\n"
			    "Managed save:   no\n"
			    "Security model: none\n"
			    "Security DOI:   0\n\n");
	fk.dom[1].d.state = DOM_CRASHED;
	fk.dom[1].d.exit_status = 7;
	snprintf(fk.dom[1].d.reason, MGMT_REASON_MAX, "triple fault at 0x1000");
	const char *o = run("dominfo db");
	assert_has(o, "Id:             -\n");
	assert_has(o, "State:          crashed\n");
	assert_has(o, "Used memory:    0 KiB\n");
	assert_has(o, "Exit status:    7\n");
	assert_has(o, "Crash reason:   triple fault at 0x1000\n");
	assert_null(strstr(o, "CPU time"));
	assert_string_equal(run("domstate db --reason"), "crashed (panicked)\n\n");
}

static void test_define_from_file_and_errors(void **state)
{
	const char *o;

	(void)state;
	assert_string_equal(run("define web.xml"),
			    "error: Failed to define domain from web.xml\n"
			    "error: operation failed: domain 'web' already exists\n");
	run("undefine web");
	run("destroy web");
	assert_string_equal(run("define web.xml"), "Domain 'web' defined from web.xml\n\n");
	o = run("dominfo web");
	assert_has(o, "Persistent:     yes\n");
	assert_has(o, "State:          shut off\n");
	assert_string_equal(run("define nosuch.xml"),
			    "error: Failed to open file 'nosuch.xml': No such file or directory\n");
	o = run("define bad.xml");
	assert_has(o, "error: Failed to define domain from bad.xml\nerror: XML error: line 4: ");
	assert_int_equal(fk.n, 3);	/* nothing was added */
}

static void test_define_redefines_same_name_and_uuid(void **state)
{
	char xml[512];

	(void)state;
	snprintf(xml, sizeof(xml), "<domain type='keel'><name>web</name>"
		 "<uuid>11111111-1111-1111-1111-111111111111</uuid>"
		 "<memory unit='MiB'>256</memory><os><type>hvm</type><kernel>new.elf</kernel>"
		 "</os></domain>");
	fk.paste = xml;
	assert_string_equal(run("define -"),
			    "Paste the domain XML, then press Ctrl-D (Ctrl-C cancels):\n"
			    "Domain 'web' defined from -\n\n");
	assert_has(run("dumpxml web --inactive"), "<kernel>new.elf</kernel>");
	assert_has(run("dumpxml web"), "<kernel>web.elf</kernel>");
	/* The same name with another UUID clashes. */
	snprintf(xml, sizeof(xml), "<domain type='keel'><name>web</name>"
		 "<uuid>99999999-1111-1111-1111-111111111111</uuid>"
		 "<memory unit='MiB'>256</memory><os><type>hvm</type><kernel>new.elf</kernel>"
		 "</os></domain>");
	assert_string_equal(run("define -"),
			    "Paste the domain XML, then press Ctrl-D (Ctrl-C cancels):\n"
			    "error: Failed to define domain from -\n"
			    "error: operation failed: domain 'web' already exists\n");
}

static void test_paste_errors(void **state)
{
	(void)state;
	fk.paste_err = -E_CANCELED;
	assert_has(run("define -"), "error: Failed to define domain from -\nerror: cancelled\n");
	fk.paste_err = -E_RANGE;
	assert_has(run("create -"), "error: Failed to create domain from -\n"
				    "error: the XML is larger than 64 KiB\n");
	fk.paste_err = 0;
	fk.paste = "<domain type='keel'>\n<name>x</name>\n";
	assert_has(run("define -"), "error: Failed to define domain from -\nerror: XML error: line ");
	assert_int_equal(fk.n, 3);
}

static void test_create_is_transient(void **state)
{
	const char *o;

	(void)state;
	assert_string_equal(run("create web.xml"),
			    "error: Failed to create domain from web.xml\n"
			    "error: operation failed: domain 'web' already exists\n");
	run("undefine db");
	fk.dom[0].d.state = DOM_SHUTOFF;	/* free the name "web" */
	run("undefine web");
	assert_string_equal(run("create web.xml"), "Domain 'web' created from web.xml\n\n");
	o = run("dominfo web");
	assert_has(o, "Persistent:     no\n");
	assert_has(o, "State:          running\n");
	assert_string_equal(run("autostart web"),
			    "error: Failed to mark domain 'web' as autostarted\n"
			    "error: Requested operation is not valid: cannot set autostart for "
			    "transient domain\n");
	assert_string_equal(run("undefine web"),
			    "error: Failed to undefine domain 'web'\n"
			    "error: Requested operation is not valid: cannot undefine transient "
			    "domain\n");
	assert_string_equal(run("destroy web"), "Domain 'web' destroyed\n\n");
	assert_string_equal(run("dominfo web"), "error: failed to get domain 'web'\n");
	fk.fail_start = -E_NOENT;
	assert_string_equal(run("create web.xml"),
			    "error: Failed to create domain from web.xml\n"
			    "error: kernel 'x' is not on the boot partition\n");
	assert_string_equal(run("list --all --name"), "batch-job-long-name\n\n");
}

static void test_undefine(void **state)
{
	(void)state;
	assert_string_equal(run("undefine db"), "Domain 'db' has been undefined\n\n");
	assert_string_equal(run("dominfo db"), "error: failed to get domain 'db'\n");
	/* A running domain stays, transient, until it stops. */
	assert_string_equal(run("undefine web"), "Domain 'web' has been undefined\n\n");
	assert_has(run("dominfo web"), "Persistent:     no\n");
	run("destroy web");
	assert_string_equal(run("list --all --name"), "batch-job-long-name\n\n");
}

static void test_autostart(void **state)
{
	(void)state;
	assert_string_equal(run("autostart db"), "Domain 'db' marked as autostarted\n\n");
	assert_has(run("dominfo db"), "Autostart:      enable\n");
	assert_string_equal(run("autostart --disable db"),
			    "Domain 'db' unmarked as autostarted\n\n");
	assert_has(run("dominfo db"), "Autostart:      disable\n");
}

static void test_dumpxml_round_trip(void **state)
{
	static char first[8192];
	const char *o;

	(void)state;
	o = run("dumpxml db");
	assert_has(o, "<name>db</name>");
	assert_has(o, "<uuid>22222222-2222-2222-2222-222222222222</uuid>");
	snprintf(first, sizeof(first), "%s", o);
	assert_string_equal(run("undefine db"), "Domain 'db' has been undefined\n\n");
	fk.paste = first;
	assert_has(run("define -"), "Domain 'db' defined from -\n");
	assert_string_equal(run("dumpxml db"), first);
	assert_string_equal(run("dumpxml nosuch"), "error: failed to get domain 'nosuch'\n");
}

static void test_vcpuinfo(void **state)
{
	(void)state;
	assert_string_equal(run("vcpuinfo web"),
			    "VCPU:           0\n"
			    "CPU:            1\n"
			    "State:          running\n"
			    "CPU time:       0.2s\n"
			    "CPU Affinity:   yyyy\n"
			    "\n"
			    "VCPU:           1\n"
			    "CPU:            2\n"
			    "State:          blocked\n"
			    "CPU time:       0.5s\n"
			    "CPU Affinity:   yyyy\n\n");
	assert_string_equal(run("vcpuinfo db"),
			    "VCPU:           0\n"
			    "CPU:            N/A\n"
			    "State:          N/A\n"
			    "CPU time:       N/A\n"
			    "CPU Affinity:   yyyy\n"
			    "\n"
			    "VCPU:           1\n"
			    "CPU:            N/A\n"
			    "State:          N/A\n"
			    "CPU time:       N/A\n"
			    "CPU Affinity:   yyyy\n\n");
}

static void test_domstats(void **state)
{
	(void)state;
	fk.dom[0].exits[10] = 1002;
	fk.dom[0].exits[48] = 7;
	assert_string_equal(run("domstats web"),
			    "Domain: 'web'\n"
			    "  state.state=1\n"
			    "  cpu.time=1500000000\n"
			    "  vcpu.current=2\n"
			    "  vcpu.maximum=2\n"
			    "  balloon.maximum=131072\n"
			    "  keel.exits.cpuid=1002\n"
			    "  keel.exits.ept_violation=7\n\n");
	const char *o = run("domstats");
	assert_has(o, "Domain: 'web'\n");
	assert_has(o, "Domain: 'batch-job-long-name'\n  state.state=3\n");
	assert_null(strstr(o, "Domain: 'db'"));
	assert_has(run("domstats db"), "  state.state=5\n  cpu.time=0\n  vcpu.current=0\n");
}

static void test_console(void **state)
{
	(void)state;
	assert_string_equal(run("console web"),
			    "Connected to domain 'web'\nEscape character is ^] (Ctrl + ])\n\n");
	assert_int_equal(fk.attached, 1);
	fk.dom[1].history = "last words\n";
	assert_string_equal(run("console db"),
			    "Domain 'db' is not running; its last output:\nlast words\n\n");
	assert_int_equal(fk.attached, 1);
}

/* Completion candidates for a kind, joined with spaces. */
static char cands[512];

static void add_cand(void *ctx, const char *c)
{
	(void)ctx;
	strncat(cands, c, sizeof(cands) - strlen(cands) - 2);
	strcat(cands, " ");
}

static void test_complete_names_and_files(void **state)
{
	(void)state;
	cands[0] = '\0';
	virsh_complete(&fake_mgmt, SHELL_COMPLETE_DOMAIN, add_cand, NULL);
	assert_string_equal(cands, "web db batch-job-long-name ");
	cands[0] = '\0';
	virsh_complete(&fake_mgmt, SHELL_COMPLETE_FILE, add_cand, NULL);
	assert_string_equal(cands, "web.xml bad.xml web.elf ");
	cands[0] = '\0';
	virsh_complete(&fake_mgmt, SHELL_COMPLETE_NONE, add_cand, NULL);
	assert_string_equal(cands, "");
}

/* Tab on a real line: the domain argument of start completes. */
static void test_tab_completes_domain(void **state)
{
	const char *line = "start ba\t";

	(void)state;
	out_len = 0;
	shell_start(&sh);
	for (const char *p = line; *p; p++)
		shell_feed(&sh, (uint8_t)*p);
	assert_has(out, "batch-job-long-name");
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_table_is_valid_and_listed),
		T(test_list_layouts),
		T(test_idle_state),
		T(test_argument_errors),
		T(test_lookup_by_name_id_uuid),
		T(test_start),
		T(test_lifecycle_messages),
		T(test_wrong_state_errors),
		T(test_dominfo),
		T(test_define_from_file_and_errors),
		T(test_define_redefines_same_name_and_uuid),
		T(test_paste_errors),
		T(test_create_is_transient),
		T(test_undefine),
		T(test_autostart),
		T(test_dumpxml_round_trip),
		T(test_vcpuinfo),
		T(test_domstats),
		T(test_console),
		T(test_complete_names_and_files),
		T(test_tab_completes_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
