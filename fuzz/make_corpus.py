#!/usr/bin/python3
"""Writes the seed corpus for decoder_fuzzer into fuzz/corpus/decoder.

Each file is one options byte followed by raw MQTT bytes (see decoder_fuzzer.cpp):
  bits 0-1  protocol level: 0 unset, 1 -> 3.1, 2 -> 3.1.1, 3 -> 5.0
  bits 2-5  index into the fuzzer's table of maximum packet sizes (0 = no limit)
  bit  6    follow the level announced by a decoded CONNECT

Run from anywhere: /usr/bin/python3 fuzz/make_corpus.py
"""

import pathlib
import struct

OUT = pathlib.Path(__file__).resolve().parent / "corpus" / "decoder"

UNSET, V31, V311, V5 = 0, 1, 2, 3
FOLLOW = 0x40


def size_index(i):
    return (i & 0x0F) << 2


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def u8(n):
    return bytes([n])


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def s(text):
    data = text.encode() if isinstance(text, str) else bytes(text)
    return u16(len(data)) + data


def props(*items):
    body = b"".join(items)
    return varint(len(body)) + body


def prop(ident, value):
    return u8(ident) + value


def user(key, value):
    return prop(0x26, s(key) + s(value))


def packet(first, body):
    return u8(first) + varint(len(body)) + body


def connect(level, flags, client_id, keep_alive=60, connect_props=None, will_props=None,
            will=None, username=None, password=None):
    name = "MQIsdp" if level == 3 else "MQTT"
    body = s(name) + u8(level) + u8(flags) + u16(keep_alive)
    if level == 5:
        body += connect_props if connect_props is not None else props()
    body += s(client_id)
    if will is not None:
        if level == 5:
            body += will_props if will_props is not None else props()
        body += s(will[0]) + s(will[1])
    if username is not None:
        body += s(username)
    if password is not None:
        body += s(password)
    return packet(0x10, body)


CONNECT_PROPS = props(
    prop(0x11, u32(3600)), prop(0x21, u16(20)), prop(0x22, u16(10)), prop(0x27, u32(1 << 20)),
    prop(0x17, u8(1)), prop(0x19, u8(1)), prop(0x15, s("SCRAM-SHA-1")), prop(0x16, s(b"\x00\x01")),
    user("a", "1"), user("a", "2"))
WILL_PROPS = props(
    prop(0x18, u32(30)), prop(0x01, u8(1)), prop(0x02, u32(60)), prop(0x03, s("text/plain")),
    prop(0x08, s("reply/here")), prop(0x09, s(b"\xde\xad")), user("w", "x"))
CONNACK_PROPS = props(
    prop(0x11, u32(0)), prop(0x12, s("auto-1")), prop(0x13, u16(30)), prop(0x1A, s("resp")),
    prop(0x1C, s("other:1883")), prop(0x1F, s("ok")), prop(0x21, u16(100)), prop(0x22, u16(5)),
    prop(0x24, u8(1)), prop(0x25, u8(0)), prop(0x27, u32(65536)), prop(0x28, u8(1)),
    prop(0x29, u8(1)), prop(0x2A, u8(0)), user("srv", "tern"))
PUBLISH_PROPS = props(
    prop(0x01, u8(0)), prop(0x02, u32(10)), prop(0x03, s("json")), prop(0x08, s("r/t")),
    prop(0x09, s(b"id")), prop(0x0B, varint(1)), prop(0x0B, varint(300)), prop(0x23, u16(2)),
    user("k", "v"), user("k", "w"))
REASON_PROPS = props(prop(0x1F, s("because")), user("r", "s"))


def publish(first, topic, payload, packet_id=None, publish_props=None):
    body = s(topic)
    if packet_id is not None:
        body += u16(packet_id)
    if publish_props is not None:
        body += publish_props
    return packet(first, body + payload)


SEEDS = {
    # CONNECT at every level, with and without will, credentials and properties.
    "connect-v31": (UNSET, connect(3, 0x02, "c31")),
    "connect-v31-will-user": (UNSET, connect(3, 0xEE, "c31w", will=("w/t", "gone"),
                                             username="u", password="p")),
    "connect-v311-minimal": (UNSET, connect(4, 0x02, "")),
    "connect-v311-will-user-pass": (UNSET, connect(4, 0xCE, "tern", keep_alive=10,
                                                   will=("w", "bye"), username="u",
                                                   password="p")),
    "connect-v311-will-qos2-retain": (UNSET, connect(4, 0x34, "r", will=("a/b", "x"))),
    "connect-v5-minimal": (UNSET, connect(5, 0x02, "c5")),
    "connect-v5-props-will": (UNSET, connect(5, 0xEE, "c5w", connect_props=CONNECT_PROPS,
                                             will_props=WILL_PROPS, will=("w/t", "bye"),
                                             username="user", password=b"\x00pw")),
    "connect-v5-password-only": (UNSET, connect(5, 0x42, "p", password="secret")),
    # CONNACK
    "connack-v311": (V311, packet(0x20, b"\x01\x00")),
    "connack-v311-refused": (V311, packet(0x20, b"\x00\x05")),
    "connack-v5-props": (V5, packet(0x20, b"\x00\x00" + CONNACK_PROPS)),
    # PUBLISH
    "publish-qos0-v311": (V311, publish(0x30, "a/b", b"hello")),
    "publish-qos1-v311": (V311, publish(0x32, "a/b", b"hi", packet_id=10)),
    "publish-qos2-dup-retain-v311": (V311, publish(0x3D, "x", b"\x00\xff", packet_id=65535)),
    "publish-qos1-v5-props": (V5, publish(0x32, "s/t", b"{}", packet_id=7,
                                          publish_props=PUBLISH_PROPS)),
    "publish-v5-alias-only": (V5, publish(0x30, "", b"p", publish_props=props(
        prop(0x23, u16(1))))),
    "publish-v31": (V31, publish(0x34, "legacy", b"data", packet_id=1)),
    # Acknowledgements
    "acks-v311": (V311, packet(0x40, u16(1)) + packet(0x50, u16(2)) + packet(0x62, u16(2))
                  + packet(0x70, u16(2))),
    "acks-v5": (V5, packet(0x40, u16(1)) + packet(0x50, u16(2) + b"\x10")
                + packet(0x62, u16(2) + b"\x92" + REASON_PROPS)
                + packet(0x70, u16(2) + b"\x00" + props())),
    "pubrel-v31-zero-flags": (V31, packet(0x60, u16(3))),
    # SUBSCRIBE / SUBACK / UNSUBSCRIBE / UNSUBACK
    "subscribe-v311": (V311, packet(0x82, u16(1) + s("a/+") + b"\x01" + s("b/#") + b"\x02")),
    "subscribe-v5": (V5, packet(0x82, u16(2) + props(prop(0x0B, varint(42)), user("u", "v"))
                                + s("a/b") + b"\x2e" + s("$share/g/c/#") + b"\x19")),
    "suback-v311": (V311, packet(0x90, u16(1) + b"\x00\x01\x02\x80")),
    "suback-v5": (V5, packet(0x90, u16(2) + REASON_PROPS + b"\x00\x01\x02\x87\xa2")),
    "unsubscribe-v311": (V311, packet(0xA2, u16(3) + s("a/+") + s("#"))),
    "unsubscribe-v5": (V5, packet(0xA2, u16(4) + props(user("x", "y")) + s("a/b"))),
    "unsuback-v311": (V311, packet(0xB0, u16(3))),
    "unsuback-v5": (V5, packet(0xB0, u16(4) + REASON_PROPS + b"\x00\x11")),
    # PING, DISCONNECT, AUTH
    "ping-v311": (V311, packet(0xC0, b"") + packet(0xD0, b"")),
    "disconnect-v311": (V311, packet(0xE0, b"")),
    "disconnect-v5-props": (V5, packet(0xE0, b"\x8b" + props(
        prop(0x11, u32(0)), prop(0x1C, s("backup")), prop(0x1F, s("shutdown"))))),
    "auth-v5": (V5, packet(0xF0, b"\x18" + props(prop(0x15, s("SCRAM-SHA-1")),
                                                 prop(0x16, s(b"\x01\x02"))))
                + packet(0xF0, b"")),
    # Whole sessions: CONNECT, then packets at the level it announced.
    "session-v5": (UNSET | FOLLOW, connect(5, 0x02, "s5", connect_props=CONNECT_PROPS)
                   + publish(0x32, "t", b"x", packet_id=1, publish_props=PUBLISH_PROPS)
                   + packet(0x82, u16(2) + props() + s("t/#") + b"\x01")
                   + packet(0xC0, b"") + packet(0xE0, b"")),
    "session-v311": (UNSET | FOLLOW, connect(4, 0x02, "s4")
                     + publish(0x30, "t", b"x") + packet(0xA2, u16(9) + s("t"))
                     + packet(0xC0, b"") + packet(0xE0, b"")),
    # Limits and malformed inputs.
    "too-large-for-64": (V311 | size_index(6), publish(0x30, "big", bytes(80))),
    "partial-publish": (V5, publish(0x30, "incomplete", b"payload", publish_props=props())[:9]),
    "remaining-length-5-bytes": (V311, b"\x30\xff\xff\xff\xff\x7f"),
}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (options, data) in SEEDS.items():
        (OUT / name).write_bytes(u8(options) + data)
    print(f"wrote {len(SEEDS)} seeds to {OUT}")


if __name__ == "__main__":
    main()
