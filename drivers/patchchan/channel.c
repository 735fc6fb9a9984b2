/* The patch channel on COM2 (docs/PROTOCOL.md): a kernel thread drains
 * COM2's receive ring (woken by the UART's receive interrupt), feeds the
 * frame decoder and the patchchan_session, and runs what the host asks: load a
 * blob, unload, list, dmesg, and enable/disable/wait a livepatch through
 * its sysfs files (/sys/kernel/livepatch/NAME/{enabled,transition}).
 *
 * Off under "selftest" and "bench" (the serial self-test owns COM2 then)
 * and with klp.channel=0. */
#define pr_fmt(fmt) "patchchan: " fmt
#include "proto.h"
#include "auth.h"
#include "logcap.h"
#include <kelp/module.h>
#include <kelp/serial.h>
#include <kelp/sched.h>
#include <kelp/wait.h>
#include <kelp/time.h>
#include <kelp/mm.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/printk.h>
#include <kelp/cmdline.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/patchchan.h>

#define PATCHCHAN_LIMIT (1u << 20)
/* A frame and its duplicate must fit in COM2's receive ring (kelp/serial.h). */
BUILD_BUG_ON(SERIAL_RX_RING < 2 * PATCHCHAN_FRAME_MAX);
#define WAIT_TIMEOUT_MS 60000
/* What the ACK to a request promises (docs/PROTOCOL.md): a load verifies,
 * links and initialises the module; an unload runs its exit. */
#define LOAD_BUDGET_MS 30000
#define UNLOAD_BUDGET_MS 30000
#define CMD_BUDGET_MS 10000

static DECLARE_WAIT_QUEUE_HEAD(rx_wait);
static volatile bool rx_pending;
static struct patchchan_session *session;
/* Guest time when the current burst of input began (after 1 s of quiet):
 * the start of a transfer, for the throughput line of each load. */
static u64 burst_start_ms, burst_bytes, last_rx_ms;
static bool burst_seen;

static void rx_notify(int port)
{
	(void)port;
	rx_pending = true;
	wake_up(&rx_wait);
}

static void chan_send(void *ctx, const void *frame, size_t len)
{
	(void)ctx;
	serial_write(SERIAL_PATCH, frame, len);
}

static void *chan_alloc(size_t size)
{
	return kmalloc(size);
}

static void chan_free(void *p, size_t size)
{
	(void)size;
	kfree(p);
}

static int chan_load(void *ctx, const u8 *blob, u32 len, const char *name, const char *params,
		     char *out, size_t outlen)
{
	struct module *mod;
	(void)ctx;
	int err = patchchan_auth_load(session->xfer.has_auth ? session->xfer.auth : NULL, name,
				      params, blob, len, out, outlen);
	if (err) {
		pr_debug("refused to load %s: %s\n", name, out);
		return err;
	}
	u64 ms = ktime_get_ms() - burst_start_ms;
	/* a debug site (module patchchan): Linux's default log has no such line */
	pr_debug("received %s: %u bytes in %llu ms of guest time (%llu bytes/s on the wire)\n", name,
		len, (unsigned long long)ms,
		(unsigned long long)(ms ? burst_bytes * 1000 / ms : 0));
	u64 logseq = patchchan_logcap_begin();
	err = module_load(blob, len, params, &mod, out, outlen);
	if (err) {
		patchchan_logcap_reason(logseq, out, outlen);
		/* klpctl gets the reason; Linux's log has no line for a
		 * refused insmod either, so this is a debug site */
		pr_debug("loading %s failed: %s (%d)\n", name, out, err);
		return err;
	}
	if (strcmp(mod->name, name))
		snprintf(out, outlen, "loaded %s (sent as %s)", mod->name, name);
	return 0;
}

/* The newest log lines that fit into out. */
static int chan_dmesg(char *out, size_t outlen)
{
	char text[256], line[300];
	struct log_record rec;
	u64 first = log_first_seq(), end = log_next_seq(), seq;
	size_t total = 0;

	/* walk back from the end until the buffer is full */
	while (end > first) {
		seq = end - 1;
		u64 s = seq;
		if (!log_read(&s, &rec, text, sizeof(text)))
			break;
		size_t n = log_format(&rec, line, sizeof(line)) + 1;
		if (total + n + 1 > outlen)
			break;
		total += n;
		end = seq;
	}
	size_t pos = 0;
	for (seq = end; seq < log_next_seq() && pos + 1 < outlen;) {
		if (!log_read(&seq, &rec, text, sizeof(text)))
			break;
		int n = log_format(&rec, line, sizeof(line));
		if (pos + n + 2 > outlen)
			break;
		memcpy(out + pos, line, n);
		pos += n;
		out[pos++] = '\n';
	}
	out[pos] = 0;
	return 0;
}

static int lp_path(char *path, size_t len, const char *name, const char *file)
{
	return snprintf(path, len, "/sys/kernel/livepatch/%s/%s", name, file);
}

static int lp_read_int(const char *name, const char *file, int *val)
{
	char path[PFS_PATH_MAX];
	struct seq_file m = SEQ_FILE_INIT;
	lp_path(path, sizeof(path), name, file);
	int err = pfs_read(path, &m);
	if (!err && !m.count)
		err = -EINVAL;
	if (!err) {
		if (m.buf[m.count - 1] == '\n')
			m.buf[m.count - 1] = 0;
		if (kstrtoint(m.buf, 10, val))
			err = -EINVAL;
	}
	kfree(m.buf);
	return err;
}

static int chan_livepatch(const char *verb, const char *name, char *out, size_t outlen)
{
	char path[PFS_PATH_MAX];
	if (!strcmp(verb, "wait")) {
		u64 start = ktime_get_ms();
		for (;;) {
			int tr;
			int err = lp_read_int(name, "transition", &tr);
			/* A disabled patch is freed when its transition completes
			 * (Linux): its directory goes, its module stays loaded. */
			struct module *mod = find_module(name);
			if (err == -ENOENT && mod && mod->klp) {
				snprintf(out, outlen, "%s: transition complete (disabled)", name);
				return 0;
			}
			if (err) {
				snprintf(out, outlen, "no livepatch %s (%d)", name, err);
				return err == -ENOENT ? -ENOENT : err;
			}
			if (!tr)
				break;
			if (ktime_get_ms() - start > WAIT_TIMEOUT_MS) {
				snprintf(out, outlen,
					 "%s: still in transition after %d s of waiting for its"
					 " transition to finish",
					 name, WAIT_TIMEOUT_MS / 1000);
				return -ETIMEDOUT;
			}
			msleep(20);
		}
		int en = 0;
		lp_read_int(name, "enabled", &en);
		snprintf(out, outlen, "%s: transition complete (%s)", name,
			 en ? "enabled" : "disabled");
		return 0;
	}
	bool enable = !strcmp(verb, "enable");
	lp_path(path, sizeof(path), name, "enabled");
	ssize_t r = pfs_write(path, enable ? "1" : "0", 1);
	if (r < 0) {
		if (r == -ENOENT)
			snprintf(out, outlen, "no livepatch %s", name);
		else
			snprintf(out, outlen, "%s %s failed: %s", verb, name, errno_name((int)r));
		return (int)r;
	}
	snprintf(out, outlen, "%s: %s", name, enable ? "enabling" : "disabling");
	return 0;
}

static int chan_cmd(void *ctx, const char *cmd, char *out, size_t outlen)
{
	char verb[16], name[MODULE_NAME_LEN];
	(void)ctx;
	int err = patchchan_auth_cmd(&cmd, out, outlen);
	if (err) {
		pr_debug("refused a request: %s\n", out);
		return err;
	}
	int fs = patchchan_fs_cmd(cmd, out, outlen);
	if (fs != -ENOSYS)
		return fs;
	const char *sp = strchr(cmd, ' ');
	size_t vl = sp ? (size_t)(sp - cmd) : strlen(cmd);
	if (vl >= sizeof(verb)) {
		snprintf(out, outlen, "unknown command");
		return -EINVAL;
	}
	memcpy(verb, cmd, vl);
	verb[vl] = 0;
	name[0] = 0;
	if (sp) {
		while (*sp == ' ')
			sp++;
		if (strlen(sp) >= sizeof(name) || strchr(sp, ' ') || strchr(sp, '/')) {
			snprintf(out, outlen, "bad name");
			return -EINVAL;
		}
		strlcpy(name, sp, sizeof(name));
	}
	bool needs_name = strcmp(verb, "list") && strcmp(verb, "dmesg") && strcmp(verb, "nonce") &&
			  strcmp(verb, "status");
	if (needs_name != !!name[0]) {
		snprintf(out, outlen,
			 "usage: unload|enable|disable|wait NAME, list, dmesg, nonce, status");
		return -EINVAL;
	}
	if (!strcmp(verb, "nonce"))
		return patchchan_nonce_issue(out, outlen);
	if (!strcmp(verb, "status"))
		return patchchan_auth_status(out, outlen);
	if (!strcmp(verb, "list")) {
		module_format_list(out, outlen);
		return 0;
	}
	if (!strcmp(verb, "dmesg"))
		return chan_dmesg(out, outlen);
	u64 logseq = patchchan_logcap_begin();
	if (!strcmp(verb, "unload"))
		err = module_unload(name, out, outlen);
	else if (!strcmp(verb, "enable") || !strcmp(verb, "disable") || !strcmp(verb, "wait"))
		err = chan_livepatch(verb, name, out, outlen);
	else {
		snprintf(out, outlen, "unknown command '%s'", verb);
		return -EINVAL;
	}
	if (err && strcmp(verb, "wait"))
		patchchan_logcap_reason(logseq, out, outlen);
	return err;
}

static u32 chan_budget(void *ctx, const char *name, const char *cmd, char *what, size_t len)
{
	(void)ctx;
	/* "auth NONCE SIG CMD": what it does is CMD */
	if (cmd && !strncmp(cmd, "auth ", 5) &&
	    strlen(cmd) > 5 + 2 * (PATCHCHAN_NONCE_LEN + PATCHCHAN_AUTH_SIG_LEN) + 2)
		cmd += 5 + 2 * (PATCHCHAN_NONCE_LEN + PATCHCHAN_AUTH_SIG_LEN) + 2;
	if (!cmd) {
		snprintf(what, len, "loading %s", name);
		return LOAD_BUDGET_MS;
	}
	if (!strncmp(cmd, "wait ", 5)) {
		snprintf(what, len, "the transition of %s to finish", cmd + 5);
		return WAIT_TIMEOUT_MS + 1000;
	}
	if (!strncmp(cmd, "unload ", 7)) {
		snprintf(what, len, "unloading %s", cmd + 7);
		return UNLOAD_BUDGET_MS;
	}
	snprintf(what, len, "%s", cmd);
	return CMD_BUDGET_MS;
}

static const struct patchchan_session_ops chan_ops = {
	.send = chan_send,
	.load = chan_load,
	.cmd = chan_cmd,
	.budget = chan_budget,
};

static int patchchan_thread(void *data)
{
	u8 buf[256];
	(void)data;
	for (;;) {
		size_t n = 0;
		int c;
		rx_pending = false;
		while (n < sizeof(buf) && (c = serial_read_byte(SERIAL_PATCH)) >= 0)
			buf[n++] = (u8)c;
		if (n) {
			u64 now = ktime_get_ms();
			/* the first burst too, even within 1 s of boot */
			if (!burst_seen || now - last_rx_ms > 1000) {
				burst_seen = true;
				burst_start_ms = now;
				burst_bytes = 0;
			}
			last_rx_ms = now;
			burst_bytes += n;
			patchchan_session_feed(session, buf, n, ktime_get_ms());
			continue;
		}
		patchchan_session_tick(session, ktime_get_ms());
		DEFINE_WAIT(w);
		prepare_to_wait(&rx_wait, &w, TASK_INTERRUPTIBLE);
		if (!rx_pending)
			schedule_timeout(HZ);
		finish_wait(&rx_wait, &w);
	}
	return 0;
}

void patchchan_start(void)
{
	char val[8];
	if (cmdline_has("selftest") || cmdline_has("bench") ||
	    (cmdline_get("klp.channel", val, sizeof(val)) && !strcmp(val, "0")))
		return;
	if (!serial_present(SERIAL_PATCH)) {
		pr_info("no COM2: patch channel off\n");
		return;
	}
	session = kmalloc(sizeof(*session));
	if (!session) {
		pr_err("no memory for the session\n");
		return;
	}
	patchchan_session_init(session, &chan_ops, NULL, PATCHCHAN_LIMIT, chan_alloc, chan_free);
	serial_set_rx_notify(SERIAL_PATCH, rx_notify);
	if (!kthread_run(patchchan_thread, NULL, "patchchan")) {
		serial_set_rx_notify(SERIAL_PATCH, NULL);
		kfree(session);
		session = NULL;
		pr_err("cannot start the channel thread\n");
		return;
	}
	pr_info("listening on COM2 (limit %u bytes)\n", PATCHCHAN_LIMIT);
}
