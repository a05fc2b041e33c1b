set -x
renice -n 5 -p $PPID
renice -n 5 -p 26166
renice -n 5 -g $(ps -o pgid= 26166)
renice -n 5 -u proctortest
ionice -c3 -p 26166
taskset -p 1 26166
chrt -o -p 0 26166
renice -n 3 -p $$
python3 -c 'import os,threading,time
t=threading.Thread(target=time.sleep,args=(1,)); t.start(); print("thread", t.native_id); os.setpriority(os.PRIO_PROCESS, t.native_id, 7); print("prio", os.getpriority(os.PRIO_PROCESS,t.native_id))'
