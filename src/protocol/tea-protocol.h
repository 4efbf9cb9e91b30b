/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Constants of the Teahouse wire protocol, version 1. docs/PROTOCOL.md is the
 * normative text; every number here appears there with its reason.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Invariant across versions: bytes 0-1 are the magic, byte 2 the version. */
#define TEA_MAGIC_0 0x54 /* 'T' */
#define TEA_MAGIC_1 0x48 /* 'H' */
#define TEA_PROTOCOL_VERSION 1
#define TEA_VERSION_NEGOTIATION 0

/* Largest UDP payload any endpoint sends; fits IPv6's 1280-byte minimum MTU. */
#define TEA_MAX_DATAGRAM 1200
/* HELLO and INIT are padded to this so replies never exceed what was received. */
#define TEA_HANDSHAKE_PADDED_LEN 1200

typedef enum {
  TEA_PACKET_HELLO = 0x01,
  TEA_PACKET_COOKIE = 0x02,
  TEA_PACKET_INIT = 0x03,
  TEA_PACKET_ACCEPT = 0x04,
  TEA_PACKET_REJECT = 0x05,
  TEA_PACKET_RESET = 0x06,
  TEA_PACKET_SESSION = 0x10, /* low bit is the key phase: 0x10 or 0x11 */
} TeaPacketType;

#define TEA_CLIENT_TOKEN_LEN 8
#define TEA_COOKIE_LEN 32
#define TEA_KEY_LEN 32
#define TEA_TAG_LEN 16
#define TEA_RESET_TOKEN_LEN 16
#define TEA_RESUME_TOKEN_LEN 16
#define TEA_PATH_CHALLENGE_LEN 8

/* SESSION packet header: magic(2) version(1) type(1) session_id(8) pn(8). */
#define TEA_SESSION_HEADER_LEN 20
#define TEA_SESSION_OVERHEAD (TEA_SESSION_HEADER_LEN + TEA_TAG_LEN)
#define TEA_MAX_FRAMES_LEN (TEA_MAX_DATAGRAM - TEA_SESSION_OVERHEAD)

/* Frames inside a SESSION packet's protected payload. */
typedef enum {
  TEA_FRAME_PADDING = 0x00,
  TEA_FRAME_PING = 0x01,
  TEA_FRAME_ACK = 0x02,
  TEA_FRAME_CLOSE = 0x03,
  TEA_FRAME_PATH_CHALLENGE = 0x04,
  TEA_FRAME_PATH_RESPONSE = 0x05,
  TEA_FRAME_STREAM = 0x06,
} TeaFrameType;

#define TEA_STREAM_FLAG_FIN 0x01
/* type(1) seq(8) flags(1) length(2) */
#define TEA_STREAM_FRAME_OVERHEAD 12
/* Largest STREAM payload; leaves room for the header, tag and a full ACK. */
#define TEA_MAX_FRAGMENT 1000
/* ACK: type(1) largest(8) delay(4) count(1) first(2) + count * (gap(2) len(2)) */
#define TEA_ACK_FRAME_MIN_LEN 16
#define TEA_MAX_ACK_RANGES 16

/* Largest application message (one reassembled stream message). */
#define TEA_MAX_MESSAGE 20480
/* Largest chat text in bytes of UTF-8. */
#define TEA_MAX_TEXT 16384
#define TEA_MAX_TOPIC 390
#define TEA_MAX_REASON 390
#define TEA_MAX_NICK_CHARS 30
#define TEA_MAX_ROOM_CHARS 40

/* Requests, client to relay. Every request starts with type(1) req_id(4). */
typedef enum {
  TEA_MSG_LOGIN = 0x01,
  TEA_MSG_JOIN = 0x02,
  TEA_MSG_PART = 0x03,
  TEA_MSG_SAY = 0x04,
  TEA_MSG_PRIVMSG = 0x05,
  TEA_MSG_TOPIC = 0x06,
  TEA_MSG_NAMES = 0x07,
  TEA_MSG_LIST = 0x08,
  TEA_MSG_NICK = 0x09,
  TEA_MSG_EDIT = 0x0A,
  TEA_MSG_DELETE = 0x0B,
  TEA_MSG_QUIT = 0x0C,

  /* Relay to client. */
  TEA_MSG_OK = 0x80,
  TEA_MSG_ERROR = 0x81,
  TEA_MSG_WELCOME = 0x82,
  TEA_MSG_JOINED = 0x83,
  TEA_MSG_NAMES_REPLY = 0x84,
  TEA_MSG_ROOMS_REPLY = 0x85,
  TEA_MSG_EVENT = 0x86,
  TEA_MSG_PRIVATE = 0x87,
  TEA_MSG_NOTICE = 0x88,
  TEA_MSG_GAP = 0x89,
} TeaMessageType;

typedef enum {
  TEA_EVENT_MESSAGE = 1,
  TEA_EVENT_ACTION = 2,
  TEA_EVENT_JOIN = 3,
  TEA_EVENT_PART = 4,
  TEA_EVENT_QUIT = 5,
  TEA_EVENT_TIMEOUT = 6,
  TEA_EVENT_NICK = 7,
  TEA_EVENT_TOPIC = 8,
  TEA_EVENT_EDIT = 9,
  TEA_EVENT_DELETE = 10,
} TeaEventKind;

typedef enum {
  TEA_TEXT_KIND_MESSAGE = 0,
  TEA_TEXT_KIND_ACTION = 1,
} TeaTextKind;

/* Member flags carried next to a nick. */
typedef enum {
  TEA_MEMBER_FLAG_NONE = 0,
  TEA_MEMBER_FLAG_UNENCRYPTED = 1 << 0, /* a legacy (seed) client */
} TeaMemberFlags;

typedef enum {
  TEA_GAP_REASON_EXPIRED = 1,       /* older than the room's backlog */
  TEA_GAP_REASON_HISTORY_RESET = 2, /* room recreated (e.g. relay restart) */
} TeaGapReason;

/* One code space for errors in ERROR, REJECT, CLOSE and NOTICE. Codes travel on
 * the wire; clients turn them into words (tea_code_describe). */
typedef enum {
  TEA_CODE_NONE = 0,
  TEA_CODE_PROTOCOL = 1,
  TEA_CODE_MESSAGE_TOO_LONG = 2,
  TEA_CODE_BAD_TEXT = 3,
  TEA_CODE_BAD_NICK = 4,
  TEA_CODE_NICK_TAKEN = 5,
  TEA_CODE_BAD_ROOM_NAME = 6,
  TEA_CODE_NO_SUCH_ROOM = 7,
  TEA_CODE_NO_SUCH_NICK = 8,
  TEA_CODE_TOO_MANY_ROOMS = 9,
  TEA_CODE_SERVER_FULL = 10,
  TEA_CODE_FLOOD = 11,
  TEA_CODE_RATE_LIMITED = 12,
  TEA_CODE_NOT_LOGGED_IN = 13,
  TEA_CODE_ALREADY_LOGGED_IN = 14,
  TEA_CODE_ROOM_FULL = 15,
  TEA_CODE_TOO_MANY_ROOMS_ON_SERVER = 16,
  TEA_CODE_CANNOT_EDIT = 17,
  TEA_CODE_TOPIC_TOO_LONG = 18,
  TEA_CODE_NOT_IN_ROOM = 19,
  TEA_CODE_UNKNOWN_REQUEST = 20,

  /* Session endings (CLOSE frame, REJECT, NOTICE). */
  TEA_CODE_QUIT = 100,
  TEA_CODE_SERVER_SHUTDOWN = 101,
  TEA_CODE_IDLE_TIMEOUT = 102,
  TEA_CODE_PROTOCOL_VIOLATION = 103,
  TEA_CODE_SLOW_READER = 104,
  TEA_CODE_REPLACED = 105,
  TEA_CODE_REASSEMBLY_TIMEOUT = 106,
  TEA_CODE_BAD_COOKIE = 107,
  TEA_CODE_UNSUPPORTED_VERSION = 108,
  TEA_CODE_SESSION_UNKNOWN = 109,
} TeaCode;

G_END_DECLS
