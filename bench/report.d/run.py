#!/usr/bin/env python3
"""run.py LIMIT_MB RECORD.json STDOUT_FILE -- CMD...: run one benchmark command and record it.

Records wall time, CPU time (user + system, all threads, from wait4) and peak RSS (ru_maxrss of
the one child) as JSON in RECORD.json; the command's standard output goes to STDOUT_FILE. The
resident size is also polled every 50 ms: a command above LIMIT_MB is killed (so a peer that
holds every value cannot push a shared machine into swapping or the OOM killer) and recorded as
"killed"."""
import json
import os
import signal
import subprocess
import sys
import time


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0


def main():
    limit = float(sys.argv[1])
    record, out = sys.argv[2], sys.argv[3]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    with open(out, "wb") as fo, open(out + ".err", "wb") as fe:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe)
        killed = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if rss_mb(p.pid) > limit:
                killed = True
                os.kill(p.pid, signal.SIGKILL)
            time.sleep(0.05)
        wall = time.monotonic() - t0
    rec = {
        "cmd": " ".join(cmd),
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "peak_rss_mb": round(ru.ru_maxrss / 1024, 1),
        "exit": os.waitstatus_to_exitcode(status),
        "killed": killed,
    }
    with open(record, "w") as f:
        json.dump(rec, f)


main()
