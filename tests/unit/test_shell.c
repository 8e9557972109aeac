/*
 * Unit tests for the shell core (kernel/shell.c): the tokenizer, option
 * parsing against declarations with virsh's error wording, help output, the
 * output helpers, table validation, the editor-to-dispatcher glue and Tab
 * completion (kernel/complete.c). The commands are fakes that record what
 * they were called with; a fake completion callback offers domain and file
 * names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "kernel/errno.h"
#include "kernel/shell.h"

struct capture {
	char buf[1 << 16];
	size_t len;
};

static struct capture cap;
static struct shell sh;
static int ctx_token;

/* What the last fake command saw. */
static struct {
	int calls;
	const char *cmd;
	bool all, inactive, live;
	char domain[64];
	bool has_domain;
	char name[64];
	bool has_vcpu, has_size;
	uint64_t vcpu, size;
	char cpulist[64];
	bool wrong_type_seen;
} rec;

static void cap_out(void *ctx, const char *s, size_t n)
{
	struct capture *c = ctx;

	assert_true(n > 0);
	assert_true(n < sizeof(c->buf) - c->len);
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

static void cap_reset(void)
{
	cap.len = 0;
	cap.buf[0] = '\0';
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "(none)");
}

/* ---------------------------------------------------------------- fakes */

static int fake_list(struct shell *s, const struct shell_args *a)
{
	rec.calls++;
	rec.cmd = "list";
	rec.all = shell_arg_bool(a, "all");
	rec.inactive = shell_arg_bool(a, "inactive");
	copy_str(rec.name, sizeof(rec.name), shell_arg_str(a, "name"));
	return 0;
}

static int fake_dominfo(struct shell *s, const struct shell_args *a)
{
	rec.calls++;
	rec.cmd = "dominfo";
	rec.has_domain = shell_arg_given(a, "domain");
	copy_str(rec.domain, sizeof(rec.domain), shell_arg_str(a, "domain"));
	shell_printf(s, "Name:           %s\n", shell_arg_str(a, "domain"));
	return 0;
}

static int fake_vcpupin(struct shell *s, const struct shell_args *a)
{
	uint64_t v;

	rec.calls++;
	rec.cmd = "vcpupin";
	copy_str(rec.domain, sizeof(rec.domain), shell_arg_str(a, "domain"));
	rec.has_vcpu = shell_arg_u64(a, "vcpu", &rec.vcpu);
	copy_str(rec.cpulist, sizeof(rec.cpulist), shell_arg_str(a, "cpulist"));
	/* asking with the wrong type, or an undeclared name, finds nothing */
	rec.wrong_type_seen = shell_arg_str(a, "vcpu") ||
			      shell_arg_u64(a, "domain", &v) ||
			      shell_arg_bool(a, "domain") ||
			      shell_arg_str(a, "nosuch") ||
			      shell_arg_given(a, "nosuch");
	return 0;
}

static int fake_setmem(struct shell *s, const struct shell_args *a)
{
	rec.calls++;
	rec.cmd = "setmem";
	rec.has_size = shell_arg_u64(a, "size", &rec.size);
	rec.live = shell_arg_bool(a, "live");
	return 0;
}

static int fake_fail(struct shell *s, const struct shell_args *a)
{
	rec.calls++;
	return -E_NOENT;
}

static int fake_failmsg(struct shell *s, const struct shell_args *a)
{
	rec.calls++;
	shell_error(s, "failed to get domain '%s'", "x");
	return -E_NOENT;
}

static int fake_define(struct shell *s, const struct shell_args *a)
{
	rec.calls++;
	return 0;
}

static int fake_quit(struct shell *s, const struct shell_args *a)
{
	rec.calls++;
	assert_ptr_equal(shell_ctx(s), &ctx_token);
	return SHELL_EXIT;
}

static const struct shell_group grp_monitor = {
	.keyword = "monitor",
	.title = "Domain Monitoring",
};

static const struct shell_group grp_domain = {
	.keyword = "domain",
	.title = "Domain Management",
};

static const struct shell_opt list_opts[] = {
	{ .name = "all", .type = SHELL_OPT_BOOL,
	  .help = "list inactive & active domains" },
	{ .name = "inactive", .type = SHELL_OPT_BOOL,
	  .help = "list inactive domains" },
	{ .name = "name", .type = SHELL_OPT_STRING,
	  .help = "only the domain with this name" },
	{ .name = NULL },
};

static const struct shell_opt dominfo_opts[] = {
	{ .name = "domain", .type = SHELL_OPT_STRING,
	  .flags = SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL,
	  .help = "domain name, id or uuid",
	  .complete = SHELL_COMPLETE_DOMAIN },
	{ .name = NULL },
};

static const struct shell_opt vcpupin_opts[] = {
	{ .name = "domain", .type = SHELL_OPT_STRING,
	  .flags = SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL,
	  .help = "domain name, id or uuid",
	  .complete = SHELL_COMPLETE_DOMAIN },
	{ .name = "vcpu", .type = SHELL_OPT_U64,
	  .flags = SHELL_OPT_POSITIONAL, .help = "vcpu number" },
	{ .name = "cpulist", .type = SHELL_OPT_STRING,
	  .flags = SHELL_OPT_POSITIONAL, .help = "host cpu numbers to set" },
	{ .name = NULL },
};

static const struct shell_opt setmem_opts[] = {
	{ .name = "domain", .type = SHELL_OPT_STRING,
	  .flags = SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL,
	  .help = "domain name, id or uuid",
	  .complete = SHELL_COMPLETE_DOMAIN },
	{ .name = "size", .type = SHELL_OPT_U64, .flags = SHELL_OPT_REQUIRED,
	  .help = "new memory size in KiB" },
	{ .name = "live", .type = SHELL_OPT_BOOL,
	  .help = "affect running domain" },
	{ .name = NULL },
};

static const struct shell_opt define_opts[] = {
	{ "file", SHELL_OPT_STRING, SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL,
	  "XML file", SHELL_COMPLETE_FILE },
	{ "validate", SHELL_OPT_BOOL, 0, "validate the XML", SHELL_COMPLETE_NONE },
	{ NULL, 0, 0, NULL, SHELL_COMPLETE_NONE },
};

#define CMD_LIST { .name = "list", .group = &grp_monitor, \
	.summary = "list domains", .opts = list_opts, .fn = fake_list }
#define CMD_DOMINFO { .name = "dominfo", .group = &grp_monitor, \
	.summary = "domain information", \
	.description = "Returns basic information about the domain.", \
	.opts = dominfo_opts, .fn = fake_dominfo }
#define CMD_VCPUPIN { .name = "vcpupin", .group = &grp_domain, \
	.summary = "control or query domain vcpu affinity", \
	.description = "Pin domain VCPUs to host physical CPUs.", \
	.opts = vcpupin_opts, .fn = fake_vcpupin }
#define CMD_QUIT { .name = "quit", .group = &shell_group_builtin, \
	.summary = "quit this interactive terminal", .fn = fake_quit }

static const struct shell_cmd cmds[] = {
	CMD_LIST,
	CMD_DOMINFO,
	CMD_QUIT,
	CMD_VCPUPIN,
	{ .name = "setmem", .group = &grp_domain,
	  .summary = "change memory allocation", .opts = setmem_opts,
	  .fn = fake_setmem },
	{ .name = "fail", .group = &grp_domain, .summary = "fails quietly",
	  .fn = fake_fail },
	{ .name = "failmsg", .group = &grp_domain, .summary = "fails loudly",
	  .fn = fake_failmsg },
	{ .name = "define", .group = &grp_domain, .summary = "define a domain",
	  .opts = define_opts, .fn = fake_define },
};

/* What the fake completion callback offers, and what it was asked. */
static const char *const domain_names[] = {
	"web1", "web2", "db", "my vm", "it's", NULL,
};
static const char *const *domains;
static struct {
	int calls;
	enum shell_complete kind;
} asked;

static void fake_complete(void *ctx, enum shell_complete kind,
			  shell_complete_add_fn add, void *add_ctx)
{
	static const char *const files[] = {
		"/boot/vmlinuz", "/boot/initrd.img", NULL,
	};
	const char *const *names = kind == SHELL_COMPLETE_DOMAIN ? domains : files;
	char huge[LINEEDIT_MAX + 50];

	assert_ptr_equal(ctx, &ctx_token);
	assert_true(kind == SHELL_COMPLETE_DOMAIN || kind == SHELL_COMPLETE_FILE);
	asked.calls++;
	asked.kind = kind;
	for (; *names; names++)
		add(add_ctx, *names);
	/* too long for any line: left out */
	memset(huge, 'x', sizeof(huge) - 1);
	huge[0] = '/';
	huge[sizeof(huge) - 1] = '\0';
	add(add_ctx, huge);
}

static int setup(void **state)
{
	struct shell_config cfg = {
		.cmds = cmds,
		.ncmds = sizeof(cmds) / sizeof(cmds[0]),
		.out = cap_out,
		.out_ctx = &cap,
		.ctx = &ctx_token,
		.complete = fake_complete,
	};

	memset(&rec, 0, sizeof(rec));
	memset(&asked, 0, sizeof(asked));
	domains = domain_names;
	assert_int_equal(shell_init(&sh, &cfg), 0);
	cap_reset();
	return 0;
}

/* Run a line that must fail to parse with exactly `msg`, calling nothing. */
static void expect_error(const char *line, const char *msg)
{
	char want[256];

	cap_reset();
	rec.calls = 0;
	assert_true(shell_execute(&sh, line) < 0);
	snprintf(want, sizeof(want), "error: %s\r\n", msg);
	assert_string_equal(cap.buf, want);
	assert_int_equal(rec.calls, 0);
}

static void expect_ok(const char *line)
{
	rec.calls = 0;
	assert_int_equal(shell_execute(&sh, line), 0);
	assert_int_equal(rec.calls, 1);
}

/* ---------------------------------------------------------------- tokenizer */

static struct shell_tokens tok;

static void expect_words(const char *line, size_t n, ...)
{
	va_list ap;

	assert_int_equal(shell_tokenize(&tok, line), 0);
	assert_null(tok.error);
	assert_int_equal(tok.argc, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(tok.argv[i], va_arg(ap, const char *));
	va_end(ap);
}

static void test_tokenize_words(void **state)
{
	expect_words("  a  b\tc ", 3, "a", "b", "c");
	expect_words("", 0);
	expect_words("   \t ", 0);
	expect_words("list --all", 2, "list", "--all");
	expect_words("x\r\n", 1, "x");
}

static void test_tokenize_quotes(void **state)
{
	expect_words("'a b' \"c d\" e'f'\"g\"", 3, "a b", "c d", "efg");
	expect_words("'' \"\"", 2, "", "");
	expect_words("\"a\\\"b\"", 1, "a\"b");
	expect_words("'a\\b'", 1, "a\\b");
	expect_words("\"it's\" 'say \"hi\"'", 2, "it's", "say \"hi\"");
	expect_words("a\\ b \\'c", 2, "a b", "'c");
	expect_words("\"\\\\\"", 1, "\\");
	expect_words("--domain='my vm'", 1, "--domain=my vm");
}

static void test_tokenize_comments(void **state)
{
	expect_words("#x y", 0);
	expect_words("   # list", 0);
	expect_words("a #b c", 1, "a");
	expect_words("a#b", 1, "a#b");
	expect_words("'#' \\#", 2, "#", "#");
}

static void expect_tok_error(const char *line, int err, const char *why)
{
	assert_int_equal(shell_tokenize(&tok, line), err);
	assert_string_equal(tok.error, why);
	assert_int_equal(tok.argc, 0);
}

static void test_tokenize_errors(void **state)
{
	char line[SHELL_LINE_MAX + 2];

	expect_tok_error("a \"bc", -E_INVAL, "missing \"");
	expect_tok_error("a 'bc", -E_INVAL, "missing '");
	expect_tok_error("a \"bc\\\"", -E_INVAL, "missing \"");
	expect_tok_error("abc\\", -E_INVAL, "dangling \\");

	memset(line, 'x', sizeof(line));
	line[SHELL_LINE_MAX + 1] = '\0';
	expect_tok_error(line, -E_RANGE, "line too long");
	line[SHELL_LINE_MAX] = '\0';
	assert_int_equal(shell_tokenize(&tok, line), 0);
	assert_int_equal(strlen(tok.argv[0]), SHELL_LINE_MAX);
}

static void test_tokenize_word_limit(void **state)
{
	char line[SHELL_MAX_ARGS * 2 + 3] = "";

	for (int i = 0; i < SHELL_MAX_ARGS; i++)
		strcat(line, "w ");
	assert_int_equal(shell_tokenize(&tok, line), 0);
	assert_int_equal(tok.argc, SHELL_MAX_ARGS);
	strcat(line, "w");
	expect_tok_error(line, -E_RANGE, "too many arguments");
}

/* Random lines full of quotes and escapes: words stay inside the buffer
 * and NUL-terminated, whatever the outcome. */
static void test_tokenize_fuzz(void **state)
{
	static const char alphabet[] = "ab '\"\\#\t-=";
	char line[SHELL_LINE_MAX + 1];
	uint32_t rng = 99;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (rng = rng * 1103515245u + 12345u) >> 16;

		len %= SHELL_LINE_MAX + 1;
		for (size_t i = 0; i < len; i++) {
			rng = rng * 1103515245u + 12345u;
			line[i] = alphabet[(rng >> 16) % (sizeof(alphabet) - 1)];
		}
		line[len] = '\0';
		if (shell_tokenize(&tok, line) < 0) {
			assert_non_null(tok.error);
			continue;
		}
		assert_true(tok.argc <= SHELL_MAX_ARGS);
		for (size_t i = 0; i < tok.argc; i++) {
			size_t off = (size_t)(tok.argv[i] - tok.buf);

			assert_true(off < sizeof(tok.buf));
			assert_true(strnlen(tok.argv[i], sizeof(tok.buf) - off) <
				    sizeof(tok.buf) - off);
		}
	}
}

/* ---------------------------------------------------------------- options */

static void test_positional_and_named(void **state)
{
	expect_ok("dominfo foo");
	assert_string_equal(rec.domain, "foo");
	assert_true(rec.has_domain);
	assert_string_equal(cap.buf, "Name:           foo\r\n");
	expect_ok("dominfo --domain=bar");
	assert_string_equal(rec.domain, "bar");
	expect_ok("dominfo --domain baz");
	assert_string_equal(rec.domain, "baz");
	expect_ok("dominfo 'my vm'");
	assert_string_equal(rec.domain, "my vm");
	expect_ok("dominfo --domain=");
	assert_string_equal(rec.domain, "");
}

static void test_positional_order(void **state)
{
	expect_ok("vcpupin dom 3 0-3");
	assert_string_equal(rec.domain, "dom");
	assert_true(rec.has_vcpu);
	assert_int_equal(rec.vcpu, 3);
	assert_string_equal(rec.cpulist, "0-3");
	assert_false(rec.wrong_type_seen);
	/* a named option takes its slot; data fills the rest in order */
	expect_ok("vcpupin --vcpu 0x10 dom 1,2");
	assert_int_equal(rec.vcpu, 16);
	assert_string_equal(rec.domain, "dom");
	assert_string_equal(rec.cpulist, "1,2");
	expect_ok("vcpupin dom");
	assert_false(rec.has_vcpu);
	assert_string_equal(rec.cpulist, "(none)");
	expect_ok("vcpupin dom 18446744073709551615");
	assert_int_equal(rec.vcpu, UINT64_MAX);
}

static void test_flags(void **state)
{
	expect_ok("list");
	assert_false(rec.all);
	assert_false(rec.inactive);
	assert_string_equal(rec.name, "(none)");
	expect_ok("list --inactive");
	assert_false(rec.all);
	assert_true(rec.inactive);
	expect_ok("list --all --name web --inactive");
	assert_true(rec.all);
	assert_true(rec.inactive);
	assert_string_equal(rec.name, "web");
}

static void test_double_dash(void **state)
{
	expect_ok("dominfo -- --odd");
	assert_string_equal(rec.domain, "--odd");
	/* a value is taken even when it looks like an option, as virsh does */
	expect_ok("dominfo --domain --odd");
	assert_string_equal(rec.domain, "--odd");
	expect_error("dominfo -- a --", "unexpected data '--'");
}

static void test_unknown_command(void **state)
{
	expect_error("foo", "unknown command: 'foo'");
	expect_error("foo --all", "unknown command: 'foo'");
	expect_error("LIST", "unknown command: 'LIST'");
}

static void test_unknown_option(void **state)
{
	expect_error("list --foo", "command 'list' doesn't support option --foo");
	expect_error("list --foo=1",
		     "command 'list' doesn't support option --foo");
	expect_error("list -all", "unexpected data '-all'");
}

static void test_missing_required(void **state)
{
	expect_error("dominfo", "command 'dominfo' requires <domain> option");
	expect_error("setmem dom", "command 'setmem' requires --size option");
	expect_error("setmem --size 1024",
		     "command 'setmem' requires <domain> option");
	expect_ok("setmem dom --size 1024 --live");
	assert_true(rec.has_size);
	assert_int_equal(rec.size, 1024);
	assert_true(rec.live);
}

static void test_unexpected_data(void **state)
{
	expect_error("dominfo a x", "unexpected data 'x'");
	expect_error("list x", "unexpected data 'x'");
	expect_error("vcpupin d 1 2 3", "unexpected data '3'");
	expect_error("fail now", "unexpected data 'now'");
	/* setmem's --size is not positional */
	expect_error("setmem dom 1024", "unexpected data '1024'");
}

static void test_bad_number(void **state)
{
	expect_error("vcpupin d x",
		     "Numeric value 'x' for <vcpu> option is malformed or out of range");
	expect_error("vcpupin d -1",
		     "Numeric value '-1' for <vcpu> option is malformed or out of range");
	expect_error("vcpupin d 18446744073709551616",
		     "Numeric value '18446744073709551616' for <vcpu> option is malformed or out of range");
	expect_error("vcpupin d --vcpu=",
		     "Numeric value '' for <vcpu> option is malformed or out of range");
	expect_error("setmem d --size 1G",
		     "Numeric value '1G' for <size> option is malformed or out of range");
	expect_error("vcpupin d 0x",
		     "Numeric value '0x' for <vcpu> option is malformed or out of range");
}

static void test_option_twice(void **state)
{
	expect_error("list --all --all", "option --all already seen");
	expect_error("dominfo a --domain b", "option --domain already seen");
	expect_error("dominfo --domain=a --domain=b",
		     "option --domain already seen");
}

static void test_missing_value(void **state)
{
	expect_error("vcpupin d --vcpu", "expected syntax: --vcpu <number>");
	expect_error("list --name", "expected syntax: --name <string>");
	expect_error("dominfo --domain", "expected syntax: --domain <string>");
}

static void test_bool_with_value(void **state)
{
	expect_error("list --all=yes", "invalid '=' after option --all");
	expect_error("list --all=", "invalid '=' after option --all");
}

static void test_syntax_error_via_execute(void **state)
{
	expect_error("dominfo \"x", "missing \"");
	expect_error("dominfo x\\", "dangling \\");
}

/* ---------------------------------------------------------------- results */

static void test_command_errors(void **state)
{
	cap_reset();
	assert_int_equal(shell_execute(&sh, "fail"), -E_NOENT);
	assert_string_equal(cap.buf, "error: not found\r\n");
	cap_reset();
	assert_int_equal(shell_execute(&sh, "failmsg"), -E_NOENT);
	assert_string_equal(cap.buf, "error: failed to get domain 'x'\r\n");
	/* the next failing command is judged on its own */
	cap_reset();
	assert_int_equal(shell_execute(&sh, "fail"), -E_NOENT);
	assert_string_equal(cap.buf, "error: not found\r\n");
}

static void test_empty_and_comment_lines(void **state)
{
	static const char *const lines[] = { "", "   ", "# list", "  #x" };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		cap_reset();
		rec.calls = 0;
		assert_int_equal(shell_execute(&sh, lines[i]), 0);
		assert_string_equal(cap.buf, "");
		assert_int_equal(rec.calls, 0);
	}
}

static void test_exit_code(void **state)
{
	assert_int_equal(shell_execute(&sh, "quit"), SHELL_EXIT);
	assert_string_equal(cap.buf, "");
}

/* ---------------------------------------------------------------- output */

static void test_printf_newlines(void **state)
{
	shell_printf(&sh, "a\nb %d\n\n", 42);
	assert_string_equal(cap.buf, "a\r\nb 42\r\n\r\n");
	cap_reset();
	shell_puts(&sh, "\nx");
	assert_string_equal(cap.buf, "\r\nx");
}

static void test_printf_is_bounded(void **state)
{
	char big[SHELL_PRINTF_MAX * 2];

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	shell_printf(&sh, "%s", big);
	assert_int_equal(cap.len, SHELL_PRINTF_MAX - 1);
}

static void test_write_long(void **state)
{
	char text[5000];
	size_t newlines = 0;

	for (size_t i = 0; i < sizeof(text); i++) {
		text[i] = (i % 50 == 49) ? '\n' : (char)('a' + i % 26);
		newlines += text[i] == '\n';
	}
	shell_write(&sh, text, sizeof(text));
	assert_int_equal(cap.len, sizeof(text) + newlines);
	for (size_t i = 0, j = 0; i < sizeof(text); i++, j++) {
		if (text[i] == '\n')
			assert_int_equal(cap.buf[j++], '\r');
		assert_int_equal(cap.buf[j], text[i]);
	}
}

static void test_error_helper(void **state)
{
	shell_error(&sh, "bad %s", "thing");
	assert_string_equal(cap.buf, "error: bad thing\r\n");
}

/* ---------------------------------------------------------------- help */

static void test_help_all(void **state)
{
	static const struct shell_cmd small[] = {
		CMD_LIST, CMD_DOMINFO, CMD_QUIT, CMD_VCPUPIN,
	};
	struct shell_config cfg = {
		.cmds = small, .ncmds = 4, .out = cap_out, .out_ctx = &cap,
	};

	assert_int_equal(shell_init(&sh, &cfg), 0);
	assert_int_equal(shell_execute(&sh, "help"), 0);
	assert_string_equal(cap.buf,
		"Grouped commands:\r\n"
		"\r\n"
		" Domain Monitoring (help keyword 'monitor'):\r\n"
		"    list                           list domains\r\n"
		"    dominfo                        domain information\r\n"
		"\r\n"
		" Keel Shell (help keyword 'shell'):\r\n"
		"    quit                           quit this interactive terminal\r\n"
		"    help                           print help\r\n"
		"\r\n"
		" Domain Management (help keyword 'domain'):\r\n"
		"    vcpupin                        control or query domain vcpu affinity\r\n"
		"\r\n");
}

static void test_help_group(void **state)
{
	assert_int_equal(shell_execute(&sh, "help monitor"), 0);
	assert_string_equal(cap.buf,
		" Domain Monitoring (help keyword 'monitor'):\r\n"
		"    list                           list domains\r\n"
		"    dominfo                        domain information\r\n"
		"\r\n");
}

static void test_help_cmd(void **state)
{
	assert_int_equal(shell_execute(&sh, "help dominfo"), 0);
	assert_string_equal(cap.buf,
		"  NAME\r\n"
		"    dominfo - domain information\r\n"
		"\r\n"
		"  SYNOPSIS\r\n"
		"    dominfo <domain>\r\n"
		"\r\n"
		"  DESCRIPTION\r\n"
		"    Returns basic information about the domain.\r\n"
		"\r\n"
		"  OPTIONS\r\n"
		"    [--domain] <string>  domain name, id or uuid\r\n"
		"\r\n");
}

static void test_help_cmd_option_kinds(void **state)
{
	assert_int_equal(shell_execute(&sh, "help --command vcpupin"), 0);
	assert_non_null(strstr(cap.buf,
		"  SYNOPSIS\r\n"
		"    vcpupin <domain> [<vcpu>] [<cpulist>]\r\n"));
	assert_non_null(strstr(cap.buf,
		"  OPTIONS\r\n"
		"    [--domain] <string>  domain name, id or uuid\r\n"
		"    [--vcpu] <number>  vcpu number\r\n"
		"    [--cpulist] <string>  host cpu numbers to set\r\n"
		"\r\n"));
	cap_reset();
	assert_int_equal(shell_execute(&sh, "help setmem"), 0);
	assert_non_null(strstr(cap.buf,
		"    setmem <domain> --size <number> [--live]\r\n"));
	assert_non_null(strstr(cap.buf,
		"    --size <number>  new memory size in KiB\r\n"
		"    --live           affect running domain\r\n"));
	cap_reset();
	assert_int_equal(shell_execute(&sh, "help list"), 0);
	assert_string_equal(cap.buf,
		"  NAME\r\n"
		"    list - list domains\r\n"
		"\r\n"
		"  SYNOPSIS\r\n"
		"    list [--all] [--inactive] [--name <string>]\r\n"
		"\r\n"
		"  OPTIONS\r\n"
		"    --all            list inactive & active domains\r\n"
		"    --inactive       list inactive domains\r\n"
		"    --name <string>  only the domain with this name\r\n"
		"\r\n");
}

static void test_help_no_options(void **state)
{
	assert_int_equal(shell_execute(&sh, "help quit"), 0);
	assert_string_equal(cap.buf,
		"  NAME\r\n"
		"    quit - quit this interactive terminal\r\n"
		"\r\n"
		"  SYNOPSIS\r\n"
		"    quit\r\n"
		"\r\n");
	cap_reset();
	assert_int_equal(shell_execute(&sh, "help help"), 0);
	assert_non_null(strstr(cap.buf, "    help [<command>]\r\n"));
}

static void test_help_errors(void **state)
{
	expect_error("help nosuch", "command 'nosuch' doesn't exist");
	expect_error("help list extra", "unexpected data 'extra'");
	expect_error("help --all", "command 'help' doesn't support option --all");
}

/* ---------------------------------------------------------------- session */

static enum shell_status feed(const char *s)
{
	enum shell_status st = SHELL_RUNNING;

	for (; *s; s++)
		st = shell_feed(&sh, (uint8_t)*s);
	return st;
}

static void test_session(void **state)
{
	shell_start(&sh);
	assert_string_equal(cap.buf, SHELL_PROMPT);
	cap_reset();
	assert_int_equal(feed("dominfo foo\r\n"), SHELL_RUNNING);
	assert_string_equal(cap.buf,
		"dominfo foo\r\n"
		"Name:           foo\r\n"
		SHELL_PROMPT);
	cap_reset();
	feed("bogus\r");
	assert_string_equal(cap.buf,
		"bogus\r\nerror: unknown command: 'bogus'\r\n" SHELL_PROMPT);
	cap_reset();
	feed("# note\n\r");
	assert_string_equal(cap.buf,
		"# note\r\n" SHELL_PROMPT "\r\n" SHELL_PROMPT);
	/* history is shared with the editor */
	feed("\x1b[A");
	assert_string_equal(sh.ed.buf, "# note");
}

static void test_session_quit(void **state)
{
	shell_start(&sh);
	cap_reset();
	assert_int_equal(feed("quit\r"), SHELL_ENDED);
	assert_string_equal(cap.buf, "quit\r\n");
	assert_int_equal(rec.calls, 1);
	/* the next session keeps the history */
	shell_start(&sh);
	feed("\x10");
	assert_string_equal(sh.ed.buf, "quit");
}

static void test_session_eof(void **state)
{
	shell_start(&sh);
	assert_int_equal(feed("x\x15"), SHELL_RUNNING);
	assert_int_equal(shell_feed(&sh, 0x04), SHELL_ENDED);
}

/* ---------------------------------------------------------------- completion */

/* Type `typed` on a fresh line, then press Tab with an empty capture. */
static void tab_after(const char *typed)
{
	shell_start(&sh);
	feed(typed);
	cap_reset();
	feed("\t");
}

/* Tab on `typed` lists `list` under the line, then draws the unchanged
 * line again. */
static void expect_listing(const char *typed, const char *list)
{
	char want[1024];

	tab_after(typed);
	snprintf(want, sizeof(want), "\r\n%s\r\n" SHELL_PROMPT "%s", list,
		 typed);
	assert_string_equal(cap.buf, want);
	assert_string_equal(sh.ed.buf, typed);
}

/* Tab on `typed` makes the line `line`, cursor at its end, echoing only
 * what was added. */
static void expect_completion(const char *typed, const char *line)
{
	tab_after(typed);
	assert_string_equal(sh.ed.buf, line);
	assert_string_equal(cap.buf, line + strlen(typed));
	assert_int_equal(sh.ed.cursor, strlen(line));
}

/* Tab on `typed` rings the bell and changes nothing. */
static void expect_bell(const char *typed)
{
	tab_after(typed);
	assert_string_equal(cap.buf, "\a");
	assert_string_equal(sh.ed.buf, typed);
}

static void test_complete_command_unique(void **state)
{
	expect_completion("dom", "dominfo ");
	expect_completion("q", "quit ");
	expect_completion("he", "help ");
	expect_completion("  vc", "  vcpupin ");
	expect_completion("list", "list ");
	assert_int_equal(asked.calls, 0);
}

static void test_complete_common_prefix(void **state)
{
	expect_completion("fa", "fail");
	expect_completion("s", "setmem ");
	/* the prefix adds nothing: listed at once */
	expect_listing("d", "dominfo  define");
}

#define ALL_COMMANDS \
	"list  dominfo  quit  vcpupin  setmem  fail  failmsg  define  help"

static void test_complete_lists_candidates(void **state)
{
	expect_listing("fail", "fail  failmsg");
	expect_listing("", ALL_COMMANDS);
	/* Tab again lists again, and the line stays as it was */
	cap_reset();
	feed("\t");
	assert_string_equal(cap.buf, "\r\n" ALL_COMMANDS "\r\n" SHELL_PROMPT);
	feed("q\t");
	assert_string_equal(sh.ed.buf, "quit ");
}

static void test_complete_list_wraps(void **state)
{
	assert_int_equal(lineedit_set_width(&sh.ed, 20), 0);
	expect_listing("",
		"list  dominfo  quit\r\n"
		"vcpupin  setmem\r\n"
		"fail  failmsg\r\n"
		"define  help");
}

static void test_complete_option_names(void **state)
{
	expect_listing("list --", "--all  --inactive  --name");
	expect_completion("list ", "list --");
	expect_listing("list --all --", "--inactive  --name");
	expect_completion("list --all --i", "list --all --inactive ");
	expect_completion("list --all --inactive ",
			  "list --all --inactive --name ");
	expect_completion("list --name x --a", "list --name x --all ");
	expect_completion("list -", "list --");
	/* options given, by name or filled by data, are not offered again */
	expect_bell("list --all --inactive --name x ");
	expect_listing("setmem db --", "--size  --live");
	expect_completion("setmem db --l", "setmem db --live ");
	expect_completion("setmem --live --size 4 --d",
			  "setmem --live --size 4 --domain ");
	expect_completion("vcpupin 'my vm' ", "vcpupin 'my vm' --");
	expect_listing("vcpupin 'my vm' --", "--vcpu  --cpulist");
	expect_completion("vcpupin web1 2 ", "vcpupin web1 2 --cpulist ");
	expect_completion("define /f --v", "define /f --validate ");
	assert_int_equal(asked.calls, 0);
}

static void test_complete_positional_value(void **state)
{
	expect_listing("dominfo ", "web1  web2  db");
	assert_int_equal(asked.kind, SHELL_COMPLETE_DOMAIN);
	expect_completion("dominfo w", "dominfo web");
	expect_completion("dominfo web2", "dominfo web2 ");
	expect_completion("dominfo d", "dominfo db ");
	expect_completion("setmem --size 4 --live d",
			  "setmem --size 4 --live db ");
	/* a value given by name is not filled by data */
	expect_completion("vcpupin --domain db 1 ",
			  "vcpupin --domain db 1 --cpulist ");
	/* after "--" a word is data even if it starts with '-' */
	expect_completion("dominfo -- d", "dominfo -- db ");
	expect_bell("dominfo -- -");
	expect_completion("define ", "define /boot/");
	assert_int_equal(asked.kind, SHELL_COMPLETE_FILE);
	expect_listing("define /boot/", "/boot/vmlinuz  /boot/initrd.img");
	expect_completion("define /boot/v", "define /boot/vmlinuz ");
}

static void test_complete_named_value(void **state)
{
	expect_listing("dominfo --domain ", "web1  web2  db");
	expect_completion("dominfo --domain d", "dominfo --domain db ");
	expect_completion("dominfo --domain=w", "dominfo --domain=web");
	expect_listing("dominfo --domain=", "web1  web2  db");
	expect_completion("vcpupin --vcpu 1 --domain d",
			  "vcpupin --vcpu 1 --domain db ");
	/* a value may look like an option, as in the parser: no "--" */
	expect_bell("vcpupin --cpulist -");
	/* options without a completion kind offer nothing */
	expect_bell("list --name ");
	expect_bell("setmem --size=");
	expect_bell("list --all=");
	expect_bell("vcpupin db --vcpu ");
}

static void test_complete_help_argument(void **state)
{
	expect_completion("help vc", "help vcpupin ");
	expect_completion("help mon", "help monitor ");
	expect_completion("help sh", "help shell ");
	expect_completion("help --command q", "help --command quit ");
	expect_listing("help dom", "dominfo  domain");
	expect_bell("help list ");
	assert_int_equal(asked.calls, 0);
}

static void test_complete_no_match(void **state)
{
	expect_bell("zz");
	expect_bell("nosuch ");
	expect_bell("dominfo x");
	expect_bell("dominfo db ");
	expect_bell("fail ");
	/* candidates needing quotes, and one too long for a line, are left
	 * out */
	expect_bell("dominfo m");
	expect_bell("dominfo i");
	expect_bell("define /x");
	/* quoted or escaped words, comments */
	expect_bell("dominfo 'w");
	expect_bell("dominfo \"w\"");
	expect_bell("dominfo my\\ w");
	expect_bell("dominfo w\\");
	expect_bell("# d");
	expect_bell("list # ");
}

static void test_complete_without_callback(void **state)
{
	struct shell_config cfg = {
		.cmds = cmds,
		.ncmds = sizeof(cmds) / sizeof(cmds[0]),
		.out = cap_out,
		.out_ctx = &cap,
	};

	assert_int_equal(shell_init(&sh, &cfg), 0);
	expect_bell("dominfo ");
	expect_bell("define /b");
	expect_completion("help dominfo", "help dominfo ");
}

static void test_complete_duplicates(void **state)
{
	static const char *const twice[] = { "db", "db", NULL };

	domains = twice;
	expect_completion("dominfo ", "dominfo db ");
}

/* `n` blanks followed by `word`, in `line` (LINEEDIT_MAX + 1 bytes). */
static const char *padded(char *line, size_t n, const char *word)
{
	memset(line, ' ', n);
	snprintf(line + n, LINEEDIT_MAX + 1 - n, "%s", word);
	assert_int_equal(strlen(line), n + strlen(word));
	return line;
}

static void test_complete_full_line(void **state)
{
	char typed[LINEEDIT_MAX + 1], line[LINEEDIT_MAX + 1];

	/* "dominfo " needs 5 more bytes, "fail" 2: only 1 and 0 are left */
	expect_bell(padded(typed, LINEEDIT_MAX - 4, "dom"));
	assert_int_equal(sh.ed.len, LINEEDIT_MAX - 1);
	expect_bell(padded(typed, LINEEDIT_MAX - 2, "fa"));
	assert_int_equal(sh.ed.len, LINEEDIT_MAX);
	expect_bell(padded(typed, LINEEDIT_MAX - 16, "define /boot/v"));
	/* exactly enough room */
	expect_completion(padded(typed, LINEEDIT_MAX - 8, "dom"),
			  padded(line, LINEEDIT_MAX - 8, "dominfo "));
	assert_int_equal(sh.ed.len, LINEEDIT_MAX);
	/* a listing needs no room */
	tab_after(padded(typed, LINEEDIT_MAX - 4, "fail"));
	assert_non_null(strstr(cap.buf, "\r\nfail  failmsg\r\n" SHELL_PROMPT));
	assert_int_equal(sh.ed.len, LINEEDIT_MAX);
	/* a full line ending in a blank: no word can start */
	expect_bell(padded(typed, LINEEDIT_MAX, ""));
	assert_int_equal(sh.ed.len, LINEEDIT_MAX);
}

static void test_complete_mid_line(void **state)
{
	/* complete "do" before " web1": no second blank */
	shell_start(&sh);
	feed("do web1\x01\x06\x06");
	cap_reset();
	feed("\t");
	assert_string_equal(sh.ed.buf, "dominfo web1");
	assert_int_equal(sh.ed.cursor, 7);
	assert_string_equal(cap.buf, "minfo web1\x1b[5D");

	/* the part of a word before the cursor is completed */
	shell_start(&sh);
	feed("domxx\x02\x02\t");
	assert_string_equal(sh.ed.buf, "dominfo xx");
	assert_int_equal(sh.ed.cursor, 8);

	/* words after the cursor are not looked at; the cursor goes back
	 * where it was after a listing */
	shell_start(&sh);
	feed("list -- --all\x01\x06\x06\x06\x06\x06\x06\x06");
	cap_reset();
	feed("\t");
	assert_string_equal(cap.buf,
		"\r\n--all  --inactive  --name\r\n" SHELL_PROMPT "list -- --all"
		"\x1b[6D");
	assert_int_equal(sh.ed.cursor, 7);
}

/* A listing starts below all rows of a wrapped line. */
static void test_complete_mid_wrapped_line(void **state)
{
	/* the cursor is on the first row, the line ends on the second */
	static const char want[] =
		"\x1b[1B\r\n--all  --inactive\r\n--name\r\n" SHELL_PROMPT
		"list --              --\x1b[A\x1b[4C";

	assert_int_equal(lineedit_set_width(&sh.ed, 20), 0);
	shell_start(&sh);
	feed("list --              --\x01\x06\x06\x06\x06\x06\x06\x06");
	cap_reset();
	feed("\t");
	assert_string_equal(cap.buf, want);
	assert_string_equal(sh.ed.buf, "list --              --");
	assert_int_equal(sh.ed.cursor, 7);
}

/* Random typing with Tab, cursor moves and quotes: the line stays
 * within bounds and consistent. */
static void test_complete_fuzz(void **state)
{
	static const char keys[] = "dfhlsvw -='\"\\#/\t\t\t\x01\x02\x06\x17";
	uint32_t rng = 7;

	shell_start(&sh);
	for (int iter = 0; iter < 200000; iter++) {
		rng = rng * 1103515245u + 12345u;
		if ((rng >> 16) % 300 == 0)
			feed("\x15");		/* Ctrl-U: start over */
		rng = rng * 1103515245u + 12345u;
		shell_feed(&sh, (uint8_t)keys[(rng >> 16) % (sizeof(keys) - 1)]);
		assert_true(sh.ed.len <= LINEEDIT_MAX);
		assert_int_equal(strlen(sh.ed.buf), sh.ed.len);
		assert_true(sh.ed.cursor <= sh.ed.len);
		cap_reset();
	}
}

/* ---------------------------------------------------------------- tables */

static int init_with(const struct shell_cmd *table, size_t n)
{
	struct shell_config cfg = {
		.cmds = table, .ncmds = n, .out = cap_out, .out_ctx = &cap,
	};

	return shell_init(&sh, &cfg);
}

static const struct shell_opt bool_required[] = {
	{ .name = "f", .type = SHELL_OPT_BOOL, .flags = SHELL_OPT_REQUIRED },
	{ .name = NULL },
};

static const struct shell_opt bool_positional[] = {
	{ .name = "f", .type = SHELL_OPT_BOOL, .flags = SHELL_OPT_POSITIONAL },
	{ .name = NULL },
};

static const struct shell_opt dup_opts[] = {
	{ .name = "a", .type = SHELL_OPT_STRING },
	{ .name = "a", .type = SHELL_OPT_BOOL },
	{ .name = NULL },
};

static const struct shell_opt eq_opt[] = {
	{ .name = "a=b", .type = SHELL_OPT_STRING },
	{ .name = NULL },
};

static const struct shell_opt empty_opt[] = {
	{ .name = "", .type = SHELL_OPT_STRING },
	{ .name = NULL },
};

static const struct shell_opt bad_type[] = {
	{ .name = "a", .type = (enum shell_opt_type)7 },
	{ .name = NULL },
};

#define OPT_N(n) { .name = #n, .type = SHELL_OPT_BOOL }
static const struct shell_opt too_many[] = {
	OPT_N(a), OPT_N(b), OPT_N(c), OPT_N(d), OPT_N(e), OPT_N(f),
	OPT_N(g), OPT_N(h), OPT_N(i), OPT_N(j), OPT_N(k), OPT_N(l),
	OPT_N(m), OPT_N(n), OPT_N(o), OPT_N(p), OPT_N(q),
	{ .name = NULL },
};

static const struct shell_opt *const bad_opt_lists[] = {
	bool_required, bool_positional, dup_opts, eq_opt, empty_opt,
	bad_type, too_many,
};

static void test_init_rejects_bad_options(void **state)
{
	struct shell_cmd c = { .name = "x", .group = &grp_domain,
			       .fn = fake_fail };

	for (size_t i = 0; i < sizeof(bad_opt_lists) / sizeof(bad_opt_lists[0]);
	     i++) {
		c.opts = bad_opt_lists[i];
		assert_int_equal(init_with(&c, 1), -E_INVAL);
	}
	c.opts = too_many + 1;	/* exactly SHELL_MAX_OPTS: fine */
	assert_int_equal(init_with(&c, 1), 0);
}

static void test_init_rejects_bad_commands(void **state)
{
	const struct shell_cmd dup[] = { CMD_LIST, CMD_DOMINFO, CMD_LIST };
	const struct shell_cmd help[] = {
		{ .name = "help", .group = &grp_domain, .fn = fake_fail },
	};
	const struct shell_cmd no_fn[] = {
		{ .name = "x", .group = &grp_domain },
	};
	const struct shell_cmd no_group[] = { { .name = "x", .fn = fake_fail } };
	const struct shell_cmd no_name[] = {
		{ .group = &grp_domain, .fn = fake_fail },
	};
	const struct shell_cmd empty_name[] = {
		{ .name = "", .group = &grp_domain, .fn = fake_fail },
	};

	assert_int_equal(init_with(dup, 3), -E_INVAL);
	assert_int_equal(init_with(help, 1), -E_INVAL);
	assert_int_equal(init_with(no_fn, 1), -E_INVAL);
	assert_int_equal(init_with(no_group, 1), -E_INVAL);
	assert_int_equal(init_with(no_name, 1), -E_INVAL);
	assert_int_equal(init_with(empty_name, 1), -E_INVAL);
}

static void test_init_empty_table(void **state)
{
	assert_int_equal(init_with(NULL, 5), 0);
	assert_int_equal(shell_execute(&sh, "help"), 0);
	assert_string_equal(cap.buf,
		"Grouped commands:\r\n"
		"\r\n"
		" Keel Shell (help keyword 'shell'):\r\n"
		"    help                           print help\r\n"
		"\r\n");
	cap_reset();
	assert_int_equal(shell_execute(&sh, "list"), -E_NOENT);
	assert_string_equal(cap.buf, "error: unknown command: 'list'\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup(fn, setup)
		T(test_tokenize_words),
		T(test_tokenize_quotes),
		T(test_tokenize_comments),
		T(test_tokenize_errors),
		T(test_tokenize_word_limit),
		T(test_tokenize_fuzz),
		T(test_positional_and_named),
		T(test_positional_order),
		T(test_flags),
		T(test_double_dash),
		T(test_unknown_command),
		T(test_unknown_option),
		T(test_missing_required),
		T(test_unexpected_data),
		T(test_bad_number),
		T(test_option_twice),
		T(test_missing_value),
		T(test_bool_with_value),
		T(test_syntax_error_via_execute),
		T(test_command_errors),
		T(test_empty_and_comment_lines),
		T(test_exit_code),
		T(test_printf_newlines),
		T(test_printf_is_bounded),
		T(test_write_long),
		T(test_error_helper),
		T(test_help_all),
		T(test_help_group),
		T(test_help_cmd),
		T(test_help_cmd_option_kinds),
		T(test_help_no_options),
		T(test_help_errors),
		T(test_session),
		T(test_session_quit),
		T(test_session_eof),
		T(test_complete_command_unique),
		T(test_complete_common_prefix),
		T(test_complete_lists_candidates),
		T(test_complete_list_wraps),
		T(test_complete_option_names),
		T(test_complete_positional_value),
		T(test_complete_named_value),
		T(test_complete_help_argument),
		T(test_complete_no_match),
		T(test_complete_without_callback),
		T(test_complete_duplicates),
		T(test_complete_full_line),
		T(test_complete_mid_line),
		T(test_complete_mid_wrapped_line),
		T(test_complete_fuzz),
		T(test_init_rejects_bad_options),
		T(test_init_rejects_bad_commands),
		T(test_init_empty_table),
#undef T
	};

	return cmocka_run_group_tests_name("shell", tests, NULL, NULL);
}
