"""Self-test of the fake provider server.

Run with: python3 -m unittest discover -s tests/server
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = HERE / "fake_server.py"
FIXTURES = Path(os.environ.get("LLM_NATIVE_FIXTURES") or (HERE / "../fixtures")).resolve()


def start_server(*extra):
    """Start the server; returns (process, port)."""
    proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0", *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode()
    match = re.fullmatch(r"PORT (\d+)\n", line)
    if not match:
        proc.kill()
        raise AssertionError("bad first line from server: %r" % line)
    return proc, int(match.group(1))


def read_raw_response(port, path, method="GET", body=b"", headers=None, timeout=10):
    """Send one request on a fresh socket and read until the server closes or the
    chunked body ends.  Returns (status, headers dict lower-cased, raw body bytes,
    chunk sizes or None, whether the terminating chunk was seen)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close",
             "Content-Length: %d" % len(body)]
    for name, value in (headers or {}).items():
        lines.append("%s: %s" % (name, value))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    data = bytearray()
    while True:
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    sock.close()
    head, _, rest = bytes(data).partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split(" ")[1])
    resp_headers = {}
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        resp_headers[name.strip().lower()] = value.strip()
    if resp_headers.get("transfer-encoding") != "chunked":
        return status, resp_headers, rest, None, None
    body_out = bytearray()
    sizes = []
    terminated = False
    pos = 0
    while True:
        line_end = rest.find(b"\r\n", pos)
        if line_end < 0:
            break
        size = int(rest[pos:line_end], 16)
        if size == 0:
            terminated = rest[line_end:line_end + 4] == b"\r\n\r\n"
            break
        chunk = rest[line_end + 2:line_end + 2 + size]
        body_out += chunk
        if len(chunk) < size or rest[line_end + 2 + size:line_end + 4 + size] != b"\r\n":
            sizes.append(len(chunk))
            break
        sizes.append(size)
        pos = line_end + 4 + size
    return status, resp_headers, bytes(body_out), sizes, terminated


def parse_sse(body):
    """Return the events of an SSE body as (event name, data) pairs."""
    events = []
    text = body.decode("utf-8").replace("\r\n", "\n")
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" ") if line[5:6] == " " else line[5:])
        events.append((name, "\n".join(data)))
    return events


class FakeServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.port = start_server("--lifetime", "120", "--exit-on-stdin-eof")

    @classmethod
    def tearDownClass(cls):
        cls.proc.stdin.close()
        try:
            cls.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
            cls.proc.wait()
        cls.proc.stdout.close()
        cls.proc.stderr.close()

    # -- helpers

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def scenario(self, obj):
        req = urllib.request.Request(self.url("/_control/scenario"), data=json.dumps(obj).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)["token"]

    def fetch(self, token, path="/v1/x", data=None, headers=None):
        req = urllib.request.Request(self.url("/s/%s%s" % (token, path)), data=data, headers=headers or {})
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, resp.headers, resp.read()

    def requests_of(self, token):
        with urllib.request.urlopen(self.url("/_control/requests?token=" + token), timeout=10) as resp:
            return json.load(resp)

    def expected_of(self, token, request=None):
        path = "/_control/expected?token=" + token
        if request is not None:
            path += "&request=%d" % request
        with urllib.request.urlopen(self.url(path), timeout=10) as resp:
            return json.load(resp)

    # -- fixtures and static bodies

    def test_fixture_replay_is_byte_exact(self):
        for name, ctype in (("openai-chat/text-usage.sse", "text/event-stream"),
                            ("gemini/text.json", "application/json"),
                            ("ollama/chat-text.ndjson", "application/x-ndjson"),
                            ("conformance/sse-invalid-utf8.sse", "text/event-stream")):
            token = self.scenario({"fixture": name})
            status, headers, body = self.fetch(token)
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"], ctype)
            self.assertEqual(body, (FIXTURES / name).read_bytes(), name)

    def test_unknown_fixture_is_rejected(self):
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            self.scenario({"fixture": "../../etc/passwd"})
        self.assertEqual(ctx.exception.code, 400)
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            self.scenario({"status": 200})
        self.assertEqual(ctx.exception.code, 400)

    def test_http_fixtures_replay_final_response(self):
        token = self.scenario({"fixture": "http/anthropic-529-json-not-sse.http"})
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            self.fetch(token)
        self.assertEqual(ctx.exception.code, 529)
        self.assertEqual(ctx.exception.headers["Content-Type"], "application/json")
        self.assertEqual(ctx.exception.headers["request-id"], "req_011CV5J4YZo4J3KLTDZgDN7S")
        self.assertEqual(json.loads(ctx.exception.read())["error"]["type"], "overloaded_error")

        raw = (FIXTURES / "http/proxy-connect-then-sse.http").read_bytes()
        token = self.scenario({"fixture": "http/proxy-connect-then-sse.http"})
        status, headers, body = self.fetch(token)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/event-stream; charset=utf-8")
        self.assertTrue(body.startswith(b"data: {"))
        self.assertTrue(raw.endswith(body))
        self.assertEqual(parse_sse(body)[-1], (None, "[DONE]"))

        token = self.scenario({"fixture": "http/redirect-then-ndjson.http", "transfer": "length"})
        status, headers, body = self.fetch(token)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/x-ndjson")
        self.assertEqual(int(headers["Content-Length"]), len(body))
        lines = [json.loads(line) for line in body.decode().splitlines() if line]
        self.assertTrue(lines[-1]["done"])

    def test_status_json_body_and_headers(self):
        token = self.scenario({"status": 429, "headers": {"X-Foo": "bar", "Retry-After": "3"},
                               "body": '{"error":{"message":"slow down"}}', "transfer": "length"})
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            self.fetch(token)
        err = ctx.exception
        self.assertEqual(err.code, 429)
        self.assertEqual(err.headers["X-Foo"], "bar")
        self.assertEqual(err.headers["Retry-After"], "3")
        self.assertEqual(err.headers["Content-Type"], "application/json")
        self.assertEqual(json.loads(err.read()), {"error": {"message": "slow down"}})

    def test_missing_content_type_and_body_b64(self):
        token = self.scenario({"body_b64": "AAEC/w==", "content_type": None})
        status, headers, body, _sizes, terminated = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual(status, 200)
        self.assertNotIn("content-type", headers)
        self.assertEqual(body, b"\x00\x01\x02\xff")
        self.assertTrue(terminated)

    def test_transfer_close(self):
        token = self.scenario({"body": "abc" * 1000, "transfer": "close", "content_type": "text/plain"})
        status, headers, body, sizes, _ = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual(headers.get("connection"), "close")
        self.assertNotIn("content-length", headers)
        self.assertIsNone(sizes)
        self.assertEqual(body, b"abc" * 1000)

    def test_unknown_paths_are_404(self):
        for path in ("/v1/chat/completions", "/s/nosuchtoken/v1/x", "/_control/nothing"):
            with self.assertRaises(urllib.error.HTTPError) as ctx:
                urllib.request.urlopen(self.url(path), timeout=5)
            self.assertEqual(ctx.exception.code, 404)
            self.assertIn("error", json.loads(ctx.exception.read()))

    # -- chunk modes and faults

    def test_chunk_modes(self):
        text = "ab héllo 世界 🚀 end"
        data = text.encode()
        token = self.scenario({"body": text, "chunk": "whole"})
        _, _, body, sizes, terminated = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual((body, sizes, terminated), (data, [len(data)], True))

        token = self.scenario({"body": text, "chunk": "bytes"})
        _, _, body, sizes, terminated = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual((body, terminated), (data, True))
        self.assertEqual(sizes, [1] * len(data))

        token = self.scenario({"body": text, "chunk": 4})
        _, _, body, sizes, _ = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual(body, data)
        self.assertEqual(sizes, [4] * (len(data) // 4) + ([len(data) % 4] if len(data) % 4 else []))

        token = self.scenario({"body": text, "chunk": "utf8-split"})
        _, _, body, sizes, _ = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual(body, data)
        # Every non-ASCII character is cut: no write decodes cleanly on both ends of it.
        boundaries, pos = set(), 0
        for size in sizes:
            pos += size
            boundaries.add(pos)
        offset = 0
        for char in text:
            length = len(char.encode())
            if length > 1:
                inside = set(range(offset + 1, offset + length))
                self.assertTrue(boundaries & inside, "char %r not split" % char)
            offset += length
        self.assertEqual(len(sizes), 1 + sum(1 for c in text if len(c.encode()) > 1))

    def test_close_after_gives_incomplete_chunked_body(self):
        token = self.scenario({"body": "x" * 100, "close_after": 37})
        _, _, body, _sizes, terminated = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual(body, b"x" * 37)
        self.assertFalse(terminated)
        with self.assertRaises(http.client.IncompleteRead):
            self.fetch(token)
        records = self.requests_of(token)
        self.assertTrue(records[0]["closed_by_server"])
        self.assertFalse(records[0]["completed"])

        token = self.scenario({"body": "y" * 100, "close_after": 10, "transfer": "length"})
        status, headers, body, _, _ = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual(headers["content-length"], "100")
        self.assertEqual(body, b"y" * 10)

    def test_reused_close_after_and_reset(self):
        # A kept-alive connection: the first answer whole, the second dropped unanswered (FIN),
        # or cut after 3 body bytes; with close_with "reset" the peer sees a reset.
        for spec, expect in (({"reused_close_after": 0}, b""),
                             ({"reused_close_after": 3}, b"abc"),
                             ({"reused_close_after": 0, "close_with": "reset"}, None)):
            token = self.scenario(dict({"body": "abcdef", "transfer": "length"}, **spec))
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            request = b"GET /s/%s/x HTTP/1.1\r\nHost: x\r\n\r\n" % token.encode()
            sock.sendall(request)
            data = b""
            while not data.endswith(b"abcdef"):
                data += sock.recv(65536)
            sock.sendall(request)
            data = b""
            try:
                while True:
                    piece = sock.recv(65536)
                    if not piece:
                        break
                    data += piece
                got = data.partition(b"\r\n\r\n")[2]
            except ConnectionResetError:
                got = None
            sock.close()
            self.assertEqual(got, expect, spec)
            records = self.requests_of(token)
            self.assertEqual([r["reused"] for r in records], [False, True])
            self.assertEqual([r["closed_by_server"] for r in records], [False, True])
        with self.assertRaises(urllib.error.HTTPError) as ctx:
            self.scenario({"body": "x", "close_with": "rst"})
        self.assertEqual(ctx.exception.code, 400)

    def test_stall_and_delays(self):
        token = self.scenario({"body": "0123456789abcdef", "stall_after": 10, "stall_ms": 400,
                               "first_byte_delay_ms": 150})
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        start = time.monotonic()
        sock.sendall(b"GET /s/%s/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % token.encode())
        data = bytearray()
        first_at = None
        stamps = []
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            if first_at is None:
                first_at = time.monotonic() - start
            data += piece
            stamps.append((time.monotonic() - start, bytes(data)))
        sock.close()
        self.assertGreaterEqual(first_at, 0.14)
        before_stall = [t for t, d in stamps if b"0123456789" in d and b"abcdef" not in d]
        after_stall = [t for t, d in stamps if b"abcdef" in d]
        self.assertTrue(before_stall and after_stall)
        self.assertGreaterEqual(after_stall[0] - before_stall[0], 0.35)

        token = self.scenario({"body": "abcd", "chunk": 1, "delay_ms": 100})
        start = time.monotonic()
        _, _, body, sizes, _ = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertEqual((body, sizes), (b"abcd", [1, 1, 1, 1]))
        self.assertGreaterEqual(time.monotonic() - start, 0.29)

    # -- request recording

    def test_requests_are_recorded(self):
        token = self.scenario({"body": "{}"})
        payload = json.dumps({"model": "m", "messages": [{"role": "user", "content": "héllo"}]}).encode()
        self.fetch(token, "/v1/chat/completions?alt=sse", data=payload,
                   headers={"Content-Type": "application/json", "X-Test-Header": "Yes"})
        self.fetch(token, "/second")
        records = self.requests_of(token)
        self.assertEqual(len(records), 2)
        first = records[0]
        self.assertEqual(first["method"], "POST")
        self.assertEqual(first["path"], "/v1/chat/completions?alt=sse")
        self.assertEqual(first["headers"]["x-test-header"], "Yes")
        self.assertEqual(first["headers"]["content-type"], "application/json")
        self.assertEqual(json.loads(first["body"]), json.loads(payload))
        self.assertTrue(first["completed"])
        self.assertFalse(first["disconnected"])
        self.assertEqual((records[1]["method"], records[1]["path"]), ("GET", "/second"))

    def test_expect_continue_and_chunked_upload(self):
        token = self.scenario({"body": "ok"})
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.sendall(b"POST /s/%s/up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Expect: 100-continue\r\n\r\n" % token.encode())
        self.assertTrue(sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n"))
        sock.sendall(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        data = b""
        while not data.endswith(b"0\r\n\r\n"):
            data += sock.recv(4096)
        # Keep-alive: a second request on the same connection is answered too.
        sock.sendall(b"GET /s/%s/again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % token.encode())
        while True:
            piece = sock.recv(4096)
            if not piece:
                break
            data += piece
        sock.close()
        self.assertEqual(data.count(b"HTTP/1.1 200 OK"), 2)
        records = self.requests_of(token)
        self.assertEqual(records[0]["body"], "hello world")
        self.assertEqual(records[1]["path"], "/again")

    def test_disconnect_mid_stream_is_recorded(self):
        token = self.scenario({"generate": {"dialect": "openai-chat", "tokens": 2000, "interval_ms": 20}})
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.sendall(b"POST /s/%s/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                     % token.encode())
        got = b""
        while got.count(b"data: ") < 3:
            got += sock.recv(4096)
        sock.close()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            record = self.requests_of(token)[0]
            if record["disconnected"]:
                break
            time.sleep(0.02)
        self.assertTrue(record["disconnected"])
        self.assertFalse(record["completed"])

    def test_disconnect_during_stall_is_noticed(self):
        token = self.scenario({"body": "x" * 100, "stall_after": 5, "stall_ms": 30000})
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.sendall(b"GET /s/%s/x HTTP/1.1\r\nHost: x\r\n\r\n" % token.encode())
        got = b""
        while b"xxxxx" not in got:
            got += sock.recv(4096)
        sock.close()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not self.requests_of(token)[0]["disconnected"]:
            time.sleep(0.02)
        self.assertTrue(self.requests_of(token)[0]["disconnected"])

    # -- generated streams

    def decode_generated(self, dialect, body):
        """Parse a generated body the way a client would; returns (text, reasoning, end seen)."""
        text, reasoning, ended = [], [], False
        if dialect == "openai-chat":
            events = parse_sse(body)
            self.assertEqual(events[-1][1], "[DONE]")
            saw_usage = False
            for _name, data in events[:-1]:
                obj = json.loads(data)
                if obj.get("usage"):
                    saw_usage = True
                    self.assertEqual(obj["choices"], [])
                for choice in obj["choices"]:
                    delta = choice["delta"]
                    if delta.get("content"):
                        text.append(delta["content"])
                    if delta.get("reasoning_content"):
                        reasoning.append(delta["reasoning_content"])
            self.assertTrue(saw_usage)
            ended = True
        elif dialect == "openai-responses":
            events = parse_sse(body)
            for seq, (name, data) in enumerate(events):
                obj = json.loads(data)
                self.assertEqual(obj["type"], name)
                self.assertEqual(obj["sequence_number"], seq)
                if name == "response.output_text.delta":
                    text.append(obj["delta"])
                elif name == "response.reasoning_summary_text.delta":
                    reasoning.append(obj["delta"])
            last = json.loads(events[-1][1])
            self.assertEqual(last["type"], "response.completed")
            self.assertGreater(last["response"]["usage"]["output_tokens"], 0)
            ended = True
        elif dialect == "anthropic":
            events = parse_sse(body)
            self.assertEqual(events[0][0], "message_start")
            self.assertIn("usage", json.loads(events[0][1])["message"])
            self.assertEqual(events[-1][0], "message_stop")
            self.assertIn("usage", json.loads(events[-2][1]))
            for name, data in events:
                obj = json.loads(data)
                self.assertEqual(obj["type"], name)
                if name == "content_block_delta":
                    delta = obj["delta"]
                    if delta["type"] == "text_delta":
                        text.append(delta["text"])
                    elif delta["type"] == "thinking_delta":
                        reasoning.append(delta["thinking"])
            ended = True
        elif dialect in ("gemini", "gemini-sse"):
            if dialect == "gemini":
                elements = json.loads(body)
                self.assertIsInstance(elements, list)
            else:
                self.assertIn(b"\r\n\r\n", body)
                elements = [json.loads(data) for _name, data in parse_sse(body)]
            last_count = -1
            for element in elements:
                count = element["usageMetadata"]["candidatesTokenCount"]
                self.assertGreaterEqual(count, last_count)  # cumulative
                last_count = count
                for part in element["candidates"][0]["content"]["parts"]:
                    (reasoning if part.get("thought") else text).append(part["text"])
            self.assertEqual(elements[-1]["candidates"][0]["finishReason"], "STOP")
            self.assertTrue(all("finishReason" not in e["candidates"][0] for e in elements[:-1]))
            ended = True
        elif dialect == "ollama":
            lines = body.decode().split("\n")
            self.assertEqual(lines[-1], "")
            objs = [json.loads(line) for line in lines[:-1]]
            for obj in objs[:-1]:
                self.assertFalse(obj["done"])
                text.append(obj["message"]["content"])
                reasoning.append(obj["message"].get("thinking", ""))
            self.assertTrue(objs[-1]["done"])
            self.assertIn("prompt_eval_count", objs[-1])
            self.assertIn("eval_count", objs[-1])
            ended = True
        return "".join(text), "".join(reasoning), ended

    def test_generate_every_dialect(self):
        for dialect in ("openai-chat", "openai-responses", "anthropic", "gemini", "gemini-sse", "ollama"):
            for interval in (0, 1):
                with self.subTest(dialect=dialect, interval=interval):
                    token = self.scenario({"generate": {"dialect": dialect, "tokens": 57 if interval else 3000,
                                                        "interval_ms": interval, "reasoning_tokens": 5,
                                                        "big_record_bytes": 300}})
                    _status, _headers, body = self.fetch(token)
                    text, reasoning, ended = self.decode_generated(dialect, body)
                    expected = self.expected_of(token)
                    self.assertTrue(ended)
                    self.assertEqual(text, expected["text"])
                    self.assertEqual(reasoning, expected["reasoning"])
                    self.assertTrue(text.startswith("0123456789abcdefghijklmnopqrstuvwxyz0123"))
                    self.assertIn("世界 ", text)
                    self.assertEqual(expected["reasoning"][:4], "Let ")

    def test_generate_per_event_writes(self):
        token = self.scenario({"generate": {"dialect": "ollama", "tokens": 5, "interval_ms": 2,
                                            "text": ["a", "b"]}})
        _, headers, body, sizes, terminated = read_raw_response(self.port, "/s/%s/api/chat" % token)
        self.assertEqual(headers["content-type"], "application/x-ndjson")
        lines = body.split(b"\n")[:-1]
        self.assertEqual(sizes, [len(line) + 1 for line in lines])
        self.assertTrue(terminated)
        self.assertEqual(self.expected_of(token)["text"], "ababa")

    def test_generate_rechunked_without_usage(self):
        token = self.scenario({"generate": {"dialect": "openai-chat", "tokens": 1500, "usage": False},
                               "chunk": 1000})
        _, _, body, sizes, terminated = read_raw_response(self.port, "/s/%s/x" % token)
        self.assertTrue(terminated)
        self.assertGreater(len(body), 3 * 64 * 1024)
        self.assertEqual(sizes[:-1], [1000] * (len(sizes) - 1))
        events = parse_sse(body)
        self.assertEqual(events[-1][1], "[DONE]")
        self.assertTrue(all("usage" not in json.loads(d) for _n, d in events[:-1]))
        text = "".join(json.loads(d)["choices"][0]["delta"].get("content") or "" for _n, d in events[:-1])
        self.assertEqual(text, self.expected_of(token)["text"])

    def test_generate_gemini_without_tokens_still_finishes(self):
        token = self.scenario({"generate": {"dialect": "gemini", "tokens": 0}})
        _, _, body = self.fetch(token)
        elements = json.loads(body)
        self.assertEqual(len(elements), 1)
        self.assertEqual(elements[0]["candidates"][0]["finishReason"], "STOP")
        self.assertEqual(self.expected_of(token), {"text": "", "reasoning": ""})

    def test_generate_timestamps_and_utf8_split(self):
        token = self.scenario({"generate": {"dialect": "anthropic", "tokens": 6, "interval_ms": 5,
                                            "timestamps": True}, "chunk": "utf8-split"})
        before = time.time()
        _, _, body = self.fetch(token)
        after = time.time()
        text, _, _ = self.decode_generated("anthropic", body)
        deltas = [json.loads(d)["delta"]["text"] for n, d in parse_sse(body)
                  if n == "content_block_delta"]
        self.assertEqual(len(deltas), 6)
        stamps = []
        for delta in deltas:
            match = re.match(r"^(\d+\.\d{6})\|", delta)
            self.assertIsNotNone(match, delta)
            stamps.append(float(match.group(1)))
        self.assertEqual(stamps, sorted(stamps))
        self.assertGreaterEqual(stamps[-1] - stamps[0], 0.02)
        self.assertTrue(before - 0.01 <= stamps[0] and stamps[-1] <= after + 0.01)
        self.assertEqual(self.expected_of(token)["text"], text)
        self.assertEqual(self.expected_of(token, request=0)["text"], text)

    def test_many_concurrent_streams(self):
        token = self.scenario({"generate": {"dialect": "openai-chat", "tokens": 2000}})
        expected = self.expected_of(token)["text"]
        results = []
        errors = []

        def one():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
                conn.request("POST", "/s/%s/v1/chat/completions" % token, body=b"{}")
                results.append(conn.getresponse().read())
                conn.close()
            except Exception as err:  # collected and reported below
                errors.append(err)

        threads = [threading.Thread(target=one) for _ in range(64)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 64)
        self.assertEqual(len(set(results)), 1)
        self.assertEqual(self.decode_generated("openai-chat", results[0])[0], expected)
        records = self.requests_of(token)
        self.assertEqual(len(records), 64)
        self.assertTrue(all(r["completed"] for r in records))


class LifetimeTest(unittest.TestCase):
    def _wait_exit(self, proc, seconds):
        try:
            return proc.wait(timeout=seconds)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
            proc.stdin.close()

    def test_lifetime_exit(self):
        proc, _port = start_server("--lifetime", "1")
        start = time.monotonic()
        self.assertEqual(self._wait_exit(proc, 5), 0)
        self.assertGreaterEqual(time.monotonic() - start, 0.8)

    def test_stdin_eof_exit(self):
        proc, _port = start_server("--lifetime", "60", "--exit-on-stdin-eof")
        proc.stdin.close()
        self.assertEqual(self._wait_exit(proc, 5), 0)

    def test_shutdown_endpoint_and_fixture_env(self):
        env = dict(os.environ, LLM_NATIVE_FIXTURES=str(FIXTURES / "ollama"))
        proc = subprocess.Popen([sys.executable, str(SERVER)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        port = int(proc.stdout.readline().split()[1])
        req = urllib.request.Request("http://127.0.0.1:%d/_control/scenario" % port,
                                     data=b'{"fixture": "chat-text.ndjson"}', method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            self.assertIn("token", json.load(resp))
        req = urllib.request.Request("http://127.0.0.1:%d/_control/shutdown" % port, data=b"", method="POST")
        urllib.request.urlopen(req, timeout=5).read()
        self.assertEqual(self._wait_exit(proc, 5), 0)


if __name__ == "__main__":
    unittest.main()
