/* Livepatch self-tests: Linux's livepatch selftest scenarios (basic,
 * stacked, atomic replace, callbacks, shadow variables, states, ftrace
 * conflict, busy target, force, sysfs) driven through the built-in test
 * modules, plus Kelp's own: the consistency checker and nop removal. Log
 * lines are checked in order from the log ring, as Linux's check_result
 * does with dmesg. */
#include <kelp/ktest.h>
#include <kelp/rcupdate.h>
#include <kelp/livepatch.h>
#include <kelp/module.h>
#include <kelp/ftrace.h>
#include <kelp/ksyms.h>
#include <kelp/pseudofs.h>
#include <kelp/seq_file.h>
#include <kelp/printk.h>
#include <kelp/sched.h>
#include <kelp/wait.h>
#include <kelp/mm.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/user.h>

#define LP "/sys/kernel/livepatch/"
#define LINE_MAX_LEN 200
#define MAX_LINES 64

extern int test_klp_atomic_replace_replace;
extern int test_klp_callbacks_demo_pre_patch_ret;
extern int test_klp_callbacks_demo2_replace;
extern bool test_klp_callbacks_busy_block;

static char lines[MAX_LINES][LINE_MAX_LEN];

/* The livepatch and test_klp lines logged since seq, minus Kelp's own
 * duration and loader lines: what Linux's check_result compares. With sequence_only,
 * also minus the retry diagnostics that are timing: a task that "is
 * running" or "is sleeping on function ..." when a retry ran (e.g. before a
 * reverse took effect), and the idle task's "unreliable stack" (the tick can
 * catch it in an interrupt). Any other task's unreliable stack stays in the
 * sequence and fails the comparison: a stack that became unreliable is a
 * bug, not timing. */
static int log_collect(u64 seq, bool sequence_only)
{
	static char buf[512];
	struct log_record rec;
	int n = 0;
	while (n < MAX_LINES && log_read(&seq, &rec, buf, sizeof(buf))) {
		if (!strstr(buf, "livepatch: ") && !strstr(buf, "test_klp"))
			continue;
		/* Kelp's loader lines ("module: unloaded test_klp_..."): Linux's
		 * insmod and rmmod print nothing, so its sequences have none */
		if (!strncmp(buf, "module: ", 8))
			continue;
		if (strstr(buf, "transition took"))
			continue;
		if (sequence_only && strstr(buf, "klp_try_switch_task: ") &&
		    (strstr(buf, " is running") || strstr(buf, " repeated diagnostics ") || strstr(buf, " is sleeping on function ") ||
		     strstr(buf, "klp_try_switch_task: idle:0 has an unreliable stack")))
			continue;
		strlcpy(lines[n], buf, LINE_MAX_LEN);
		size_t l = strlen(lines[n]);
		if (l && lines[n][l - 1] == '\n')
			lines[n][l - 1] = 0;
		n++;
	}
	return n;
}

static bool log_contains(u64 seq, const char *needle)
{
	int n = log_collect(seq, false);
	for (int i = 0; i < n; i++)
		if (strstr(lines[i], needle))
			return true;
	return false;
}

#define expect_log(seq, ...)                                                                       \
	do {                                                                                       \
		static const char *const __want[] = { __VA_ARGS__ };                               \
		int __n = log_collect(seq, true);                                                  \
		KEXPECT_EQ(__n, (int)ARRAY_SIZE(__want));                                          \
		for (int __i = 0; __i < __n && __i < (int)ARRAY_SIZE(__want); __i++)               \
			KEXPECT_STREQ(lines[__i], __want[__i]);                                    \
	} while (0)

/* As Linux's selftest harness (functions.sh, setup_config): livepatch's
 * pr_debug lines on, klp_try_switch_task's retry diagnostics off. The
 * expected sequences below are Linux's, so they hold those lines. */
static void lp_debug_like_linux(struct ktest *t)
{
	KEXPECT_GT(ddebug_exec_queries("file kernel/livepatch/* +p; func klp_try_switch_task -p"), 0);
}

static bool read_file(const char *path, char *out, size_t size)
{
	struct seq_file m = SEQ_FILE_INIT;
	int ret = pfs_read(path, &m);
	if (ret || !m.buf) {
		seq_file_release(&m);
		out[0] = 0;
		return false;
	}
	strlcpy(out, m.buf, size);
	seq_file_release(&m);
	return true;
}

static int read_int(const char *path)
{
	char b[32];
	long long v = -999;
	if (!read_file(path, b, sizeof(b)))
		return -999;
	for (char *c = b; *c; c++)
		if (*c == '\n')
			*c = 0;
	kstrtoll(b, 10, &v);
	return (int)v;
}

static ssize_t write_str(const char *path, const char *s)
{
	return pfs_write(path, s, strlen(s));
}

static bool cmdline_patched(void)
{
	char b[256];
	read_file("/proc/cmdline", b, sizeof(b));
	return strstr(b, "test_klp_livepatch: this has been live patched") != NULL;
}

static bool meminfo_patched(void)
{
	char b[256];
	read_file("/proc/meminfo", b, sizeof(b));
	return strstr(b, "test_klp_atomic_replace: this has been live patched") != NULL;
}

static bool lp_exists(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), LP "%s", name);
	return pfs_lookup(path) != NULL;
}

/* The ftrace site of a function: its ops count and first byte. */
static bool site_of(const char *fn, struct ftrace_site_info *out)
{
	unsigned long ip = ftrace_location(ksym_addr(fn));
	for (size_t i = 0; i < ftrace_nr_sites(); i++) {
		if (!ftrace_site_at(i, out))
			break;
		if (out->ip == ip)
			return true;
	}
	return false;
}

static void disable_lp(struct ktest *t, const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), LP "%s/enabled", name);
	KEXPECT_EQ(write_str(path, "0"), 1);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_FALSE(lp_exists(name));
}

static void load_lp(struct ktest *t, const char *name)
{
	KEXPECT_EQ(module_builtin_load(name), 0);
	KEXPECT_TRUE(klp_wait_transition(5000));
}

/* The comparison itself: timing diagnostics leave the sequence, an
 * unreliable stack of any task but idle does not. */
KTEST(livepatch, log_compare_keeps_unreliable_stacks)
{
	u64 seq = log_next_seq();
	printk(KERN_DEBUG "livepatch: klp_try_switch_task: idle:0 has an unreliable stack\n");
	printk(KERN_DEBUG "livepatch: klp_try_switch_task: busy_worker:19 is sleeping on function f\n");
	printk(KERN_DEBUG "livepatch: klp_try_switch_task: kworker:3 is running\n");
	printk(KERN_DEBUG "livepatch: klp_try_switch_task: kworker:3 has an unreliable stack\n");
	KEXPECT_EQ(log_collect(seq, false), 4);
	expect_log(seq, "livepatch: klp_try_switch_task: kworker:3 has an unreliable stack");
}

KTEST(livepatch, basic_function_patching)
{
	lp_debug_like_linux(t);
	u64 seq = log_next_seq();
	KASSERT_TRUE(!cmdline_patched());
	load_lp(t, "test_klp_livepatch");
	KEXPECT_TRUE(cmdline_patched());
	KEXPECT_EQ(read_int(LP "test_klp_livepatch/enabled"), 1);
	KEXPECT_EQ(read_int(LP "test_klp_livepatch/transition"), 0);
	KEXPECT_EQ(read_int(LP "test_klp_livepatch/replace"), 0);
	KEXPECT_EQ(read_int(LP "test_klp_livepatch/stack_order"), 1);
	KEXPECT_EQ(read_int(LP "test_klp_livepatch/vmlinux/patched"), 1);
	KEXPECT_NOT_NULL(pfs_lookup(LP "test_klp_livepatch/vmlinux/cmdline_proc_show,1"));
	/* Linux's sysfs errors: writing the current value, re-enabling,
	 * forcing a patch not in transition */
	KEXPECT_EQ(write_str(LP "test_klp_livepatch/enabled", "1"), -EINVAL);
	KEXPECT_EQ(write_str(LP "test_klp_livepatch/force", "1"), -EINVAL);
	KEXPECT_EQ(write_str(LP "test_klp_livepatch/force", "0"), 1);
	KEXPECT_EQ(write_str(LP "test_klp_livepatch/transition", "0"), -EACCES);
	KEXPECT_EQ(module_unload("test_klp_livepatch", NULL, 0), -EBUSY);
	/* steady state: the site jumps straight to the replacement */
	struct ftrace_site_info si;
	KEXPECT_TRUE(site_of("cmdline_proc_show", &si));
	KEXPECT_EQ(si.insn[0], 0xe9);
	disable_lp(t, "test_klp_livepatch");
	KEXPECT_FALSE(cmdline_patched());
	KEXPECT_EQ(module_unload("test_klp_livepatch", NULL, 0), 0);
	KEXPECT_TRUE(site_of("cmdline_proc_show", &si));
	KEXPECT_EQ(si.nr_ops, 0);
	KEXPECT_EQ(si.insn[0], 0x0f);
	expect_log(seq, "livepatch: enabling patch 'test_klp_livepatch'",
		   "livepatch: 'test_klp_livepatch': initializing patching transition",
		   "livepatch: 'test_klp_livepatch': starting patching transition",
		   "livepatch: 'test_klp_livepatch': completing patching transition",
		   "livepatch: 'test_klp_livepatch': patching complete",
		   "livepatch: 'test_klp_livepatch': initializing unpatching transition",
		   "livepatch: 'test_klp_livepatch': starting unpatching transition",
		   "livepatch: 'test_klp_livepatch': completing unpatching transition",
		   "livepatch: 'test_klp_livepatch': unpatching complete");
}

KTEST(livepatch, multiple_livepatches)
{
	test_klp_atomic_replace_replace = 0;
	load_lp(t, "test_klp_livepatch");
	load_lp(t, "test_klp_atomic_replace");
	KEXPECT_TRUE(cmdline_patched());
	KEXPECT_TRUE(meminfo_patched());
	KEXPECT_EQ(read_int(LP "test_klp_livepatch/stack_order"), 1);
	KEXPECT_EQ(read_int(LP "test_klp_atomic_replace/stack_order"), 2);
	disable_lp(t, "test_klp_atomic_replace");
	KEXPECT_TRUE(cmdline_patched());
	KEXPECT_FALSE(meminfo_patched());
	KEXPECT_EQ(read_int(LP "test_klp_livepatch/stack_order"), 1);
	disable_lp(t, "test_klp_livepatch");
	KEXPECT_FALSE(cmdline_patched());
	KEXPECT_EQ(module_unload("test_klp_atomic_replace", NULL, 0), 0);
	KEXPECT_EQ(module_unload("test_klp_livepatch", NULL, 0), 0);
}

KTEST(livepatch, atomic_replace)
{
	struct kmalloc_stats before, after;
	struct ftrace_site_info si;
	kmalloc_get_stats(&before);
	test_klp_atomic_replace_replace = 0;
	test_klp_callbacks_demo2_replace = 0;
	load_lp(t, "test_klp_livepatch");
	load_lp(t, "test_klp_callbacks_demo2");
	load_lp(t, "test_klp_callbacks_demo");
	KEXPECT_EQ(klp_nr_patches(), 3);
	u64 seq = log_next_seq();
	test_klp_atomic_replace_replace = 1;
	load_lp(t, "test_klp_atomic_replace");
	KEXPECT_EQ(klp_nr_patches(), 1);
	KEXPECT_TRUE(lp_exists("test_klp_atomic_replace"));
	KEXPECT_FALSE(lp_exists("test_klp_livepatch"));
	KEXPECT_TRUE(meminfo_patched());
	KEXPECT_FALSE(cmdline_patched());
	/* the function it no longer changes has no handler left */
	KEXPECT_TRUE(site_of("cmdline_proc_show", &si));
	KEXPECT_EQ(si.nr_ops, 0);
	KEXPECT_EQ(si.insn[0], 0x0f);
	KEXPECT_EQ(klp_nr_ops(), 1);
	/* the replaced patches' unpatch callbacks never ran */
	KEXPECT_FALSE(log_contains(seq, "unpatch_callback"));
	KEXPECT_FALSE(log_contains(seq, "unpatching"));
	KEXPECT_EQ(module_unload("test_klp_livepatch", NULL, 0), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo2", NULL, 0), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	disable_lp(t, "test_klp_atomic_replace");
	KEXPECT_EQ(module_unload("test_klp_atomic_replace", NULL, 0), 0);
	test_klp_atomic_replace_replace = 0;
	KEXPECT_EQ(klp_nr_ops(), 0);
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

KTEST(livepatch, callbacks_target_not_present)
{
	lp_debug_like_linux(t);
	u64 seq = log_next_seq();
	load_lp(t, "test_klp_callbacks_demo");
	disable_lp(t, "test_klp_callbacks_demo");
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	expect_log(seq, "livepatch: enabling patch 'test_klp_callbacks_demo'",
		   "livepatch: 'test_klp_callbacks_demo': initializing patching transition",
		   "test_klp_callbacks_demo: pre_patch_callback: vmlinux",
		   "livepatch: 'test_klp_callbacks_demo': starting patching transition",
		   "livepatch: 'test_klp_callbacks_demo': completing patching transition",
		   "test_klp_callbacks_demo: post_patch_callback: vmlinux",
		   "livepatch: 'test_klp_callbacks_demo': patching complete",
		   "livepatch: 'test_klp_callbacks_demo': initializing unpatching transition",
		   "test_klp_callbacks_demo: pre_unpatch_callback: vmlinux",
		   "livepatch: 'test_klp_callbacks_demo': starting unpatching transition",
		   "livepatch: 'test_klp_callbacks_demo': completing unpatching transition",
		   "test_klp_callbacks_demo: post_unpatch_callback: vmlinux",
		   "livepatch: 'test_klp_callbacks_demo': unpatching complete");
}

KTEST(livepatch, callbacks_target_before_livepatch_and_going)
{
	lp_debug_like_linux(t);
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_mod"), 0);
	u64 seq = log_next_seq();
	load_lp(t, "test_klp_callbacks_demo");
	KEXPECT_EQ(read_int(LP "test_klp_callbacks_demo/test_klp_callbacks_mod/patched"), 1);
	KEXPECT_EQ(read_int(LP "test_klp_callbacks_demo/test_klp_callbacks_busy/patched"), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_mod", NULL, 0), 0);
	KEXPECT_EQ(read_int(LP "test_klp_callbacks_demo/test_klp_callbacks_mod/patched"), 0);
	disable_lp(t, "test_klp_callbacks_demo");
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	expect_log(seq, "livepatch: enabling patch 'test_klp_callbacks_demo'",
		   "livepatch: 'test_klp_callbacks_demo': initializing patching transition",
		   "test_klp_callbacks_demo: pre_patch_callback: vmlinux",
		   "test_klp_callbacks_demo: pre_patch_callback: test_klp_callbacks_mod -> [MODULE_STATE_LIVE] Normal state",
		   "livepatch: 'test_klp_callbacks_demo': starting patching transition",
		   "livepatch: 'test_klp_callbacks_demo': completing patching transition",
		   "test_klp_callbacks_demo: post_patch_callback: vmlinux",
		   "test_klp_callbacks_demo: post_patch_callback: test_klp_callbacks_mod -> [MODULE_STATE_LIVE] Normal state",
		   "livepatch: 'test_klp_callbacks_demo': patching complete",
		   "test_klp_callbacks_mod: test_klp_callbacks_mod_exit",
		   "test_klp_callbacks_demo: pre_unpatch_callback: test_klp_callbacks_mod -> [MODULE_STATE_GOING] Going away",
		   "livepatch: reverting patch 'test_klp_callbacks_demo' on unloading module 'test_klp_callbacks_mod'",
		   "test_klp_callbacks_demo: post_unpatch_callback: test_klp_callbacks_mod -> [MODULE_STATE_GOING] Going away",
		   "livepatch: 'test_klp_callbacks_demo': initializing unpatching transition",
		   "test_klp_callbacks_demo: pre_unpatch_callback: vmlinux",
		   "livepatch: 'test_klp_callbacks_demo': starting unpatching transition",
		   "livepatch: 'test_klp_callbacks_demo': completing unpatching transition",
		   "test_klp_callbacks_demo: post_unpatch_callback: vmlinux",
		   "livepatch: 'test_klp_callbacks_demo': unpatching complete");
}

KTEST(livepatch, callbacks_module_coming)
{
	load_lp(t, "test_klp_callbacks_demo");
	u64 seq = log_next_seq();
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_mod"), 0);
	expect_log(seq,
		   "livepatch: applying patch 'test_klp_callbacks_demo' to loading module 'test_klp_callbacks_mod'",
		   "test_klp_callbacks_demo: pre_patch_callback: test_klp_callbacks_mod -> [MODULE_STATE_COMING] Full formed, running module_init",
		   "test_klp_callbacks_demo: post_patch_callback: test_klp_callbacks_mod -> [MODULE_STATE_COMING] Full formed, running module_init",
		   "test_klp_callbacks_mod: test_klp_callbacks_mod_init");
	seq = log_next_seq();
	disable_lp(t, "test_klp_callbacks_demo");
	KEXPECT_TRUE(log_contains(seq, "pre_unpatch_callback: test_klp_callbacks_mod -> [MODULE_STATE_LIVE]"));
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_mod", NULL, 0), 0);
}

KTEST(livepatch, callbacks_pre_patch_fails)
{
	lp_debug_like_linux(t);
	u64 seq = log_next_seq();
	test_klp_callbacks_demo_pre_patch_ret = -ENODEV;
	KEXPECT_EQ(module_builtin_load("test_klp_callbacks_demo"), -ENODEV);
	test_klp_callbacks_demo_pre_patch_ret = 0;
	KEXPECT_FALSE(lp_exists("test_klp_callbacks_demo"));
	KEXPECT_FALSE(klp_transition_in_progress());
	/* the cancelled transition's time counts from its start, not boot */
	KEXPECT_LT(READ_ONCE(klp_last_transition_us), 100000);
	expect_log(seq, "livepatch: enabling patch 'test_klp_callbacks_demo'",
		   "livepatch: 'test_klp_callbacks_demo': initializing patching transition",
		   "test_klp_callbacks_demo: pre_patch_callback: vmlinux",
		   "livepatch: pre-patch callback failed for object 'vmlinux'",
		   "livepatch: failed to enable patch 'test_klp_callbacks_demo'",
		   "livepatch: 'test_klp_callbacks_demo': canceling patching transition, going to unpatch",
		   "livepatch: 'test_klp_callbacks_demo': completing unpatching transition",
		   "livepatch: 'test_klp_callbacks_demo': unpatching complete");
	KEXPECT_EQ(module_refcount(module_lookup_any("test_klp_callbacks_demo")), 0);
}

KTEST(livepatch, callbacks_atomic_replace)
{
	test_klp_callbacks_demo2_replace = 1;
	load_lp(t, "test_klp_callbacks_demo");
	u64 seq = log_next_seq();
	load_lp(t, "test_klp_callbacks_demo2");
	KEXPECT_FALSE(log_contains(seq, "test_klp_callbacks_demo: pre_unpatch"));
	KEXPECT_FALSE(log_contains(seq, "test_klp_callbacks_demo: post_unpatch"));
	KEXPECT_TRUE(log_contains(seq, "test_klp_callbacks_demo2: post_patch_callback: vmlinux"));
	KEXPECT_FALSE(lp_exists("test_klp_callbacks_demo"));
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	disable_lp(t, "test_klp_callbacks_demo2");
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo2", NULL, 0), 0);
	test_klp_callbacks_demo2_replace = 0;
}

static int shadow_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	(void)obj;
	*(void **)shadow_data = ctor_data;
	return 0;
}
static int shadow_dtor_calls;
static void shadow_dtor(void *obj, void *shadow_data)
{
	(void)obj;
	(void)shadow_data;
	shadow_dtor_calls++;
}
static int shadow_ctor_fail(void *obj, void *shadow_data, void *ctor_data)
{
	(void)obj;
	(void)shadow_data;
	(void)ctor_data;
	return -ENOMEM;
}

KTEST(livepatch, shadow_variables)
{
	int obj1, obj2, obj3, v1, v2;
	struct kmalloc_stats before, after;
	kmalloc_get_stats(&before);
	KEXPECT_NULL(klp_shadow_get(&obj1, 0x1234));
	void **s1 = klp_shadow_alloc(&obj1, 0x1234, sizeof(void *), GFP_KERNEL, shadow_ctor, &v1);
	void **s2 = klp_shadow_get_or_alloc(&obj2, 0x1234, sizeof(void *), GFP_KERNEL, shadow_ctor, &v2);
	void **s3 = klp_shadow_alloc(&obj3, 0x1235, sizeof(void *), GFP_KERNEL, NULL, NULL);
	KASSERT_NOT_NULL(s1);
	KASSERT_NOT_NULL(s2);
	KASSERT_NOT_NULL(s3);
	KEXPECT_PTR_EQ(*s1, &v1);
	KEXPECT_PTR_EQ(*s2, &v2);
	KEXPECT_NULL(*s3); /* zeroed */
	KEXPECT_PTR_EQ(klp_shadow_get(&obj1, 0x1234), s1);
	KEXPECT_PTR_EQ(klp_shadow_get(&obj2, 0x1234), s2);
	KEXPECT_NULL(klp_shadow_get(&obj1, 0x1235));
	/* get_or_alloc of an existing one: no ctor */
	KEXPECT_PTR_EQ(klp_shadow_get_or_alloc(&obj1, 0x1234, sizeof(void *), GFP_KERNEL, shadow_ctor, &v2), s1);
	KEXPECT_PTR_EQ(*s1, &v1);
	/* a duplicate alloc fails */
	u64 seq = log_next_seq();
	KEXPECT_NULL(klp_shadow_alloc(&obj1, 0x1234, sizeof(void *), GFP_KERNEL, NULL, NULL));
	KEXPECT_NULL(klp_shadow_alloc(&obj1, 0x9999, 8, GFP_KERNEL, shadow_ctor_fail, NULL));
	KEXPECT_NULL(klp_shadow_get(&obj1, 0x9999));
	KEXPECT_TRUE(log_contains(seq, "Failed to construct shadow variable <"));
	klp_shadow_free(&obj1, 0x1234, shadow_dtor);
	KEXPECT_EQ(shadow_dtor_calls, 1);
	KEXPECT_NULL(klp_shadow_get(&obj1, 0x1234));
	KEXPECT_PTR_EQ(klp_shadow_get(&obj2, 0x1234), s2);
	klp_shadow_free_all(0x1234, shadow_dtor);
	KEXPECT_EQ(shadow_dtor_calls, 2);
	KEXPECT_NULL(klp_shadow_get(&obj2, 0x1234));
	KEXPECT_PTR_EQ(klp_shadow_get(&obj3, 0x1235), s3);
	klp_shadow_free_all(0x1235, NULL);
	KEXPECT_NULL(klp_shadow_get(&obj3, 0x1235));
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

KTEST(livepatch, states)
{
	int level = console_loglevel;
	load_lp(t, "test_klp_state");
	KEXPECT_EQ(console_loglevel, 8);
	u64 seq = log_next_seq();
	load_lp(t, "test_klp_state2");
	KEXPECT_TRUE(log_contains(seq, "test_klp_state2: allocate_loglevel_state: taking over the console_loglevel change"));
	KEXPECT_FALSE(lp_exists("test_klp_state"));
	KEXPECT_EQ(module_unload("test_klp_state", NULL, 0), 0);
	/* compatible: state3 (v2) replaces state2 (v2) */
	load_lp(t, "test_klp_state3");
	KEXPECT_EQ(module_unload("test_klp_state2", NULL, 0), 0);
	/* incompatible: v1 after v2 is refused, no "enabling" line */
	seq = log_next_seq();
	KEXPECT_EQ(module_builtin_load("test_klp_state"), -EINVAL);
	expect_log(seq, "livepatch: Livepatch patch (test_klp_state) is not compatible with the already installed livepatches.");
	KEXPECT_EQ(console_loglevel, 8);
	disable_lp(t, "test_klp_state3");
	KEXPECT_EQ(module_unload("test_klp_state3", NULL, 0), 0);
	KEXPECT_EQ(console_loglevel, level);
}

static void ipmodify_handler(unsigned long ip, unsigned long pip, struct ftrace_ops *op,
			     struct ftrace_regs *fregs)
{
	(void)ip; (void)pip; (void)op; (void)fregs;
}

KTEST(livepatch, ftrace_ipmodify_conflict)
{
	lp_debug_like_linux(t);
	struct ftrace_ops other = { .func = ipmodify_handler, .flags = FTRACE_OPS_FL_IPMODIFY };
	KASSERT_EQ(ftrace_set_filter_ip(&other, ksym_addr("cmdline_proc_show"), 0, 0), 0);
	KASSERT_EQ(register_ftrace_function(&other), 0);
	u64 seq = log_next_seq();
	KEXPECT_EQ(module_builtin_load("test_klp_livepatch"), -EBUSY);
	KEXPECT_FALSE(cmdline_patched());
	KEXPECT_FALSE(lp_exists("test_klp_livepatch"));
	expect_log(seq, "livepatch: enabling patch 'test_klp_livepatch'",
		   "livepatch: 'test_klp_livepatch': initializing patching transition",
		   "livepatch: failed to register ftrace handler for function 'cmdline_proc_show' (-16)",
		   "livepatch: failed to patch object 'vmlinux'",
		   "livepatch: failed to enable patch 'test_klp_livepatch'",
		   "livepatch: 'test_klp_livepatch': canceling patching transition, going to unpatch",
		   "livepatch: 'test_klp_livepatch': completing unpatching transition",
		   "livepatch: 'test_klp_livepatch': unpatching complete");
	KEXPECT_EQ(unregister_ftrace_function(&other), 0);
	KEXPECT_EQ(klp_nr_ops(), 0);
}

KTEST(livepatch, busy_target_reverse)
{
	lp_debug_like_linux(t);
	test_klp_callbacks_busy_block = true;
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_busy"), 0);
	u64 seq = log_next_seq();
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_demo"), 0);
	msleep(50);
	KEXPECT_EQ(read_int(LP "test_klp_callbacks_demo/transition"), 1);
	KEXPECT_FALSE(log_contains(seq, "is sleeping on function")); /* its site is off */
	/* Linux signals only after SIGNALS_TIMEOUT (15 s) of retries */
	KEXPECT_FALSE(log_contains(seq, "livepatch: signaling remaining tasks"));
	KEXPECT_FALSE(log_contains(seq, "post_patch_callback"));
	seq = log_next_seq();
	KEXPECT_EQ(write_str(LP "test_klp_callbacks_demo/enabled", "0"), 1);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_FALSE(lp_exists("test_klp_callbacks_demo"));
	expect_log(seq,
		   "livepatch: 'test_klp_callbacks_demo': reversing transition from patching to unpatching",
		   "livepatch: 'test_klp_callbacks_demo': starting unpatching transition",
		   "livepatch: 'test_klp_callbacks_demo': completing unpatching transition",
		   "test_klp_callbacks_demo: post_unpatch_callback: vmlinux",
		   "test_klp_callbacks_demo: post_unpatch_callback: test_klp_callbacks_busy -> [MODULE_STATE_LIVE] Normal state",
		   "livepatch: 'test_klp_callbacks_demo': unpatching complete");
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_busy", NULL, 0), 0);
}

static int log_count(u64 seq, const char *needle)
{
	int n = log_collect(seq, false), c = 0;
	for (int i = 0; i < n; i++)
		c += strstr(lines[i], needle) != NULL;
	return c;
}

/* A stalled transition names each blocking task once, not on every 2 ms
 * retry (regression: the retry diagnostics filled the 1,024-entry log in
 * about 2 s, wiping "enabling patch" and the boot lines); a summary line
 * counts the rest when the transition ends. */
KTEST(livepatch, stall_diagnostics_once_per_task)
{
	KEXPECT_GT(ddebug_exec_queries("func klp_try_switch_task +p"), 0);
	test_klp_callbacks_busy_block = true;
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_busy"), 0);
	u64 seq = log_next_seq();
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_demo"), 0);
	msleep(300); /* some 150 retries */
	KEXPECT_EQ(read_int(LP "test_klp_callbacks_demo/transition"), 1);
	KEXPECT_EQ(log_count(seq, "is sleeping on function busymod_work_func"), 1);
	KEXPECT_TRUE(log_contains(seq, "livepatch: enabling patch 'test_klp_callbacks_demo'"));
	test_klp_callbacks_busy_block = false;
	KEXPECT_TRUE(klp_wait_transition(5000));
	/* The busy worker's repeats; with several CPUs the other CPUs' idle
	 * tasks ("is running" until their idle loop switches them) may be
	 * named too. */
	KEXPECT_TRUE(log_contains(seq, nr_cpus() == 1 ? "repeated diagnostics of 1 task not logged"
						      : "repeated diagnostics of "));
	KEXPECT_EQ(log_count(seq, "is sleeping on function busymod_work_func"), 1);
	KEXPECT_GT(ddebug_exec_queries("func klp_try_switch_task -p"), 0);
	disable_lp(t, "test_klp_callbacks_demo");
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_busy", NULL, 0), 0);
}

KTEST(livepatch, force)
{
	test_klp_callbacks_busy_block = true;
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_busy"), 0);
	KASSERT_EQ(module_builtin_load("test_klp_callbacks_demo"), 0);
	msleep(10);
	KEXPECT_EQ(read_int(LP "test_klp_callbacks_demo/transition"), 1);
	u64 seq = log_next_seq();
	KEXPECT_EQ(write_str(LP "test_klp_callbacks_demo/force", "1"), 1);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_TRUE(log_contains(seq, "livepatch: forcing remaining tasks to the patched state"));
	KEXPECT_TRUE(log_contains(seq, "'test_klp_callbacks_demo': patching complete"));
	/* Forcing a patching transition pins nothing (Linux marks only an
	 * unpatched or replaced patch forced): its module can still go. */
	disable_lp(t, "test_klp_callbacks_demo");
	KEXPECT_EQ(module_refcount(module_lookup_any("test_klp_callbacks_demo")), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_demo", NULL, 0), 0);
	KEXPECT_EQ(module_unload("test_klp_callbacks_busy", NULL, 0), 0);
}

/* Patch targets: noipa so that the compiler cannot treat them as const
 * and reuse a result across calls (they change under its feet). */
#define __lp_target noinline __attribute__((noipa))

/* ---- consistency checker: pair() calls A then B; every patch changes
 * all three together, so a task must see matching versions. ---- */

__lp_target int lp_cc_a(void) { return 0; }
__lp_target int lp_cc_b(void) { return 0; }
__lp_target int lp_cc_pair(void) { int a = lp_cc_a(); barrier(); return a * 16 + lp_cc_b(); }
__lp_target int lp_cc_a1(void) { return 1; }
__lp_target int lp_cc_b1(void) { return 1; }
__lp_target int lp_cc_pair1(void) { int a = lp_cc_a(); barrier(); return a * 16 + lp_cc_b(); }
__lp_target int lp_cc_a2(void) { return 2; }
__lp_target int lp_cc_b2(void) { return 2; }
__lp_target int lp_cc_pair2(void) { int a = lp_cc_a(); barrier(); return a * 16 + lp_cc_b(); }

static struct module cc_mod1 = { .name = "lp_cc_p1", .state = MODULE_STATE_LIVE, .klp = true };
static struct module cc_mod2 = { .name = "lp_cc_p2", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_func cc_funcs1[] = {
	{ .old_name = "lp_cc_a", .new_func = lp_cc_a1 },
	{ .old_name = "lp_cc_b", .new_func = lp_cc_b1 },
	{ .old_name = "lp_cc_pair", .new_func = lp_cc_pair1 },
	{}
};
static struct klp_func cc_funcs2[] = {
	{ .old_name = "lp_cc_a", .new_func = lp_cc_a2 },
	{ .old_name = "lp_cc_b", .new_func = lp_cc_b2 },
	{ .old_name = "lp_cc_pair", .new_func = lp_cc_pair2 },
	{}
};
static struct klp_object cc_objs1[] = { { .funcs = cc_funcs1 }, {} };
static struct klp_object cc_objs2[] = { { .funcs = cc_funcs2 }, {} };
static struct klp_patch cc_p1 = { .mod = &cc_mod1, .objs = cc_objs1 };
static struct klp_patch cc_p2 = { .mod = &cc_mod2, .objs = cc_objs2, .replace = true };

static volatile bool cc_stop;
static u64 cc_calls, cc_mixed, cc_first_mixed;
static volatile int cc_phase;

static int cc_thread(void *arg)
{
	(void)arg;
	while (!READ_ONCE(cc_stop)) {
		for (int i = 0; i < 50; i++) {
			int v = lp_cc_pair();
			__atomic_fetch_add(&cc_calls, 1, __ATOMIC_RELAXED);
			if (v / 16 != v % 16) {
				if (!cc_mixed)
					cc_first_mixed = v | (cc_phase << 8) | ((u64)current->patch_state << 32);
				__atomic_fetch_add(&cc_mixed, 1, __ATOMIC_RELAXED);
			}
		}
		yield();
	}
	return 0;
}

KTEST(livepatch, consistency_checker)
{
	struct kmalloc_stats before, after;
	struct task *th[16];
	int seen[3] = { 0 };
	kmalloc_get_stats(&before);
	cc_stop = false;
	cc_calls = cc_mixed = 0;
	for (int i = 0; i < 16; i++)
		KASSERT_NOT_NULL(th[i] = kthread_run(cc_thread, NULL, "lp_cc/%d", i));
	int saved = console_loglevel;
	console_loglevel = 4; /* 300 transitions: keep the console quiet */
	for (int cycle = 0; cycle < 100; cycle++) {
		cc_phase = cycle * 3;
		KEXPECT_EQ(klp_enable_patch(&cc_p1), 0);
		KEXPECT_TRUE(klp_wait_transition(5000));
		seen[lp_cc_pair() % 16]++;
		cc_phase = cycle * 3 + 1;
		KEXPECT_EQ(klp_enable_patch(&cc_p2), 0);
		KEXPECT_TRUE(klp_wait_transition(5000));
		seen[lp_cc_pair() % 16]++;
		cc_phase = cycle * 3 + 2;
		KEXPECT_EQ(write_str(LP "lp_cc_p2/enabled", "0"), 1);
		KEXPECT_TRUE(klp_wait_transition(5000));
		seen[lp_cc_pair() % 16]++;
		if (t->failures)
			break;
	}
	console_loglevel = saved;
	cc_stop = true;
	for (int i = 0; i < 16; i++)
		kthread_stop(th[i]);
	KEXPECT_EQ(cc_mixed, 0);
	KEXPECT_UEQ(cc_first_mixed, 0);
	KEXPECT_GT(cc_calls, 1000);
	KEXPECT_EQ(seen[0], 100);
	KEXPECT_EQ(seen[1], 100);
	KEXPECT_EQ(seen[2], 100);
	KEXPECT_EQ(klp_nr_patches(), 0);
	KEXPECT_EQ(klp_nr_ops(), 0);
	KEXPECT_EQ(module_refcount(&cc_mod1), 0);
	KEXPECT_EQ(module_refcount(&cc_mod2), 0);
	msleep(20); /* let the stopped threads' stacks be reaped */
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
}

/* ---- nop removal ---- */

__lp_target int lp_nop_f(void) { return 10; }
__lp_target int lp_nop_g(void) { return 20; }
__lp_target int lp_nop_f1(void) { return 11; }
__lp_target int lp_nop_g1(void) { return 21; }
__lp_target int lp_nop_f2(void) { return 12; }

static struct module nop_mod1 = { .name = "lp_nop_p1", .state = MODULE_STATE_LIVE, .klp = true };
static struct module nop_mod2 = { .name = "lp_nop_p2", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_func nop_funcs1[] = {
	{ .old_name = "lp_nop_f", .new_func = lp_nop_f1 },
	{ .old_name = "lp_nop_g", .new_func = lp_nop_g1 },
	{}
};
static struct klp_func nop_funcs2[] = { { .old_name = "lp_nop_f", .new_func = lp_nop_f2 }, {} };
static struct klp_object nop_objs1[] = { { .funcs = nop_funcs1 }, {} };
static struct klp_object nop_objs2[] = { { .funcs = nop_funcs2 }, {} };
static struct klp_patch nop_p1 = { .mod = &nop_mod1, .objs = nop_objs1 };
static struct klp_patch nop_p2 = { .mod = &nop_mod2, .objs = nop_objs2, .replace = true };

KTEST(livepatch, nop_removal)
{
	struct kmalloc_stats base, with_p1, after;
	struct ftrace_site_info si;
	kmalloc_get_stats(&base);
	KASSERT_EQ(klp_enable_patch(&nop_p1), 0);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(lp_nop_f(), 11);
	KEXPECT_EQ(lp_nop_g(), 21);
	kmalloc_get_stats(&with_p1);
	KEXPECT_GT(with_p1.objects_in_use, base.objects_in_use);
	KASSERT_EQ(klp_enable_patch(&nop_p2), 0);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(lp_nop_f(), 12);
	KEXPECT_EQ(lp_nop_g(), 20);
	KEXPECT_TRUE(site_of("lp_nop_g", &si));
	KEXPECT_EQ(si.nr_ops, 0);
	KEXPECT_EQ(si.insn[0], 0x0f);
	KEXPECT_TRUE(site_of("lp_nop_f", &si));
	KEXPECT_EQ(si.nr_ops, 1);
	KEXPECT_EQ(si.insn[0], 0xe9);
	KEXPECT_EQ(klp_nr_patches(), 1);
	KEXPECT_EQ(klp_nr_ops(), 1);
	KEXPECT_NULL(pfs_lookup(LP "lp_nop_p2/vmlinux/lp_nop_g,1"));
	KEXPECT_EQ(module_refcount(&nop_mod1), 0);
	KEXPECT_EQ(write_str(LP "lp_nop_p2/enabled", "0"), 1);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(lp_nop_f(), 10);
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, base.objects_in_use);
	KEXPECT_EQ(klp_nr_ops(), 0);
}

/* ---- the two handler paths ---- */

/* During a transition the site of a patched function calls livepatch's own
 * trampoline (arch/x86_64/klp_tramp.asm) while its klp_ops is alone there,
 * and the generic trampoline with klp_ftrace_handler() once another ops
 * shares it: both must give each task the same function. The task that
 * blocks the transition (asleep in lp_hp_block, which the patches change)
 * stays unpatched and calls lp_hp_f on request. */
__lp_target int lp_hp_f(void)
{
	return 10;
}
__lp_target int lp_hp_f1(void)
{
	return 11;
}
__lp_target int lp_hp_f2(void)
{
	return 12;
}
__lp_target int lp_hp_g(void)
{
	return 20;
}
__lp_target int lp_hp_g3(void)
{
	return 23;
}

static int (*volatile lp_hp_fn)(void) = lp_hp_f;
static volatile bool lp_hp_hold;
static volatile int lp_hp_ask, lp_hp_answer;

static __always_inline void lp_hp_serve(void)
{
	while (READ_ONCE(lp_hp_hold)) {
		if (READ_ONCE(lp_hp_ask)) {
			lp_hp_answer = lp_hp_fn();
			WRITE_ONCE(lp_hp_ask, 0);
		}
		msleep(1);
	}
}
/* One blocker per transition: p2 changes the first, p3 the second. */
__lp_target void lp_hp_block(void)
{
	lp_hp_serve();
}
__lp_target void lp_hp_block2(void)
{
	lp_hp_serve();
}
__lp_target void lp_hp_block_new(void)
{
}

static int lp_hp_thread(void *arg)
{
	if (arg)
		lp_hp_block2();
	else
		lp_hp_block();
	return 0;
}

/* What lp_hp_f gives the blocked task, or -1 if it did not answer. */
static int lp_hp_blocked_call(void)
{
	lp_hp_answer = -1;
	WRITE_ONCE(lp_hp_ask, 1);
	for (int i = 0; i < 2000 && READ_ONCE(lp_hp_ask); i++)
		msleep(1);
	return lp_hp_answer;
}

static struct module hp_mod1 = { .name = "lp_hp_p1", .state = MODULE_STATE_LIVE, .klp = true };
static struct module hp_mod2 = { .name = "lp_hp_p2", .state = MODULE_STATE_LIVE, .klp = true };
static struct module hp_mod3 = { .name = "lp_hp_p3", .state = MODULE_STATE_LIVE, .klp = true };
static struct klp_func hp_funcs1[] = { { .old_name = "lp_hp_f", .new_func = lp_hp_f1 }, {} };
static struct klp_func hp_funcs2[] = { { .old_name = "lp_hp_f", .new_func = lp_hp_f2 },
				       { .old_name = "lp_hp_block", .new_func = lp_hp_block_new },
				       {} };
static struct klp_func hp_funcs3[] = { { .old_name = "lp_hp_g", .new_func = lp_hp_g3 },
				       { .old_name = "lp_hp_block2", .new_func = lp_hp_block_new },
				       {} };
static struct klp_object hp_objs1[] = { { .funcs = hp_funcs1 }, {} };
static struct klp_object hp_objs2[] = { { .funcs = hp_funcs2 }, {} };
static struct klp_object hp_objs3[] = { { .funcs = hp_funcs3 }, {} };
static struct klp_patch hp_p1 = { .mod = &hp_mod1, .objs = hp_objs1 };
static struct klp_patch hp_p2 = { .mod = &hp_mod2, .objs = hp_objs2 };
static struct klp_patch hp_p3 = { .mod = &hp_mod3, .objs = hp_objs3, .replace = true };

static int hp_other_calls;
static void hp_count(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
		     struct ftrace_regs *fregs)
{
	(void)ip, (void)parent_ip, (void)op, (void)fregs;
	hp_other_calls++;
}

/* lp_hp_f for this (patched) task and the blocked one, on livepatch's own
 * trampoline and then, with a second ops on the site, the generic one. */
static void hp_expect(struct ktest *t, int mine, int blocked)
{
	static struct ftrace_ops other = { .func = hp_count };
	struct ftrace_site_info si;
	KEXPECT_TRUE(site_of("lp_hp_f", &si));
	KEXPECT_EQ(si.nr_ops, 1);
	KEXPECT_TRUE(si.direct);
	KEXPECT_EQ(lp_hp_fn(), mine);
	KEXPECT_EQ(lp_hp_blocked_call(), blocked);
	KEXPECT_EQ(ftrace_set_filter_ip(&other, (unsigned long)lp_hp_f, 0, 1), 0);
	KASSERT_EQ(register_ftrace_function(&other), 0);
	KEXPECT_TRUE(site_of("lp_hp_f", &si));
	KEXPECT_EQ(si.nr_ops, 2);
	KEXPECT_FALSE(si.direct);
	hp_other_calls = 0;
	KEXPECT_EQ(lp_hp_fn(), mine);
	KEXPECT_EQ(lp_hp_blocked_call(), blocked);
	KEXPECT_EQ(hp_other_calls, 2);
	KEXPECT_EQ(unregister_ftrace_function(&other), 0);
	KEXPECT_TRUE(site_of("lp_hp_f", &si));
	KEXPECT_TRUE(si.direct);
}

/* Enable p with the blocker asleep in lp_hp_block: the transition stays
 * open, and this task is switched. */
static bool hp_enable_held(struct ktest *t, struct klp_patch *p)
{
	KEXPECT_EQ(klp_enable_patch(p), 0);
	for (int i = 0; i < 2000 && current->patch_state != KLP_PATCHED; i++)
		msleep(1);
	KEXPECT_TRUE(klp_transition_in_progress());
	KEXPECT_EQ(current->patch_state, KLP_PATCHED);
	return klp_transition_in_progress() && current->patch_state == KLP_PATCHED;
}

static void hp_release(struct task *blocker)
{
	WRITE_ONCE(lp_hp_hold, false);
	kthread_join(blocker);
}

KTEST(livepatch, handler_paths_agree)
{
	struct ftrace_site_info si;
	KASSERT_EQ(klp_enable_patch(&hp_p1), 0);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(lp_hp_fn(), 11);
	KEXPECT_TRUE(site_of("lp_hp_f", &si));
	KEXPECT_EQ(si.insn[0], 0xe9);

	/* stacked: the newest func in transition, the one below for the
	 * unpatched task */
	lp_hp_hold = true;
	struct task *blocker = kthread_run(lp_hp_thread, NULL, "lp_hp_blk");
	KASSERT_NOT_NULL(blocker);
	msleep(5);
	if (hp_enable_held(t, &hp_p2))
		hp_expect(t, 12, 11);
	hp_release(blocker);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(lp_hp_fn(), 12);

	/* atomic replace: lp_hp_f's nop (the original) for the patched task,
	 * the replaced patch's func for the unpatched one */
	lp_hp_hold = true;
	blocker = kthread_run(lp_hp_thread, (void *)1, "lp_hp_blk2");
	KASSERT_NOT_NULL(blocker);
	msleep(5);
	if (hp_enable_held(t, &hp_p3))
		hp_expect(t, 10, 12);
	hp_release(blocker);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(lp_hp_fn(), 10);
	KEXPECT_EQ(lp_hp_g(), 23);
	KEXPECT_TRUE(site_of("lp_hp_f", &si));
	KEXPECT_EQ(si.nr_ops, 0);
	KEXPECT_EQ(write_str(LP "lp_hp_p3/enabled", "0"), 1);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(lp_hp_g(), 20);
	KEXPECT_EQ(klp_nr_patches(), 0);
	KEXPECT_EQ(klp_nr_ops(), 0);
}

KTEST(livepatch, enable_errors)
{
	static struct module plain = { .name = "lp_plain", .state = MODULE_STATE_LIVE, .klp = false };
	static struct module m = { .name = "lp_err", .state = MODULE_STATE_LIVE, .klp = true };
	static struct klp_func bad_funcs[] = { { .old_name = "no_such_function_xyz", .new_func = lp_nop_f1 }, {} };
	static struct klp_object bad_objs[] = { { .funcs = bad_funcs }, {} };
	static struct klp_object null_objs[] = { { .name = "x", .funcs = NULL }, {} };
	static struct klp_patch p;
	KEXPECT_EQ(klp_enable_patch(NULL), -EINVAL);
	p = (struct klp_patch){ .mod = &m, .objs = NULL };
	KEXPECT_EQ(klp_enable_patch(&p), -EINVAL);
	p = (struct klp_patch){ .mod = &m, .objs = null_objs };
	KEXPECT_EQ(klp_enable_patch(&p), -EINVAL);
	p = (struct klp_patch){ .mod = &plain, .objs = bad_objs };
	u64 seq = log_next_seq();
	KEXPECT_EQ(klp_enable_patch(&p), -EINVAL);
	KEXPECT_TRUE(log_contains(seq, "livepatch: module lp_plain is not marked as a livepatch module"));
	p = (struct klp_patch){ .mod = &m, .objs = bad_objs };
	KEXPECT_EQ(klp_enable_patch(&p), -EINVAL);
	KEXPECT_TRUE(log_contains(seq, "livepatch: symbol 'no_such_function_xyz' not found in symbol table"));
	KEXPECT_FALSE(lp_exists("lp_err"));
	KEXPECT_EQ(module_refcount(&m), 0);
	KEXPECT_EQ(klp_nr_patches(), 0);
}

/* ---- the syscall patch with user tasks ---- */

#define LP_SYSCALL_TASKS 4
extern int test_klp_syscall_pids[8];
extern int test_klp_syscall_npids;

/* Linux's test-syscall.sh: sys_getpid patched while user tasks call
 * getpid() in a loop. Each task switches on its way back to user mode;
 * every one runs the new body (its pid crossed off), the transition
 * completes, and the loopers never see a wrong pid (exit status 0). */
KTEST(livepatch, syscall_user_tasks_switch)
{
	struct task *u[LP_SYSCALL_TASKS];
	int n = 0, err = 0;
	for (; n < LP_SYSCALL_TASKS; n++) {
		u[n] = user_spawn("getpid_loop", "2", &err);
		if (!u[n])
			break;
		test_klp_syscall_pids[n] = u[n]->pid;
	}
	KASSERT_EQ(n, LP_SYSCALL_TASKS);
	test_klp_syscall_npids = n;
	msleep(50); /* all in their loops */
	KEXPECT_EQ(module_builtin_load("test_klp_syscall"), 0);
	KEXPECT_TRUE(klp_wait_transition(5000));
	KEXPECT_EQ(read_int(LP "test_klp_syscall/transition"), 0);
	for (int i = 0; i < n; i++) {
		KEXPECT_FALSE(test_tsk_thread_flag(u[i], TIF_PATCH_PENDING));
		KEXPECT_EQ(u[i]->patch_state, KLP_UNDEFINED);
	}
	/* a switched task calls the new body on its next getpid() */
	for (int i = 0; i < 100 && READ_ONCE(test_klp_syscall_npids); i++)
		msleep(10);
	KEXPECT_EQ(test_klp_syscall_npids, 0);
	disable_lp(t, "test_klp_syscall");
	KEXPECT_EQ(module_unload("test_klp_syscall", NULL, 0), 0);
	for (int i = 0; i < n; i++) {
		KEXPECT_EQ(task_wait_exit(u[i]), 0);
		put_task_struct(u[i]);
	}
	memset(test_klp_syscall_pids, 0, sizeof(test_klp_syscall_pids));
}

/* Completing a transition waits for real grace periods (the handler and
 * the switch points are RCU readers), not a bare fence: enabling a patch
 * that registers no ops removal still takes one, and an atomic replace
 * that discards its nops takes one before freeing them. */
KTEST(livepatch, transitions_wait_for_grace_periods)
{
	struct kmalloc_stats before, after;
	kmalloc_get_stats(&before);
	u64 gp = rcu_gp_count();
	load_lp(t, "test_klp_livepatch");
	KEXPECT_GT(rcu_gp_count(), gp);
	test_klp_atomic_replace_replace = 1;
	gp = rcu_gp_count();
	load_lp(t, "test_klp_atomic_replace");
	/* completion, the nop discard, the replaced patch's ops removal */
	KEXPECT_GE(rcu_gp_count(), gp + 3);
	KEXPECT_TRUE(meminfo_patched());
	KEXPECT_FALSE(cmdline_patched());
	KEXPECT_EQ(module_unload("test_klp_livepatch", NULL, 0), 0);
	disable_lp(t, "test_klp_atomic_replace");
	KEXPECT_EQ(module_unload("test_klp_atomic_replace", NULL, 0), 0);
	test_klp_atomic_replace_replace = 0;
	KEXPECT_EQ(klp_nr_ops(), 0);
	kmalloc_get_stats(&after);
	KEXPECT_EQ(after.objects_in_use, before.objects_in_use);
}
