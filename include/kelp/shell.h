/* The console shell: line editing, a tokeniser with sh's quotes and
 * comments and "> PATH" / ">> PATH" redirection of a command's output into
 * a pseudo-fs attribute, Ctrl-C for the command in the foreground, and a
 * command table any subsystem can extend:
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

/* The line editor, separate from the console so tests can drive it. */
enum shell_ed_result {
	SHELL_ED_MORE,	  /* keep feeding */
	SHELL_ED_LINE,	  /* ed->line holds a complete line */
	SHELL_ED_CANCEL,  /* Ctrl-C */
	SHELL_ED_TOOLONG, /* the line ended after exceeding SHELL_LINE_MAX */
};

struct shell_editor {
	char line[SHELL_LINE_MAX + 1];
	size_t len;
	bool overflow;
	bool last_cr; /* swallow the LF of a CRLF */
	int esc;      /* escape-sequence state: 0 none, 1 after ESC, 2 inside CSI */
	bool echo;    /* echo to the console */
};

void shell_editor_reset(struct shell_editor *ed);
enum shell_ed_result shell_editor_feed(struct shell_editor *ed, int c);
