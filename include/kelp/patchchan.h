/* The patch channel on COM2 (drivers/patchchan/channel.c, docs/PROTOCOL.md). */
#pragma once
#include <kelp/types.h>

/* Starts the channel's kernel thread (called by the shell thread, pid 1,
 * just before the shell: the thread is its child, and pid 1 stays the
 * shell's). No-op under selftest/bench, with klp.channel=0 or without COM2. */
void patchchan_start(void);

/* The host bridge's CMD verbs (drivers/patchchan/fsops.c): fs.stat, fs.read,
 * fs.write, fs.append, fs.ls, kmsg.read, kmsg.write. Returns -ENOSYS when cmd
 * is none of them, else the verb's status with out holding its answer. */
int patchchan_fs_cmd(const char *cmd, char *out, size_t outlen);
