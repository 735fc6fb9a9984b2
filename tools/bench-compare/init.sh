#!/bin/busybox sh
# /init of the Linux guest of `make bench-compare`: runs each workload of the
# Kelp benches against kbench.ko (figures: "kbench: fig ..." lines; the
# transitions' "starting ... transition" / "... complete" lines follow a
# "kbench: workload NAME" mark), then prints the kernel log and powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
K=/proc/kbench
LP=/sys/kernel/livepatch
M=/kbench
mark() { echo "kbench: workload $1" > /dev/kmsg; }
# Every wait is bounded (60 s of guest time): a figure that never comes is
# reported missing by compare.py instead of hanging the run.
wait_while() {
	n=0
	while eval "$1"; do
		n=$((n + 1)); [ $n -gt 6000 ] && { echo "kbench: gave up waiting: $1" > /dev/kmsg; return 1; }
		usleep 10000
	done
}
wait_done() {
	wait_while "[ \"\$(cat $LP/$1/transition 2>/dev/null)\" = 1 ]"
}
# A disabled patch's directory goes when its transition completes; its
# module reference a little later (Linux frees it from a work item).
unload() {
	[ -e $LP/$1/enabled ] && echo 0 > $LP/$1/enabled
	wait_while "[ -e $LP/$1 ]"
	n=0
	until rmmod $1 2>/dev/null; do
		n=$((n + 1)); [ $n -gt 500 ] && { echo "kbench: cannot unload $1"; return; }
		usleep 10000
	done
}

echo "kbench: linux $(uname -r) $(cat /proc/sys/kernel/osrelease)" > /dev/kmsg
insmod $M/kbench.ko || echo "kbench: insmod kbench.ko failed"
echo "calls plain" > $K
echo "calls nop" > $K
echo "calls target" > $K

mark enable
insmod $M/kbench_lp.ko onefunc=1
wait_done kbench_lp
echo "report enable" > $K
unload kbench_lp

mark steady
insmod $M/kbench_lp.ko
wait_done kbench_lp
echo "calls steady" > $K
mark replace
insmod $M/kbench_lp_replace.ko
wait_done kbench_lp_replace
wait_while "[ -e $LP/kbench_lp ]"
echo "calls replaced" > $K
unload kbench_lp_replace
unload kbench_lp

# a thread asleep in kbench_block holds the transition open; this shell is
# switched already (it slept in wait4 during insmod), so its calls take the
# handler's transition path; 100 ms after the start the straggler leaves
mark straggler
echo block > $K
usleep 10000
insmod $M/kbench_lp.ko
echo "calls transition" > $K
usleep 100000
echo release > $K
wait_done kbench_lp
echo "report straggler" > $K
echo reap > $K
unload kbench_lp

echo "sleepers 10" > $K
sleep 1
mark k10
insmod $M/kbench_lp.ko
wait_done kbench_lp
unload kbench_lp
echo stop > $K

echo "sleepers 1000" > $K
sleep 1
mark k1000
insmod $M/kbench_lp.ko
wait_done kbench_lp
unload kbench_lp
echo stop > $K

echo "sleepers 10" > $K
pids=""
for i in 1 2 3 4; do /bin/getpid_loop & pids="$pids $!"; done
usleep 20000
mark k10u4
insmod $M/kbench_lp.ko
wait_done kbench_lp
unload kbench_lp
kill $pids
wait
echo stop > $K
rmmod kbench

echo KBENCH-DMESG-BEGIN
dmesg
echo KBENCH-DMESG-END
poweroff -f
