"""Will messages on a 2-shard broker (3.1.2.5; MQTT 5 3.1.3.2 too): published when the
connection ends without DISCONNECT, not after a normal DISCONNECT, published after an MQTT 5
DISCONNECT 0x04; the Will Delay Interval (cancelled by a reconnect, cut short by the session's
end); the will's retain flag.

The client with the will and the client publishing the "nothing came before this" barrier live
on the same shard, so a wrongly published will would reach the subscriber (on the other shard)
before the barrier.
"""

import time
import unittest

from clients import PubSubTestCase, shard_id
from harness import (CONTENT_TYPE, connect, MESSAGE_EXPIRY_INTERVAL, PAYLOAD_FORMAT_INDICATOR,
                     SESSION_EXPIRY_INTERVAL, USER_PROPERTY, WILL_DELAY_INTERVAL, disconnect,
                     parse_disconnect)

ALL_LEVELS = (3, 4, 5)
LEVELS = (4, 5)


def will(topic, payload=b"will", qos=1, retain=False, props=None):
    return dict(topic=topic, payload=payload, qos=qos, retain=retain, props=props)


class WillTest(PubSubTestCase):

    def trio(self, name, level, sub_level=None):
        """(will client id, barrier publisher, subscriber) with the subscriber on shard 1."""
        will_id = shard_id(f"{name}-will", 0)
        barrier = self.paho(shard_id(f"{name}-barrier", 0), level)
        sub = self.paho(shard_id(f"{name}-sub", 1), sub_level or level)
        return will_id, barrier, sub

    def test_will_published_when_socket_closes_without_disconnect(self):
        for level in ALL_LEVELS:
            with self.subTest(level=level):
                topic = f"will{level}/abrupt"
                will_id, _, sub = self.trio(f"abrupt{level}", level, sub_level=4)
                sub.subscribe(topic, qos=2)
                c = self.rawc(will_id, level=level, will=will(topic, b"gone", qos=1))
                c.close()
                msg = sub.get()
                self.assertEqual((msg.topic, msg.payload, msg.qos, msg.retain),
                                 (topic, b"gone", 1, 0))

    def test_will_published_when_broker_closes_for_a_protocol_error(self):
        # [MQTT-3.1.2-8]: the server closing the connection for a protocol violation publishes
        # the will. Here: a second CONNECT [MQTT-3.1.0-2].
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"will{level}/violation"
                will_id, _, sub = self.trio(f"violation{level}", level)
                sub.subscribe(topic, qos=1)
                c = self.rawc(will_id, level=level, will=will(topic, b"misbehaved"))
                c.send(connect(level=level, client_id=will_id))
                self.assertEqual(sub.get().payload, b"misbehaved")

    def test_will_published_on_keep_alive_timeout(self):
        # [MQTT-3.1.2-8] / 3.1.2.10: 1.5 x keep-alive (1 s) of silence.
        topic = "will4/keepalive"
        will_id, _, sub = self.trio("keepalive4", 4)
        sub.subscribe(topic, qos=1)
        self.rawc(will_id, level=4, keep_alive=1, will=will(topic, b"timed out"))
        self.assertEqual(sub.get(timeout=4).payload, b"timed out")

    def test_will_properties_forwarded(self):
        topic = "will5/props"
        will_id, _, sub = self.trio("willprops", 5)
        sub.subscribe(topic, qos=1)
        props = [(CONTENT_TYPE, "text/plain"), (PAYLOAD_FORMAT_INDICATOR, 1),
                 (USER_PROPERTY, ("who", "me")), (USER_PROPERTY, ("why", "crash")),
                 (MESSAGE_EXPIRY_INTERVAL, 100)]
        c = self.rawc(will_id, level=5, will=will(topic, b"bye", props=props))
        c.close()
        msg = sub.get()
        self.assertEqual(msg.payload, b"bye")
        self.assertEqual(msg.properties.ContentType, "text/plain")
        self.assertEqual(msg.properties.PayloadFormatIndicator, 1)
        self.assertEqual(msg.properties.UserProperty, [("who", "me"), ("why", "crash")])
        self.assertTrue(0 < msg.properties.MessageExpiryInterval <= 100)

    def test_no_will_after_normal_disconnect(self):
        # [MQTT-3.1.2-10 (3.1.1) / MQTT-3.1.2-10 (v5)]: DISCONNECT (0x00) deletes the will.
        for level in ALL_LEVELS:
            with self.subTest(level=level):
                topic = f"will{level}/normal"
                will_id, barrier, sub = self.trio(f"normal{level}", level, sub_level=4)
                sub.subscribe(topic, qos=1)
                c = self.rawc(will_id, level=level, will=will(topic))
                c.send(disconnect(level=level))
                self.wait_gone(will_id)
                barrier.publish(topic, b"barrier", qos=1)
                self.assertEqual([m.payload for m in sub.until(topic)], [])

    def test_no_will_after_paho_disconnect(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"pwill{level}/normal"
                will_id, barrier, sub = self.trio(f"pnormal{level}", level)
                sub.subscribe(topic, qos=1)
                c = self.paho(will_id, level, will=will(topic))
                c.disconnect()
                self.wait_gone(will_id)
                barrier.publish(topic, b"barrier", qos=1)
                self.assertEqual([m.payload for m in sub.until(topic)], [])

    def test_v5_disconnect_with_will_message_0x04(self):
        topic = "will5/0x04"
        will_id, _, sub = self.trio("with-will", 5)
        sub.subscribe(topic, qos=1)
        c = self.rawc(will_id, level=5, will=will(topic, b"asked for"))
        c.send(disconnect(0x04, level=5))
        self.assertEqual(sub.get().payload, b"asked for")

    def test_v5_paho_disconnect_with_reason_0x04(self):
        topic = "pwill5/0x04"
        will_id, _, sub = self.trio("pwith-will", 5)
        sub.subscribe(topic, qos=1)
        c = self.paho(will_id, 5, will=will(topic, b"paho asked"))
        c.disconnect(reasoncode=0x04)
        self.assertEqual(sub.get().payload, b"paho asked")

    def test_will_on_takeover(self):
        # The old connection is closed by the server, not by DISCONNECT: its will goes
        # [MQTT-3.1.4-3] (v5: Will Delay Interval 0).
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"will{level}/takeover"
                will_id, _, sub = self.trio(f"takeover{level}", level)
                sub.subscribe(topic, qos=1)
                old = self.rawc(will_id, level=level, will=will(topic, b"taken over"))
                self.rawc(will_id, level=level)
                if level == 5:
                    self.assertEqual(parse_disconnect(old.read()).reason, 0x8E)
                self.assertEqual(sub.get().payload, b"taken over")

    def test_will_retain_flag(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"will{level}/retained"
                will_id, _, sub = self.trio(f"wretain{level}", level)
                sub.subscribe(topic, qos=1)
                c = self.rawc(will_id, level=level,
                              will=will(topic, b"last words", qos=1, retain=True))
                c.close()
                msg = sub.get()
                self.assertEqual((msg.payload, msg.retain), (b"last words", 0),
                                 "live delivery: RETAIN 0")
                later = self.paho(shard_id(f"wretain{level}-later", 1), level)
                later.subscribe(topic, qos=1)
                msg = later.get()
                self.assertEqual((msg.payload, msg.retain, msg.qos), (b"last words", 1, 1),
                                 "the will was stored as a retained message")


class WillDelayTest(PubSubTestCase):
    """MQTT 5 Will Delay Interval ([MQTT-3.1.2-8], 3.1.3.2.2): the will waits for the delay or the
    end of the session, whichever comes first; a new connection to the session within the delay
    cancels it. These tests wait for real time (1 s intervals, the smallest the protocol
    expresses)."""

    def connect_with_will(self, cid, topic, delay, expiry):
        props = [(WILL_DELAY_INTERVAL, delay)] if delay is not None else None
        return self.rawc(cid, level=5, clean=False,
                         props=[(SESSION_EXPIRY_INTERVAL, expiry)],
                         will=will(topic, f"delay {delay} expiry {expiry}".encode(), props=props))

    def test_will_waits_for_its_delay(self):
        topic = "delay/1s"
        sub = self.paho(shard_id("delay1-sub", 1), 5)
        sub.subscribe(topic, qos=1)
        c = self.connect_with_will(shard_id("delay1-will", 0), topic, delay=1, expiry=10)
        c.close()
        closed = time.monotonic()
        msg = sub.get(timeout=4)
        elapsed = time.monotonic() - closed
        self.assertEqual(msg.payload, b"delay 1 expiry 10")
        self.assertGreaterEqual(elapsed, 0.9, "published before the Will Delay Interval")
        self.assertLess(elapsed, 3.0)

    def test_reconnect_within_delay_cancels_will(self):
        topic = "delay/cancelled"
        will_id = shard_id("cancel-will", 0)
        barrier = self.paho(shard_id("cancel-barrier", 0), 5)
        sub = self.paho(shard_id("cancel-sub", 1), 5)
        sub.subscribe(topic, qos=1)
        c = self.connect_with_will(will_id, topic, delay=1, expiry=10)
        c.close()
        self.wait_gone(will_id)
        back = self.rawc(will_id, level=5, clean=False, props=[(SESSION_EXPIRY_INTERVAL, 10)])
        self.assertTrue(back.connack.session_present)
        closed = time.monotonic()
        # Past the delay (plus the broker's 250 ms timer granularity): still no will.
        time.sleep(max(0.0, closed + 1.6 - time.monotonic()))
        barrier.publish(topic, b"barrier", qos=1)
        self.assertEqual([m.payload for m in sub.until(topic)], [])

    def test_session_expiry_before_delay_publishes_will(self):
        topic = "delay/expiry-first"
        sub = self.paho(shard_id("expfirst-sub", 1), 5)
        sub.subscribe(topic, qos=1)
        c = self.connect_with_will(shard_id("expfirst-will", 0), topic, delay=30, expiry=1)
        c.close()
        closed = time.monotonic()
        msg = sub.get(timeout=4)
        elapsed = time.monotonic() - closed
        self.assertEqual(msg.payload, b"delay 30 expiry 1")
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 3.0, "the session ended after 1 s: the will is due then")

    def test_zero_session_expiry_publishes_will_at_once(self):
        topic = "delay/no-session"
        sub = self.paho(shard_id("nosess-sub", 1), 5)
        sub.subscribe(topic, qos=1)
        c = self.connect_with_will(shard_id("nosess-will", 0), topic, delay=30, expiry=0)
        c.close()
        closed = time.monotonic()
        self.assertEqual(sub.get().payload, b"delay 30 expiry 0")
        self.assertLess(time.monotonic() - closed, 0.9)


if __name__ == "__main__":
    unittest.main()
