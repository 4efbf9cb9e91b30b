#!/usr/bin/env python3
"""Independent Teahouse protocol (version 1) client, written only from
docs/PROTOCOL.md, to check that the specification is complete.

Usage:
  teahouse_interop.py --server HOST:PORT --nick NICK --room ROOM [--drop-rate P]
  teahouse_interop.py --verify-examples [--doc PATH]

Standard library only, plus libsodium through ctypes.
"""

import argparse
import base64
import ctypes
import hashlib
import hmac
import json
import os
import random
import re
import select
import socket
import struct
import sys
import time

# ---------------------------------------------------------------------------
# libsodium
# ---------------------------------------------------------------------------

_sodium = ctypes.CDLL("libsodium.so.23")
if _sodium.sodium_init() < 0:
    raise SystemExit("libsodium failed to initialise")

_ull = ctypes.c_ulonglong


def randombytes(n):
    buf = ctypes.create_string_buffer(n)
    _sodium.randombytes_buf(buf, ctypes.c_size_t(n))
    return buf.raw


def x25519_base(priv):
    out = ctypes.create_string_buffer(32)
    if _sodium.crypto_scalarmult_base(out, priv) != 0:
        raise ValueError("scalarmult_base failed")
    return out.raw


def x25519(priv, pub):
    out = ctypes.create_string_buffer(32)
    rc = _sodium.crypto_scalarmult(out, priv, pub)
    # libsodium returns -1 when the result is all zeros; PROTOCOL.md 4.5
    # says such a DH result MUST be rejected.
    if rc != 0 or out.raw == bytes(32):
        raise ValueError("X25519 result is all zeros")
    return out.raw


def aead_encrypt(key, nonce, ad, pt):
    c = ctypes.create_string_buffer(len(pt) + 16)
    clen = _ull(0)
    _sodium.crypto_aead_chacha20poly1305_ietf_encrypt(
        c, ctypes.byref(clen), pt, _ull(len(pt)), ad, _ull(len(ad)),
        None, nonce, key)
    return c.raw[:clen.value]


def aead_decrypt(key, nonce, ad, ct):
    """Returns the plaintext, or None if the tag does not verify."""
    if len(ct) < 16:
        return None
    m = ctypes.create_string_buffer(max(len(ct) - 16, 1))
    mlen = _ull(0)
    rc = _sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
        m, ctypes.byref(mlen), None, ct, _ull(len(ct)), ad, _ull(len(ad)),
        nonce, key)
    if rc != 0:
        return None
    return m.raw[:mlen.value]


def noise_nonce(n):
    # Section 5.2: four zero bytes, then the 64-bit counter little-endian.
    return b"\x00\x00\x00\x00" + struct.pack("<Q", n)


def rekey(k):
    # Section 5.4 / Noise REKEY.
    return aead_encrypt(k, noise_nonce(0xFFFFFFFFFFFFFFFF), b"", bytes(32))[:32]


def fingerprint(key):
    d = hashlib.sha256(key).digest()
    return "SHA256:" + base64.urlsafe_b64encode(d).rstrip(b"=").decode()


# ---------------------------------------------------------------------------
# Noise_NK_25519_ChaChaPoly_BLAKE2b
# ---------------------------------------------------------------------------

PROTOCOL_NAME = b"Noise_NK_25519_ChaChaPoly_BLAKE2b"
PROLOGUE = b"teahouse/1"


def _hash(data):
    return hashlib.blake2b(data).digest()   # 64 bytes


def _hmac(key, data):
    # Standard HMAC with BLAKE2b (block size 128), not BLAKE2b keyed mode.
    return hmac.new(key, data, hashlib.blake2b).digest()


def _hkdf(ck, ikm, n):
    tk = _hmac(ck, ikm)
    outs = []
    prev = b""
    for i in range(1, n + 1):
        prev = _hmac(tk, prev + bytes([i]))
        outs.append(prev)
    return outs


class NoiseNK:
    def __init__(self, rs_pub):
        name = PROTOCOL_NAME
        self.h = name.ljust(64, b"\x00") if len(name) <= 64 else _hash(name)
        self.ck = self.h
        self.k = None
        self.n = 0
        self.mix_hash(PROLOGUE)
        self.mix_hash(rs_pub)        # pre-message  <- s
        self.rs = rs_pub
        self.e_priv = None
        self.re = None

    def copy(self):
        o = NoiseNK.__new__(NoiseNK)
        o.__dict__.update(self.__dict__)
        return o

    def mix_hash(self, data):
        self.h = _hash(self.h + data)

    def mix_key(self, ikm):
        self.ck, tk = _hkdf(self.ck, ikm, 2)
        self.k = tk[:32]
        self.n = 0

    def encrypt_and_hash(self, pt):
        if self.k is None:
            c = pt
        else:
            c = aead_encrypt(self.k, noise_nonce(self.n), self.h, pt)
            self.n += 1
        self.mix_hash(c)
        return c

    def decrypt_and_hash(self, c):
        if self.k is None:
            pt = c
        else:
            pt = aead_decrypt(self.k, noise_nonce(self.n), self.h, c)
            if pt is None:
                raise ValueError("Noise decryption failed")
            self.n += 1
        self.mix_hash(c)
        return pt

    def split(self):
        k1, k2 = _hkdf(self.ck, b"", 2)
        return k1[:32], k2[:32]

    # initiator
    def write_message1(self, e_priv, payload=b""):
        self.e_priv = e_priv
        e_pub = x25519_base(e_priv)
        self.mix_hash(e_pub)
        self.mix_key(x25519(e_priv, self.rs))        # es
        return e_pub + self.encrypt_and_hash(payload)

    def read_message2(self, msg):
        if len(msg) < 48:
            raise ValueError("Noise message 2 too short")
        re_ = msg[:32]
        self.mix_hash(re_)
        self.mix_key(x25519(self.e_priv, re_))       # ee
        return self.decrypt_and_hash(msg[32:])

    # responder (only used by --verify-examples)
    def read_message1(self, s_priv, msg):
        self.re = msg[:32]
        self.mix_hash(self.re)
        self.mix_key(x25519(s_priv, self.re))
        return self.decrypt_and_hash(msg[32:])

    def write_message2(self, e_priv, payload):
        e_pub = x25519_base(e_priv)
        self.mix_hash(e_pub)
        self.mix_key(x25519(e_priv, self.re))
        return e_pub + self.encrypt_and_hash(payload)


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------

class DecodeError(Exception):
    pass


class W:
    def __init__(self):
        self.b = bytearray()

    def u8(self, v):
        self.b += struct.pack(">B", v); return self

    def u16(self, v):
        self.b += struct.pack(">H", v); return self

    def u32(self, v):
        self.b += struct.pack(">I", v); return self

    def u64(self, v):
        self.b += struct.pack(">Q", v); return self

    def raw(self, v):
        self.b += v; return self

    def str8(self, s):
        d = s.encode("utf-8") if isinstance(s, str) else s
        if len(d) > 255:
            raise ValueError("string too long for str8")
        return self.u8(len(d)).raw(d)

    def str16(self, s):
        d = s.encode("utf-8") if isinstance(s, str) else s
        if len(d) > 65535:
            raise ValueError("string too long for str16")
        return self.u16(len(d)).raw(d)

    def bytes(self):
        return bytes(self.b)


class R:
    def __init__(self, data):
        self.d = data
        self.o = 0

    def take(self, n):
        if self.o + n > len(self.d):
            raise DecodeError("structure runs past the end")
        v = self.d[self.o:self.o + n]
        self.o += n
        return v

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self.take(8))[0]

    def _s(self, d):
        try:
            s = d.decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError("invalid UTF-8")
        if "\x00" in s:
            raise DecodeError("string contains U+0000")
        return s

    def str8(self):
        return self._s(self.take(self.u8()))

    def str16(self):
        return self._s(self.take(self.u16()))

    def left(self):
        return len(self.d) - self.o

    def end(self):
        if self.o != len(self.d):
            raise DecodeError("%d bytes left over" % (len(self.d) - self.o))


MAGIC = b"TH"
VERSION = 1
PT_HELLO, PT_COOKIE, PT_INIT, PT_ACCEPT, PT_REJECT, PT_RESET = 1, 2, 3, 4, 5, 6
PT_SESSION = 0x10
MAX_DATAGRAM = 1200
HEADER_LEN = 20
TAG_LEN = 16
MAX_FRAMES_LEN = MAX_DATAGRAM - HEADER_LEN - TAG_LEN   # 1164
MAX_STREAM_DATA = 1000
MAX_MESSAGE = 20480

# Frames
F_PADDING, F_PING, F_ACK, F_CLOSE, F_PATH_CHALLENGE, F_PATH_RESPONSE, F_STREAM = range(7)

# Requests
M_LOGIN, M_JOIN, M_PART, M_SAY, M_PRIVMSG, M_TOPIC, M_NAMES, M_LIST, M_NICK, \
    M_EDIT, M_DELETE, M_QUIT = range(1, 13)
# Relay messages
M_OK, M_ERROR, M_WELCOME, M_JOINED, M_NAMES_REPLY, M_ROOMS_REPLY, M_EVENT, \
    M_PRIVATE, M_NOTICE, M_GAP = range(0x80, 0x8A)

EVENT_KINDS = {1: "MESSAGE", 2: "ACTION", 3: "JOIN", 4: "PART", 5: "QUIT",
               6: "TIMEOUT", 7: "NICK", 8: "TOPIC", 9: "EDIT", 10: "DELETE"}
EVENT_KIND_NUM = {v: k for k, v in EVENT_KINDS.items()}

CODES = {0: "NONE", 1: "PROTOCOL", 2: "MESSAGE_TOO_LONG", 3: "BAD_TEXT",
         4: "BAD_NICK", 5: "NICK_TAKEN", 6: "BAD_ROOM_NAME", 7: "NO_SUCH_ROOM",
         8: "NO_SUCH_NICK", 9: "TOO_MANY_ROOMS", 10: "SERVER_FULL", 11: "FLOOD",
         12: "RATE_LIMITED", 13: "NOT_LOGGED_IN", 14: "ALREADY_LOGGED_IN",
         15: "ROOM_FULL", 16: "TOO_MANY_ROOMS_ON_SERVER", 17: "CANNOT_EDIT",
         18: "TOPIC_TOO_LONG", 19: "NOT_IN_ROOM", 20: "UNKNOWN_REQUEST",
         100: "QUIT", 101: "SERVER_SHUTDOWN", 102: "IDLE_TIMEOUT",
         103: "PROTOCOL_VIOLATION", 104: "SLOW_READER", 105: "REPLACED",
         106: "REASSEMBLY_TIMEOUT", 107: "BAD_COOKIE", 108: "UNSUPPORTED_VERSION",
         109: "SESSION_UNKNOWN"}


def code_name(c):
    return CODES.get(c, "UNKNOWN(%d)" % c)


# --- handshake packets ---

def enc_hello(token):
    return (MAGIC + bytes([VERSION, PT_HELLO]) + token).ljust(MAX_DATAGRAM, b"\x00")


def enc_init(token, cookie, noise):
    p = MAGIC + bytes([VERSION, PT_INIT]) + token + cookie + struct.pack(">H", len(noise)) + noise
    return p.ljust(MAX_DATAGRAM, b"\x00")


def enc_accept(token, noise):
    return MAGIC + bytes([VERSION, PT_ACCEPT]) + token + struct.pack(">H", len(noise)) + noise


def enc_reject(token, code, retry_ms):
    return MAGIC + bytes([VERSION, PT_REJECT]) + token + struct.pack(">HI", code, retry_ms)


def enc_reset(session_id, token):
    return MAGIC + bytes([VERSION, PT_RESET]) + struct.pack(">Q", session_id) + token


def enc_cookie(token, cookie, server_key):
    return MAGIC + bytes([VERSION, PT_COOKIE]) + token + cookie + server_key


def enc_accept_payload(session_id, reset_token, idle_s, keepalive_s):
    return struct.pack(">Q", session_id) + reset_token + struct.pack(">HH", idle_s, keepalive_s)


def dec_accept_payload(p):
    if len(p) < 28:
        raise DecodeError("ACCEPT payload too short")
    sid, = struct.unpack(">Q", p[:8])
    idle, ka = struct.unpack(">HH", p[24:28])
    return {"session_id": sid, "reset_token": p[8:24], "idle_timeout_s": idle,
            "keepalive_s": ka}   # bytes after 28 are ignored (section 4.4)


def session_header(phase, session_id, pn):
    return MAGIC + bytes([VERSION, PT_SESSION | phase]) + struct.pack(">QQ", session_id, pn)


def seal_packet(key, phase, session_id, pn, frames):
    hdr = session_header(phase, session_id, pn)
    return hdr + aead_encrypt(key, noise_nonce(pn), hdr, frames)


def open_packet(key, pkt):
    return aead_decrypt(key, noise_nonce(struct.unpack(">Q", pkt[12:20])[0]),
                        pkt[:HEADER_LEN], pkt[HEADER_LEN:])


# --- frames ---

def enc_ack(ranges, ack_delay_us):
    """ranges: list of (lo, hi), disjoint, non-adjacent, sorted descending.
    Acknowledges the most recent ranges (at most 16) that fit the fields."""
    lo, hi = ranges[0]
    first = hi - lo
    out_ranges = []
    if first > 0xFFFF:
        first = 0xFFFF
    else:
        prev_lo = lo
        for (rlo, rhi) in ranges[1:16]:
            gap = prev_lo - rhi - 1
            length = rhi - rlo
            if gap < 1 or gap > 0xFFFF:
                break
            if length > 0xFFFF:
                out_ranges.append((gap, 0xFFFF))
                break
            out_ranges.append((gap, length))
            prev_lo = rlo
    w = W().u8(F_ACK).u64(hi).u32(min(ack_delay_us, 0xFFFFFFFF)).u8(len(out_ranges)).u16(first)
    for g, l in out_ranges:
        w.u16(g).u16(l)
    return w.bytes()


def enc_stream(seq, fin, data):
    return W().u8(F_STREAM).u64(seq).u8(1 if fin else 0).u16(len(data)).raw(data).bytes()


def parse_frames(pt):
    """Returns a list of (type, value) tuples; raises DecodeError on any
    protocol violation (section 6)."""
    r = R(pt)
    frames = []
    non_padding = False
    while r.left():
        t = r.u8()
        if t == F_PADDING:
            frames.append((t, None))
            continue
        non_padding = True
        if t == F_PING:
            frames.append((t, None))
        elif t == F_ACK:
            largest = r.u64()
            delay = r.u32()
            count = r.u8()
            if count >= 16:
                raise DecodeError("ACK range_count >= 16")
            first = r.u16()
            if first > largest:
                raise DecodeError("ACK range below 0")
            acked = [(largest - first, largest)]
            lo = largest - first
            for _ in range(count):
                gap = r.u16()
                length = r.u16()
                if gap == 0:
                    raise DecodeError("ACK gap of 0")
                hi = lo - gap - 1
                if hi < 0 or hi - length < 0:
                    raise DecodeError("ACK range below 0")
                lo = hi - length
                acked.append((lo, hi))
            frames.append((t, (largest, delay, acked)))
        elif t == F_CLOSE:
            frames.append((t, r.u16()))
        elif t in (F_PATH_CHALLENGE, F_PATH_RESPONSE):
            frames.append((t, r.take(8)))
        elif t == F_STREAM:
            seq = r.u64()
            flags = r.u8()
            if flags & ~1:
                raise DecodeError("STREAM flags with reserved bits")
            length = r.u16()
            if length > MAX_STREAM_DATA:
                raise DecodeError("STREAM frame longer than 1000")
            frames.append((t, (seq, bool(flags & 1), r.take(length))))
        else:
            raise DecodeError("unknown frame type %d" % t)
    if not non_padding:
        raise DecodeError("packet without a non-PADDING frame")
    return frames


# --- requests ---

def enc_login(req, nick, resume=bytes(16), client=b"teahouse-interop/0.1"):
    return W().u8(M_LOGIN).u32(req).str8(nick).raw(resume).str8(client).bytes()


def enc_join(req, room, epoch=0, last_seq=0, history=0):
    return W().u8(M_JOIN).u32(req).str8(room).u64(epoch).u64(last_seq).u16(history).bytes()


def enc_part(req, room_id, reason=""):
    return W().u8(M_PART).u32(req).u32(room_id).str16(reason).bytes()


def enc_say(req, room_id, kind, text):
    return W().u8(M_SAY).u32(req).u32(room_id).u8(kind).str16(text).bytes()


def enc_privmsg(req, nick, kind, text):
    return W().u8(M_PRIVMSG).u32(req).str8(nick).u8(kind).str16(text).bytes()


def enc_topic(req, room_id, topic):
    return W().u8(M_TOPIC).u32(req).u32(room_id).str16(topic).bytes()


def enc_names(req, room_id):
    return W().u8(M_NAMES).u32(req).u32(room_id).bytes()


def enc_list(req):
    return W().u8(M_LIST).u32(req).bytes()


def enc_nick(req, nick):
    return W().u8(M_NICK).u32(req).str8(nick).bytes()


def enc_edit(req, room_id, seq, text):
    return W().u8(M_EDIT).u32(req).u32(room_id).u64(seq).str16(text).bytes()


def enc_delete(req, room_id, seq):
    return W().u8(M_DELETE).u32(req).u32(room_id).u64(seq).bytes()


def enc_quit(req, reason=""):
    return W().u8(M_QUIT).u32(req).str16(reason).bytes()


# --- relay messages: encoders (used by --verify-examples) ---

def enc_ok(req, value):
    return W().u8(M_OK).u32(req).u64(value).bytes()


def enc_error(req, code, retry_ms, detail):
    return W().u8(M_ERROR).u32(req).u16(code).u32(retry_ms).str8(detail).bytes()


def enc_welcome(req, nick, resume, max_text, max_rooms, server_name):
    return W().u8(M_WELCOME).u32(req).str8(nick).raw(resume).u16(max_text).u16(max_rooms).str8(server_name).bytes()


def enc_joined(req, room_id, room, epoch, topic, join_seq):
    return W().u8(M_JOINED).u32(req).u32(room_id).str8(room).u64(epoch).str16(topic).u64(join_seq).bytes()


def enc_names_reply(req, room_id, more, entries):
    w = W().u8(M_NAMES_REPLY).u32(req).u32(room_id).u8(more).u16(len(entries))
    for nick, flags in entries:
        w.str8(nick).u8(flags)
    return w.bytes()


def enc_rooms_reply(req, more, entries):
    w = W().u8(M_ROOMS_REPLY).u32(req).u8(more).u16(len(entries))
    for room, members, topic in entries:
        w.str8(room).u32(members).str16(topic)
    return w.bytes()


def enc_event(ev):
    w = W().u8(M_EVENT).u32(ev["room_id"]).u64(ev["seq"]).u64(ev["time_ms"])
    k = EVENT_KIND_NUM[ev["kind"]]
    w.u8(k).str8(ev["nick"])
    if k in (1, 2):
        w.u8(ev["flags"]).str16(ev["text"])
    elif k == 3:
        w.u8(ev["flags"])
    elif k in (4, 5, 8):
        w.str16(ev["text"])
    elif k == 6:
        w.u16(ev["code"])
    elif k == 7:
        w.str8(ev["new_nick"])
    elif k == 9:
        w.u64(ev["target"]).str16(ev["text"])
    elif k == 10:
        w.u64(ev["target"])
    return w.bytes()


def enc_private(time_ms, frm, from_flags, kind, text):
    return W().u8(M_PRIVATE).u64(time_ms).str8(frm).u8(from_flags).u8(kind).str16(text).bytes()


def enc_notice(code, detail):
    return W().u8(M_NOTICE).u16(code).str8(detail).bytes()


def enc_gap(room_id, first, last, reason):
    return W().u8(M_GAP).u32(room_id).u64(first).u64(last).u8(reason).bytes()


# --- relay messages: decoder ---

def dec_relay_message(data):
    r = R(data)
    t = r.u8()
    m = {"t": t}
    if t == M_OK:
        m.update(req_id=r.u32(), value=r.u64())
    elif t == M_ERROR:
        m.update(req_id=r.u32(), code=r.u16(), retry_after_ms=r.u32(), detail=r.str8())
    elif t == M_WELCOME:
        m.update(req_id=r.u32(), nick=r.str8(), resume_token=r.take(16),
                 max_text=r.u16(), max_rooms=r.u16(), server_name=r.str8())
    elif t == M_JOINED:
        m.update(req_id=r.u32(), room_id=r.u32(), room=r.str8(), epoch=r.u64(),
                 topic=r.str16(), join_seq=r.u64())
    elif t == M_NAMES_REPLY:
        m.update(req_id=r.u32(), room_id=r.u32(), more=r.u8())
        n = r.u16()
        m["entries"] = [(r.str8(), r.u8()) for _ in range(n)]
    elif t == M_ROOMS_REPLY:
        m.update(req_id=r.u32(), more=r.u8())
        n = r.u16()
        m["entries"] = [(r.str8(), r.u32(), r.str16()) for _ in range(n)]
    elif t == M_EVENT:
        m.update(room_id=r.u32(), seq=r.u64(), time_ms=r.u64())
        k = r.u8()
        if k not in EVENT_KINDS:
            raise DecodeError("unknown event kind %d" % k)
        m["kind"] = EVENT_KINDS[k]
        m["nick"] = r.str8()
        if k in (1, 2):
            m.update(flags=r.u8(), text=r.str16())
        elif k == 3:
            m["flags"] = r.u8()
        elif k in (4, 5, 8):
            m["text"] = r.str16()
        elif k == 6:
            m["code"] = r.u16()
        elif k == 7:
            m["new_nick"] = r.str8()
        elif k == 9:
            m.update(target=r.u64(), text=r.str16())
        elif k == 10:
            m["target"] = r.u64()
    elif t == M_PRIVATE:
        m.update(time_ms=r.u64(), frm=r.str8(), from_flags=r.u8(), kind=r.u8(), text=r.str16())
    elif t == M_NOTICE:
        m.update(code=r.u16(), detail=r.str8())
    elif t == M_GAP:
        m.update(room_id=r.u32(), first=r.u64(), last=r.u64(), reason=r.u8())
    else:
        raise DecodeError("unknown relay message type 0x%02x" % t)
    r.end()
    return m


# ---------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------

def out(obj):
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class Fatal(Exception):
    def __init__(self, msg, status=1):
        super().__init__(msg)
        self.status = status


class SentPacket:
    __slots__ = ("pn", "time", "ack_eliciting", "seqs", "in_flight", "phase", "lost", "acked")

    def __init__(self, pn, t, ack_eliciting, seqs, phase):
        self.pn = pn
        self.time = t
        self.ack_eliciting = ack_eliciting
        self.seqs = seqs
        self.in_flight = ack_eliciting
        self.phase = phase
        self.lost = False
        self.acked = False


class Client:
    def __init__(self, args):
        self.args = args
        self.verbose = args.verbose
        self.drop_rate = args.drop_rate
        host, port = parse_hostport(args.server)
        infos = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)
        fam, _, _, _, addr = infos[0]
        self.family = fam
        self.addr = addr
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.start = time.monotonic()
        self.connect_deadline = self.start + args.timeout
        # handshake
        self.state = "hello"
        self.token = None
        self.cookie = None
        self.server_key = None
        self.init_pkt = None
        self.noise = None
        self.hs_next = 0.0
        self.hs_interval = 0.5
        self.printed_fp = None
        # session
        self.session_id = None
        self.reset_token = None
        self.idle_timeout = 90
        self.keepalive = 25
        self.tx_key = self.rx_key = None
        self.tx_phase = 0
        self.tx_phase_first_pn = 0
        self.tx_phase_acked = False
        self.tx_phase_start = 0.0
        self.rx_phase = 0
        self.rx_prev_key = None
        self.rx_phase_first_pn = 0
        self.next_pn = 0
        self.sent = {}                 # pn -> SentPacket
        self.largest_acked = -1
        self.srtt = None
        self.rttvar = None
        self.min_rtt = None
        self.latest_rtt = None
        self.rto_backoff = 1
        self.rto_deadline = None
        self.pkt_threshold = 3
        self.time_e = 0
        self.last_ack_eliciting_sent = 0.0
        self.last_received = 0.0
        # receive / replay
        self.rx_highest = -1
        self.rx_seen = set()
        self.rx_ranges = []            # [(lo, hi)] descending
        self.rx_largest_time = 0.0
        self.ack_pending = 0
        self.ack_deadline = None
        self.ack_now = False
        self.pending_path_responses = []
        self.need_ping = 0
        # stream out
        self.out_frames = {}           # seq -> (fin, data), unacknowledged only
        self.out_next_seq = 0          # next seq to assign
        self.out_next_send = 0         # next never-sent seq
        self.out_latest_tx = {}        # seq -> pn of latest transmission
        self.retx = set()
        # stream in
        self.in_next = 0
        self.in_buf = {}
        self.in_buf_bytes = 0
        self.in_partial = bytearray()
        self.in_partial_since = None
        # application
        self.req_id = 0
        self.pending_reqs = {}         # req_id -> (kind, extra)
        self.nick = args.nick
        self.room_name = args.room
        self.room_id = None
        self.rooms = {}                # room_id -> name
        self.room_state = {}           # room name -> {"epoch":..., "seq":...}
        self.names_acc = {}
        self.rooms_acc = []
        self.logged_in = False
        self.joined = False
        self.stdin_open = True
        self.stdin_buf = b""
        self.quitting = False
        self.quit_deadline = None
        self.eof_deadline = None
        self.closed = False
        self.rebind_at = (self.start + args.rebind_after) if args.rebind_after else None

    # ----- utilities -----
    def log(self, *a):
        if self.verbose:
            sys.stderr.write("[%.3f] " % (time.monotonic() - self.start) + " ".join(str(x) for x in a) + "\n")

    def sendto(self, data):
        assert len(data) <= MAX_DATAGRAM
        if self.drop_rate and random.random() < self.drop_rate:
            self.log("drop tx", len(data))
            return
        try:
            self.sock.sendto(data, self.addr)
        except (BlockingIOError, InterruptedError):
            pass
        except OSError as e:
            self.log("sendto:", e)

    # ----- handshake -----
    def new_hello(self):
        self.state = "hello"
        self.token = randombytes(8)
        self.cookie = None
        self.noise = None
        self.init_pkt = None
        self.hs_interval = 0.5
        self.send_hs()

    def send_hs(self):
        if self.state == "hello":
            self.log("send HELLO")
            self.sendto(enc_hello(self.token))
        elif self.state == "init":
            self.log("send INIT")
            self.sendto(self.init_pkt)
        self.hs_next = time.monotonic() + self.hs_interval
        self.hs_interval = min(self.hs_interval * 2, 3.0)

    def on_handshake_packet(self, pkt):
        if len(pkt) < 4:
            return
        ver = pkt[2]
        if ver == 0:
            if self.state in ("hello", "init") and len(pkt) >= 4:
                count = pkt[3]
                versions = list(pkt[4:4 + count])
                if len(pkt) != 4 + count:
                    return
                if VERSION not in versions:
                    raise Fatal("the server speaks another protocol version (code 108, "
                                "UNSUPPORTED_VERSION): %s" % versions)
            return
        if ver != VERSION:
            return
        t = pkt[3]
        if t == PT_COOKIE and self.state == "hello":
            if len(pkt) != 76 or pkt[4:12] != self.token:
                return
            self.cookie = pkt[12:44]
            self.server_key = pkt[44:76]
            fp = fingerprint(self.server_key)
            if fp != self.printed_fp:
                out({"type": "fingerprint", "value": fp})
                self.printed_fp = fp
            self.noise = NoiseNK(self.server_key)
            try:
                msg1 = self.noise.write_message1(randombytes(32))
            except ValueError:
                raise Fatal("server key gives an all-zero DH result")
            self.init_pkt = enc_init(self.token, self.cookie, msg1)
            self.state = "init"
            self.hs_interval = 0.5
            self.send_hs()
        elif t == PT_ACCEPT and self.state == "init":
            if len(pkt) < 14 or pkt[4:12] != self.token:
                return
            nlen, = struct.unpack(">H", pkt[12:14])
            if len(pkt) != 14 + nlen:
                return
            st = self.noise.copy()
            try:
                payload = st.read_message2(pkt[14:])
                info = dec_accept_payload(payload)
            except (ValueError, DecodeError) as e:
                self.log("ignoring bad ACCEPT:", e)
                return
            if info["session_id"] == 0 or info["idle_timeout_s"] == 0 or info["keepalive_s"] == 0:
                self.log("ignoring ACCEPT with zero field")
                return
            self.tx_key, self.rx_key = st.split()
            self.session_id = info["session_id"]
            self.reset_token = info["reset_token"]
            self.idle_timeout = info["idle_timeout_s"]
            self.keepalive = info["keepalive_s"]
            self.state = "session"
            now = time.monotonic()
            self.last_received = now
            self.tx_phase_start = now
            self.log("ACCEPT: session %016x idle %d keepalive %d" % (
                self.session_id, self.idle_timeout, self.keepalive))
            self.request(enc_login, "login", None, self.nick)
        elif t == PT_REJECT and self.state in ("hello", "init"):
            if len(pkt) != 18 or pkt[4:12] != self.token:
                return
            code, retry = struct.unpack(">HI", pkt[12:18])
            self.log("REJECT", code_name(code), retry)
            if code == 107:
                self.new_hello()
            elif code == 12:
                # wait retry_after_ms, then start over (the cookie may expire)
                self.state = "hello"
                self.token = randombytes(8)
                self.hs_interval = 0.5
                self.hs_next = time.monotonic() + retry / 1000.0
            elif code == 10:
                raise Fatal("server full (REJECT 10)")
            else:
                raise Fatal("server rejected the connection: code %d %s" % (code, code_name(code)))
        elif t == PT_RESET and self.state == "session":
            if len(pkt) != 28:
                return
            sid, = struct.unpack(">Q", pkt[4:12])
            if sid == self.session_id and hmac.compare_digest(pkt[12:28], self.reset_token):
                if self.quitting:
                    # Both copies of the relay's CLOSE were lost and it has
                    # already forgotten us: the session ended as asked (5.7).
                    out({"type": "closed", "code": 100, "reason": "quit"})
                    raise Fatal("", 0)
                out({"type": "closed", "code": 109, "reason": "reset"})
                raise Fatal("session reset by the relay", 1)

    # ----- requests -----
    def request(self, encoder, kind, extra, *a):
        self.req_id = (self.req_id % 0xFFFFFFFF) + 1
        rid = self.req_id
        msg = encoder(rid, *a)
        if kind != "quit":
            self.pending_reqs[rid] = (kind, extra)
        self.send_message(msg)
        return rid

    def send_message(self, msg):
        if len(msg) > MAX_MESSAGE:
            raise Fatal("message too long")
        chunks = [msg[i:i + MAX_STREAM_DATA] for i in range(0, len(msg), MAX_STREAM_DATA)] or [b""]
        for i, c in enumerate(chunks):
            self.out_frames[self.out_next_seq] = (i == len(chunks) - 1, c)
            self.out_next_seq += 1
        self.flush()

    def lowest_unacked(self):
        return min(self.out_frames) if self.out_frames else self.out_next_seq

    def in_flight_count(self):
        return sum(1 for p in self.sent.values() if p.in_flight)

    # ----- sending SESSION packets -----
    def rto(self):
        if self.srtt is None:
            base = 0.5
        else:
            base = self.srtt + max(4 * self.rttvar, 0.001) + 0.025
            base = min(max(base, 0.2), 3.0)
        return min(base * self.rto_backoff, 3.0)

    def build_ack(self, now):
        if not self.rx_ranges:
            return b""
        delay_us = int((now - self.rx_largest_time) * 1e6)
        return enc_ack(self.rx_ranges, delay_us)

    def send_packet(self, frames, ack_eliciting, seqs, now):
        pn = self.next_pn
        self.next_pn += 1
        pkt = seal_packet(self.tx_key, self.tx_phase, self.session_id, pn, frames)
        sp = SentPacket(pn, now, ack_eliciting, seqs, self.tx_phase)
        self.sent[pn] = sp
        for s in seqs:
            self.out_latest_tx[s] = pn
        if ack_eliciting:
            self.last_ack_eliciting_sent = now
            if self.rto_deadline is None:
                self.rto_deadline = now + self.rto()
        self.log("tx pn=%d phase=%d len=%d seqs=%s%s" % (
            pn, self.tx_phase, len(pkt), seqs, " +ack" if frames[:1] == bytes([F_ACK]) else ""))
        self.sendto(pkt)

    def flush(self, now=None, force_ack=False):
        """Send everything that may be sent now."""
        if self.state != "session" or self.closed:
            return
        if now is None:
            now = time.monotonic()
        while True:
            frames = bytearray()
            seqs = []
            ack_eliciting = False
            ack_due = self.ack_pending and (self.ack_now or force_ack or
                                            (self.ack_deadline is not None and now >= self.ack_deadline))
            # PATH_RESPONSE goes in the very next packet (section 5.5).
            for d in self.pending_path_responses:
                frames += bytes([F_PATH_RESPONSE]) + d
                ack_eliciting = True
            self.pending_path_responses = []
            window_ok = self.in_flight_count() < 64
            if window_ok:
                lim = self.lowest_unacked() + 1024
                # retransmissions first, then new data
                for s in sorted(self.retx):
                    if s not in self.out_frames:
                        self.retx.discard(s)
                        continue
                    fin, data = self.out_frames[s]
                    f = enc_stream(s, fin, data)
                    if len(frames) + len(f) + 76 > MAX_FRAMES_LEN:
                        break
                    frames += f
                    seqs.append(s)
                    self.retx.discard(s)
                    ack_eliciting = True
                while self.out_next_send < self.out_next_seq and self.out_next_send < lim:
                    s = self.out_next_send
                    fin, data = self.out_frames[s]
                    f = enc_stream(s, fin, data)
                    if len(frames) + len(f) + 76 > MAX_FRAMES_LEN:
                        break
                    frames += f
                    seqs.append(s)
                    self.out_next_send += 1
                    ack_eliciting = True
                if not ack_eliciting and self.need_ping:
                    frames += bytes([F_PING])
                    self.need_ping -= 1
                    ack_eliciting = True
            if not frames and not ack_due:
                return
            # An ACK goes into any packet sent while acknowledgements are pending;
            # we also add one to every packet with other frames (harmless).
            ack = self.build_ack(now) if (ack_due or self.ack_pending or frames) else b""
            if ack:
                frames = bytearray(ack) + frames
                self.ack_pending = 0
                self.ack_deadline = None
                self.ack_now = False
            if not frames:
                return
            self.send_packet(bytes(frames), ack_eliciting, seqs, now)
            force_ack = False

    def send_close(self, code):
        if self.state != "session" or self.closed:
            return
        now = time.monotonic()
        for _ in range(2):   # section 5.7: SHOULD send it in two packets
            self.send_packet(bytes([F_CLOSE]) + struct.pack(">H", code), False, [], now)
        self.closed = True

    # ----- receiving SESSION packets -----
    def on_session_packet(self, pkt, now):
        if self.state != "session" or self.closed:
            return
        if len(pkt) < 37:
            return
        sid, pn = struct.unpack(">QQ", pkt[4:20])
        if sid != self.session_id:
            return
        phase = pkt[3] & 1
        # replay window (5.3)
        if self.rx_highest >= 0 and self.rx_highest - pn > 2047:
            self.log("drop rx pn=%d: too old" % pn)
            return
        if pn in self.rx_seen:
            self.log("drop rx pn=%d: replay" % pn)
            return
        # key phase (5.4)
        new_key = None
        if phase == self.rx_phase:
            key = self.rx_key
        elif pn < self.rx_phase_first_pn and self.rx_prev_key is not None:
            key = self.rx_prev_key
        else:
            key = new_key = rekey(self.rx_key)
        pt = open_packet(key, pkt)
        if pt is None:
            self.log("drop rx pn=%d: does not open" % pn)
            return
        if new_key is not None:
            self.log("peer key update at pn=%d -> rx phase %d" % (pn, phase))
            self.rx_prev_key = self.rx_key
            self.rx_key = new_key
            self.rx_phase ^= 1
            self.rx_phase_first_pn = pn
        self.rx_seen.add(pn)
        # "not the next in order or leaves a gap below it" (7.1)
        in_order = pn == self.rx_highest + 1
        if pn > self.rx_highest:
            self.rx_highest = pn
            self.rx_largest_time = now
            if len(self.rx_seen) > 4096:
                self.rx_seen = {x for x in self.rx_seen if x >= self.rx_highest - 2047}
        self.last_received = now
        try:
            frames = parse_frames(pt)
        except DecodeError as e:
            sys.stderr.write("protocol violation from relay: %s\n" % e)
            self.send_close(103)
            raise Fatal("protocol violation: %s" % e)
        ack_eliciting = any(t in (F_PING, F_PATH_CHALLENGE, F_PATH_RESPONSE, F_STREAM)
                            for t, _ in frames)
        # Section 6.6: a STREAM frame we cannot buffer means the packet is
        # not acknowledged at all.
        acceptable = True
        for t, v in frames:
            if t == F_STREAM:
                if not self.stream_frame_acceptable(*v):
                    acceptable = False
        if acceptable:
            self.record_received(pn)
        self.log("rx pn=%d phase=%d frames=%s" % (pn, phase, [t for t, _ in frames]))
        for t, v in frames:
            if t == F_ACK:
                self.on_ack(*v, now=now)
            elif t == F_CLOSE:
                out({"type": "closed", "code": v})
                self.closed = True
                if self.quitting and v == 100:
                    raise Fatal("", 0)
                raise Fatal("the relay closed the session: code %d %s" % (v, code_name(v)),
                            0 if self.quitting else 1)
            elif t == F_PATH_CHALLENGE:
                self.pending_path_responses.append(v)
                self.ack_now = True
            elif t == F_STREAM and acceptable:
                self.on_stream_frame(*v, now=now)
        if ack_eliciting and acceptable:
            self.ack_pending += 1
            if not in_order or self.ack_pending >= 2:
                self.ack_now = True
            elif self.ack_deadline is None:
                self.ack_deadline = now + 0.025
        self.flush(now)

    def record_received(self, pn):
        rs = self.rx_ranges
        # insert pn into descending list of (lo, hi)
        for i, (lo, hi) in enumerate(rs):
            if lo <= pn <= hi:
                return
            if pn == hi + 1:
                rs[i] = (lo, pn)
                if i > 0 and rs[i - 1][0] == pn + 1:
                    rs[i - 1] = (lo, rs[i - 1][1])
                    del rs[i]
                return
            if pn == lo - 1:
                rs[i] = (pn, hi)
                if i + 1 < len(rs) and rs[i + 1][1] == pn - 1:
                    rs[i] = (rs[i + 1][0], hi)
                    del rs[i + 1]
                return
            if pn > hi:
                rs.insert(i, (pn, pn))
                break
        else:
            rs.append((pn, pn))
        del rs[32:]

    def on_ack(self, largest, delay_us, ranges, now):
        newly = []
        for lo, hi in ranges:
            if hi >= self.next_pn:
                # section 6.3: acknowledging a packet never sent is a violation
                self.send_close(103)
                raise Fatal("relay acknowledged packet %d that was never sent" % hi)
            for pn in [p for p in self.sent if lo <= p <= hi]:
                sp = self.sent.pop(pn)
                newly.append(sp)
        if not newly:
            return
        largest_new = max(newly, key=lambda p: p.pn)
        for sp in newly:
            if sp.lost:
                # reordering: a packet declared lost was acknowledged after all
                self.pkt_threshold = min(self.pkt_threshold * 2, 64)
                self.time_e = min(self.time_e + 2, 16)
            for s in sp.seqs:
                if s in self.out_frames:
                    del self.out_frames[s]
                    self.retx.discard(s)
                    self.out_latest_tx.pop(s, None)
            if sp.phase == self.tx_phase and sp.pn >= self.tx_phase_first_pn:
                self.tx_phase_acked = True
        if largest_new.pn > self.largest_acked:
            self.largest_acked = largest_new.pn
        if largest_new.pn == largest and largest_new.ack_eliciting:
            sample = now - largest_new.time
            self.latest_rtt = sample
            if self.min_rtt is None or sample < self.min_rtt:
                self.min_rtt = sample
            adj = sample - delay_us / 1e6
            if adj >= self.min_rtt:
                sample = adj
            if self.srtt is None:
                self.srtt = sample
                self.rttvar = sample / 2
            else:
                self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - sample)
                self.srtt = 0.875 * self.srtt + 0.125 * sample
            self.rto_backoff = 1
        self.detect_losses(now)
        # restart the retransmission timer
        if any(p.in_flight for p in self.sent.values()):
            self.rto_deadline = now + self.rto()
        else:
            self.rto_deadline = None

    def mark_lost(self, sp):
        sp.in_flight = False
        sp.lost = True
        for s in sp.seqs:
            if s in self.out_frames and self.out_latest_tx.get(s) == sp.pn:
                self.retx.add(s)

    def detect_losses(self, now):
        if self.largest_acked < 0:
            return
        rtt = max(self.srtt or 0.5, self.latest_rtt or 0.0)
        thresh_t = (9 + self.time_e) / 8.0 * rtt
        for sp in list(self.sent.values()):
            if not sp.in_flight or sp.pn >= self.largest_acked:
                continue
            if self.largest_acked - sp.pn >= self.pkt_threshold or now - sp.time > thresh_t:
                self.log("lost pn=%d" % sp.pn)
                self.mark_lost(sp)
        # forget old non-in-flight records to bound memory
        if len(self.sent) > 4096:
            for pn in sorted(self.sent)[:len(self.sent) - 2048]:
                if not self.sent[pn].in_flight:
                    del self.sent[pn]

    def on_rto(self, now):
        flying = [p for p in self.sent.values() if p.in_flight]
        if not flying:
            self.rto_deadline = None
            return
        oldest = min(flying, key=lambda p: p.pn)
        self.log("RTO expired, oldest pn=%d" % oldest.pn)
        self.mark_lost(oldest)
        # send the oldest packet's frames again and two ack-eliciting packets
        had = bool(self.retx)
        self.need_ping = 1 if had else 2
        before = self.next_pn
        self.flush(now, force_ack=True)
        if self.next_pn - before < 2:
            self.need_ping = max(self.need_ping, 2 - (self.next_pn - before))
            self.flush(now)
        self.need_ping = 0
        self.rto_backoff = min(self.rto_backoff * 2, 64)
        self.rto_deadline = now + self.rto()

    # ----- stream in -----
    def stream_frame_acceptable(self, seq, fin, data):
        if seq < self.in_next or seq == self.in_next or seq in self.in_buf:
            return True
        return self.in_buf_bytes + len(data) <= 256 * 1024

    def on_stream_frame(self, seq, fin, data, now):
        if seq < self.in_next or seq in self.in_buf:
            return   # duplicate
        self.in_buf[seq] = (fin, data)
        self.in_buf_bytes += len(data)
        while self.in_next in self.in_buf:
            fin, data = self.in_buf.pop(self.in_next)
            self.in_buf_bytes -= len(data)
            self.in_next += 1
            if not self.in_partial:
                self.in_partial_since = now
            self.in_partial += data
            if len(self.in_partial) > MAX_MESSAGE:
                self.send_close(2)
                raise Fatal("relay sent a message over 20480 bytes")
            if fin:
                msg = bytes(self.in_partial)
                self.in_partial = bytearray()
                self.in_partial_since = None
                self.on_message(msg)

    # ----- application -----
    def on_message(self, data):
        try:
            m = dec_relay_message(data)
        except DecodeError as e:
            if data and data[0] not in range(0x80, 0x8A):
                # Not specified by PROTOCOL.md; we ignore unknown message types.
                sys.stderr.write("ignoring unknown relay message type 0x%02x\n" % data[0])
                return
            sys.stderr.write("undecodable relay message (%s): %s\n" % (e, data.hex()))
            self.send_close(103)
            raise Fatal("protocol violation: %s" % e)
        t = m["t"]
        if t == M_OK:
            kind, extra = self.pending_reqs.pop(m["req_id"], (None, None))
            out({"type": "ok", "req_id": m["req_id"], "value": m["value"]})
            if kind == "nick":
                self.nick = extra
            elif kind == "part":
                pass
        elif t == M_ERROR:
            kind, extra = self.pending_reqs.pop(m["req_id"], (None, None))
            o = {"type": "error", "req_id": m["req_id"], "code": m["code"],
                 "name": code_name(m["code"]), "detail": m["detail"]}
            if m["retry_after_ms"]:
                o["retry_after_ms"] = m["retry_after_ms"]
            out(o)
            if kind == "login":
                raise Fatal("login failed: %s %s" % (code_name(m["code"]), m["detail"]))
            if kind == "join" and not self.joined:
                raise Fatal("join failed: %s %s" % (code_name(m["code"]), m["detail"]))
        elif t == M_WELCOME:
            self.pending_reqs.pop(m["req_id"], None)
            self.logged_in = True
            self.nick = m["nick"]
            self.resume_token = m["resume_token"]
            out({"type": "welcome", "nick": m["nick"], "server_name": m["server_name"],
                 "max_text": m["max_text"], "max_rooms": m["max_rooms"]})
            st = self.room_state.get(self.room_name, {"epoch": 0, "seq": 0})
            self.request(enc_join, "join", self.room_name, self.room_name,
                         st["epoch"], st["seq"], 0)
        elif t == M_JOINED:
            self.pending_reqs.pop(m["req_id"], None)
            self.rooms[m["room_id"]] = m["room"]
            st = self.room_state.setdefault(m["room"], {"epoch": m["epoch"], "seq": 0})
            if st["epoch"] != m["epoch"]:
                st["epoch"] = m["epoch"]
                st["seq"] = 0
            if not self.joined:
                self.room_id = m["room_id"]
                self.room_name = m["room"]
            self.joined = True
            out({"type": "joined", "room": m["room"], "room_id": m["room_id"],
                 "epoch": m["epoch"], "join_seq": m["join_seq"], "topic": m["topic"]})
        elif t == M_NAMES_REPLY:
            acc = self.names_acc.setdefault((m["req_id"], m["room_id"]), [])
            acc.extend(m["entries"])
            if not m["more"]:
                del self.names_acc[(m["req_id"], m["room_id"])]
                self.pending_reqs.pop(m["req_id"], None)
                out({"type": "names", "room_id": m["room_id"],
                     "room": self.rooms.get(m["room_id"]),
                     "nicks": [n for n, f in acc],
                     "flags": [f for n, f in acc]})
        elif t == M_ROOMS_REPLY:
            self.rooms_acc.extend(m["entries"])
            if not m["more"]:
                self.pending_reqs.pop(m["req_id"], None)
                out({"type": "rooms", "req_id": m["req_id"],
                     "rooms": [{"room": r, "members": n, "topic": tp}
                               for r, n, tp in self.rooms_acc]})
                self.rooms_acc = []
        elif t == M_EVENT:
            name = self.rooms.get(m["room_id"], str(m["room_id"]))
            st = self.room_state.setdefault(name, {"epoch": 0, "seq": 0})
            if m["seq"] <= st["seq"]:
                self.log("duplicate event", name, m["seq"])
                return
            st["seq"] = m["seq"]
            o = {"type": "event", "room": name, "room_id": m["room_id"], "seq": m["seq"],
                 "time_ms": m["time_ms"], "kind": m["kind"], "nick": m["nick"]}
            for k in ("text", "new_nick", "code", "flags", "target"):
                if k in m:
                    o[k] = m[k]
            out(o)
            if m["kind"] == "NICK" and m["nick"] == self.nick:
                self.nick = m["new_nick"]
        elif t == M_PRIVATE:
            out({"type": "private", "from": m["frm"], "text": m["text"],
                 "kind": "ACTION" if m["kind"] == 1 else "MESSAGE",
                 "from_flags": m["from_flags"], "time_ms": m["time_ms"]})
        elif t == M_NOTICE:
            out({"type": "notice", "code": m["code"], "name": code_name(m["code"]),
                 "detail": m["detail"]})
        elif t == M_GAP:
            out({"type": "gap", "room": self.rooms.get(m["room_id"]), "room_id": m["room_id"],
                 "first": m["first"], "last": m["last"],
                 "reason": {1: "EXPIRED", 2: "HISTORY_RESET"}.get(m["reason"], m["reason"])})

    def on_line(self, line):
        line = line.rstrip("\r")
        if not line.strip():
            return
        cmd, _, rest = line.partition(" ")
        if cmd == "say":
            self.request(enc_say, "say", None, self.room_id, 0, rest)
        elif cmd == "me":
            self.request(enc_say, "say", None, self.room_id, 1, rest)
        elif cmd == "msg":
            nick, _, text = rest.partition(" ")
            self.request(enc_privmsg, "privmsg", None, nick, 0, text)
        elif cmd == "topic":
            self.request(enc_topic, "topic", None, self.room_id, rest)
        elif cmd == "nick":
            self.request(enc_nick, "nick", rest.strip(), rest.strip())
        elif cmd == "part":
            self.request(enc_part, "part", None, self.room_id, rest)
        elif cmd == "names":
            self.request(enc_names, "names", None, self.room_id)
        elif cmd == "list":
            self.request(enc_list, "list", None)
        elif cmd == "quit":
            self.start_quit(rest)
        else:
            sys.stderr.write("unknown command: %s\n" % cmd)

    def start_quit(self, reason=""):
        if self.quitting:
            return
        self.quitting = True
        self.request(enc_quit, "quit", None, reason)
        self.quit_deadline = time.monotonic() + 3.0

    def read_stdin(self):
        try:
            data = os.read(sys.stdin.fileno(), 65536)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            self.stdin_open = False
            if self.stdin_buf:
                self.on_line(self.stdin_buf.decode("utf-8", "replace"))
                self.stdin_buf = b""
            self.eof_deadline = time.monotonic() + 15.0
            self.log("stdin EOF")
            return
        self.stdin_buf += data
        while b"\n" in self.stdin_buf:
            line, self.stdin_buf = self.stdin_buf.split(b"\n", 1)
            self.on_line(line.decode("utf-8", "replace"))
            if self.quitting:
                break

    # ----- timers and main loop -----
    def timers(self, now):
        if self.state in ("hello", "init"):
            if now >= self.connect_deadline:
                raise Fatal("the server did not answer within %g s" % self.args.timeout)
            if now >= self.hs_next:
                if self.state == "hello" and self.token is None:
                    self.new_hello()
                else:
                    self.send_hs()
            return
        if not self.joined and now >= self.connect_deadline:
            raise Fatal("the server did not log us in within %g s" % self.args.timeout)
        if now - self.last_received > self.idle_timeout:
            out({"type": "closed", "code": 102, "reason": "idle timeout"})
            raise Fatal("the relay has been silent for %d s" % self.idle_timeout)
        if self.in_partial_since is not None and now - self.in_partial_since > 30:
            self.send_close(106)
            raise Fatal("reassembly timeout")
        if self.ack_pending and self.ack_deadline is not None and now >= self.ack_deadline:
            self.flush(now)
        self.detect_losses(now)
        if self.retx:
            self.flush(now)
        if self.rto_deadline is not None and now >= self.rto_deadline:
            self.on_rto(now)
        if now - self.last_ack_eliciting_sent >= self.keepalive:
            self.log("keepalive PING")
            self.need_ping = 1
            self.flush(now)
            self.need_ping = 0
        # optional key update of our own direction (section 5.4)
        if (self.args.rekey_interval and now - self.tx_phase_start >= self.args.rekey_interval
                and self.tx_phase_acked):
            self.tx_key = rekey(self.tx_key)
            self.tx_phase ^= 1
            self.tx_phase_first_pn = self.next_pn
            self.tx_phase_acked = False
            self.tx_phase_start = now
            self.log("own key update -> tx phase %d" % self.tx_phase)
        if self.rebind_at is not None and now >= self.rebind_at:
            self.rebind_at = None
            old = self.sock
            self.sock = socket.socket(self.family, socket.SOCK_DGRAM)
            self.sock.setblocking(False)
            old.close()
            self.log("rebound to a new local port; sending PING")
            self.need_ping = 1
            self.flush(now)
            self.need_ping = 0
        if self.quitting and now >= self.quit_deadline:
            sys.stderr.write("no CLOSE from the relay after QUIT; exiting\n")
            raise Fatal("", 0)
        if not self.stdin_open and not self.quitting:
            done = not self.out_frames and not self.pending_reqs
            if done or now >= self.eof_deadline:
                if not done:
                    sys.stderr.write("stdin closed; giving up waiting for acknowledgements/replies\n")
                self.start_quit()

    def next_timeout(self, now):
        cands = [now + 0.05]
        if self.state in ("hello", "init"):
            cands.append(self.hs_next)
        else:
            if self.ack_deadline is not None:
                cands.append(self.ack_deadline)
            if self.rto_deadline is not None:
                cands.append(self.rto_deadline)
        return max(0.0, min(cands) - now)

    def run(self):
        self.token = None
        self.hs_next = 0.0
        while True:
            now = time.monotonic()
            self.timers(now)
            rl = [self.sock]
            if self.joined and self.stdin_open and not self.quitting:
                rl.append(sys.stdin.fileno())
            r, _, _ = select.select(rl, [], [], self.next_timeout(time.monotonic()))
            if self.sock in r:
                while True:
                    try:
                        data, src = self.sock.recvfrom(2048)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as e:
                        self.log("recvfrom:", e)
                        break
                    if self.drop_rate and random.random() < self.drop_rate:
                        self.log("drop rx", len(data))
                        continue
                    self.on_datagram(data)
            if sys.stdin.fileno() in r:
                self.read_stdin()

    def on_datagram(self, data):
        if len(data) > MAX_DATAGRAM or len(data) < 4 or data[:2] != MAGIC:
            return
        if data[2] == VERSION and data[3] in (PT_SESSION, PT_SESSION | 1):
            self.on_session_packet(data, time.monotonic())
        else:
            self.on_handshake_packet(data)


def parse_hostport(s):
    m = re.match(r"^\[([^\]]+)\](?::(\d+))?$", s)
    if m:
        return m.group(1), int(m.group(2) or 9999)
    if s.count(":") == 1:
        h, p = s.split(":")
        return h, int(p)
    return s, 9999


# ---------------------------------------------------------------------------
# --verify-examples
# ---------------------------------------------------------------------------

def parse_hexdump(block):
    out_ = bytearray()
    for line in block.splitlines():
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^([0-9a-f]{4})\s+…\s+(\d+) zero bytes.*to offset (\d+)", line)
        if m:
            off = int(m.group(1), 16)
            assert off == len(out_), (off, len(out_))
            out_ += bytes(int(m.group(2)))
            assert len(out_) == int(m.group(3))
            continue
        m = re.match(r"^([0-9a-f]{4})\s+((?:[0-9a-f]{2}\s*)+)$", line)
        if not m:
            raise ValueError("unparsable hex dump line: %r" % line)
        off = int(m.group(1), 16)
        assert off == len(out_), (off, len(out_), line)
        out_ += bytes.fromhex(m.group(2).replace(" ", ""))
    return bytes(out_)


def load_examples(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("## 12. Examples")
    text = text[start:]
    sections = {}
    for part in re.split(r"^### ", text, flags=re.M)[1:]:
        title = part.splitlines()[0].strip()
        num = title.split()[0]
        blocks = []
        label = None
        pos = 0
        for m in re.finditer(r"(?:\*\*([^\n]+?)\*\*[^\n]*\n\s*\n)?```\n(.*?)```", part, flags=re.S):
            blocks.append((m.group(1), parse_hexdump(m.group(2))))
        sections[num] = blocks
    return sections


def verify_examples(doc):
    ex = load_examples(doc)
    results = []

    def check(name, got, want):
        ok = got == want
        results.append(ok)
        print("%s %s" % ("PASS" if ok else "FAIL", name))
        if not ok:
            print("   got  %s" % (got.hex() if isinstance(got, bytes) else got))
            print("   want %s" % (want.hex() if isinstance(want, bytes) else want))

    def block(sec, i=0):
        return ex[sec][i][1]

    def labelled(sec, prefix):
        for lab, data in ex[sec]:
            if lab and lab.startswith(prefix):
                return data
        raise KeyError("%s: no example %r" % (sec, prefix))

    s_priv = bytes(range(0x01, 0x21))
    ce_priv = bytes(range(0x21, 0x41))
    re_priv = bytes(range(0x41, 0x61))
    token = bytes(range(0xC0, 0xC8))
    sid = 0x0102030405060708

    # 12.1 HELLO
    check("12.1 HELLO", enc_hello(token), block("12.1"))

    # 12.2 COOKIE: server key from the static private key, cookie from 4.2
    cookie_doc = block("12.2")
    s_pub = x25519_base(s_priv)
    check("12.2 COOKIE relay static public key", cookie_doc[44:76], s_pub)
    ckmsg = bytes([4]) + bytes([192, 0, 2, 1]) + bytes(12) + struct.pack(">HQ", 40000, 0)
    cookie = hmac.new(b"\xa0" * 32, ckmsg, hashlib.sha256).digest()
    check("12.2 COOKIE (cookie recomputed, 32-byte secret a0..a0)",
          enc_cookie(token, cookie, s_pub), cookie_doc)
    cookie = cookie_doc[12:44]   # take it from the document as instructed
    print("     fingerprint of the example relay key: %s" % fingerprint(s_pub))

    # 12.3 INIT
    ini = NoiseNK(s_pub)
    msg1 = ini.write_message1(ce_priv)
    check("12.3 INIT (Noise NK message 1)", enc_init(token, cookie, msg1), block("12.3"))

    # 12.4 ACCEPT: made as the relay would, then opened as the client
    R_ = hashlib.blake2b(b"teahouse stateless reset v1", key=s_priv, digest_size=32).digest()
    reset_tok = hashlib.blake2b(struct.pack(">Q", sid), key=R_, digest_size=16).digest()
    payload = enc_accept_payload(sid, reset_tok, 90, 25)
    check("12.4 ACCEPT payload (with reset token derived per 5.8)", payload, block("12.4", 1))
    resp = NoiseNK(s_pub)
    resp.read_message1(s_priv, msg1)
    msg2 = resp.write_message2(re_priv, payload)
    check("12.4 ACCEPT (Noise NK message 2)", enc_accept(token, msg2), block("12.4", 0))
    acc = block("12.4", 0)
    try:
        cl = ini.copy()
        nlen, = struct.unpack(">H", acc[12:14])
        pl = cl.read_message2(acc[14:14 + nlen])
        info = dec_accept_payload(pl)
        check("12.4 ACCEPT decrypted by the client", pl, block("12.4", 1))
        check("12.4 ACCEPT payload fields",
              (info["session_id"], info["idle_timeout_s"], info["keepalive_s"]), (sid, 90, 25))
        c2r, r2c = cl.split()
    except ValueError as e:
        check("12.4 ACCEPT decrypted by the client", str(e), "ok")
        c2r, r2c = ini.split()

    # 12.5 keys
    rc2r, rr2c = resp.split()
    check("12.5 client->relay key", c2r, block("12.5", 0))
    check("12.5 relay->client key", r2c, block("12.5", 1))
    check("12.5 both sides agree", (rc2r, rr2c), (c2r, r2c))
    check("12.5 REKEY(client->relay)", rekey(c2r), block("12.5", 2))

    # 12.6 REJECT / 12.7 RESET / 12.8 version negotiation
    check("12.6 REJECT", enc_reject(token, 107, 0), block("12.6"))
    check("12.7 RESET", enc_reset(sid, reset_tok), block("12.7"))
    check("12.8 version negotiation", MAGIC + bytes([0, 1, VERSION]), block("12.8"))

    # 12.9 first SESSION packet
    login = enc_login(1, "alice", bytes(16), b"teahouse/0.1.0")
    frames = enc_stream(0, True, login)
    check("12.9 frames (STREAM with LOGIN)", frames, block("12.9", 0))
    pkt = seal_packet(c2r, 0, sid, 0, frames)
    check("12.9 sealed packet", pkt, block("12.9", 1))
    check("12.9 packet opens with the relay's copy of the key",
          open_packet(rc2r, block("12.9", 1)), block("12.9", 0))

    # 12.10 relay's answer
    welcome = enc_welcome(1, "alice", bytes(range(0x70, 0x80)), 16384, 20, "teahouse")
    frames = enc_stream(0, True, welcome) + enc_ack([(0, 0)], 0)
    check("12.10 frames (STREAM WELCOME + ACK)", frames, block("12.10", 0))
    check("12.10 sealed packet", seal_packet(r2c, 0, sid, 0, frames), block("12.10", 1))
    pt = open_packet(r2c, block("12.10", 1))
    ok = False
    if pt is not None:
        fr = parse_frames(pt)
        m = dec_relay_message(fr[0][1][2])
        ok = (fr[0][0] == F_STREAM and fr[0][1][:2] == (0, True) and m["t"] == M_WELCOME
              and m["nick"] == "alice" and m["max_text"] == 16384 and m["max_rooms"] == 20
              and m["server_name"] == "teahouse" and fr[1] == (F_ACK, (0, 0, [(0, 0)])))
    check("12.10 client opens and decodes the answer", ok, True)

    # 12.11 frames
    ranges = [(16, 20), (8, 14), (0, 4)]
    check("12.11 ACK", enc_ack(ranges, 1500), block("12.11", 0))
    check("12.11 ACK decodes to the same ranges",
          parse_frames(block("12.11", 0)), [(F_ACK, (20, 1500, ranges))])
    check("12.11 PING, PATH_CHALLENGE, CLOSE",
          bytes([F_PING, F_PATH_CHALLENGE]) + bytes(range(0x50, 0x58)) + bytes([F_CLOSE]) + struct.pack(">H", 101),
          block("12.11", 1))

    # 12.12 requests
    reqs = [
        ("JOIN room \"茶室\"", enc_join(2, "茶室", 0, 0, 50)),
        ("JOIN room \"lobby\"", enc_join(7, "lobby", 0x1122334455667788, 42, 0)),
        ("SAY in room 1", enc_say(3, 1, 0, "你好 👋")),
        ("SAY an action", enc_say(4, 1, 1, "pours tea")),
        ("PART room 1", enc_part(5, 1, "bye")),
        ("PRIVMSG to bob", enc_privmsg(6, "bob", 0, "psst")),
        ("TOPIC of room 1", enc_topic(8, 1, "Oolong")),
        ("NAMES of room 1", enc_names(9, 1)),
        ("LIST", enc_list(10)),
        ("NICK alice2", enc_nick(11, "alice2")),
        ("EDIT message 43", enc_edit(12, 1, 43, "fixed")),
        ("DELETE message 43", enc_delete(13, 1, 43)),
        ("QUIT, reason", enc_quit(14, "good night")),
    ]
    for lab, got in reqs:
        check("12.12 " + lab, got, labelled("12.12", lab))

    # 12.13 relay messages: encode, and decode the document's bytes
    # The document states the examples' time as 2026-11-25 00:00 UTC.
    import datetime
    T = int(datetime.datetime(2026, 11, 25, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    rel = [
        ("OK for request 3", enc_ok(3, 43),
         {"t": M_OK, "req_id": 3, "value": 43}),
        ("ERROR for request 1", enc_error(1, 5, 0, "alice"),
         {"t": M_ERROR, "req_id": 1, "code": 5, "retry_after_ms": 0, "detail": "alice"}),
        ("ERROR for request 9", enc_error(9, 11, 501, ""),
         {"t": M_ERROR, "req_id": 9, "code": 11, "retry_after_ms": 501, "detail": ""}),
        ("JOINED room 1", enc_joined(2, 1, "茶室", 0x1122334455667788, "Oolong", 42),
         {"t": M_JOINED, "req_id": 2, "room_id": 1, "room": "茶室", "epoch": 0x1122334455667788,
          "topic": "Oolong", "join_seq": 42}),
        ("NAMES_REPLY", enc_names_reply(0, 1, 0, [("alice", 0), ("seed", 1)]),
         {"t": M_NAMES_REPLY, "req_id": 0, "room_id": 1, "more": 0,
          "entries": [("alice", 0), ("seed", 1)]}),
        ("ROOMS_REPLY", enc_rooms_reply(10, 0, [("lobby", 3, "")]),
         {"t": M_ROOMS_REPLY, "req_id": 10, "more": 0, "entries": [("lobby", 3, "")]}),
        ("PRIVATE from alice", enc_private(T, "alice", 0, 0, "psst"),
         {"t": M_PRIVATE, "time_ms": T, "frm": "alice", "from_flags": 0, "kind": 0, "text": "psst"}),
        ("NOTICE SERVER_SHUTDOWN", enc_notice(101, ""),
         {"t": M_NOTICE, "code": 101, "detail": ""}),
        ("GAP in room 1", enc_gap(1, 43, 99, 1),
         {"t": M_GAP, "room_id": 1, "first": 43, "last": 99, "reason": 1}),
    ]
    for lab, got, fields in rel:
        want = labelled("12.13", lab)
        check("12.13 " + lab, got, want)
        try:
            dec = dec_relay_message(want)
        except DecodeError as e:
            dec = "DecodeError: %s" % e
        check("12.13 " + lab + " (decoded)", dec, fields)

    # 12.14 events
    evs = [
        ("43 MESSAGE", {"room_id": 1, "seq": 43, "time_ms": T, "kind": "MESSAGE", "nick": "alice",
                        "flags": 0, "text": "你好 👋"}),
        ("44 JOIN", {"room_id": 1, "seq": 44, "time_ms": T, "kind": "JOIN", "nick": "seed", "flags": 1}),
        ("45 TIMEOUT", {"room_id": 1, "seq": 45, "time_ms": T, "kind": "TIMEOUT", "nick": "seed",
                        "code": 102}),
        ("46 NICK", {"room_id": 1, "seq": 46, "time_ms": T, "kind": "NICK", "nick": "alice",
                     "new_nick": "alice2"}),
        ("47 EDIT", {"room_id": 1, "seq": 47, "time_ms": T, "kind": "EDIT", "nick": "alice2",
                     "target": 43, "text": "fixed"}),
    ]
    for lab, ev in evs:
        want = labelled("12.14", lab)
        check("12.14 " + lab, enc_event(ev), want)
        try:
            dec = dec_relay_message(want)
            dec.pop("t")
        except DecodeError as e:
            dec = "DecodeError: %s" % e
        check("12.14 " + lab + " (decoded)", dec, ev)

    n_fail = results.count(False)
    print("%d checks, %d passed, %d failed" % (len(results), results.count(True), n_fail))
    return 1 if n_fail else 0


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", help="HOST:PORT of the relay")
    ap.add_argument("--nick")
    ap.add_argument("--room")
    ap.add_argument("--verify-examples", action="store_true",
                    help="recompute the examples of section 12 and compare them with the document")
    ap.add_argument("--doc", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "..", "docs", "PROTOCOL.md"))
    ap.add_argument("--drop-rate", type=float, default=0.0,
                    help="drop this fraction of datagrams sent and received (testing)")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--rekey-interval", type=float, default=120.0,
                    help="update our own send key this often (section 5.4); 0 disables")
    ap.add_argument("--rebind-after", type=float, default=0.0,
                    help="testing: change the local UDP port after this many seconds")
    ap.add_argument("-v", "--verbose", action="store_true",
                    default=bool(os.environ.get("TEAHOUSE_INTEROP_VERBOSE")),
                    help="log every packet to stderr (also: TEAHOUSE_INTEROP_VERBOSE=1)")
    args = ap.parse_args()
    if args.verify_examples:
        sys.exit(verify_examples(args.doc))
    if not (args.server and args.nick and args.room):
        ap.error("--server, --nick and --room are required")
    try:
        os.set_blocking(sys.stdin.fileno(), True)
    except OSError:
        pass
    client = Client(args)
    try:
        client.run()
    except Fatal as e:
        if str(e):
            sys.stderr.write("teahouse_interop: %s\n" % e)
        sys.exit(e.status)
    except KeyboardInterrupt:
        client.send_close(100)
        sys.exit(130)


if __name__ == "__main__":
    main()
