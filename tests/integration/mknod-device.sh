#!/bin/bash
# Started as root, CMD loses CAP_MKNOD (README), but mknod is carried out
# by proctor (tracer/fsmeta.c op_mknod), which keeps its own: a device
# node made in the workspace then reads as the device (a disk, a
# console), wherever the policy lets the workspace be read.  Only a
# harmless device is made here (1,5: zero).  The same for trusted.*
# extended attributes, which take CAP_SYS_ADMIN.
. "$(dirname "$0")/../lib.sh"
pt_init "$@"

if [ "$(id -u)" != 0 ]; then
	pt_skip "device nodes made through proctor" "needs root"
	pt_done
fi

pt_run -- sh -c 'mknod zero-node c 1 5 && ls -l zero-node'
pt_isnt "mknod of a character device in the workspace fails" "$PT_RC" 0
pt_absent "no device node was made" "$WS/zero-node"

pt_run -- python3 -c "
import os
open('x', 'w').close()
os.setxattr('x', 'trusted.overlay.redirect', b'/etc')"
pt_isnt "a trusted.* attribute is refused" "$PT_RC" 0
pt_run --keep-caps -- sh -c 'mknod kept-node c 1 5'
pt_status "with --keep-caps the device node is made" 0
rm -f "$WS/kept-node" "$WS/x"
pt_done
