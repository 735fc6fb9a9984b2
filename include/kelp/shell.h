/* The console shell: line editing (history, cursor, Tab completion), a
 * tokeniser with sh's quotes and comments and "> PATH" / ">> PATH"
 * redirection of a command's output into a pseudo-fs attribute, Ctrl-C for
 * the command in the foreground, and a command table any subsystem can
 * extend:
 *
 *   static int cmd_ps(int argc, char **argv) { ... return 0; }
 *   SHELL_COMMAND("ps", "list tasks", cmd_ps);
 *
 * Handlers print results with shell_printf (redirectable) and problems with
 * shell_error, and return 0 on success. */
#pragma once
#include <kelp/compiler.h>

struct seq_file;

#define SHELL_LINE_MAX 255
#define SHELL_MAX_ARGS 32
#define SHELL_PROMPT "kelp# "

struct shell_cmd {
	const char *name;
	const char *help;
	int (*fn)(int argc, char **argv);
};

#define SHELL_COMMAND(name_, help_, fn_)                                                           \
	static const struct shell_cmd __shell_cmd_##fn_ __used __section(".shell_cmds")            \
		__aligned(8) = { name_, help_, fn_ }

void shell_run(void);

/* Output for command handlers: stdout may be redirected, errors are not. */
int shell_printf(const char *fmt, ...) __printf(1, 2);
void shell_write(const char *s, size_t len);
int shell_error(const char *fmt, ...) __printf(1, 2);
/* True while the running command's stdout goes to a file. */
bool shell_output_redirected(void);
/* True while the running command was typed at the console and prints to
 * it: it may wait for the user (a stream, a program in the foreground)
 * and Ctrl-C interrupts it (console_interrupted(), -EINTR from its
 * interruptible sleeps). False for shell_exec_capture and redirections. */
bool shell_interactive(void);

#define SHELL_REDIRECT_NONE 0
#define SHELL_REDIRECT_WRITE 1  /* > */
#define SHELL_REDIRECT_APPEND 2 /* >> (pfs_write_append) */

struct shell_cmdline {
	int argc;
	char *argv[SHELL_MAX_ARGS + 1]; /* NULL-terminated */
	int redirect;
	char *redirect_path;
	char buf[2 * (SHELL_LINE_MAX + 1)]; /* the tokens point in here */
};

/* Split line into words as sh does, without expansions: blanks separate;
 * '...' groups literally, "..." groups with \ escaping \ " $ ` (quotes are
 * removed, may join adjacent text, '' or "" is an empty word); outside
 * quotes \ takes the next byte literally; a word starting with an unquoted
 * # is a comment to the end of the line; an unquoted > or >> starts a
 * redirection even without spaces ("echo 1>/x"). Returns 0, -EINVAL for an
 * unterminated quote, -E2BIG for too many words or too long a line,
 * -EBADMSG for a redirection without a path or a second redirection.
 * A pure function of line: the host tests and the fuzzer call it. */
int shell_parse_line(const char *line, struct shell_cmdline *cl);

/* Run one command line as if typed; returns the command's result (non-zero
 * on any error). With out != NULL all output (stdout and errors) is
 * appended to out instead of the console (for tests). */
int shell_exec(const char *line);
int shell_exec_capture(const char *line, struct seq_file *out);

/* The line editor, separate from the console so tests can drive it:
 * history (up/down, Ctrl-P/N), cursor movement (left/right, Home/End,
 * Ctrl-A/E/B/F), Ctrl-W (word), Ctrl-U (to the start), Ctrl-K (to the end),
 * Delete and Ctrl-D (under the cursor), Ctrl-L (clear the screen), Tab
 * (completion, through complete; a second Tab lists the candidates). */
enum shell_ed_result {
	SHELL_ED_MORE,	  /* keep feeding */
	SHELL_ED_LINE,	  /* ed->line holds a complete line */
	SHELL_ED_CANCEL,  /* Ctrl-C */
	SHELL_ED_TOOLONG, /* the line ended after exceeding SHELL_LINE_MAX */
};

/* VT100: cursor home, clear the screen and the scrollback (`clear`, Ctrl-L). */
#define SHELL_CLEAR_SCREEN "\x1b[H\x1b[2J\x1b[3J"

#define SHELL_HISTORY 32
struct shell_history {
	char lines[SHELL_HISTORY][SHELL_LINE_MAX + 1];
	unsigned int count; /* lines held */
	unsigned int next;  /* slot of the next line */
};
/* Blank lines and a repeat of the newest line are not kept. */
void shell_history_add(struct shell_history *h, const char *line);

/* What Tab completes: the word before the cursor, after the last blank or
 * '>'. The completer calls shell_completion_add for each candidate. */
struct shell_completion {
	const char *word; /* the word so far (len bytes, NUL-terminated) */
	size_t len;
	bool list;        /* print the candidates (show) instead of collecting */
	int count;        /* candidates so far */
	char common[SHELL_LINE_MAX + 1]; /* their longest common prefix */
	size_t common_len;
	size_t col; /* listing: the column reached */
	char cmd[16]; /* for an argument: the line's first word ("" if longer) */
	char wordbuf[SHELL_LINE_MAX + 1];
};
/* cand: the whole word it would become (a directory's ends in '/'); show:
 * what a listing prints (NULL: cand). Candidates that do not extend the
 * word are ignored. */
void shell_completion_add(struct shell_completion *c, const char *cand, const char *show);
/* Tab after "spawn ": -w and the user programs (kernel/user/user.c). */
void shell_complete_programs(struct shell_completion *c);
/* command: the word is the line's first (a command name), else an argument. */
typedef void (*shell_complete_t)(void *arg, struct shell_completion *c, bool command);

struct shell_editor {
	char line[SHELL_LINE_MAX + 1];
	size_t len;
	size_t pos;   /* the cursor, 0..len */
	bool overflow;
	bool last_cr; /* swallow the LF of a CRLF */
	int esc;      /* escape-sequence state: 0 none, 1 after ESC, 2 inside CSI, 3 after ESC O */
	int esc_param;
	bool echo;    /* echo to the console */
	/* optional */
	const char *prompt;        /* reprinted after a listing or Ctrl-L */
	struct shell_history *hist; /* NULL: no history */
	shell_complete_t complete;  /* NULL: Tab does nothing */
	void *complete_arg;
	/* owned by the editor */
	unsigned int hist_pos; /* 0: the line being typed; k: the k-th newest */
	unsigned int tabs;     /* Tabs in a row */
	char saved[SHELL_LINE_MAX + 1]; /* the line being typed, while browsing history */
};

/* Start a new line; keeps the history and the callbacks. */
void shell_editor_reset(struct shell_editor *ed);
/* Feed one input byte (any int: values outside 0..255 are ignored). */
enum shell_ed_result shell_editor_feed(struct shell_editor *ed, int c);
