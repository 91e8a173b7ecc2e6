#!/usr/bin/env python3
"""probe.py SERVER COUNT USER_AGENT [--flood]

Send COUNT SIP OPTIONS from this namespace's address to SERVER:5060, one at a time, each
waiting up to 0.5 s for an answer (or, with --flood, all at once without waiting, then
collect answers for 1 s). Prints "answered N of COUNT". Exit 0 always (the test judges).
Used by the shield tests to see whether a source gets through (answered) or is dropped."""
import socket
import sys
import time
import uuid

server, count, ua = sys.argv[1], int(sys.argv[2]), sys.argv[3]
flood = "--flood" in sys.argv[4:]
count = min(count, 100000)  # bounded load
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((server, 5060))
me, port = s.getsockname()


def msg(i):
    tag = uuid.uuid4().hex[:10]
    return ("OPTIONS sip:%s SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:probe@%s>;tag=%s\r\n"
            "To: <sip:%s>\r\n"
            "Call-ID: %s@%s\r\n"
            "CSeq: %d OPTIONS\r\n"
            "Contact: <sip:probe@%s:%d>\r\n"
            "User-Agent: %s\r\n"
            "Accept: application/sdp\r\n"
            "Content-Length: 0\r\n\r\n" % (server, me, port, tag, me, tag, server,
                                           uuid.uuid4().hex, me, i + 1, me, port, ua)).encode()


answered = 0
if flood:
    for i in range(count):
        try:
            s.send(msg(i))
        except OSError:
            pass
    s.settimeout(0.2)
    end = time.time() + 1.0
    while time.time() < end:
        try:
            s.recv(4096)
            answered += 1
        except (socket.timeout, OSError):
            pass
else:
    s.settimeout(0.5)
    for i in range(count):
        s.send(msg(i))
        try:
            s.recv(4096)
            answered += 1
        except (socket.timeout, OSError):
            pass
print("answered %d of %d" % (answered, count))
