/*
 * Tab completion for the management shell (behaviour in kernel/shell.h).
 *
 * On Tab the line editor calls shell_complete_tab(), which works in three
 * steps: find the word that ends at the cursor and tokenize the text before
 * it with the shell's own tokenizer (so quoted earlier words count as the
 * parser will see them); decode those words against the command's option
 * declaration the way the parser does, but without complaining; then
 * gather the candidates for that position and insert or list them.
 *
 * Candidates are never stored. One pass counts the matches and keeps their
 * longest common prefix; listing asks the sources a second time and prints
 * each match as it comes. So the caller's callback may run twice per Tab.
 */
#include "kernel/errno.h"
#include "kernel/shell.h"

#define NEWLINE		"\r\n"
#define BELL		"\a"
#define LIST_GAP	"  "		/* between listed candidates */
#define SENTINEL	"x"		/* stands in for an empty word */
#define CSI_SEQ_MAX	32

/* What the word at the cursor stands for. */
enum comp_kind {
	COMP_NONE,		/* nothing to offer */
	COMP_COMMANDS,		/* the command word */
	COMP_OPTIONS,		/* --names the command has not been given */
	COMP_VALUES,		/* an option's value, of kind `values` */
};

/* The word being completed, and what the words before it decoded to. */
struct comp_word {
	const struct shell_cmd *cmd;
	bool given[SHELL_MAX_OPTS];
	bool only_data;		/* a "--" came before: no more options */
	int value_of;		/* option whose value the word is, or -1 */
	char *text;		/* the part to match, in sh->tok.buf */
	size_t len;
	enum comp_kind kind;
	enum shell_complete values;
};

/* Candidates that start with the word: counted with their longest common
 * prefix, or listed. */
struct matcher {
	struct shell *sh;
	const char *word;
	size_t len;
	size_t count;		/* distinct matches */
	size_t first_len;	/* length of the first match */
	char common[LINEEDIT_MAX + 2];	/* room for a blank after it */
	size_t common_len;
	bool listing;
	size_t col;		/* listing: where the next candidate starts */
	size_t cols;
};

/* ---------------------------------------------------------------- output */

static void emit(struct shell *sh, const char *s)
{
	size_t n = strlen(s);

	if (n)
		sh->out(sh->out_ctx, s, n);
}

static void bell(struct shell *sh)
{
	emit(sh, BELL);
}

/* Leave the line being edited for a fresh row below all of it. */
static void leave_line(struct shell *sh, struct lineedit *le)
{
	size_t down = lineedit_rows_below(le);
	char seq[CSI_SEQ_MAX];

	if (down) {
		ksnprintf(seq, sizeof(seq), "\x1b[%zuB", down);
		emit(sh, seq);
	}
	emit(sh, NEWLINE);
}

/* ---------------------------------------------------------------- matching */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_quoting(char c)
{
	return c == '\'' || c == '"' || c == '\\';
}

/* A candidate the line can take as one word without quoting, and that
 * fits in a line. */
static bool plain_word(const char *s)
{
	size_t n = strnlen(s, LINEEDIT_MAX + 1);

	if (n == 0 || n > LINEEDIT_MAX || s[0] == '#')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || is_quoting(s[i]))
			return false;
	return true;
}

/* A row holds at most cols - 1 characters, so that no terminal wraps it
 * on its own. */
static void list_one(struct matcher *m, const char *cand)
{
	size_t n = strlen(cand), gap = sizeof(LIST_GAP) - 1;

	if (m->col > 0 && m->col + gap + n >= m->cols) {
		emit(m->sh, NEWLINE);
		m->col = 0;
	} else if (m->col > 0) {
		emit(m->sh, LIST_GAP);
		m->col += gap;
	}
	emit(m->sh, cand);
	m->col += n;
}

static void keep_common(struct matcher *m, const char *cand)
{
	size_t n = strlen(cand), same = 0;

	if (m->count == 0) {
		memcpy(m->common, cand, n);
		m->common_len = m->first_len = n;
		m->count = 1;
		return;
	}
	while (same < m->common_len && m->common[same] == cand[same])
		same++;
	/* the first match offered again is not a second match */
	if (!(same == m->first_len && n == m->first_len))
		m->count++;
	m->common_len = same;
}

/* The add() callback every candidate source goes through. */
static void match_add(void *ctx, const char *cand)
{
	struct matcher *m = ctx;

	if (!cand || !plain_word(cand) || strncmp(cand, m->word, m->len) != 0)
		return;
	if (m->listing)
		list_one(m, cand);
	else
		keep_common(m, cand);
}

/* ---------------------------------------------------------------- sources */

static void add_commands(struct shell *sh, struct matcher *m)
{
	for (size_t i = 0; i < shell_cmd_count(sh); i++)
		match_add(m, shell_cmd_at(sh, i)->name);
}

/* A group keyword already offered: by an earlier command of the same
 * keyword, or as a command name. */
static bool keyword_offered(struct shell *sh, size_t i)
{
	const char *kw = shell_cmd_at(sh, i)->group->keyword;

	for (size_t j = 0; j < i; j++)
		if (strcmp(shell_cmd_at(sh, j)->group->keyword, kw) == 0)
			return true;
	return shell_find_cmd(sh, kw) != NULL;
}

static void add_keywords(struct shell *sh, struct matcher *m)
{
	for (size_t i = 0; i < shell_cmd_count(sh); i++)
		if (!keyword_offered(sh, i))
			match_add(m, shell_cmd_at(sh, i)->group->keyword);
}

static void add_options(const struct comp_word *w, struct matcher *m)
{
	char name[LINEEDIT_MAX + 1];
	size_t n = MIN(shell_opt_count(w->cmd), SHELL_MAX_OPTS);

	for (size_t i = 0; i < n; i++) {
		int len = ksnprintf(name, sizeof(name), "--%s",
				    w->cmd->opts[i].name);

		if (!w->given[i] && len < (int)sizeof(name))
			match_add(m, name);
	}
}

static void add_values(struct shell *sh, enum shell_complete what,
		       struct matcher *m)
{
	if (what == SHELL_COMPLETE_COMMAND) {
		add_commands(sh, m);
		add_keywords(sh, m);
	} else if (what != SHELL_COMPLETE_NONE && sh->complete) {
		sh->complete(sh->ctx, what, match_add, m);
	}
}

static void gather(struct shell *sh, const struct comp_word *w,
		   struct matcher *m)
{
	switch (w->kind) {
	case COMP_COMMANDS:
		add_commands(sh, m);
		break;
	case COMP_OPTIONS:
		add_options(w, m);
		break;
	case COMP_VALUES:
		add_values(sh, w->values, m);
		break;
	case COMP_NONE:
		break;
	}
}

/* ---------------------------------------------------------------- context */

/*
 * The word being completed is the text from the last blank to the cursor.
 * Tokenize the line up to the cursor into sh->tok (an empty word as
 * SENTINEL, to see where it would go) and require its last word to read
 * back exactly as that text. This leaves alone words with quotes or
 * backslashes (the tokenizer removes them) and text that is no word of its
 * own: inside quotes, after an escaped blank, or in a comment.
 */
static bool find_word(struct shell *sh, struct lineedit *le,
		      struct comp_word *w)
{
	const char *text = lineedit_text(le);
	size_t cursor = lineedit_cursor(le), start = cursor;
	char line[SHELL_LINE_MAX + sizeof(SENTINEL)];
	struct shell_tokens *t = &sh->tok;

	while (start > 0 && !is_blank(text[start - 1]))
		start--;
	memcpy(line, text, cursor);
	memcpy(line + cursor, SENTINEL, sizeof(SENTINEL));
	if (start < cursor)
		line[cursor] = '\0';
	if (shell_tokenize(t, line) < 0 || t->argc == 0 ||
	    strcmp(t->argv[t->argc - 1], line + start) != 0)
		return false;
	w->text = t->argv[t->argc - 1];
	w->len = cursor - start;
	w->text[w->len] = '\0';
	return true;
}

/* The option a "name" or "name=value" word names, or -1; the word is split
 * at '=' in place and *value set after it (NULL without '='). */
static int word_opt(const struct shell_cmd *cmd, char *name, char **value)
{
	*value = strchr(name, '=');
	if (*value)
		*(*value)++ = '\0';
	return shell_find_opt(cmd, name);
}

static int next_positional(const struct comp_word *w)
{
	size_t n = MIN(shell_opt_count(w->cmd), SHELL_MAX_OPTS);

	for (size_t i = 0; i < n; i++)
		if ((w->cmd->opts[i].flags & SHELL_OPT_POSITIONAL) &&
		    !w->given[i])
			return (int)i;
	return -1;
}

/* One word before the one being completed, as parse_args() takes it.
 * Returns how many more words it used up (a value). */
static size_t decode_one(struct comp_word *w, char *word, bool last)
{
	char *value;
	int idx;

	if (w->only_data || strncmp(word, "--", 2) != 0) {
		idx = next_positional(w);
		if (idx >= 0)
			w->given[idx] = true;
		return 0;
	}
	if (word[2] == '\0') {
		w->only_data = true;
		return 0;
	}
	idx = word_opt(w->cmd, word + 2, &value);
	if (idx < 0)
		return 0;
	w->given[idx] = true;
	if (value || w->cmd->opts[idx].type == SHELL_OPT_BOOL)
		return 0;
	if (last)
		w->value_of = idx;	/* the word being completed */
	return last ? 0 : 1;
}

static void want_values(struct comp_word *w, enum shell_complete what)
{
	w->kind = what == SHELL_COMPLETE_NONE ? COMP_NONE : COMP_VALUES;
	w->values = what;
}

/* A word being completed that starts with '-': an option name, or
 * "--name=" and the start of its value. */
static void classify_dash(struct comp_word *w)
{
	char *value;
	int idx;

	w->kind = COMP_OPTIONS;
	if (strncmp(w->text, "--", 2) != 0 || !strchr(w->text, '='))
		return;
	idx = word_opt(w->cmd, w->text + 2, &value);
	w->kind = COMP_NONE;
	if (idx < 0 || w->cmd->opts[idx].type == SHELL_OPT_BOOL)
		return;
	w->len -= (size_t)(value - w->text);
	w->text = value;
	want_values(w, w->cmd->opts[idx].complete);
}

static void classify(struct comp_word *w)
{
	int pos = next_positional(w);
	enum shell_complete pos_values =
		pos < 0 ? SHELL_COMPLETE_NONE : w->cmd->opts[pos].complete;

	if (w->value_of >= 0)
		want_values(w, w->cmd->opts[w->value_of].complete);
	else if (!w->only_data && w->text[0] == '-')
		classify_dash(w);
	else if (!w->only_data && w->len == 0 &&
		 pos_values == SHELL_COMPLETE_NONE)
		w->kind = COMP_OPTIONS;
	else
		want_values(w, pos_values);
}

/* Decide what the word stands for from the words in sh->tok before it. */
static void decode_words(struct shell *sh, struct comp_word *w)
{
	struct shell_tokens *t = &sh->tok;
	size_t n = t->argc - 1;		/* words before the one completed */

	w->value_of = -1;
	if (n == 0) {
		w->kind = COMP_COMMANDS;
		return;
	}
	w->cmd = shell_find_cmd(sh, t->argv[0]);
	if (!w->cmd) {
		w->kind = COMP_NONE;
		return;
	}
	for (size_t i = 1; i < n; i++)
		i += decode_one(w, t->argv[i], i + 1 == n);
	classify(w);
}

/* ---------------------------------------------------------------- action */

/* Insert what the matches add to the word, and a blank after a unique
 * match unless one follows already. */
static void insert_common(struct shell *sh, struct lineedit *le,
			  struct matcher *m, bool unique)
{
	size_t n = m->common_len;

	if (unique && !is_blank(lineedit_text(le)[lineedit_cursor(le)]))
		m->common[n++] = ' ';
	if (n > m->len &&
	    lineedit_insert(le, m->common + m->len, n - m->len) < 0)
		bell(sh);
}

static void list_matches(struct shell *sh, struct lineedit *le,
			 const struct comp_word *w, struct matcher *m)
{
	leave_line(sh, le);
	m->listing = true;
	m->col = 0;
	gather(sh, w, m);
	emit(sh, NEWLINE);
	lineedit_refresh(le);
}

static void complete_word(struct shell *sh, struct lineedit *le,
			  const struct comp_word *w)
{
	struct matcher m = {
		.sh = sh,
		.word = w->text,
		.len = w->len,
		.cols = lineedit_width(le),
	};

	gather(sh, w, &m);
	if (m.count == 0)
		bell(sh);
	else if (m.count == 1)
		insert_common(sh, le, &m, true);
	else if (m.common_len > m.len)
		insert_common(sh, le, &m, false);
	else
		list_matches(sh, le, w, &m);
}

void shell_complete_tab(void *ctx, struct lineedit *le)
{
	struct shell *sh = ctx;
	struct comp_word w;

	memset(&w, 0, sizeof(w));
	if (!find_word(sh, le, &w)) {
		bell(sh);
		return;
	}
	decode_words(sh, &w);
	if (w.kind == COMP_NONE)
		bell(sh);
	else
		complete_word(sh, le, &w);
}
