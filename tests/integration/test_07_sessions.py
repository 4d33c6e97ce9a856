"""Sessions on a 2-shard broker: persistent sessions (3.1.1 Clean Session 0, v5 Session Expiry
Interval > 0) keep subscriptions and queue QoS 1 messages while offline; Clean Start discards;
a second connection with the same client identifier takes the session over; v5 session expiry.
"""

import time
import unittest

from clients import PubSubTestCase, ack_packet, parse_publish, sub_options
from harness import PUBACK, SESSION_EXPIRY_INTERVAL, expect_closed, parse_disconnect

LEVELS = (4, 5)


def persistent(level, expiry=60):
    """CONNECT arguments for a session that outlives the connection."""
    if level == 5:
        return dict(clean=False, props=[(SESSION_EXPIRY_INTERVAL, expiry)])
    return dict(clean=False)


def paho_persistent(level, expiry=60):
    return dict(clean=False, session_expiry=expiry if level == 5 else None)


class PersistentSessionTest(PubSubTestCase):

    def test_subscriptions_and_offline_messages_kept(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"persist{level}/t"
                sub_id, pub_id = self.ids(f"persist{level}")
                sub = self.paho(sub_id, level, **paho_persistent(level))
                self.assertFalse(sub.session_present, "[MQTT-3.2.2-3]: no session existed")
                self.assertEqual(sub.subscribe(topic, qos=1), [1])
                sub.disconnect()
                self.wait_gone(sub_id)

                pub = self.paho(pub_id, level)
                for i in range(5):
                    pub.publish(topic, f"offline {i}".encode(), qos=1)

                back = self.paho(sub_id, level, **paho_persistent(level))
                self.assertTrue(back.session_present, "[MQTT-3.2.2-3]")
                got = back.get_many(5)
                self.assertEqual([(m.topic, m.payload, m.qos) for m in got],
                                 [(topic, f"offline {i}".encode(), 1) for i in range(5)])
                # The subscription is still there without a new SUBSCRIBE.
                pub.publish(topic, b"live", qos=1)
                self.assertEqual(back.get().payload, b"live")

    def test_qos2_messages_queued_and_downgraded_qos0_not_queued(self):
        # QoS 2 is kept like QoS 1; QoS 0 MAY be dropped for an offline session (Tern's default,
        # sessions.queue_qos0_offline = false) -- asserted only for QoS 1/2.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"persistq2-{level}/t"
                sub_id, pub_id = self.ids(f"persistq2-{level}")
                sub = self.rawc(sub_id, level=level, **persistent(level))
                self.assertEqual(sub.subscribe([(topic, sub_options(2))]), [2])
                sub.close()
                self.wait_gone(sub_id)
                pub = self.paho(pub_id, level)
                pub.publish(topic, b"two", qos=2)
                pub.publish(topic, b"one", qos=1)
                back = self.rawc(sub_id, level=level, **persistent(level))
                self.assertTrue(back.connack.session_present)
                got = [parse_publish(p, level) for p in back.sync()]
                self.assertEqual([(m.payload, m.qos, m.dup) for m in got],
                                 [(b"two", 2, False), (b"one", 1, False)],
                                 "queued messages were never sent: DUP=0")
                for m in got:
                    back.ack(m)

    def test_session_present_0_after_clean_session_ended(self):
        for level in LEVELS:
            with self.subTest(level=level):
                cid = f"cleanend{level}"
                c = self.rawc(cid, level=level, clean=True)
                c.subscribe([("cleanend/t", sub_options(1))])
                c.close()
                self.wait_gone(cid)
                again = self.rawc(cid, level=level, **persistent(level))
                self.assertFalse(again.connack.session_present)


class CleanStartTest(PubSubTestCase):
    """Clean Start / Clean Session 1 discards an existing session [MQTT-3.1.2-4]."""

    def test_clean_start_discards_subscriptions_and_queue(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic, sync = f"discard{level}/t", f"discard{level}/sync"
                sub_id, pub_id = self.ids(f"discard{level}")
                sub = self.rawc(sub_id, level=level, **persistent(level))
                sub.subscribe([(topic, sub_options(1))])
                sub.close()
                self.wait_gone(sub_id)
                pub = self.rawc(pub_id, level=level)
                pub.publish(topic, b"queued", qos=1)

                fresh = self.rawc(sub_id, level=level, clean=True)
                self.assertFalse(fresh.connack.session_present, "[MQTT-3.2.2-2]")
                self.assertEqual(fresh.sync(), [], "the queued message went with the session")
                fresh.subscribe([(sync, sub_options(1))])
                pub.publish(topic, b"after", qos=1)
                pub.publish(sync, b"sync", qos=1)
                msg = fresh.expect_publish()
                self.assertEqual((msg.topic, msg.payload), (sync, b"sync"),
                                 "the old subscription is gone")
                fresh.ack(msg)

    def test_v5_clean_start_with_expiry_discards_too(self):
        sub_id, pub_id = self.ids("discard-v5-expiry")
        sub = self.rawc(sub_id, level=5, **persistent(5))
        sub.subscribe([("dv5/t", sub_options(1))])
        sub.close()
        self.wait_gone(sub_id)
        self.rawc(pub_id, level=5).publish("dv5/t", b"queued", qos=1)
        again = self.rawc(sub_id, level=5, clean=True, props=[(SESSION_EXPIRY_INTERVAL, 60)])
        self.assertFalse(again.connack.session_present)
        self.assertEqual(again.sync(), [])


class TakeoverTest(PubSubTestCase):
    """A second connection with the same client identifier closes the first [MQTT-3.1.4-3]
    (v5: DISCONNECT 0x8E Session taken over first) and inherits its session."""

    def test_takeover_inherits_session(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"takeover{level}/t"
                sub_id, pub_id = self.ids(f"takeover{level}")
                first = self.rawc(sub_id, level=level, **persistent(level))
                self.assertEqual(first.subscribe([(topic, sub_options(1))]), [1])
                pub = self.paho(pub_id, level)
                pub.publish(topic, b"unacked", qos=1)
                unacked = first.expect_publish()
                self.assertEqual(unacked.payload, b"unacked")

                second = self.rawc(sub_id, level=level, **persistent(level))
                if level == 5:
                    self.assertEqual(parse_disconnect(first.read()).reason, 0x8E)
                expect_closed(first.sock)
                self.assertTrue(second.connack.session_present)
                resent = parse_publish(second.read(), level)
                self.assertEqual((resent.payload, resent.dup, resent.packet_id),
                                 (b"unacked", True, unacked.packet_id))
                second.send(ack_packet(PUBACK, resent.packet_id))
                pub.publish(topic, b"new", qos=1)
                msg = second.expect_publish()
                self.assertEqual((msg.topic, msg.payload, msg.dup), (topic, b"new", False))
                second.ack(msg)

    def test_takeover_with_paho_clients(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"ptakeover{level}/t"
                sub_id, pub_id = self.ids(f"ptakeover{level}")
                first = self.paho(sub_id, level, **paho_persistent(level))
                first.subscribe(topic, qos=1)
                second = self.paho(sub_id, level, **paho_persistent(level))
                # paho 1.6 ignores the reason of a DISCONNECT whose Remaining Length is 1 (reason
                # code, no properties) and reports a lost connection; the raw test above checks
                # the 0x8E itself.
                self.assertNotEqual(first.wait_disconnected(), 0)
                self.assertTrue(second.session_present)
                self.paho(pub_id, level).publish(topic, b"to the new one", qos=1)
                self.assertEqual(second.get().payload, b"to the new one")
                self.assertEqual(first.pending(), [])

    def test_takeover_with_clean_start_gets_no_session(self):
        for level in LEVELS:
            with self.subTest(level=level):
                cid = f"takeclean{level}"
                first = self.rawc(cid, level=level, **persistent(level))
                first.subscribe([("takeclean/t", sub_options(1))])
                second = self.rawc(cid, level=level, clean=True)
                if level == 5:
                    self.assertEqual(parse_disconnect(first.read()).reason, 0x8E)
                expect_closed(first.sock)
                self.assertFalse(second.connack.session_present)


class SessionExpiryTest(PubSubTestCase):
    """MQTT 5 Session Expiry Interval (3.1.2.11.2, [MQTT-4.1.0-2])."""

    def test_session_ends_after_its_expiry_interval(self):
        topic = "expiry/t"
        sub_id, pub_id = self.ids("expiry")
        sub = self.rawc(sub_id, level=5, **persistent(5, expiry=1))
        sub.subscribe([(topic, sub_options(1))])
        sub.close()
        self.wait_gone(sub_id)
        # Within the interval the session is there ...
        back = self.rawc(sub_id, level=5, **persistent(5, expiry=1))
        self.assertTrue(back.connack.session_present)
        back.close()
        self.wait_gone(sub_id, times=2)
        gone_at = time.monotonic()
        self.rawc(pub_id, level=5).publish(topic, b"for a session about to expire", qos=1)
        # ... and 1 s after the disconnect it is not (the wait is the point of the test).
        time.sleep(max(0.0, gone_at + 1.3 - time.monotonic()))
        late = self.rawc(sub_id, level=5, **persistent(5, expiry=1))
        self.assertFalse(late.connack.session_present)
        self.assertEqual(late.sync(), [], "queued messages ended with the session")

    def test_zero_expiry_ends_session_with_connection(self):
        cid = self.ids("expiry-zero")[1]
        c = self.rawc(cid, level=5, clean=False)  # no Session Expiry Interval: 0
        c.subscribe([("ez/t", sub_options(1))])
        c.close()
        self.wait_gone(cid)
        again = self.rawc(cid, level=5, **persistent(5))
        self.assertFalse(again.connack.session_present)

    def test_disconnect_can_shorten_expiry_to_zero(self):
        # Section 3.14.2.2.2 allows lowering (not raising from 0) the interval in DISCONNECT.
        cid = self.ids("expiry-lower")[0]
        c = self.paho(cid, 5, clean=False, session_expiry=60)
        c.subscribe("el/t", qos=1)
        c.disconnect(props={"SessionExpiryInterval": 0})
        self.wait_gone(cid)
        again = self.rawc(cid, level=5, **persistent(5))
        self.assertFalse(again.connack.session_present)

    def test_3_1_1_persistent_session_survives(self):
        # 3.1.1 persistent sessions have no expiry interval (Tern caps them at
        # sessions.max_session_expiry, 14 days by default).
        cid = self.ids("v311-forever")[1]
        c = self.rawc(cid, level=4, clean=False)
        c.close()
        self.wait_gone(cid)
        again = self.rawc(cid, level=4, clean=False)
        self.assertTrue(again.connack.session_present)


if __name__ == "__main__":
    unittest.main()
