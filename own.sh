O=31420
try() { if ( echo "$2" > "$1" ) 2>/dev/null; then echo "OK   $1"; else echo "FAIL $1"; fi; }
T=$(ls /proc/self/task | head -1)
try /proc/self/comm newname
try /proc/$$/comm newname
try /proc/thread-self/comm newname
try /proc/self/oom_score_adj 100
try /proc/self/timerslack_ns 100
try /proc/self/coredump_filter 3
try /proc/self/clear_refs 1
try /proc/$O/oom_score_adj 500
try /proc/$O/comm pwned
try /proc//$O//comm pwned
try /proc/$$/task/$$/../../$O/comm pwned
try /proc/self/task/$$/../../../$O/oom_score_adj 500
try /proc/self/root/proc/$O/oom_score_adj 500
try /proc/1/oom_score_adj 0
try ./ws-link 500
try /proc/self/../$O/comm pwned
try /proc/self/attr/current x
try /proc/self/setgroups deny
try /proc/self/uid_map "0 0 1"
try /proc/self/mem x
try /proc/sys/kernel/hostname x
try /proc/sysrq-trigger h
cd /proc/$O && try ./comm pwned; try /proc/self/cwd/comm pwned
