/*
 * The management shell's core: a table-driven command dispatcher in the
 * style of virsh. Each command declares its options (name, type, required,
 * positional); the shell tokenizes a line, finds the command, parses and
 * validates the options against the declaration, and only then calls the
 * command with the parsed arguments. Syntax errors are reported with
 * virsh's wording, one "error: ..." line each.
 *
 * Pure code: output goes through a callback, the command table is passed in
 * by the caller (the kernel's own table, or a fake one in tests), and the
 * shell adds the builtin `help`.
 *
 * Conventions for commands:
 *  - print with shell_printf() / shell_write(); "\n" becomes "\r\n";
 *  - report failure with shell_error() and return a negative E_* code; a
 *    command that returns an error without printing one gets
 *    "error: <err_str(code)>" from the shell;
 *  - return SHELL_EXIT to end the console session.
 */
#ifndef KEEL_SHELL_H
#define KEEL_SHELL_H

#include "kernel/klib.h"
#include "kernel/lineedit.h"

#define SHELL_PROMPT		"keel # "
#define SHELL_LINE_MAX		LINEEDIT_MAX	/* longest line executed */
#define SHELL_MAX_ARGS		32	/* words in a line, command included */
#define SHELL_MAX_OPTS		16	/* options one command may declare */
#define SHELL_PRINTF_MAX	512	/* longest shell_printf() result */

/* A command's return value that ends the console session. */
#define SHELL_EXIT		1

enum shell_opt_type {
	SHELL_OPT_BOOL,		/* --name, a flag */
	SHELL_OPT_STRING,	/* --name <string> */
	SHELL_OPT_U64,		/* --name <number>, decimal or 0x hex */
};

/* shell_opt.flags */
#define SHELL_OPT_REQUIRED	(1u << 0)	/* must be given */
#define SHELL_OPT_POSITIONAL	(1u << 1)	/* may be given without --name */

/* One declared option; a command's list ends with an entry whose name is
 * NULL. Positional options are filled in declaration order. */
struct shell_opt {
	const char *name;
	enum shell_opt_type type;
	unsigned flags;
	const char *help;	/* one line for `help CMD` */
};

/* A heading in `help`: " <title> (help keyword '<keyword>'):". */
struct shell_group {
	const char *keyword;
	const char *title;
};

/* The group `help` lives in; the caller may put its own shell commands
 * (exit, quit, ...) there too. */
extern const struct shell_group shell_group_builtin;

struct shell;
struct shell_args;

struct shell_cmd {
	const char *name;
	const struct shell_group *group;
	const char *summary;		/* one line, for `help` */
	const char *description;	/* for `help CMD`; may be NULL */
	const struct shell_opt *opts;	/* NULL-name terminated; may be NULL */
	int (*fn)(struct shell *sh, const struct shell_args *args);
};

/* Parsed arguments, indexed like the command's option declaration. Read
 * them with the shell_arg_*() accessors. */
struct shell_args {
	const struct shell_cmd *cmd;
	bool given[SHELL_MAX_OPTS];
	const char *str[SHELL_MAX_OPTS];	/* point into the token buffer */
	uint64_t u64[SHELL_MAX_OPTS];
};

/* A line split into words (exposed for tests). */
struct shell_tokens {
	char buf[SHELL_LINE_MAX + 1];
	char *argv[SHELL_MAX_ARGS];
	size_t argc;
	const char *error;	/* why shell_tokenize() failed */
};

struct shell_config {
	const struct shell_cmd *cmds;
	size_t ncmds;
	lineedit_out_fn out;
	void *out_ctx;
	void *ctx;		/* for the commands, see shell_ctx() */
};

/* All fields are private to shell.c; the struct is public only so that the
 * caller can own it (make it static: it holds the line editor). */
struct shell {
	const struct shell_cmd *cmds;
	size_t ncmds;
	lineedit_out_fn out;
	void *out_ctx;
	void *ctx;
	bool error_shown;	/* the running command printed an error */
	struct lineedit ed;
	struct shell_tokens tok;
	struct shell_args args;
};

/* What shell_feed() left the session in. */
enum shell_status {
	SHELL_RUNNING,
	SHELL_ENDED,	/* SHELL_EXIT from a command, or Ctrl-D */
};

/* Check the command table and set up. -E_INVAL if a command lacks a name,
 * group or function, a name is used twice (`help` is taken), a command
 * declares more than SHELL_MAX_OPTS options or the same option twice, or a
 * flag is required or positional. Prints nothing. */
int shell_init(struct shell *sh, const struct shell_config *cfg);

/* Begin a console session: print the prompt. History is kept from earlier
 * sessions. */
void shell_start(struct shell *sh);

/* Feed one input byte; runs the line when it is complete and prompts again
 * unless the session ended. */
enum shell_status shell_feed(struct shell *sh, uint8_t byte);

/* Print the prompt and the line being typed again, on a fresh row (after
 * other output went to the terminal). */
void shell_redraw(struct shell *sh);

/* Run one line. Returns the command's result (0, a negative E_* code or
 * SHELL_EXIT), or a negative code if the line did not parse; 0 for empty
 * and comment lines. Not reentrant: a command must not call it. */
int shell_execute(struct shell *sh, const char *line);

/* Split a line into words: blanks separate words; '...' is literal; "..."
 * allows \-escapes; \ outside quotes escapes the next character; an
 * unquoted # at the start of a word comments out the rest. -E_INVAL or
 * -E_RANGE with t->error set on a syntax error or too many words. */
int shell_tokenize(struct shell_tokens *t, const char *line);

/* Output for commands. shell_printf() output beyond SHELL_PRINTF_MAX
 * bytes is cut off: write long text with shell_write(), which has no
 * limit. */
void shell_write(struct shell *sh, const char *s, size_t n);
void shell_puts(struct shell *sh, const char *s);
void shell_printf(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "error: <message>\n" and note that the command reported itself. */
void shell_error(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The config's ctx pointer, for commands. */
void *shell_ctx(struct shell *sh);

/* Parsed-argument accessors. Asking for a name the command does not
 * declare, or of the wrong type, gives false / NULL. */
bool shell_arg_given(const struct shell_args *args, const char *name);
bool shell_arg_bool(const struct shell_args *args, const char *name);
const char *shell_arg_str(const struct shell_args *args, const char *name);
/* true, with *out set, when the option was given. */
bool shell_arg_u64(const struct shell_args *args, const char *name,
		   uint64_t *out);

#endif
