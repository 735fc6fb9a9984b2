/* The patch channel on COM2 (drivers/patchchan/channel.c, docs/PROTOCOL.md). */
#pragma once

/* Starts the channel's kernel thread (called by the shell thread, pid 1,
 * just before the shell: the thread is its child, and pid 1 stays the
 * shell's). No-op under selftest/bench, with klp.channel=0 or without COM2. */
void patchchan_start(void);
