#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""SMTP sink of the lab's round trip test (lab/roundtrip/roundtrip.sh).

    smtpd.py --dir DIR --port-file FILE [--port N] [--max-seconds S]

Listens on 127.0.0.1 only, accepts every message and stores it, as
received, in DIR/NNN.eml (arrival order, LF line ends, like a local mail
delivery); DIR/envelopes.txt logs MAIL FROM and RCPT TO of each. It relays
nothing. Port 0 (the default) lets the kernel pick a free port; the port
is written to FILE once the server listens. The server stops on SIGTERM or
SIGINT, and by itself after --max-seconds.

Runs with Debian's python3 and python3-aiosmtpd (aiosmtpd.smtp.SMTP).
"""
import argparse
import asyncio
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = "%03d.eml" % self.count
        data = envelope.original_content.replace(b"\r\n", b"\n")
        tmp = os.path.join(self.outdir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.outdir, name))
        with open(os.path.join(self.outdir, "envelopes.txt"), "a") as f:
            f.write("%s MAIL FROM:<%s> RCPT TO:%s\n" % (
                name, envelope.mail_from,
                ",".join("<%s>" % r for r in envelope.rcpt_tos)))
        return "250 OK stored as " + name


async def serve(args):
    loop = asyncio.get_running_loop()
    sink = Sink(args.dir)
    try:
        server = await loop.create_server(
            lambda: SMTP(sink, hostname="lab-smtpd", ident="lab smtpd (aiosmtpd)"),
            "127.0.0.1", args.port)
    except OSError as e:
        print("smtpd.py: cannot listen on 127.0.0.1:%d: %s" % (args.port, e),
              file=sys.stderr)
        return 2
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    print("smtpd.py: listening on 127.0.0.1:%d, storing into %s" % (port, args.dir),
          file=sys.stderr, flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    except asyncio.TimeoutError:
        print("smtpd.py: stopping after %d s" % args.max_seconds, file=sys.stderr)
    server.close()
    await server.wait_closed()
    print("smtpd.py: stopped, %d messages stored" % sink.count, file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=int, default=300)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sys.exit(asyncio.run(serve(args)))


if __name__ == "__main__":
    main()
