/* Self-tests for printk and the log ring (kernel/printk.c): levels,
 * sequence numbers, KERN_CONT, truncation, log_read and log_format. The
 * console is silenced while they print so the KTAP output stays clean. */
#include <kelp/ktest.h>
#include <kelp/printk.h>
#include <kelp/string.h>

struct quiet {
	int saved;
};

static struct quiet quiet_begin(void)
{
	struct quiet q = { console_loglevel };
	console_loglevel = 0;
	return q;
}

static void quiet_end(struct quiet q)
{
	console_loglevel = q.saved;
}

/* The next record from *seq, text in buf. */
static bool next_rec(u64 *seq, struct log_record *rec, char *buf, size_t size)
{
	return log_read(seq, rec, buf, size);
}

KTEST(printk, levels_and_sequence)
{
	struct quiet q = quiet_begin();
	u64 seq = log_next_seq(), first = seq;
	printk(KERN_ERR "ktest-printk: err %d\n", 3);
	printk(KERN_DEBUG "ktest-printk: debug\n");
	printk("ktest-printk: default\n");
	pr_warn("ktest-printk: warn %s\n", "x");
	quiet_end(q);

	static const struct { int level; const char *text; } want[] = {
		{ 3, "ktest-printk: err 3" },
		{ 7, "ktest-printk: debug" },
		{ LOGLEVEL_DEFAULT, "ktest-printk: default" },
		{ 4, "ktest-printk: warn x" },
	};
	KEXPECT_EQ(log_next_seq(), first + ARRAY_SIZE(want));
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		struct log_record rec;
		char buf[128];
		if (!KEXPECT_TRUE(next_rec(&seq, &rec, buf, sizeof(buf))))
			return;
		KEXPECT_EQ(rec.seq, first + i);
		KEXPECT_EQ(rec.level, want[i].level);
		KEXPECT_STREQ(rec.text, want[i].text);
		KEXPECT_EQ(rec.len, strlen(want[i].text));
	}
	KEXPECT_EQ(seq, log_next_seq());
}

KTEST(printk, cont_lines)
{
	struct quiet q = quiet_begin();
	u64 seq = log_next_seq();
	printk(KERN_NOTICE "ktest-cont: a");
	pr_cont("b%d", 2);
	pr_cont("c\n");
	/* two lines in one call make two records */
	printk(KERN_DEBUG "ktest-cont: one\nktest-cont: two\n");
	quiet_end(q);

	struct log_record rec;
	char buf[128];
	KASSERT_TRUE(next_rec(&seq, &rec, buf, sizeof(buf)));
	KEXPECT_STREQ(rec.text, "ktest-cont: ab2c");
	KEXPECT_EQ(rec.level, 5);
	KASSERT_TRUE(next_rec(&seq, &rec, buf, sizeof(buf)));
	KEXPECT_STREQ(rec.text, "ktest-cont: one");
	KASSERT_TRUE(next_rec(&seq, &rec, buf, sizeof(buf)));
	KEXPECT_STREQ(rec.text, "ktest-cont: two");
	KEXPECT_EQ(rec.level, 7);
	KEXPECT_FALSE(next_rec(&seq, &rec, buf, sizeof(buf)));
}

KTEST(printk, long_message_is_truncated)
{
	static char big[700];
	struct quiet q = quiet_begin();
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	u64 seq = log_next_seq();
	int n = printk(KERN_DEBUG "%s\n", big);
	printk(KERN_DEBUG "ktest-after-long\n");
	quiet_end(q);

	KEXPECT_GT(n, 0);
	struct log_record rec;
	static char buf[1024];
	memset(buf, 0, sizeof(buf));
	KASSERT_TRUE(next_rec(&seq, &rec, buf, sizeof(buf)));
	KEXPECT_GT(rec.len, 100);
	KEXPECT_LT(rec.len, sizeof(big) - 1);
	KEXPECT_EQ(strlen(buf), rec.len);
	bool all_x = true;
	for (size_t i = 0; i < rec.len; i++)
		all_x &= buf[i] == 'x';
	KEXPECT_TRUE(all_x);
	/* the record after it is intact */
	KASSERT_TRUE(next_rec(&seq, &rec, buf, sizeof(buf)));
	KEXPECT_STREQ(rec.text, "ktest-after-long");
}

KTEST(printk, log_read_small_buffer_and_iteration)
{
	struct quiet q = quiet_begin();
	u64 start = log_next_seq();
	for (int i = 0; i < 5; i++)
		printk(KERN_DEBUG "ktest-iter %d of five\n", i);
	quiet_end(q);

	u64 seq = start, last = 0;
	struct log_record rec;
	char buf[8];
	int n = 0;
	while (next_rec(&seq, &rec, buf, sizeof(buf))) {
		if (n)
			KEXPECT_EQ(rec.seq, last + 1);
		last = rec.seq;
		/* cut to the buffer, still NUL-terminated */
		KEXPECT_STREQ(buf, "ktest-i");
		KEXPECT_EQ(rec.len, 7);
		n++;
	}
	KEXPECT_EQ(n, 5);
	/* a sequence number older than the ring starts at the oldest record */
	seq = 0;
	KEXPECT_TRUE(next_rec(&seq, &rec, buf, sizeof(buf)));
	KEXPECT_EQ(rec.seq, log_first_seq());
}

KTEST(printk, log_format_timestamp)
{
	char out[64];
	struct log_record rec = { .seq = 1, .ts_ns = 1234567891ULL, .level = 6,
				  .text = "hello world", .len = 5 };
	KEXPECT_EQ(log_format(&rec, out, sizeof(out)), 20);
	KEXPECT_STREQ(out, "[    1.234567] hello");
	rec.ts_ns = 12345ULL * 1000000000ULL + 999999999ULL;
	rec.len = 11;
	log_format(&rec, out, sizeof(out));
	KEXPECT_STREQ(out, "[12345.999999] hello world");
	rec.ts_ns = 0;
	log_format(&rec, out, sizeof(out));
	KEXPECT_STREQ(out, "[    0.000000] hello world");
}
