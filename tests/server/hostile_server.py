#!/usr/bin/env python3
"""A hostile HTTP server for llm-native's hostile-server tests (issue 12).

Listens on 127.0.0.1 only and prints its ports on stdout:

  PORT n        the hostile listener: every case below, by path
  OTHER_PORT n  a second origin that records every request it gets (for redirects)
  TLS_PORT n    with --tls-cert/--tls-key: the hostile cases over TLS

It exits after --lifetime seconds, and when its stdin closes with
--exit-on-stdin-eof (the Emacs that started it died).  Every response closes its
connection, so no state crosses requests.

Cases (GET or POST; the query string tunes them):

  /deep-ndjson?n=N      one NDJSON line: N '[' then N ']'
  /deep-sse?n=N         an OpenAI chat stream whose second event's data is that nesting
  /bigint-ndjson        {"n": 9223372036854775808}  (2^63, outside Emacs 28's integers)
  /nul-ndjson           {"s": "a\\u0000b"}
  /bigint-tool-sse      an OpenAI chat stream whose tool call's arguments hold 2^63
  /gzip-bomb?mb=N       Content-Encoding: gzip, an OpenAI chat stream inflating to N MiB
  /flood?n=N            text/event-stream of N tiny events ("data: x")
  /redirect?to=URL&code=C   a C redirect (default 307) to URL
  /huge-header?kb=N     a 200 whose X-Huge header is N KiB
  /loop                 a 302 to itself
  /ok                   {"ok": true}
  /_control/shutdown    exit
  /_control/requests?listener=main|other   the requests recorded (JSON list)
"""

import argparse
import asyncio
import json
import os
import ssl
import sys
import threading
import zlib
from urllib.parse import parse_qs, urlsplit

RECORDED = {"main": [], "other": []}
BOMBS = {}  # mib -> compressed body, made once
STOP = None  # set: the server exits

CHAT_EVENT = 'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'


def chat_stream(middle):
    """An OpenAI chat stream: one text delta, MIDDLE (raw SSE text), the end."""
    return ('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}\n\n'
            + middle
            + 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
            + "data: [DONE]\n\n").encode()


def gzip_bomb(mib):
    if mib not in BOMBS:
        block = CHAT_EVENT.encode() * ((1 << 20) // len(CHAT_EVENT))
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
        parts, produced = [], 0
        while produced < mib << 20:
            parts.append(compressor.compress(block))
            produced += len(block)
        parts.append(compressor.flush())
        BOMBS[mib] = b"".join(parts)
    return BOMBS[mib]


def response_head(status, reason, headers):
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    lines += ["%s: %s" % (k, v) for k, v in headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append([name.strip(), value.strip()])
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body


async def send(writer, status, reason, headers, body=b""):
    writer.write(response_head(status, reason, headers + [("Content-Length", str(len(body)))]))
    writer.write(body)
    await writer.drain()


async def serve_main(reader, writer, listener):
    method, target, headers, body = await read_request(reader)
    url = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(url.query).items()}
    RECORDED[listener].append({"method": method, "path": url.path, "headers": headers,
                               "body": body.decode("utf-8", "replace")})
    path = url.path
    if path == "/_control/requests":
        data = json.dumps(RECORDED[query.get("listener", "main")]).encode()
        await send(writer, 200, "OK", [("Content-Type", "application/json")], data)
    elif listener == "other" or path == "/ok":
        await send(writer, 200, "OK", [("Content-Type", "application/json")], b'{"ok": true}')
    elif path == "/deep-ndjson":
        n = int(query.get("n", 1000000))
        await send(writer, 200, "OK", [("Content-Type", "application/x-ndjson")],
                   b"[" * n + b"]" * n + b"\n")
    elif path == "/deep-sse":
        n = int(query.get("n", 1000000))
        await send(writer, 200, "OK", [("Content-Type", "text/event-stream")],
                   chat_stream("data: " + "[" * n + "]" * n + "\n\n"))
    elif path == "/bigint-ndjson":
        await send(writer, 200, "OK", [("Content-Type", "application/x-ndjson")],
                   b'{"ok": 1}\n{"n": 9223372036854775808}\n')
    elif path == "/nul-ndjson":
        await send(writer, 200, "OK", [("Content-Type", "application/x-ndjson")],
                   b'{"ok": 1}\n{"s": "a\\u0000b"}\n')
    elif path == "/bigint-tool-sse":
        args = json.dumps('{"n": 9223372036854775808}')
        call = ('data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1",'
                '"type":"function","function":{"name":"f","arguments":%s}}]}}]}\n\n' % args)
        await send(writer, 200, "OK", [("Content-Type", "text/event-stream")], chat_stream(call))
    elif path == "/gzip-bomb":
        bomb = await asyncio.get_running_loop().run_in_executor(None, gzip_bomb, int(query.get("mb", 256)))
        await send(writer, 200, "OK", [("Content-Type", "text/event-stream"),
                                       ("Content-Encoding", "gzip")], bomb)
    elif path == "/flood":
        n = int(query.get("n", 1000000))
        writer.write(response_head(200, "OK", [("Content-Type", "text/event-stream")]))
        batch = b"data: x\n\n" * 8192
        sent = 0
        while sent < n:
            count = min(8192, n - sent)
            writer.write(batch if count == 8192 else b"data: x\n\n" * count)
            sent += count
            await writer.drain()  # the client's pace: a paused transfer stops us here
    elif path == "/_control/shutdown":
        await send(writer, 200, "OK", [("Content-Type", "application/json")], b'{"ok": true}')
        STOP.set()
    elif path == "/loop":
        await send(writer, 302, "Found", [("Location", "/loop")], b"")
    elif path == "/redirect":
        code = int(query.get("code", 307))
        await send(writer, code, "Redirect", [("Location", query["to"])], b"moved")
    elif path == "/huge-header":
        kb = int(query.get("kb", 200))
        await send(writer, 200, "OK", [("Content-Type", "application/json"), ("X-Huge", "a" * (kb << 10))],
                   b'{"ok": true}')
    else:
        await send(writer, 404, "Not Found", [("Content-Type", "text/plain")], b"no such case")


def handler(listener):
    async def handle(reader, writer):
        try:
            await serve_main(reader, writer, listener)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, KeyError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the client may be gone already
                pass
    return handle


async def main_async(args):
    global STOP
    stop = STOP = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, _context: None)
    main = await asyncio.start_server(handler("main"), "127.0.0.1", 0)
    other = await asyncio.start_server(handler("other"), "127.0.0.1", 0)
    print("PORT %d" % main.sockets[0].getsockname()[1])
    print("OTHER_PORT %d" % other.sockets[0].getsockname()[1])
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        tls = await asyncio.start_server(handler("main"), "127.0.0.1", 0, ssl=context)
        print("TLS_PORT %d" % tls.sockets[0].getsockname()[1])
    sys.stdout.flush()
    loop.call_later(args.lifetime, stop.set)
    if args.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except (OSError, ValueError):
                pass
            loop.call_soon_threadsafe(stop.set)
        threading.Thread(target=watch_stdin, daemon=True).start()
    await stop.wait()


def main():
    parser = argparse.ArgumentParser(description="Hostile HTTP server for llm-native tests.")
    parser.add_argument("--lifetime", type=float, default=300, help="exit after this many seconds")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when stdin reaches EOF")
    parser.add_argument("--tls-cert", help="certificate (PEM): also listen with TLS")
    parser.add_argument("--tls-key", help="private key (PEM) of --tls-cert")
    args = parser.parse_args()
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
