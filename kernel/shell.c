/*
 * The management shell's core (see kernel/shell.h): output helpers, the
 * tokenizer, option parsing against a command's declaration, the builtin
 * `help`, and the glue between the line editor and the dispatcher. Tab
 * completion lives in kernel/complete.c.
 *
 * A line goes through three steps, and nothing runs until all succeed:
 * tokenize (words), decode (command and options, by the declaration) and
 * validate (types, duplicates, required options); then the command's fn is
 * called with the parsed arguments. Messages follow virsh's wording so that
 * a libvirt user recognises them.
 */
#include "kernel/errno.h"
#include "kernel/shell.h"

#define NEWLINE		"\r\n"
#define HELP_NAME_COL	30	/* virsh's `help` column for command names */
#define HELP_OPT_COL	15	/* and for options in `help CMD` */
#define HELP_OPT_BUF	64	/* one option's synopsis, e.g. [--name <string>] */

static int cmd_help(struct shell *sh, const struct shell_args *args);

const struct shell_group shell_group_builtin = {
	.keyword = "shell",
	.title = "Keel Shell",
};

static const struct shell_opt help_opts[] = {
	{
		.name = "command",
		.type = SHELL_OPT_STRING,
		.flags = SHELL_OPT_POSITIONAL,
		.help = "command or command group to describe",
		.complete = SHELL_COMPLETE_COMMAND,
	},
	{ .name = NULL },
};

static const struct shell_cmd builtin_cmds[] = {
	{
		.name = "help",
		.group = &shell_group_builtin,
		.summary = "print help",
		.description = "Lists all commands by group, the commands of one "
			       "group, or describes one command.",
		.opts = help_opts,
		.fn = cmd_help,
	},
};

/* ---------------------------------------------------------------- output */

static void emit(struct shell *sh, const char *s, size_t n)
{
	if (n)
		sh->out(sh->out_ctx, s, n);
}

void shell_write(struct shell *sh, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\n')
			continue;
		emit(sh, s + start, i - start);
		emit(sh, NEWLINE, sizeof(NEWLINE) - 1);
		start = i + 1;
	}
	emit(sh, s + start, n - start);
}

void shell_puts(struct shell *sh, const char *s)
{
	shell_write(sh, s, strlen(s));
}

static void shell_vprintf(struct shell *sh, const char *fmt, va_list ap)
{
	char buf[SHELL_PRINTF_MAX];
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);

	if (n > 0)
		shell_write(sh, buf, MIN((size_t)n, sizeof(buf) - 1));
}

void shell_printf(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shell_vprintf(sh, fmt, ap);
	va_end(ap);
}

static void shell_verror(struct shell *sh, const char *fmt, va_list ap)
{
	sh->error_shown = true;
	shell_puts(sh, "error: ");
	shell_vprintf(sh, fmt, ap);
	shell_puts(sh, "\n");
}

void shell_error(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shell_verror(sh, fmt, ap);
	va_end(ap);
}

/* A line that does not parse: report it and refuse to run anything. */
static int __attribute__((format(printf, 2, 3)))
syntax_error(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shell_verror(sh, fmt, ap);
	va_end(ap);
	return -E_INVAL;
}

void *shell_ctx(struct shell *sh)
{
	return sh->ctx;
}

/* ---------------------------------------------------------------- tokenizer */

struct lexer {
	struct shell_tokens *t;
	const char *p;		/* next input byte */
	size_t out;		/* next free byte in t->buf */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int lex_fail(struct lexer *lx, int err, const char *why)
{
	lx->t->error = why;
	lx->t->argc = 0;
	return err;
}

/* A word never needs more bytes than it took in the line, and its NUL is
 * paid for by the blank or end that closes it, so a line of at most
 * SHELL_LINE_MAX bytes fits in buf; the check is a second line of defence. */
static void lex_put(struct lexer *lx, char c)
{
	if (lx->out < sizeof(lx->t->buf))
		lx->t->buf[lx->out++] = c;
}

static int lex_escape(struct lexer *lx)
{
	if (!lx->p[1])
		return lex_fail(lx, -E_INVAL, "dangling \\");
	lex_put(lx, lx->p[1]);
	lx->p += 2;
	return 0;
}

static int lex_quoted(struct lexer *lx, char quote)
{
	lx->p++;
	while (*lx->p && *lx->p != quote) {
		if (quote == '"' && lx->p[0] == '\\' && lx->p[1])
			lx->p++;
		lex_put(lx, *lx->p++);
	}
	if (!*lx->p)
		return lex_fail(lx, -E_INVAL,
				quote == '"' ? "missing \"" : "missing '");
	lx->p++;
	return 0;
}

static int lex_word(struct lexer *lx)
{
	int rc = 0;

	lx->t->argv[lx->t->argc++] = lx->t->buf + lx->out;
	while (rc == 0 && *lx->p && !is_space(*lx->p)) {
		if (*lx->p == '\'' || *lx->p == '"')
			rc = lex_quoted(lx, *lx->p);
		else if (*lx->p == '\\')
			rc = lex_escape(lx);
		else
			lex_put(lx, *lx->p++);
	}
	lex_put(lx, '\0');
	return rc;
}

int shell_tokenize(struct shell_tokens *t, const char *line)
{
	struct lexer lx = { .t = t, .p = line, .out = 0 };
	int rc;

	t->argc = 0;
	t->error = NULL;
	if (strnlen(line, SHELL_LINE_MAX + 1) > SHELL_LINE_MAX)
		return lex_fail(&lx, -E_RANGE, "line too long");
	for (;;) {
		while (is_space(*lx.p))
			lx.p++;
		if (!*lx.p || *lx.p == '#')
			return 0;
		if (t->argc == SHELL_MAX_ARGS)
			return lex_fail(&lx, -E_RANGE, "too many arguments");
		rc = lex_word(&lx);
		if (rc < 0)
			return rc;
	}
}

/* ---------------------------------------------------------------- tables */

size_t shell_cmd_count(const struct shell *sh)
{
	return sh->ncmds + ARRAY_SIZE(builtin_cmds);
}

const struct shell_cmd *shell_cmd_at(const struct shell *sh, size_t i)
{
	if (i < sh->ncmds)
		return &sh->cmds[i];
	return &builtin_cmds[i - sh->ncmds];
}

const struct shell_cmd *shell_find_cmd(const struct shell *sh,
				       const char *name)
{
	for (size_t i = 0; i < shell_cmd_count(sh); i++)
		if (strcmp(shell_cmd_at(sh, i)->name, name) == 0)
			return shell_cmd_at(sh, i);
	return NULL;
}

static const struct shell_group *find_group(const struct shell *sh,
					    const char *keyword)
{
	for (size_t i = 0; i < shell_cmd_count(sh); i++)
		if (strcmp(shell_cmd_at(sh, i)->group->keyword, keyword) == 0)
			return shell_cmd_at(sh, i)->group;
	return NULL;
}

/* Options declared, counting no further than one past the limit. */
size_t shell_opt_count(const struct shell_cmd *cmd)
{
	size_t n = 0;

	while (cmd->opts && n <= SHELL_MAX_OPTS && cmd->opts[n].name)
		n++;
	return n;
}

int shell_find_opt(const struct shell_cmd *cmd, const char *name)
{
	size_t n = shell_opt_count(cmd);

	for (size_t i = 0; i < n && i < SHELL_MAX_OPTS; i++)
		if (strcmp(cmd->opts[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const char *type_word(const struct shell_opt *opt)
{
	return opt->type == SHELL_OPT_U64 ? "number" : "string";
}

/* ---------------------------------------------------------------- options */

static int set_value(struct shell *sh, struct shell_args *args, size_t idx,
		     const char *value)
{
	const struct shell_opt *opt = &args->cmd->opts[idx];

	if (opt->type == SHELL_OPT_U64 && kstrtou64(value, &args->u64[idx]) < 0)
		return syntax_error(sh, "Numeric value '%s' for <%s> option "
				    "is malformed or out of range",
				    value, opt->name);
	args->str[idx] = value;
	args->given[idx] = true;
	return 0;
}

/* --name, --name value or --name=value; *i moves past a value taken from
 * the next word. The word is split at '=' in place. */
static int parse_named(struct shell *sh, struct shell_args *args,
		       char **argv, size_t argc, size_t *i)
{
	char *name = argv[*i] + 2;
	char *value = strchr(name, '=');
	int idx;

	if (value)
		*value++ = '\0';
	idx = shell_find_opt(args->cmd, name);
	if (idx < 0)
		return syntax_error(sh, "command '%s' doesn't support option --%s",
				    args->cmd->name, name);
	if (args->given[idx])
		return syntax_error(sh, "option --%s already seen", name);
	if (args->cmd->opts[idx].type == SHELL_OPT_BOOL) {
		if (value)
			return syntax_error(sh, "invalid '=' after option --%s",
					    name);
		args->given[idx] = true;
		return 0;
	}
	if (!value && *i + 1 >= argc)
		return syntax_error(sh, "expected syntax: --%s <%s>", name,
				    type_word(&args->cmd->opts[idx]));
	return set_value(sh, args, (size_t)idx, value ? value : argv[++*i]);
}

/* A bare word fills the first positional option not given yet. */
static int parse_data(struct shell *sh, struct shell_args *args,
		      const char *word)
{
	const struct shell_opt *opts = args->cmd->opts;
	size_t n = shell_opt_count(args->cmd);

	for (size_t i = 0; i < n; i++)
		if ((opts[i].flags & SHELL_OPT_POSITIONAL) && !args->given[i])
			return set_value(sh, args, i, word);
	return syntax_error(sh, "unexpected data '%s'", word);
}

static int check_required(struct shell *sh, const struct shell_args *args)
{
	const struct shell_cmd *cmd = args->cmd;
	size_t n = shell_opt_count(cmd);

	for (size_t i = 0; i < n; i++) {
		if (!(cmd->opts[i].flags & SHELL_OPT_REQUIRED) || args->given[i])
			continue;
		if (cmd->opts[i].flags & SHELL_OPT_POSITIONAL)
			return syntax_error(sh, "command '%s' requires <%s> option",
					    cmd->name, cmd->opts[i].name);
		return syntax_error(sh, "command '%s' requires --%s option",
				    cmd->name, cmd->opts[i].name);
	}
	return 0;
}

/* Decode argv[1..] against cmd's declaration into args; "--" makes every
 * later word data. */
static int parse_args(struct shell *sh, const struct shell_cmd *cmd,
		      char **argv, size_t argc, struct shell_args *args)
{
	bool only_data = false;
	int rc = 0;

	memset(args, 0, sizeof(*args));
	args->cmd = cmd;
	for (size_t i = 1; i < argc && rc == 0; i++) {
		if (!only_data && strcmp(argv[i], "--") == 0)
			only_data = true;
		else if (!only_data && strncmp(argv[i], "--", 2) == 0)
			rc = parse_named(sh, args, argv, argc, &i);
		else
			rc = parse_data(sh, args, argv[i]);
	}
	return rc < 0 ? rc : check_required(sh, args);
}

/* ---------------------------------------------------------------- accessors */

static int arg_index(const struct shell_args *args, const char *name,
		     enum shell_opt_type type)
{
	int i = shell_find_opt(args->cmd, name);

	if (i < 0 || args->cmd->opts[i].type != type || !args->given[i])
		return -1;
	return i;
}

bool shell_arg_given(const struct shell_args *args, const char *name)
{
	int i = shell_find_opt(args->cmd, name);

	return i >= 0 && args->given[i];
}

bool shell_arg_bool(const struct shell_args *args, const char *name)
{
	return arg_index(args, name, SHELL_OPT_BOOL) >= 0;
}

const char *shell_arg_str(const struct shell_args *args, const char *name)
{
	int i = arg_index(args, name, SHELL_OPT_STRING);

	return i < 0 ? NULL : args->str[i];
}

bool shell_arg_u64(const struct shell_args *args, const char *name,
		   uint64_t *out)
{
	int i = arg_index(args, name, SHELL_OPT_U64);

	if (i < 0)
		return false;
	*out = args->u64[i];
	return true;
}

/* ---------------------------------------------------------------- help */

static void help_group(struct shell *sh, const struct shell_group *grp)
{
	shell_printf(sh, " %s (help keyword '%s'):\n", grp->title,
		     grp->keyword);
	for (size_t i = 0; i < shell_cmd_count(sh); i++) {
		const struct shell_cmd *cmd = shell_cmd_at(sh, i);

		if (cmd->group == grp)
			shell_printf(sh, "    %-*s %s\n", HELP_NAME_COL,
				     cmd->name, cmd->summary ? cmd->summary : "");
	}
	shell_puts(sh, "\n");
}

static bool first_of_group(const struct shell *sh, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (shell_cmd_at(sh, j)->group == shell_cmd_at(sh, i)->group)
			return false;
	return true;
}

/* Groups in the order the table first uses them. */
static void help_all(struct shell *sh)
{
	shell_puts(sh, "Grouped commands:\n\n");
	for (size_t i = 0; i < shell_cmd_count(sh); i++)
		if (first_of_group(sh, i))
			help_group(sh, shell_cmd_at(sh, i)->group);
}

/* How an option appears in the SYNOPSIS line. */
static void opt_synopsis(const struct shell_opt *o, char *buf, size_t size)
{
	bool req = o->flags & SHELL_OPT_REQUIRED;

	if (o->type == SHELL_OPT_BOOL)
		ksnprintf(buf, size, "[--%s]", o->name);
	else if (o->flags & SHELL_OPT_POSITIONAL)
		ksnprintf(buf, size, req ? "<%s>" : "[<%s>]", o->name);
	else
		ksnprintf(buf, size, req ? "--%s <%s>" : "[--%s <%s>]",
			  o->name, type_word(o));
}

/* How an option appears in the OPTIONS list. */
static void opt_usage(const struct shell_opt *o, char *buf, size_t size)
{
	if (o->type == SHELL_OPT_BOOL)
		ksnprintf(buf, size, "--%s", o->name);
	else if (o->flags & SHELL_OPT_POSITIONAL)
		ksnprintf(buf, size, "[--%s] <%s>", o->name, type_word(o));
	else
		ksnprintf(buf, size, "--%s <%s>", o->name, type_word(o));
}

static void help_synopsis(struct shell *sh, const struct shell_cmd *cmd)
{
	char buf[HELP_OPT_BUF];
	size_t n = shell_opt_count(cmd);

	shell_printf(sh, "\n  SYNOPSIS\n    %s", cmd->name);
	for (size_t i = 0; i < n; i++) {
		opt_synopsis(&cmd->opts[i], buf, sizeof(buf));
		shell_printf(sh, " %s", buf);
	}
	shell_puts(sh, "\n");
}

static void help_options(struct shell *sh, const struct shell_cmd *cmd)
{
	char buf[HELP_OPT_BUF];
	size_t n = shell_opt_count(cmd);

	if (n == 0)
		return;
	shell_puts(sh, "\n  OPTIONS\n");
	for (size_t i = 0; i < n; i++) {
		opt_usage(&cmd->opts[i], buf, sizeof(buf));
		shell_printf(sh, "    %-*s  %s\n", HELP_OPT_COL, buf,
			     cmd->opts[i].help ? cmd->opts[i].help : "");
	}
}

/* virsh's layout: NAME, SYNOPSIS, DESCRIPTION, OPTIONS. */
static void help_cmd(struct shell *sh, const struct shell_cmd *cmd)
{
	shell_printf(sh, "  NAME\n    %s - %s\n", cmd->name,
		     cmd->summary ? cmd->summary : "");
	help_synopsis(sh, cmd);
	if (cmd->description && *cmd->description) {
		shell_puts(sh, "\n  DESCRIPTION\n    ");
		shell_puts(sh, cmd->description);
		shell_puts(sh, "\n");
	}
	help_options(sh, cmd);
	shell_puts(sh, "\n");
}

static int cmd_help(struct shell *sh, const struct shell_args *args)
{
	const char *name = shell_arg_str(args, "command");
	const struct shell_cmd *cmd;
	const struct shell_group *grp;

	if (!name) {
		help_all(sh);
		return 0;
	}
	cmd = shell_find_cmd(sh, name);
	if (cmd) {
		help_cmd(sh, cmd);
		return 0;
	}
	grp = find_group(sh, name);
	if (grp) {
		help_group(sh, grp);
		return 0;
	}
	shell_error(sh, "command '%s' doesn't exist", name);
	return -E_NOENT;
}

/* ---------------------------------------------------------------- dispatch */

static int run_cmd(struct shell *sh, const struct shell_cmd *cmd)
{
	int rc;

	sh->error_shown = false;
	rc = cmd->fn(sh, &sh->args);
	if (rc < 0 && !sh->error_shown)
		shell_error(sh, "%s", err_str(rc));
	return rc;
}

int shell_execute(struct shell *sh, const char *line)
{
	struct shell_tokens *t = &sh->tok;
	const struct shell_cmd *cmd;
	int rc;

	rc = shell_tokenize(t, line);
	if (rc < 0) {
		shell_error(sh, "%s", t->error);
		return rc;
	}
	if (t->argc == 0)
		return 0;
	cmd = shell_find_cmd(sh, t->argv[0]);
	if (!cmd) {
		shell_error(sh, "unknown command: '%s'", t->argv[0]);
		return -E_NOENT;
	}
	rc = parse_args(sh, cmd, t->argv, t->argc, &sh->args);
	if (rc < 0)
		return rc;
	return run_cmd(sh, cmd);
}

enum shell_status shell_feed(struct shell *sh, uint8_t byte)
{
	switch (lineedit_feed(&sh->ed, byte)) {
	case LINEEDIT_NONE:
		return SHELL_RUNNING;
	case LINEEDIT_EOF:
		return SHELL_ENDED;
	case LINEEDIT_LINE:
		break;
	}
	if (shell_execute(sh, sh->ed.line) == SHELL_EXIT)
		return SHELL_ENDED;
	lineedit_start(&sh->ed);
	return SHELL_RUNNING;
}

void shell_redraw(struct shell *sh)
{
	lineedit_refresh(&sh->ed);
}

void shell_start(struct shell *sh)
{
	lineedit_start(&sh->ed);
}

/* ---------------------------------------------------------------- setup */

static int check_opts(const struct shell_cmd *cmd)
{
	size_t n = shell_opt_count(cmd);
	const unsigned data_only = SHELL_OPT_REQUIRED | SHELL_OPT_POSITIONAL;

	if (n > SHELL_MAX_OPTS)
		return -E_INVAL;
	for (size_t i = 0; i < n; i++) {
		const struct shell_opt *o = &cmd->opts[i];

		if (o->type > SHELL_OPT_U64 || !o->name[0] ||
		    strchr(o->name, '=') ||
		    shell_find_opt(cmd, o->name) != (int)i)
			return -E_INVAL;
		if (o->type == SHELL_OPT_BOOL && (o->flags & data_only))
			return -E_INVAL;
	}
	return 0;
}

static int check_cmd(const struct shell *sh, const struct shell_cmd *cmd)
{
	if (!cmd->name || !cmd->name[0] || !cmd->group || !cmd->fn ||
	    !cmd->group->keyword || !cmd->group->title)
		return -E_INVAL;
	if (shell_find_cmd(sh, cmd->name) != cmd)
		return -E_INVAL;
	return check_opts(cmd);
}

int shell_init(struct shell *sh, const struct shell_config *cfg)
{
	memset(sh, 0, sizeof(*sh));
	sh->cmds = cfg->cmds;
	sh->ncmds = cfg->cmds ? cfg->ncmds : 0;
	sh->out = cfg->out;
	sh->out_ctx = cfg->out_ctx;
	sh->ctx = cfg->ctx;
	sh->complete = cfg->complete;
	/* A bad table leaves a shell without commands, still able to edit. */
	lineedit_init(&sh->ed, SHELL_PROMPT, cfg->out, cfg->out_ctx);
	lineedit_set_complete(&sh->ed, shell_complete_tab, sh);
	for (size_t i = 0; i < shell_cmd_count(sh); i++) {
		if (check_cmd(sh, shell_cmd_at(sh, i)) < 0) {
			sh->ncmds = 0;
			return -E_INVAL;
		}
	}
	return 0;
}
