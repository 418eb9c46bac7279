#!/usr/bin/env python3
"""Fake LLM provider HTTP server for llm-native's integration tests and benchmarks.

Tests register a *scenario* (what to answer and how to write it) through a small
control API, receive a token, and send their requests under ``/s/<token>/...``.
The server records every such request and answers with the scenario, with faults
injected at the byte level: chunking, delays, stalls, abrupt closes.

Python 3 standard library only.  One asyncio event loop serves every connection,
so 60+ concurrent streams cost one thread; each connection is a Protocol so that
a client going away is noticed at once, even while the server is sleeping.

See README.md in this folder for the command line and the control API.
"""

import argparse
import asyncio
import base64
import http
import json
import os
import re
import secrets
import socket
import struct
import ssl
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

# ---------------------------------------------------------------------------
# Configuration and logging

VERBOSE = False


def log(message):
    """Write MESSAGE to stderr when --verbose was given."""
    if VERBOSE:
        sys.stderr.write("fake_server: %s\n" % message)
        sys.stderr.flush()


def default_fixtures_dir():
    """The fixtures folder: env LLM_NATIVE_FIXTURES, else tests/fixtures in the repo."""
    env = os.environ.get("LLM_NATIVE_FIXTURES")
    if env:
        return Path(env)
    return (Path(__file__).resolve().parent / "../fixtures").resolve()


# Size of one write when a generated stream is batched (interval_ms == 0).
BATCH_BYTES = 64 * 1024
# Largest request head we accept; protects the server from a runaway client.
MAX_HEAD_BYTES = 1024 * 1024


class ScenarioError(ValueError):
    """A scenario JSON that cannot be served; reported to the test as HTTP 400."""


class Disconnected(Exception):
    """The client went away while we were writing or waiting."""


# ---------------------------------------------------------------------------
# .http fixtures: recorded whole responses

def parse_http_fixture(data):
    """Parse a recorded HTTP exchange and return (status, reason, headers, body) of the
    final response.

    Intermediate responses are skipped: a proxy's "200 Connection established" to a
    CONNECT, a redirect (its Content-Length body is skipped too) and 1xx responses.
    The final response's body is everything after its header block, taken as-is: the
    recordings hold decoded bodies, so a Transfer-Encoding header in the file is stale.
    """
    rest = data
    while True:
        head_end = rest.find(b"\r\n\r\n")
        sep_len = 4
        if head_end < 0:
            head_end = rest.find(b"\n\n")
            sep_len = 2
        if head_end < 0:
            raise ScenarioError("http fixture has no header block")
        head = rest[:head_end].decode("latin-1")
        body = rest[head_end + sep_len:]
        lines = head.replace("\r\n", "\n").split("\n")
        status_line = lines[0].strip()
        match = re.match(r"HTTP/[0-9.]+\s+(\d{3})\s*(.*)$", status_line)
        if not match:
            raise ScenarioError("bad status line in http fixture: %r" % status_line)
        status = int(match.group(1))
        reason = match.group(2).strip()
        headers = []
        content_length = None
        for line in lines[1:]:
            if not line.strip():
                continue
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if name.lower() == "content-length":
                try:
                    content_length = int(value)
                except ValueError:
                    content_length = None
            headers.append((name, value))
        # Another response follows this one: skip this one's body (if it declared one).
        after = body[content_length:] if content_length is not None else body
        if after.startswith(b"HTTP/"):
            rest = after
            continue
        return status, reason, headers, body


# ---------------------------------------------------------------------------
# Synthetic provider streams

DEFAULT_TEXT_TOKENS = [
    "Hello ", "héllo ", "world ", "世界 ", "🚀 ", "Grüße ", "the ", "quick ",
    "\"quoted\" ", "brown ", "naïve ", "fox ", "line\n", "back\\slash ", "日本語 ",
    "jumps ", "😀😀 ", "over ", "{braces} ", "[brackets], ",
]
DEFAULT_REASONING_TOKENS = ["Let ", "me ", "think ", "ça ", "考える ", "🤔 ", "step\n"]

DIALECTS = ("openai-chat", "openai-responses", "anthropic", "gemini", "ollama", "gemini-sse")
DIALECT_CONTENT_TYPES = {
    "openai-chat": "text/event-stream",
    "openai-responses": "text/event-stream",
    "anthropic": "text/event-stream",
    "gemini": "application/json",
    "gemini-sse": "text/event-stream",
    "ollama": "application/x-ndjson",
}
PROMPT_TOKENS = 12
ANTHROPIC_SIGNATURE = "EqQBCgIYAhIMFakeSignatureForTestsOnlyZA2b3hGgxBdjrkzLoky3dl1pkiMOYds6sYwDJfG7Ys6Oq5sQBWgH0m"


def jstr(text, _cache={}):
    """JSON-encode a string with raw UTF-8 (as the providers send it), cached because
    generated tokens cycle through a short list."""
    encoded = _cache.get(text)
    if encoded is None:
        encoded = json.dumps(text, ensure_ascii=False)
        if len(_cache) < 4096:
            _cache[text] = encoded
    return encoded


def jdump(value):
    """Compact JSON with raw UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class GenerateSpec:
    """A validated "generate" object."""

    def __init__(self, obj):
        if not isinstance(obj, dict):
            raise ScenarioError("generate must be an object")
        self.dialect = obj.get("dialect", "openai-chat")
        if self.dialect not in DIALECTS:
            raise ScenarioError("unknown dialect %r (one of %s)" % (self.dialect, ", ".join(DIALECTS)))
        self.tokens = int(obj.get("tokens", 20))
        self.interval_ms = float(obj.get("interval_ms", 0))
        text = obj.get("text")
        if text is None:
            text = DEFAULT_TEXT_TOKENS
        if not isinstance(text, list) or not text or not all(isinstance(t, str) for t in text):
            raise ScenarioError("generate.text must be a non-empty list of strings")
        self.text = text
        reasoning = obj.get("reasoning_text", DEFAULT_REASONING_TOKENS)
        if not isinstance(reasoning, list) or not reasoning or not all(isinstance(t, str) for t in reasoning):
            raise ScenarioError("generate.reasoning_text must be a non-empty list of strings")
        self.reasoning_text = reasoning
        self.timestamps = bool(obj.get("timestamps", False))
        self.reasoning_tokens = int(obj.get("reasoning_tokens", 0))
        self.usage = bool(obj.get("usage", True))
        self.big_record_bytes = int(obj.get("big_record_bytes", 0))
        if self.tokens < 0 or self.reasoning_tokens < 0 or self.big_record_bytes < 0:
            raise ScenarioError("generate counts must be >= 0")

    def big_record(self):
        """The ASCII text of the optional big first delta."""
        if self.big_record_bytes <= 0:
            return None
        pattern = "0123456789abcdefghijklmnopqrstuvwxyz"
        reps = self.big_record_bytes // len(pattern) + 1
        return (pattern * reps)[: self.big_record_bytes]

    def static_expected(self):
        """(text, reasoning) when no timestamps are stamped in."""
        reasoning = "".join(self.reasoning_text[i % len(self.reasoning_text)]
                            for i in range(self.reasoning_tokens))
        text = "".join(self.text[i % len(self.text)] for i in range(self.tokens))
        big = self.big_record()
        if big:
            text = big + text
        return text, reasoning


class TokenSource:
    """Yields the reasoning and text deltas of one generated response, stamping each
    with the send time when asked, and remembers what it produced."""

    def __init__(self, spec):
        self.spec = spec
        self.sent_text = []
        self.sent_reasoning = []

    def _stamp(self, token):
        if self.spec.timestamps:
            return "%.6f|%s" % (time.time(), token)
        return token

    def reasoning(self):
        source = self.spec.reasoning_text
        for i in range(self.spec.reasoning_tokens):
            token = self._stamp(source[i % len(source)])
            self.sent_reasoning.append(token)
            yield token

    def text(self):
        big = self.spec.big_record()
        if big:
            self.sent_text.append(big)
            yield big
        source = self.spec.text
        for i in range(self.spec.tokens):
            token = self._stamp(source[i % len(source)])
            self.sent_text.append(token)
            yield token

    def expected(self):
        return "".join(self.sent_text), "".join(self.sent_reasoning)


def count_output(spec):
    """Output token count as the providers would report it."""
    return spec.tokens + (1 if spec.big_record_bytes > 0 else 0)


# Each dialect generator yields (str, is_token): one event / line / array element, and
# whether it carries one reasoning or text delta (interval_ms is slept after those).

def gen_openai_chat(spec, src):
    head = ('data: {"id":"chatcmpl-fake0001","object":"chat.completion.chunk","created":1730000000,'
            '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_fake","choices":[{"index":0,"delta":')
    tail = ',"logprobs":null,"finish_reason":null}]' + (',"usage":null' if spec.usage else "") + "}\n\n"
    yield head + '{"role":"assistant","content":""}' + tail, False
    for token in src.reasoning():
        yield head + '{"content":null,"reasoning_content":' + jstr(token) + "}" + tail, True
    for token in src.text():
        yield head + '{"content":' + jstr(token) + "}" + tail, True
    yield (head + '{},"logprobs":null,"finish_reason":"stop"}]' + (',"usage":null' if spec.usage else "")
           + "}\n\n"), False
    if spec.usage:
        completion = count_output(spec) + spec.reasoning_tokens
        usage = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": completion,
                 "total_tokens": PROMPT_TOKENS + completion,
                 "prompt_tokens_details": {"cached_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": spec.reasoning_tokens}}
        yield ('data: {"id":"chatcmpl-fake0001","object":"chat.completion.chunk","created":1730000000,'
               '"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_fake","choices":[],"usage":'
               + jdump(usage) + "}\n\n"), False
    yield "data: [DONE]\n\n", False


def gen_openai_responses(spec, src):
    seq = [0]

    def event(kind, payload_without_seq):
        # payload_without_seq is the JSON object text without its closing brace.
        text = ("event: %s\ndata: %s,\"sequence_number\":%d}\n\n"
                % (kind, payload_without_seq, seq[0]))
        seq[0] += 1
        return text

    def response_obj(status, output, usage):
        return {"id": "resp_fake0001", "object": "response", "created_at": 1757520000,
                "status": status, "error": None, "incomplete_details": None,
                "model": "gpt-5-mini-2025-08-07", "output": output,
                "parallel_tool_calls": True, "previous_response_id": None,
                "reasoning": {"effort": "low", "summary": None}, "store": True,
                "temperature": 1.0, "text": {"format": {"type": "text"}, "verbosity": "medium"},
                "tool_choice": "auto", "tools": [], "usage": usage}

    def typed(kind, **fields):
        obj = {"type": kind}
        obj.update(fields)
        return jdump(obj)[:-1]

    yield event("response.created", typed("response.created", response=response_obj("in_progress", [], None))), False
    yield event("response.in_progress", typed("response.in_progress", response=response_obj("in_progress", [], None))), False
    output = []
    output_index = 0
    if spec.reasoning_tokens > 0:
        rid = "rs_fake0001"
        yield event("response.output_item.added", typed(
            "response.output_item.added", output_index=0,
            item={"id": rid, "type": "reasoning", "summary": []})), False
        yield event("response.reasoning_summary_part.added", typed(
            "response.reasoning_summary_part.added", item_id=rid, output_index=0, summary_index=0,
            part={"type": "summary_text", "text": ""})), False
        head = ('{"type":"response.reasoning_summary_text.delta","item_id":"%s","output_index":0,'
                '"summary_index":0,"delta":' % rid)
        for token in src.reasoning():
            yield event("response.reasoning_summary_text.delta", head + jstr(token) + ',"obfuscation":"zz"'), True
        summary = "".join(src.sent_reasoning)
        yield event("response.reasoning_summary_text.done", typed(
            "response.reasoning_summary_text.done", item_id=rid, output_index=0, summary_index=0,
            text=summary)), False
        yield event("response.reasoning_summary_part.done", typed(
            "response.reasoning_summary_part.done", item_id=rid, output_index=0, summary_index=0,
            part={"type": "summary_text", "text": summary})), False
        item = {"id": rid, "type": "reasoning", "summary": [{"type": "summary_text", "text": summary}]}
        yield event("response.output_item.done", typed(
            "response.output_item.done", output_index=0, item=item)), False
        output.append(item)
        output_index = 1
    mid = "msg_fake0001"
    yield event("response.output_item.added", typed(
        "response.output_item.added", output_index=output_index,
        item={"id": mid, "type": "message", "status": "in_progress", "content": [], "role": "assistant"})), False
    yield event("response.content_part.added", typed(
        "response.content_part.added", item_id=mid, output_index=output_index, content_index=0,
        part={"type": "output_text", "annotations": [], "logprobs": [], "text": ""})), False
    head = ('{"type":"response.output_text.delta","item_id":"%s","output_index":%d,"content_index":0,"delta":'
            % (mid, output_index))
    for token in src.text():
        yield event("response.output_text.delta", head + jstr(token) + ',"logprobs":[],"obfuscation":"aB3dE"'), True
    full = "".join(src.sent_text)
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": full}
    yield event("response.output_text.done", typed(
        "response.output_text.done", item_id=mid, output_index=output_index, content_index=0,
        text=full, logprobs=[])), False
    yield event("response.content_part.done", typed(
        "response.content_part.done", item_id=mid, output_index=output_index, content_index=0,
        part=part)), False
    item = {"id": mid, "type": "message", "status": "completed", "content": [part], "role": "assistant"}
    yield event("response.output_item.done", typed(
        "response.output_item.done", output_index=output_index, item=item)), False
    output.append(item)
    usage = None
    if spec.usage:
        out = count_output(spec) + spec.reasoning_tokens
        usage = {"input_tokens": PROMPT_TOKENS, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": out, "output_tokens_details": {"reasoning_tokens": spec.reasoning_tokens},
                 "total_tokens": PROMPT_TOKENS + out}
    yield event("response.completed", typed(
        "response.completed", response=response_obj("completed", output, usage))), False


def gen_anthropic(spec, src):
    def event(kind, payload):
        return "event: %s\ndata: %s\n\n" % (kind, payload)

    start = {"type": "message_start", "message": {
        "model": "claude-sonnet-4-5-20250929", "id": "msg_fake0001", "type": "message",
        "role": "assistant", "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": PROMPT_TOKENS, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "output_tokens": 1, "service_tier": "standard"}}}
    yield event("message_start", jdump(start)), False
    index = 0
    if spec.reasoning_tokens > 0:
        yield event("content_block_start", '{"type":"content_block_start","index":0,'
                    '"content_block":{"type":"thinking","thinking":"","signature":""}}'), False
        yield event("ping", '{"type":"ping"}'), False
        head = '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":'
        for token in src.reasoning():
            yield event("content_block_delta", head + jstr(token) + "}}"), True
        yield event("content_block_delta", '{"type":"content_block_delta","index":0,"delta":'
                    '{"type":"signature_delta","signature":"%s"}}' % ANTHROPIC_SIGNATURE), False
        yield event("content_block_stop", '{"type":"content_block_stop","index":0}'), False
        index = 1
    yield event("content_block_start", '{"type":"content_block_start","index":%d,'
                '"content_block":{"type":"text","text":""}}' % index), False
    if index == 0:
        yield event("ping", '{"type":"ping"}'), False
    head = '{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":' % index
    for token in src.text():
        yield event("content_block_delta", head + jstr(token) + "}}"), True
    yield event("content_block_stop", '{"type":"content_block_stop","index":%d}' % index), False
    out = count_output(spec) + spec.reasoning_tokens
    yield event("message_delta", '{"type":"message_delta","delta":{"stop_reason":"end_turn",'
                '"stop_sequence":null},"usage":{"output_tokens":%d}}' % out), False
    yield event("message_stop", '{"type":"message_stop"}'), False


def _gemini_elements(spec, src, separators):
    """Gemini GenerateContentResponse objects as JSON text, one per delta; the last one
    carries finishReason STOP.  usageMetadata is cumulative on each."""
    candidates = [0]
    thoughts = [0]
    total = count_output(spec) + spec.reasoning_tokens
    produced = [0]

    def element(token, thought):
        produced[0] += 1
        if thought:
            thoughts[0] += 1
        else:
            candidates[0] += 1
        part = {"text": token}
        if thought:
            part["thought"] = True
        candidate = {"content": {"parts": [part], "role": "model"}}
        if produced[0] >= total:
            candidate["finishReason"] = "STOP"
        candidate["index"] = 0
        obj = {"candidates": [candidate]}
        if spec.usage:
            usage = {"promptTokenCount": PROMPT_TOKENS, "candidatesTokenCount": candidates[0],
                     "totalTokenCount": PROMPT_TOKENS + candidates[0] + thoughts[0],
                     "promptTokensDetails": [{"modality": "TEXT", "tokenCount": PROMPT_TOKENS}]}
            if thoughts[0]:
                usage["thoughtsTokenCount"] = thoughts[0]
            obj["usageMetadata"] = usage
        obj["modelVersion"] = "gemini-2.5-flash"
        obj["responseId"] = "FakeResponseId0001"
        return json.dumps(obj, ensure_ascii=False, separators=separators)

    for token in src.reasoning():
        yield element(token, True), True
    for token in src.text():
        yield element(token, False), True
    if total == 0:
        # Nothing to say still ends with a finished candidate.
        total = 1
        yield element("", False), False


def gen_gemini(spec, src):
    first = True
    for text, is_token in _gemini_elements(spec, src, (", ", ": ")):
        yield ("[" if first else "\n,\r\n") + text, is_token
        first = False
    yield ("]" if not first else "[]"), False


def gen_gemini_sse(spec, src):
    for text, is_token in _gemini_elements(spec, src, (",", ": ")):
        yield "data: " + text + "\r\n\r\n", is_token


def gen_ollama(spec, src):
    counter = [0]

    def stamp():
        counter[0] += 1
        return '"created_at":"2025-10-26T17:15:%02d.%06dZ"' % (24 + counter[0] // 1000000 % 30, counter[0] % 1000000)

    for token in src.reasoning():
        yield ('{"model":"qwen3:8b",' + stamp() + ',"message":{"role":"assistant","content":"","thinking":'
               + jstr(token) + '},"done":false}\n'), True
    for token in src.text():
        yield ('{"model":"qwen3:8b",' + stamp() + ',"message":{"role":"assistant","content":'
               + jstr(token) + '},"done":false}\n'), True
    yield ('{"model":"qwen3:8b",' + stamp() + ',"message":{"role":"assistant","content":""},'
           '"done_reason":"stop","done":true,"total_duration":4883583458,"load_duration":1334875,'
           '"prompt_eval_count":%d,"prompt_eval_duration":342546000,"eval_count":%d,'
           '"eval_duration":4535599000}\n' % (PROMPT_TOKENS, count_output(spec) + spec.reasoning_tokens)), False


GENERATORS = {
    "openai-chat": gen_openai_chat,
    "openai-responses": gen_openai_responses,
    "anthropic": gen_anthropic,
    "gemini": gen_gemini,
    "gemini-sse": gen_gemini_sse,
    "ollama": gen_ollama,
}


def batched(events):
    """Join generated events into writes of about BATCH_BYTES (for interval_ms == 0)."""
    pending = []
    size = 0
    for text, _is_token in events:
        pending.append(text)
        size += len(text)
        if size >= BATCH_BYTES:
            yield "".join(pending).encode(), False
            pending = []
            size = 0
    if pending:
        yield "".join(pending).encode(), False


def encoded(events):
    """Each generated event as its own write (for interval_ms > 0)."""
    for text, is_token in events:
        yield text.encode(), is_token


# ---------------------------------------------------------------------------
# Scenarios

CHUNK_MODES = ("whole", "bytes", "utf8-split")
TRANSFERS = ("chunked", "length", "close")
EXT_CONTENT_TYPES = {".sse": "text/event-stream", ".ndjson": "application/x-ndjson",
                     ".json": "application/json"}


class Scenario:
    """A registered answer, reusable by any number of requests."""

    def __init__(self, obj, fixtures_dir):
        if not isinstance(obj, dict):
            raise ScenarioError("scenario must be a JSON object")
        sources = [k for k in ("body", "body_b64", "fixture", "generate") if k in obj]
        if len(sources) != 1:
            raise ScenarioError("give exactly one of body, body_b64, fixture, generate (got %s)" % sources)
        self.status = int(obj.get("status", 200))
        self.reason = None
        self.headers = []           # (name, value) in order
        self.body = None            # bytes, for static bodies
        self.generate = None        # GenerateSpec
        self._cache = {}            # generated body writes, when deterministic
        content_type = "application/json"
        if "body" in obj:
            if not isinstance(obj["body"], str):
                raise ScenarioError("body must be a string")
            self.body = obj["body"].encode()
        elif "body_b64" in obj:
            try:
                self.body = base64.b64decode(obj["body_b64"], validate=True)
            except (ValueError, TypeError) as err:
                raise ScenarioError("bad body_b64: %s" % err)
        elif "fixture" in obj:
            path = (Path(fixtures_dir) / obj["fixture"]).resolve()
            root = Path(fixtures_dir).resolve()
            if root not in path.parents or not path.is_file():
                raise ScenarioError("no such fixture: %s (under %s)" % (obj["fixture"], root))
            data = path.read_bytes()
            if path.suffix == ".http":
                status, reason, file_headers, body = parse_http_fixture(data)
                if "status" not in obj:
                    self.status = status
                    self.reason = reason or None
                content_type = None
                for name, value in file_headers:
                    lower = name.lower()
                    if lower in ("content-length", "transfer-encoding", "connection"):
                        continue
                    if lower == "content-type":
                        content_type = value
                        continue
                    self.headers.append((name, value))
                self.body = body
            else:
                content_type = EXT_CONTENT_TYPES.get(path.suffix, "application/json")
                self.body = data
        else:
            self.generate = GenerateSpec(obj["generate"])
            content_type = DIALECT_CONTENT_TYPES[self.generate.dialect]
        if "content_type" in obj:
            content_type = obj["content_type"]
            if content_type is not None and not isinstance(content_type, str):
                raise ScenarioError("content_type must be a string or null")
        self.content_type = content_type
        extra = obj.get("headers") or {}
        if not isinstance(extra, dict):
            raise ScenarioError("headers must be an object")
        for name, value in extra.items():
            self.headers.append((str(name), str(value)))
        chunk = obj.get("chunk", "whole")
        if isinstance(chunk, bool) or not (chunk in CHUNK_MODES or (isinstance(chunk, int) and chunk > 0)):
            raise ScenarioError("chunk must be whole, bytes, utf8-split or a positive integer")
        self.chunk = chunk
        self.transfer = obj.get("transfer", "chunked")
        if self.transfer not in TRANSFERS:
            raise ScenarioError("transfer must be one of %s" % ", ".join(TRANSFERS))
        self.delay = float(obj.get("delay_ms") or 0) / 1000.0
        self.first_byte_delay = float(obj.get("first_byte_delay_ms") or 0) / 1000.0
        self.stall_after = obj.get("stall_after")
        self.stall = float(obj.get("stall_ms") or 0) / 1000.0
        self.close_after = obj.get("close_after")
        # On a connection that already answered a request: close after that many body bytes,
        # 0 = before the status line (a keep-alive connection the server drops under a request).
        self.reused_close_after = obj.get("reused_close_after")
        self.close_with = obj.get("close_with", "fin")  # "reset": RST rather than FIN
        if self.close_with not in ("fin", "reset"):
            raise ScenarioError("close_with must be fin or reset")
        for key in ("stall_after", "close_after", "reused_close_after"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ScenarioError("%s must be null or an integer >= 0" % key)
        self.requests = []

    def body_writes(self):
        """Return (iterable of (bytes, is_token) natural writes, TokenSource or None).

        A static body is one natural write.  A generated body is one write per event
        when interval_ms > 0, else writes of about BATCH_BYTES.  Deterministic
        generated bodies are built once and reused by every request.
        """
        if self.generate is None:
            return [(self.body, False)], None
        spec = self.generate
        per_event = spec.interval_ms > 0
        if spec.timestamps:
            src = TokenSource(spec)
            events = GENERATORS[spec.dialect](spec, src)
            return (encoded(events) if per_event else batched(events)), src
        cached = self._cache.get(per_event)
        if cached is None:
            src = TokenSource(spec)
            events = GENERATORS[spec.dialect](spec, src)
            cached = list(encoded(events) if per_event else batched(events))
            self._cache[per_event] = cached
        return cached, None


def utf8_split_points(data):
    """Offsets that fall inside every multi-byte UTF-8 character of DATA (its middle)."""
    points = []
    for match in re.finditer(rb"[\xc0-\xf7]", data):
        lead = data[match.start()]
        length = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        points.append(match.start() + max(1, length // 2))
    return points


def split_writes(writes, chunk, merge):
    """Cut the natural writes into the writes the chunk mode asks for.

    Yields (bytes, ends_token).  With MERGE, "bytes" and n-byte modes cut across
    natural-write boundaries so every write has exactly n bytes (the last may be
    shorter); without it (per-event generated streams) each event is cut alone.
    """
    if chunk == "whole":
        for data, is_token in writes:
            if data:
                yield data, is_token
        return
    if chunk == "utf8-split":
        for data, is_token in writes:
            start = 0
            for point in utf8_split_points(data):
                if point > start and point < len(data):
                    yield data[start:point], False
                    start = point
            if start < len(data):
                yield data[start:], is_token
        return
    size = 1 if chunk == "bytes" else int(chunk)
    if not merge:
        for data, is_token in writes:
            for start in range(0, len(data), size):
                end = min(start + size, len(data))
                yield data[start:end], is_token and end == len(data)
        return
    carry = b""
    for data, _is_token in writes:
        if carry:
            data = carry + data
            carry = b""
        full = len(data) - len(data) % size
        for start in range(0, full, size):
            yield data[start:start + size], False
        carry = data[full:]
    if carry:
        yield carry, False


# ---------------------------------------------------------------------------
# The server state

class State:
    """Scenarios by token, and the shutdown signal."""

    def __init__(self, fixtures_dir):
        self.fixtures_dir = fixtures_dir
        self.scenarios = {}
        self.stop = None  # asyncio.Event, set to shut down

    def add(self, scenario):
        token = secrets.token_hex(6)
        self.scenarios[token] = scenario
        return token


def public_record(record):
    """The JSON view of a recorded request."""
    return {key: record[key] for key in
            ("method", "path", "headers", "body", "disconnected", "completed", "closed_by_server",
             "proxied", "tls", "tls_resumed", "reused")}


# ---------------------------------------------------------------------------
# One HTTP/1.1 connection

class Connection(asyncio.Protocol):
    """Reads requests, writes responses, and notices the peer leaving at any time."""

    def __init__(self, state):
        self.state = state
        self.loop = asyncio.get_running_loop()
        self.transport = None
        self.buffer = bytearray()
        self.data_waiter = None
        self.closed = False           # peer sent EOF or the connection was lost
        self.waiters = set()          # futures woken when the connection closes
        self.write_resumed = None     # future while the transport is paused
        self.in_response = None       # the record being answered, if any
        self.task = None
        self.answered = 0             # requests this connection answered before

    # -- Protocol callbacks

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        # Resume only once the user-space buffer is empty so "completed" means written.
        transport.set_write_buffer_limits(high=256 * 1024, low=0)
        self.task = self.loop.create_task(self.serve())

    def data_received(self, data):
        self.buffer += data
        self._wake_reader()

    def eof_received(self):
        self._peer_gone()
        return True

    def connection_lost(self, exc):
        self._peer_gone()

    def pause_writing(self):
        if self.write_resumed is None:
            self.write_resumed = self.loop.create_future()

    def resume_writing(self):
        if self.write_resumed is not None and not self.write_resumed.done():
            self.write_resumed.set_result(None)
        self.write_resumed = None

    # -- helpers

    def _wake_reader(self):
        if self.data_waiter is not None and not self.data_waiter.done():
            self.data_waiter.set_result(None)

    def _peer_gone(self):
        if self.closed:
            return
        self.closed = True
        if self.in_response is not None and not self.in_response["completed"]:
            self.in_response["disconnected"] = True
            log("client went away during %s %s" % (self.in_response["method"], self.in_response["path"]))
        self._wake_reader()
        for fut in list(self.waiters):
            if not fut.done():
                fut.set_result(None)
        if self.write_resumed is not None and not self.write_resumed.done():
            self.write_resumed.set_result(None)

    async def pause(self, seconds):
        """Sleep SECONDS, but raise Disconnected as soon as the client goes away."""
        if self.closed:
            raise Disconnected()
        if seconds <= 0:
            return
        fut = self.loop.create_future()
        self.waiters.add(fut)
        handle = self.loop.call_later(seconds, lambda: fut.done() or fut.set_result(None))
        try:
            await fut
        finally:
            handle.cancel()
            self.waiters.discard(fut)
        if self.closed:
            raise Disconnected()

    async def write(self, data):
        if self.closed or self.transport.is_closing():
            raise Disconnected()
        self.transport.write(data)
        if self.write_resumed is not None:
            await self.write_resumed
            if self.closed:
                raise Disconnected()

    async def flush(self):
        """Wait until every byte has left our buffer for the kernel."""
        while self.transport.get_write_buffer_size() > 0:
            if self.closed:
                raise Disconnected()
            await self.pause(0.002)
        if self.closed:
            raise Disconnected()

    async def read_more(self):
        """Wait for more bytes; False at EOF."""
        if self.closed:
            return False
        self.data_waiter = self.loop.create_future()
        try:
            await self.data_waiter
        finally:
            self.data_waiter = None
        return True

    # -- request parsing

    async def read_request(self):
        """Parse one request; returns (method, target, version, headers dict, body bytes) or None."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            if len(self.buffer) > MAX_HEAD_BYTES:
                return None
            if not await self.read_more():
                return None
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[:end + 4]
        lines = head.split("\r\n")
        while lines and not lines[0]:
            lines.pop(0)  # tolerate stray CRLF between requests
        parts = lines[0].split(" ") if lines else []
        if len(parts) != 3:
            return None
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = headers[name] + ", " + value if name in headers else value
        if headers.get("expect", "").lower() == "100-continue":
            await self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = bytearray()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                while b"\r\n" not in self.buffer:
                    if not await self.read_more():
                        return None
                line_end = self.buffer.find(b"\r\n")
                size = int(bytes(self.buffer[:line_end]).split(b";")[0].strip() or b"0", 16)
                del self.buffer[:line_end + 2]
                if size == 0:
                    # Trailers, then an empty line.
                    while True:
                        while b"\r\n" not in self.buffer:
                            if not await self.read_more():
                                return None
                        line_end = self.buffer.find(b"\r\n")
                        del self.buffer[:line_end + 2]
                        if line_end == 0:
                            break
                    break
                while len(self.buffer) < size + 2:
                    if not await self.read_more():
                        return None
                body += self.buffer[:size]
                del self.buffer[:size + 2]
        else:
            length = int(headers.get("content-length", "0") or 0)
            while len(self.buffer) < length:
                if not await self.read_more():
                    return None
            body = self.buffer[:length]
            del self.buffer[:length]
        return method, target, version, headers, bytes(body)

    # -- the connection loop

    async def serve(self):
        try:
            while True:
                request = await self.read_request()
                if request is None:
                    break
                method, target, version, headers, body = request
                log("%s %s" % (method, target))
                keep_alive = (version == "HTTP/1.1" and headers.get("connection", "").lower() != "close")
                keep_alive = await self.dispatch(method, target, headers, body) and keep_alive
                self.answered += 1
                if not keep_alive:
                    break
        except Disconnected:
            pass
        except Exception as err:  # a server bug must not kill the loop; say why (--verbose)
            log("error on connection: %r" % (err,))
        finally:
            if self.transport is not None and not self.transport.is_closing():
                self.transport.close()

    async def send_simple(self, status, obj, keep_alive=True):
        data = json.dumps(obj, ensure_ascii=False).encode()
        head = ("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % (status, reason_phrase(status), len(data))).encode()
        await self.write(head + data)

    async def dispatch(self, method, target, headers, body):
        """Answer one request; returns False if the connection must close afterwards."""
        split = urlsplit(target)
        path = split.path
        if path.startswith("/_control/"):
            return await self.control(method, path, parse_qs(split.query), body)
        match = re.match(r"^/s/([^/?]+)(/.*)?$", path)
        if not match:
            await self.send_simple(404, {"error": "not under /s/<token>/: %s" % path})
            return True
        token = match.group(1)
        scenario = self.state.scenarios.get(token)
        if scenario is None:
            await self.send_simple(404, {"error": "unknown scenario token %s" % token})
            return True
        rest = match.group(2) or "/"
        if split.query:
            rest += "?" + split.query
        record = {"method": method, "path": rest, "headers": headers,
                  # An absolute-form target means the client used us as its HTTP proxy.
                  "proxied": bool(split.netloc),
                  "tls": self.transport.get_extra_info("sslcontext") is not None,
                  # The client resumed an earlier TLS session (no full handshake).
                  "tls_resumed": bool(getattr(self.transport.get_extra_info("ssl_object"),
                                              "session_reused", False)),
                  "body": body.decode("utf-8", errors="replace"),
                  "disconnected": False, "completed": False, "closed_by_server": False,
                  "reused": self.answered > 0, "expected": None}
        scenario.requests.append(record)
        return await self.respond(scenario, record)

    async def control(self, method, path, query, body):
        state = self.state
        if path == "/_control/scenario" and method == "POST":
            try:
                obj = json.loads(body.decode("utf-8") or "null")
                token = state.add(Scenario(obj, state.fixtures_dir))
            except (ScenarioError, ValueError, OSError) as err:
                await self.send_simple(400, {"error": str(err)})
                return True
            await self.send_simple(200, {"token": token})
            return True
        if path == "/_control/requests" and method == "GET":
            scenario = state.scenarios.get((query.get("token") or [""])[0])
            if scenario is None:
                await self.send_simple(404, {"error": "unknown token"})
                return True
            await self.send_simple(200, [public_record(r) for r in scenario.requests])
            return True
        if path == "/_control/expected" and method == "GET":
            scenario = state.scenarios.get((query.get("token") or [""])[0])
            if scenario is None or scenario.generate is None:
                await self.send_simple(404, {"error": "unknown token or not a generate scenario"})
                return True
            spec = scenario.generate
            if "request" in query:
                index = int(query["request"][0])
                if not 0 <= index < len(scenario.requests) or scenario.requests[index]["expected"] is None:
                    await self.send_simple(404, {"error": "no such request"})
                    return True
                text, reasoning = scenario.requests[index]["expected"]
            elif spec.timestamps:
                stamped = [r["expected"] for r in scenario.requests if r["expected"] is not None]
                if not stamped:
                    await self.send_simple(404, {"error": "no request has been answered yet"})
                    return True
                text, reasoning = stamped[-1]
            else:
                text, reasoning = spec.static_expected()
            await self.send_simple(200, {"text": text, "reasoning": reasoning})
            return True
        if path == "/_control/shutdown" and method == "POST":
            await self.send_simple(200, {"ok": True})
            await self.flush()
            state.stop.set()
            return False
        await self.send_simple(404, {"error": "unknown control endpoint %s %s" % (method, path)})
        return True

    def cut(self, scenario, record):
        """Close the connection in the middle of RECORD's answer, as SCENARIO says."""
        record["closed_by_server"] = True
        sock = self.transport.get_extra_info("socket")
        if scenario.close_with == "reset" and sock is not None:
            # Linger 0: the kernel answers with RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.transport.abort()
        else:
            self.transport.close()

    async def respond(self, scenario, record):
        """Write SCENARIO's response; returns False if the connection must close."""
        self.in_response = record
        try:
            return await self._respond(scenario, record)
        except Disconnected:
            record["disconnected"] = not record["completed"]
            return False
        finally:
            self.in_response = None

    async def _respond(self, scenario, record):
        if record["reused"] and scenario.reused_close_after == 0:
            self.cut(scenario, record)
            return False
        await self.pause(scenario.first_byte_delay)
        if record["method"] == "HEAD" or scenario.status in (204, 304) or 100 <= scenario.status < 200:
            # These responses have no body (RFC 9110): headers only, or the connection
            # would carry stray bytes into the client's next request.
            lines = head_lines(scenario)
            if record["method"] == "HEAD":
                lines.append("Content-Length: 0")
            await self.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
            await self.flush()
            record["completed"] = True
            return True
        writes, source = scenario.body_writes()
        transfer = scenario.transfer
        if transfer == "length":
            # The length must be known up front: build the whole body first.
            writes = list(writes)
            total = sum(len(data) for data, _ in writes)
        lines = head_lines(scenario)
        if transfer == "chunked":
            lines.append("Transfer-Encoding: chunked")
        elif transfer == "length":
            lines.append("Content-Length: %d" % total)
        else:
            lines.append("Connection: close")
        await self.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))

        chunked = transfer == "chunked"
        merge = scenario.generate is None or scenario.generate.interval_ms <= 0
        interval = scenario.generate.interval_ms / 1000.0 if scenario.generate else 0.0
        stall_at = scenario.stall_after
        close_at = scenario.close_after
        if record["reused"] and scenario.reused_close_after is not None:
            close_at = scenario.reused_close_after
        written = 0
        first = True

        async def thresholds():
            """Stall or close once WRITTEN reaches a threshold; True means closed."""
            nonlocal stall_at
            if stall_at is not None and written >= stall_at:
                stall_at = None
                await self.flush()
                await self.pause(scenario.stall)
            if close_at is not None and written >= close_at:
                await self.flush()
                self.cut(scenario, record)
                return True
            return False

        if await thresholds():
            return False
        for piece, ends_token in split_writes(writes, scenario.chunk, merge):
            if not first and scenario.delay > 0:
                await self.pause(scenario.delay)
            first = False
            while piece:
                cut = len(piece)
                if stall_at is not None:
                    cut = min(cut, stall_at - written)
                if close_at is not None:
                    cut = min(cut, close_at - written)
                part, piece = piece[:cut], piece[cut:]
                if chunked:
                    await self.write(b"%X\r\n%s\r\n" % (len(part), part))
                else:
                    await self.write(part)
                written += len(part)
                if await thresholds():
                    return False
            if ends_token and interval > 0:
                await self.pause(interval)
        if chunked:
            await self.write(b"0\r\n\r\n")
        await self.flush()
        record["completed"] = True
        if source is not None:
            record["expected"] = source.expected()
        elif scenario.generate is not None:
            record["expected"] = scenario.generate.static_expected()
        if transfer == "close":
            self.transport.close()
            return False
        return True


def head_lines(scenario):
    """The status line and SCENARIO's own headers, without any framing header."""
    lines = ["HTTP/1.1 %d %s" % (scenario.status, scenario.reason or reason_phrase(scenario.status))]
    if scenario.content_type is not None:
        lines.append("Content-Type: " + scenario.content_type)
    lines.extend("%s: %s" % (name, value) for name, value in scenario.headers)
    return lines


def reason_phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return {529: "Site Overloaded"}.get(status, "Unknown")


# ---------------------------------------------------------------------------
# Main

async def main_async(args):
    state = State(args.fixtures)
    state.stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # asyncio reports socket errors of vanished clients itself; keep stderr quiet
    # unless --verbose.
    loop.set_exception_handler(lambda _loop, context: log("asyncio: %s" % context.get("message")))
    server = await loop.create_server(lambda: Connection(state), "127.0.0.1", args.port,
                                      backlog=512, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write("PORT %d\n" % port)
    tls_server = None
    if args.tls_cert:
        # A second listener with the same scenarios, for TLS tests.
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        tls_server = await loop.create_server(lambda: Connection(state), "127.0.0.1", 0,
                                              backlog=512, reuse_address=True, ssl=context)
        sys.stdout.write("TLS_PORT %d\n" % tls_server.sockets[0].getsockname()[1])
    sys.stdout.flush()
    log("listening on 127.0.0.1:%d, fixtures %s" % (port, args.fixtures))
    loop.call_later(args.lifetime, state.stop.set)
    if args.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except (OSError, ValueError):
                pass
            loop.call_soon_threadsafe(state.stop.set)
        threading.Thread(target=watch_stdin, daemon=True).start()
    await state.stop.wait()
    log("shutting down")
    server.close()
    if tls_server:
        tls_server.close()


def main():
    global VERBOSE
    parser = argparse.ArgumentParser(description="Fake LLM provider server for llm-native tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--lifetime", type=float, default=300, help="exit after this many seconds")
    parser.add_argument("--fixtures", default=None, help="fixtures folder")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when stdin reaches EOF")
    parser.add_argument("--verbose", action="store_true", help="log to stderr")
    parser.add_argument("--tls-cert", help="certificate (PEM): also listen with TLS, printing TLS_PORT n")
    parser.add_argument("--tls-key", help="private key (PEM) of --tls-cert")
    args = parser.parse_args()
    VERBOSE = args.verbose
    args.fixtures = str(Path(args.fixtures).resolve()) if args.fixtures else str(default_fixtures_dir())
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass
    # Open keep-alive connections and the stdin thread must not keep us alive.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
