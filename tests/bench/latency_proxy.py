#!/usr/bin/env python3
"""A TCP proxy that adds a fixed delay to every byte, each way, for the benchmarks.

    latency_proxy.py --target PORT [--delay-ms 25] [--lifetime 600] [--exit-on-stdin-eof]

Listens on 127.0.0.1 (a free port), prints "PORT <n>" once it listens, and forwards every
connection to 127.0.0.1:PORT.  Whatever arrives from either side is written to the other
side DELAY after it arrived, in order, so a round trip through the proxy costs 2 x DELAY
more than without it, whatever the protocol (TLS and HTTP/2 pass through untouched).
Prints "CONN <count>" each time it accepts a connection, so a benchmark can count the
connections a client opened.  Exits after --lifetime seconds, and with --exit-on-stdin-eof
when its stdin closes.  Standard library only.
"""

import argparse
import asyncio
import sys
import threading


async def pump(reader, writer, delay):
    """Copy reader to writer, each piece DELAY seconds after it was read, in order."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    sender = loop.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            queue.put_nowait((loop.time() + delay, data))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait((loop.time() + delay, None))
    try:
        await sender
    except (ConnectionError, OSError):
        pass


async def main_async(args):
    delay = args.delay_ms / 1000.0
    accepted = 0

    async def handle(client_reader, client_writer):
        nonlocal accepted
        accepted += 1
        print("CONN %d" % accepted, flush=True)
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", args.target)
        except OSError:
            client_writer.close()
            return
        # The connect itself is not delayed, but the first bytes each way are, so a TCP
        # handshake to the server is still one round trip of the client's.
        await asyncio.sleep(2 * delay)
        await asyncio.gather(pump(client_reader, server_writer, delay),
                             pump(server_reader, client_writer, delay))
        for w in (client_writer, server_writer):
            try:
                w.close()
            except OSError:
                pass

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(args.lifetime, stop.set)
    if args.exit_on_stdin_eof:
        def watch():
            sys.stdin.buffer.read()
            loop.call_soon_threadsafe(stop.set)
        threading.Thread(target=watch, daemon=True).start()
    async with server:
        await stop.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=25.0)
    parser.add_argument("--lifetime", type=float, default=600.0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
