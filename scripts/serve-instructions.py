#!/usr/bin/env python3
"""Instructions per render request of `promo-liquid serve`, counted by callgrind: the
measure to compare two builds by on a busy machine, where wrk's requests/s are noise.

    scripts/serve-instructions.py BINARY [BINARY ...]

Each binary serves (one HTTP thread, under valgrind) 200 and then 1,200 keep-alive
`POST /v1/render` requests of the load benchmark's body (target/serve-load/render.json,
made by scripts/serve-load.sh) from one client; the difference of the two runs'
instruction totals over 1,000 is the cost of one request, start-up and shutdown
excluded. Needs valgrind. Takes about a minute a binary.
"""
import http.client
import os
import signal
import subprocess
import sys
import tempfile

BODY = "target/serve-load/render.json"


def total(binary, requests, out):
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         binary, "serve", "--listen", "127.0.0.1:0", "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = server.stdout.readline().decode()
        host, port = line.strip().removeprefix("listening on http://").rsplit(":", 1)
        body = open(BODY, "rb").read()
        client = http.client.HTTPConnection(host, int(port), timeout=120)
        for _ in range(requests):
            client.request("POST", "/v1/render", body, {"Content-Type": "application/json"})
            response = client.getresponse()
            answer = response.read()
            if response.status != 200 or b'"outcome": "rendered"' not in answer:
                sys.exit(f"{binary}: the render failed: {response.status} {answer[:200]!r}")
        client.close()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=300)
    finally:
        if server.poll() is None:
            server.kill()
    for line in open(out):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    sys.exit(f"{binary}: no totals in {out}")


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if not os.path.exists(BODY):
        sys.exit(f"{BODY} is missing: run scripts/serve-load.sh once")
    with tempfile.TemporaryDirectory() as tmp:
        for binary in sys.argv[1:]:
            few = total(binary, 200, os.path.join(tmp, "few"))
            many = total(binary, 1200, os.path.join(tmp, "many"))
            print(f"{binary}: {(many - few) / 1000:,.0f} instructions a render request")


main()
