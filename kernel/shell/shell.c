/* The console shell: output redirection into pseudo-fs attributes, the
 * command loop with its history and Tab completion of command names and
 * pseudo-fs paths, Ctrl-C for the command it runs, and the built-in
 * commands (the line editor and the tokeniser are in kernel/shell/line.c).
 * Other subsystems add commands with SHELL_COMMAND (collected in the
 * .shell_cmds section). */
#include <kelp/shell.h>
#include <kelp/seq_file.h>
#include <kelp/pseudofs.h>
#include <kelp/printk.h>
#include <kelp/console.h>
#include <kelp/panic.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/time.h>
#include <arch/cpu.h>

extern const struct shell_cmd __start_shell_cmds[], __stop_shell_cmds[];

/* Where output goes: NULL means the console. */
static struct seq_file *shell_out_sink, *shell_err_sink;
/* The command running was typed at the console (not shell_exec_capture). */
static bool shell_at_console;
/* dmesg -c: records before this sequence number count as cleared. */
static u64 dmesg_clear_seq;

/* ---- output ---- */

static void shell_emit(struct seq_file *sink, const char *s, size_t len)
{
	if (sink)
		seq_write(sink, s, len);
	else
		console_write(s, len);
}

void shell_write(const char *s, size_t len)
{
	shell_emit(shell_out_sink, s, len);
}

static int shell_vemit(struct seq_file *sink, const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	shell_emit(sink, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int shell_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = shell_vemit(shell_out_sink, fmt, ap);
	va_end(ap);
	return n;
}

int shell_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = shell_vemit(shell_err_sink, fmt, ap);
	va_end(ap);
	return n;
}

bool shell_output_redirected(void)
{
	return shell_out_sink && shell_out_sink != shell_err_sink;
}

bool shell_interactive(void)
{
	return shell_at_console && !shell_out_sink;
}

/* ---- dispatch ---- */

static const struct shell_cmd *shell_find(const char *name)
{
	for (const struct shell_cmd *c = __start_shell_cmds; c < __stop_shell_cmds; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int shell_exec_cmdline(struct shell_cmdline *cl)
{
	const struct shell_cmd *cmd;
	if (cl->argc == 0) {
		if (!cl->redirect)
			return 0;
		shell_error("shell: syntax error: missing command before '>'\n");
		return 1;
	}
	cmd = shell_find(cl->argv[0]);
	if (!cmd) {
		shell_error("%s: command not found\n", cl->argv[0]);
		return 127;
	}
	if (!cl->redirect)
		return cmd->fn(cl->argc, cl->argv);

	/* Collect the command's output, then hand all of it to the attribute
	 * in one write, as "echo VALUE > /sys/..." does on Linux. */
	struct seq_file out = SEQ_FILE_INIT;
	struct seq_file *saved = shell_out_sink;
	shell_out_sink = &out;
	int ret = cmd->fn(cl->argc, cl->argv);
	shell_out_sink = saved;
	if (!ret) {
		ssize_t w = seq_has_overflowed(&out) ? -EOVERFLOW
			  : cl->redirect == SHELL_REDIRECT_APPEND
				? pfs_write_append(cl->redirect_path, out.buf ? out.buf : "", out.count)
				: pfs_write(cl->redirect_path, out.buf ? out.buf : "", out.count);
		if (w < 0) {
			shell_error("%s: %s: %s\n", cl->argv[0], cl->redirect_path, strerror((int)w));
			ret = 1;
		}
	}
	seq_file_release(&out);
	return ret;
}

static int shell_exec_parse(const char *line)
{
	struct shell_cmdline cl; /* ~800 bytes: fine on a 16 KiB stack, and reentrant */
	int err = shell_parse_line(line, &cl);
	if (err == -EINVAL) {
		shell_error("shell: syntax error: unterminated quote\n");
		return 2;
	}
	if (err == -E2BIG) {
		shell_error("shell: too many arguments (max %d)\n", SHELL_MAX_ARGS);
		return 2;
	}
	if (err == -EBADMSG) {
		shell_error("shell: syntax error: expected one path after '>'\n");
		return 2;
	}
	return shell_exec_cmdline(&cl);
}

int shell_exec(const char *line)
{
	return shell_exec_parse(line);
}

int shell_exec_capture(const char *line, struct seq_file *out)
{
	struct seq_file *so = shell_out_sink, *se = shell_err_sink;
	bool at_console = shell_at_console;
	shell_out_sink = shell_err_sink = out;
	shell_at_console = false;
	int ret = shell_exec_parse(line);
	shell_out_sink = so;
	shell_err_sink = se;
	shell_at_console = at_console;
	return ret;
}

/* ---- Tab completion ---- */

/* The commands in name order whatever order the linker chose (help and
 * the Tab listing). */
static const struct shell_cmd *shell_next_cmd(const char *after)
{
	const struct shell_cmd *next = NULL;
	for (const struct shell_cmd *c = __start_shell_cmds; c < __stop_shell_cmds; c++)
		if (strcmp(c->name, after) > 0 && (!next || strcmp(c->name, next->name) < 0))
			next = c;
	return next;
}

static void complete_command(struct shell_completion *c)
{
	for (const struct shell_cmd *cmd = shell_next_cmd(""); cmd; cmd = shell_next_cmd(cmd->name))
		shell_completion_add(c, cmd->name, NULL);
}

/* The word is a path: the entries of its directory part that extend its
 * last component. */
static void complete_path(struct shell_completion *c)
{
	char dir[PFS_PATH_MAX + 1], cand[SHELL_LINE_MAX + 1], show[PFS_NAME_MAX + 2];
	struct pfs_dirent de;
	const char *slash = strrchr(c->word, '/');
	size_t dlen = slash ? (size_t)(slash - c->word) + 1 : 0;
	const char *base = c->word + dlen;
	size_t blen = c->len - dlen;

	if (dlen > PFS_PATH_MAX)
		return;
	memcpy(dir, c->word, dlen);
	dir[dlen] = 0;
	for (size_t i = 0; pfs_readdir(dlen ? dir : "/", i, &de) > 0; i++) {
		if (strncmp(de.name, base, blen))
			continue;
		/* dot files only when asked for, as sh does */
		if (de.name[0] == '.' && base[0] != '.')
			continue;
		snprintf(show, sizeof(show), "%s%s", de.name, de.is_dir ? "/" : "");
		if (dlen + strlen(show) > SHELL_LINE_MAX)
			continue;
		snprintf(cand, sizeof(cand), "%s%s", dir, show);
		shell_completion_add(c, cand, show);
	}
}

static void shell_complete(void *arg, struct shell_completion *c, bool command)
{
	(void)arg;
	if (command)
		complete_command(c);
	else if (!strcmp(c->cmd, "spawn") && c->word[0] != '/')
		shell_complete_programs(c);
	else
		complete_path(c);
}

/* ---- the command loop ---- */

static struct shell_history shell_hist;

void shell_run(void)
{
	static struct shell_editor ed = { .echo = true,
					  .prompt = SHELL_PROMPT,
					  .hist = &shell_hist,
					  .complete = shell_complete };
	kprintf("\nKelp shell: type 'help' for the list of commands.\n");
	for (;;) {
		enum shell_ed_result r;
		shell_editor_reset(&ed);
		console_puts(SHELL_PROMPT);
		do
			r = shell_editor_feed(&ed, console_getc());
		while (r == SHELL_ED_MORE);
		if (r == SHELL_ED_LINE) {
			/* Ctrl-C now interrupts the command instead of the line */
			shell_at_console = true;
			console_fg_begin();
			shell_exec(ed.line);
			console_fg_end();
			shell_at_console = false;
		} else if (r == SHELL_ED_TOOLONG) {
			shell_error("shell: line too long (max %d characters)\n", SHELL_LINE_MAX);
		}
	}
}

/* ---- built-in commands ---- */

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (const struct shell_cmd *c = shell_next_cmd(""); c; c = shell_next_cmd(c->name))
		shell_printf("  %-10s %s\n", c->name, c->help);
	return 0;
}
SHELL_COMMAND("help", "list the commands", cmd_help);

static int cmd_dmesg(int argc, char **argv)
{
	char text[256], line[300];
	struct log_record rec;
	bool clear = argc == 2 && !strcmp(argv[1], "-c");
	if (argc > 2 || (argc == 2 && !clear)) {
		shell_error("dmesg: usage: dmesg [-c]\n");
		return 1;
	}
	u64 seq = dmesg_clear_seq, end = log_next_seq(), first = log_first_seq();
	/* the ring keeps the newest records: say what was overwritten since
	 * the start (or the last -c) rather than begin silently later */
	if (seq < first) {
		int n = snprintf(line, sizeof(line), "dmesg: %llu lines lost (the log keeps the newest)\n",
				 (unsigned long long)(first - seq));
		shell_write(line, n);
	}
	while (seq < end && log_read(&seq, &rec, text, sizeof(text))) {
		int n = log_format(&rec, line, sizeof(line) - 1);
		if (n > (int)sizeof(line) - 2)
			n = sizeof(line) - 2;
		line[n++] = '\n';
		shell_write(line, n);
	}
	if (clear)
		dmesg_clear_seq = seq;
	return 0;
}
SHELL_COMMAND("dmesg", "[-c]: print the kernel log (-c: then clear it)", cmd_dmesg);

static int cmd_ls(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/";
	struct pfs_node *n;
	struct pfs_dirent de;
	if (argc > 2) {
		shell_error("ls: usage: ls [PATH]\n");
		return 1;
	}
	int err = pfs_resolve(path, &n);
	if (err) {
		shell_error("ls: %s: %s\n", path, strerror(err));
		return 1;
	}
	if (!pfs_is_dir(n)) {
		shell_printf("%s\n", path);
		return 0;
	}
	for (size_t i = 0; (err = pfs_readdir(path, i, &de)) > 0; i++)
		shell_printf("%s%s\n", de.name, de.is_dir ? "/" : "");
	if (err < 0) {
		shell_error("ls: %s: %s\n", path, strerror(err));
		return 1;
	}
	return 0;
}
SHELL_COMMAND("ls", "[PATH]: list a directory (default /)", cmd_ls);

/* A stream (trace_pipe) at the console: print what is there, then what
 * comes, until Ctrl-C, as cat on Linux's blocks in read. What is there is
 * printed even when Ctrl-C was typed with the command. */
static int cat_follow(const char *path)
{
	for (;;) {
		struct seq_file m = SEQ_FILE_INIT;
		int err = pfs_read(path, &m);
		if (m.count)
			shell_write(m.buf, m.count);
		seq_file_release(&m);
		if (err && err != -EOVERFLOW) {
			shell_error("cat: %s: %s\n", path, strerror(err));
			return 1;
		}
		if (console_interrupted() || pfs_wait(path) == -EINTR)
			return 130; /* 128 + SIGINT, as sh reports it */
	}
}

static int cmd_cat(int argc, char **argv)
{
	int ret = 0;
	if (argc < 2) {
		shell_error("cat: usage: cat PATH...\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		struct pfs_node *n;
		if (shell_interactive() && !pfs_resolve(argv[i], &n) && pfs_is_stream(n)) {
			int r = cat_follow(argv[i]);
			if (r == 130)
				return r;
			ret |= r;
			continue;
		}
		struct seq_file m = SEQ_FILE_INIT;
		int err = pfs_read(argv[i], &m);
		if (m.count)
			shell_write(m.buf, m.count);
		if (err) {
			shell_error("cat: %s: %s\n", argv[i], strerror(err));
			ret = 1;
		}
		seq_file_release(&m);
	}
	return ret;
}
SHELL_COMMAND("cat", "PATH...: print files (a stream such as trace_pipe: until Ctrl-C)", cmd_cat);

/* As sh's: no argument prints an empty line, so "echo > FILE" writes "\n"
 * (which clears set_ftrace_filter, as in Linux). */
static int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		shell_printf("%s%s", i > 1 ? " " : "", argv[i]);
	shell_write("\n", 1);
	return 0;
}
SHELL_COMMAND("echo", "[VALUE...] [> PATH]: print VALUE or write it to an attribute", cmd_echo);

static int cmd_clear(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		shell_error("clear: usage: clear\n");
		return 1;
	}
	shell_printf("%s", SHELL_CLEAR_SCREEN);
	return 0;
}
SHELL_COMMAND("clear", "clear the terminal screen", cmd_clear);

static int cmd_uptime(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	u64 ns = ktime_get_ns();
	shell_printf("up %llu.%02llu seconds\n", (unsigned long long)(ns / NSEC_PER_SEC),
		     (unsigned long long)(ns % NSEC_PER_SEC / (10 * NSEC_PER_MSEC)));
	return 0;
}
SHELL_COMMAND("uptime", "time since boot", cmd_uptime);

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	kprintf("Powering off.\n");
	arch_poweroff();
}
SHELL_COMMAND("poweroff", "turn the machine off", cmd_poweroff);

static int cmd_panic(int argc, char **argv)
{
	char msg[SHELL_LINE_MAX + 1] = "";
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			strlcat(msg, " ", sizeof(msg));
		strlcat(msg, argv[i], sizeof(msg));
	}
	panic("%s", argc > 1 ? msg : "panic command");
}
SHELL_COMMAND("panic", "[MESSAGE]: crash the kernel on purpose (for testing)", cmd_panic);

static int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		shell_error("version: usage: version\n");
		return 1;
	}
	char *cat_argv[] = { "cat", "/proc/version", NULL };
	return cmd_cat(2, cat_argv);
}
SHELL_COMMAND("version", "print the kernel version", cmd_version);
