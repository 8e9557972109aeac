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
 *
 * Tab completion (kernel/complete.c), like readline in bash or virsh. The
 * part of the word before the cursor is completed, and text is inserted at
 * the cursor; words after the cursor are not looked at. The first word
 * completes to command names (`help` included); later words to the
 * command's --options not given yet (when the word starts with '-', or is
 * empty and no positional value with a completion kind is pending; never
 * after "--"), or to values: of an option given as `--name <Tab>` or
 * `--name=<Tab>`, or else of the next positional option not yet filled,
 * when that option has a `complete` kind. Values of SHELL_COMPLETE_COMMAND
 * are the command names and help keywords; the other kinds are asked of
 * shell_config.complete. One match is inserted with a blank after it
 * (unless a blank follows the cursor); several insert their longest common
 * prefix, and when that adds nothing they are listed at once (no second
 * Tab needed), in the order given, under the line, which is then drawn
 * again. No match, or no room left in the line: the terminal bell. Words
 * with quotes or backslashes are not completed, and candidates that would
 * need them (blanks, quotes, backslashes, a leading '#') are left out.
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

/* What Tab offers for an option's value. */
enum shell_complete {
	SHELL_COMPLETE_NONE,	/* nothing */
	SHELL_COMPLETE_DOMAIN,	/* domain names, from shell_config.complete */
	SHELL_COMPLETE_FILE,	/* file names, from shell_config.complete */
	SHELL_COMPLETE_COMMAND,	/* command names, help keywords: the shell */
};

/* One declared option; a command's list ends with an entry whose name is
 * NULL. Positional options are filled in declaration order. */
struct shell_opt {
	const char *name;
	enum shell_opt_type type;
	unsigned flags;
	const char *help;	/* one line for `help CMD` */
	enum shell_complete complete;	/* for string/u64 options */
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

/* Hands one completion candidate to the shell, which copies what it needs
 * before returning. */
typedef void (*shell_complete_add_fn)(void *add_ctx, const char *candidate);

/*
 * Answers Tab for an option value of kind SHELL_COMPLETE_DOMAIN or _FILE:
 * call add(add_ctx, candidate) once for each candidate (all of them: the
 * shell filters by the typed prefix), in the order they should be listed.
 * It may be called twice for one Tab (once to count, once to list), must
 * not print, and must not run shell commands.
 */
typedef void (*shell_complete_fn)(void *ctx, enum shell_complete kind,
				  shell_complete_add_fn add, void *add_ctx);

struct shell_config {
	const struct shell_cmd *cmds;
	size_t ncmds;
	lineedit_out_fn out;
	void *out_ctx;
	void *ctx;		/* for the commands, see shell_ctx() */
	shell_complete_fn complete;	/* may be NULL; called with ctx */
};

/* All fields are private to shell.c; the struct is public only so that the
 * caller can own it (make it static: it holds the line editor). */
struct shell {
	const struct shell_cmd *cmds;
	size_t ncmds;
	lineedit_out_fn out;
	void *out_ctx;
	void *ctx;
	shell_complete_fn complete;
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

/*
 * Internal to kernel/shell.c and kernel/complete.c, not for commands.
 */

/* The command table with the builtins behind it: entries 0 to count-1. */
size_t shell_cmd_count(const struct shell *sh);
const struct shell_cmd *shell_cmd_at(const struct shell *sh, size_t i);
const struct shell_cmd *shell_find_cmd(const struct shell *sh,
				       const char *name);
/* Options cmd declares (at most one past SHELL_MAX_OPTS is counted), and
 * the index of one by name, or -1. */
size_t shell_opt_count(const struct shell_cmd *cmd);
int shell_find_opt(const struct shell_cmd *cmd, const char *name);

/* The line editor's Tab hook; ctx is the struct shell. Uses sh->tok as
 * scratch space. */
void shell_complete_tab(void *ctx, struct lineedit *le);

#endif
