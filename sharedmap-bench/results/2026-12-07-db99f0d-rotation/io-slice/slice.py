#!/usr/bin/env python3
"""Sets the SCHED_OTHER custom slice (sched_runtime, ns; 0 = the default) and nice of the given threads
through sched_setattr (x86-64 syscall 314), and prints each thread's attributes after. usage: slice.py NS NICE TID..."""
import ctypes, struct, sys, os
libc = ctypes.CDLL(None, use_errno=True)
SYS_sched_setattr = 314
SYS_sched_getattr = 315
ns, nice = int(sys.argv[1]), int(sys.argv[2])
for tid in map(int, sys.argv[3:]):
    attr = struct.pack('IIQiIQQQII', 56, 0, 0, nice, 0, ns, 0, 0, 0, 0)
    buf = ctypes.create_string_buffer(attr, 56)
    r = libc.syscall(SYS_sched_setattr, tid, buf, 0)
    if r != 0:
        print(tid, 'error', os.strerror(ctypes.get_errno()))
    out = ctypes.create_string_buffer(56)
    libc.syscall(SYS_sched_getattr, tid, out, 56, 0)
    print(tid, struct.unpack('IIQiIQQQII', out.raw))
