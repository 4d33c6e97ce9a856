"""QoS 0/1/2 end to end on a 2-shard broker: downgrade to the granted QoS, the exact packet flows
in both directions, exactly-once delivery of a QoS 2 message sent twice before PUBREL, and
redelivery of unacknowledged messages with DUP=1 when a persistent session reconnects.
"""

import unittest

from clients import PubSubTestCase, ack_packet, parse_ack, parse_publish, sub_options
from harness import (PUBACK, PUBCOMP, PUBLISH, PUBREC, PUBREL, SESSION_EXPIRY_INTERVAL,
                     publish)

LEVELS = (4, 5)


class QosMatrixTest(PubSubTestCase):
    """Delivered QoS = min(published QoS, granted QoS) [MQTT-3.8.4-8]."""

    def test_every_published_and_granted_qos_with_paho(self):
        for level in LEVELS:
            with self.subTest(level=level):
                sub_id, pub_id = self.ids(f"matrix{level}")
                sub = self.paho(sub_id, level)
                codes = sub.subscribe([(f"qm{level}/granted{g}", g) for g in (0, 1, 2)])
                self.assertEqual(codes, [0, 1, 2])
                pub = self.paho(pub_id, level)
                expected = []
                for granted in (0, 1, 2):
                    for qos in (0, 1, 2):
                        topic = f"qm{level}/granted{granted}"
                        payload = f"q{qos}-g{granted}".encode()
                        pub.publish(topic, payload, qos=qos)
                        expected.append((topic, payload, min(qos, granted)))
                got = sub.get_many(len(expected))
                self.assertEqual(sorted((m.topic, m.payload, m.qos) for m in got),
                                 sorted(expected))

    def test_paho_publishes_to_raw_subscriber_with_exact_flows(self):
        # Broker -> subscriber: QoS 0 bare, QoS 1 with PUBACK, QoS 2 PUBREC/PUBREL/PUBCOMP.
        for level in LEVELS:
            with self.subTest(level=level):
                sub_id, pub_id = self.ids(f"flowout{level}")
                sub = self.rawc(sub_id, level=level)
                self.assertEqual(sub.subscribe([(f"fo{level}", sub_options(2))]), [2])
                pub = self.paho(pub_id, level)
                for qos in (0, 1, 2):
                    pub.publish(f"fo{level}", f"m{qos}".encode(), qos=qos)
                    msg = sub.expect_publish()
                    self.assertEqual((msg.payload, msg.qos, msg.dup, msg.retain),
                                     (f"m{qos}".encode(), qos, False, False))
                    if qos == 0:
                        self.assertIsNone(msg.packet_id)
                        continue
                    self.assertNotEqual(msg.packet_id, 0, "3.1.1 [MQTT-2.3.1-1]")
                    if qos == 1:
                        sub.send(ack_packet(PUBACK, msg.packet_id))
                        continue
                    sub.send(ack_packet(PUBREC, msg.packet_id))
                    rel_id, reason, _ = parse_ack(sub.read(), PUBREL, level)
                    self.assertEqual((rel_id, reason), (msg.packet_id, 0))
                    sub.send(ack_packet(PUBCOMP, msg.packet_id))
                self.assertEqual(sub.sync(), [], "nothing more after the flows completed")

    def test_raw_publisher_flows_to_paho_subscriber(self):
        # Client -> broker: PUBACK for QoS 1; PUBREC, then PUBCOMP after PUBREL for QoS 2.
        for level in LEVELS:
            with self.subTest(level=level):
                sub_id, pub_id = self.ids(f"flowin{level}")
                sub = self.paho(sub_id, level)
                sub.subscribe(f"fi{level}", qos=2)
                pub = self.rawc(pub_id, level=level)
                pub.send(publish(f"fi{level}", b"zero", qos=0, level=level))
                pub.send(publish(f"fi{level}", b"one", qos=1, packet_id=11, level=level))
                self.assertEqual(parse_ack(pub.read(), PUBACK, level)[:2], (11, 0))
                pub.send(publish(f"fi{level}", b"two", qos=2, packet_id=12, level=level))
                self.assertEqual(parse_ack(pub.read(), PUBREC, level)[:2], (12, 0))
                pub.send(ack_packet(PUBREL, 12))
                self.assertEqual(parse_ack(pub.read(), PUBCOMP, level)[:2], (12, 0))
                got = sub.get_many(3)
                self.assertEqual([(m.payload, m.qos) for m in got],
                                 [(b"zero", 0), (b"one", 1), (b"two", 2)])

    def test_qos2_is_delivered_to_subscriber_before_pubrel(self):
        # Tern routes a QoS 2 message when it arrives (section 4.3.3); the subscriber
        # must not depend on the publisher's PUBREL.
        for level in LEVELS:
            with self.subTest(level=level):
                sub_id, pub_id = self.ids(f"early{level}")
                sub = self.rawc(sub_id, level=level)
                sub.subscribe([(f"early{level}", sub_options(1))])
                pub = self.rawc(pub_id, level=level)
                pub.send(publish(f"early{level}", b"x", qos=2, packet_id=5, level=level))
                self.assertEqual(parse_ack(pub.read(), PUBREC, level)[0], 5)
                msg = sub.expect_publish()
                self.assertEqual((msg.payload, msg.qos), (b"x", 1))
                sub.ack(msg)
                pub.send(ack_packet(PUBREL, 5))
                parse_ack(pub.read(), PUBCOMP, level)


class Qos2DuplicateTest(PubSubTestCase):
    """A QoS 2 PUBLISH sent again with the same packet id before PUBREL is one message
    [MQTT-4.3.3-10 (v5) / MQTT-4.3.3-2 (3.1.1)]."""

    def test_duplicate_before_pubrel_delivered_once(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic, sync = f"dup{level}/t", f"dup{level}/sync"
                sub_id, pub_id = self.ids(f"dup2-{level}")
                sub = self.paho(sub_id, level)
                sub.subscribe([(topic, 2), (sync, 2)])
                pub = self.rawc(pub_id, level=level)
                pub.send(publish(topic, b"once", qos=2, packet_id=7, level=level))
                self.assertEqual(parse_ack(pub.read(), PUBREC, level)[:2], (7, 0))
                for _ in range(2):
                    pub.send(publish(topic, b"once", qos=2, dup=True, packet_id=7, level=level))
                    self.assertEqual(parse_ack(pub.read(), PUBREC, level)[:2], (7, 0))
                pub.send(ack_packet(PUBREL, 7))
                self.assertEqual(parse_ack(pub.read(), PUBCOMP, level)[:2], (7, 0))
                # After PUBCOMP the id is free: the same id now carries a new message.
                pub.publish(topic, b"again", qos=2, packet_id=7)
                # The barrier at QoS 2 too: paho hands QoS 2 messages over at PUBREL.
                pub.publish(sync, b"sync", qos=2)
                self.assertEqual([(m.payload, m.qos) for m in sub.until(sync)],
                                 [(b"once", 2), (b"again", 2)])

    def test_qos1_duplicate_is_delivered_again(self):
        # QoS 1 is at-least-once: a resend with DUP is a new delivery (the broker may not
        # deduplicate); both are acknowledged.
        for level in LEVELS:
            with self.subTest(level=level):
                topic, sync = f"dup1-{level}/t", f"dup1-{level}/sync"
                sub_id, pub_id = self.ids(f"dup1-{level}")
                sub = self.paho(sub_id, level)
                sub.subscribe([(topic, 1), (sync, 1)])
                pub = self.rawc(pub_id, level=level)
                pub.send(publish(topic, b"x", qos=1, packet_id=3, level=level))
                pub.send(publish(topic, b"x", qos=1, dup=True, packet_id=3, level=level))
                self.assertEqual(parse_ack(pub.read(), PUBACK, level)[0], 3)
                self.assertEqual(parse_ack(pub.read(), PUBACK, level)[0], 3)
                pub.publish(sync, b"sync", qos=1)
                self.assertEqual([m.payload for m in sub.until(sync)], [b"x", b"x"])


class FlowControlTest(PubSubTestCase):

    def test_client_receive_maximum_limits_unacknowledged_deliveries(self):
        # [MQTT-3.3.4-9], [MQTT-4.9.0-2]: no more than the client's Receive Maximum QoS 1/2
        # PUBLISHes awaiting acknowledgement; the rest follow as acknowledgements arrive, in order.
        sub_id, pub_id = self.ids("recvmax-client")
        sub = self.rawc(sub_id, level=5, props=[(0x21, 2)])
        sub.subscribe([("rmc/t", sub_options(2))])
        pub = self.paho(pub_id, 5)
        for i in range(6):
            pub.publish("rmc/t", str(i).encode(), qos=(1, 2)[i % 2])
        got = []
        while len(got) < 6:
            window = [parse_publish(p, 5) for p in sub.sync()]
            self.assertLessEqual(len(window), 2, f"more than 2 in flight: {window}")
            self.assertTrue(window, "nothing sent although the window has room")
            got += window
            for m in window:
                sub.ack(m)
        self.assertEqual([int(m.payload) for m in got], list(range(6)))

    def test_pubrec_with_error_reason_ends_the_exchange(self):
        # v5: a PUBREC with a reason >= 0x80 ends the QoS 2 flow [MQTT-4.3.3-4, MQTT-4.4.0-2]: no
        # PUBREL, the packet id is free, and the next message is delivered.
        sub_id, pub_id = self.ids("pubrec-error")
        sub = self.rawc(sub_id, level=5, props=[(0x21, 1)])
        sub.subscribe([("pre/t", sub_options(2))])
        pub = self.paho(pub_id, 5)
        pub.publish("pre/t", b"refused", qos=2)
        first = sub.expect_publish()
        sub.send(ack_packet(PUBREC, first.packet_id, reason=0x80, level=5))
        pub.publish("pre/t", b"next", qos=2)
        second = sub.expect_publish()
        self.assertEqual(second.payload, b"next", "no PUBREL after an error PUBREC")
        sub.ack(second)
        self.assertEqual(sub.sync(), [])

    def test_slow_subscriber_loses_no_qos1_message(self):
        # A subscriber that does not read while 4 MB of QoS 1 messages arrive for it (beyond
        # Tern's 1 MiB output buffer, so they wait in its session queue) gets all of them, in
        # order, once it reads.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"slow{level}/t"
                sub_id, pub_id = self.ids(f"slow{level}")
                sub = self.rawc(sub_id, level=level, rcvbuf=4096)
                sub.subscribe([(topic, sub_options(1))])
                pub = self.paho(pub_id, level)
                count, size = 200, 20_000
                infos = [pub.publish(topic, i.to_bytes(4, "big") * (size // 4), qos=1,
                                     wait=False) for i in range(count)]
                for info in infos:
                    info.wait_for_publish(10)
                    self.assertTrue(info.is_published(), "the publisher was held up")
                got = []
                for _ in range(count):
                    msg = sub.expect_publish(timeout=10)
                    self.assertEqual(len(msg.payload), size)
                    got.append(int.from_bytes(msg.payload[:4], "big"))
                    sub.ack(msg)
                self.assertEqual(got, list(range(count)))

    def test_dup_is_not_propagated_to_subscribers(self):
        # [MQTT-3.3.1-3]: the DUP flag of an outgoing PUBLISH is set independently of the
        # incoming one.
        for level in LEVELS:
            with self.subTest(level=level):
                sub_id, pub_id = self.ids(f"dupflag{level}")
                sub = self.rawc(sub_id, level=level)
                sub.subscribe([(f"dupflag{level}", sub_options(1))])
                pub = self.rawc(pub_id, level=level)
                pub.publish(f"dupflag{level}", b"x", qos=1, dup=True)
                msg = sub.expect_publish()
                self.assertEqual((msg.payload, msg.dup), (b"x", False))
                sub.ack(msg)

    def test_qos2_exactly_once_across_publisher_reconnect(self):
        # The publisher's session remembers a QoS 2 packet id awaiting PUBREL: the PUBLISH resent
        # with DUP after reconnecting is not a second message [MQTT-4.3.3-10, MQTT-4.4.0-1].
        for level in LEVELS:
            with self.subTest(level=level):
                topic, sync = f"eo{level}/t", f"eo{level}/sync"
                sub_id, pub_id = self.ids(f"eo{level}")
                sub = self.paho(sub_id, level)
                sub.subscribe([(topic, 2), (sync, 2)])
                persistent = dict(clean=False)
                if level == 5:
                    persistent["props"] = [(SESSION_EXPIRY_INTERVAL, 60)]
                pub = self.rawc(pub_id, level=level, **persistent)
                pub.send(publish(topic, b"once", qos=2, packet_id=9, level=level))
                self.assertEqual(parse_ack(pub.read(), PUBREC, level)[0], 9)
                pub.close()
                self.wait_gone(pub_id)
                pub = self.rawc(pub_id, level=level, **persistent)
                self.assertTrue(pub.connack.session_present)
                pub.send(publish(topic, b"once", qos=2, dup=True, packet_id=9, level=level))
                self.assertEqual(parse_ack(pub.read(), PUBREC, level)[0], 9)
                pub.send(ack_packet(PUBREL, 9))
                self.assertEqual(parse_ack(pub.read(), PUBCOMP, level)[:2], (9, 0))
                pub.publish(sync, b"", qos=2)  # QoS 2 like the message: paho's order
                self.assertEqual([m.payload for m in sub.until(sync)], [b"once"])


class RedeliveryTest(PubSubTestCase):
    """Unacknowledged QoS 1/2 messages are sent again, with DUP=1, the same packet ids and in the
    original order, when a persistent session reconnects [MQTT-4.4.0-1, MQTT-3.3.1-1]."""

    def persistent(self, level):
        if level == 5:
            return dict(clean=False, props=[(SESSION_EXPIRY_INTERVAL, 60)])
        return dict(clean=False)

    def test_unacknowledged_qos1_redelivered_with_dup(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"redeliver{level}/t"
                sub_id, pub_id = self.ids(f"redeliver{level}")
                sub = self.rawc(sub_id, level=level, **self.persistent(level))
                self.assertFalse(sub.connack.session_present)
                self.assertEqual(sub.subscribe([(topic, sub_options(1))]), [1])
                pub = self.paho(pub_id, level)
                for i in range(3):
                    pub.publish(topic, f"m{i}".encode(), qos=1)
                first = [sub.expect_publish() for _ in range(3)]
                self.assertEqual([(m.payload, m.dup) for m in first],
                                 [(b"m0", False), (b"m1", False), (b"m2", False)])
                sub.close()  # no PUBACK, no DISCONNECT

                again = self.rawc(sub_id, level=level, **self.persistent(level))
                self.assertTrue(again.connack.session_present)
                resent = [parse_publish(p, level) for p in again.sync()]
                self.assertEqual([(m.topic, m.payload, m.qos, m.dup, m.packet_id)
                                  for m in resent],
                                 [(topic, m.payload, 1, True, m.packet_id) for m in first])
                # Acknowledge one; the other two come again on the next reconnect.
                again.send(ack_packet(PUBACK, resent[0].packet_id))
                self.assertEqual(again.sync(), [])
                again.close()

                third = self.rawc(sub_id, level=level, **self.persistent(level))
                resent = [parse_publish(p, level) for p in third.sync()]
                self.assertEqual([(m.payload, m.dup) for m in resent],
                                 [(b"m1", True), (b"m2", True)])
                for m in resent:
                    third.send(ack_packet(PUBACK, m.packet_id))
                self.assertEqual(third.sync(), [])
                third.close()
                fourth = self.rawc(sub_id, level=level, **self.persistent(level))
                self.assertTrue(fourth.connack.session_present)
                self.assertEqual(fourth.sync(), [], "everything was acknowledged")

    def test_resent_messages_come_before_those_queued_offline(self):
        # [MQTT-4.4.0-1] then [MQTT-4.6.0-5]: unacknowledged ones first (DUP), then the queue, all
        # in publish order.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"resendorder{level}/t"
                sub_id, pub_id = self.ids(f"resendorder{level}")
                sub = self.rawc(sub_id, level=level, **self.persistent(level))
                sub.subscribe([(topic, sub_options(1))])
                pub = self.paho(pub_id, level)
                pub.publish(topic, b"0", qos=1)
                pub.publish(topic, b"1", qos=1)
                self.assertEqual([sub.expect_publish().payload for _ in range(2)], [b"0", b"1"])
                sub.close()
                self.wait_gone(sub_id)
                pub.publish(topic, b"2", qos=1)
                pub.publish(topic, b"3", qos=1)
                again = self.rawc(sub_id, level=level, **self.persistent(level))
                got = [parse_publish(p, level) for p in again.sync()]
                self.assertEqual([(m.payload, m.dup) for m in got],
                                 [(b"0", True), (b"1", True), (b"2", False), (b"3", False)])
                for m in got:
                    again.ack(m)

    def test_unacknowledged_qos2_redelivered_then_pubrel_resent(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"redeliver2-{level}/t"
                sub_id, pub_id = self.ids(f"redeliver2-{level}")
                sub = self.rawc(sub_id, level=level, **self.persistent(level))
                sub.subscribe([(topic, sub_options(2))])
                pub = self.paho(pub_id, level)
                pub.publish(topic, b"exactly", qos=2)
                msg = sub.expect_publish()
                self.assertEqual((msg.qos, msg.dup), (2, False))
                sub.close()  # no PUBREC

                again = self.rawc(sub_id, level=level, **self.persistent(level))
                resent = [parse_publish(p, level) for p in again.sync()]
                self.assertEqual([(m.payload, m.qos, m.dup, m.packet_id) for m in resent],
                                 [(b"exactly", 2, True, msg.packet_id)])
                again.send(ack_packet(PUBREC, msg.packet_id))
                self.assertEqual(parse_ack(again.read(), PUBREL, level)[0], msg.packet_id)
                again.close()  # no PUBCOMP

                # After PUBREC the broker resends PUBREL, not the PUBLISH [MQTT-4.4.0-1].
                third = self.rawc(sub_id, level=level, **self.persistent(level))
                packets = third.sync()
                self.assertEqual([p.type for p in packets], [PUBREL])
                self.assertEqual(parse_ack(packets[0], PUBREL, level)[0], msg.packet_id)
                third.send(ack_packet(PUBCOMP, msg.packet_id))
                self.assertEqual(third.sync(), [])
                self.assertNotIn(PUBLISH, [p.type for p in packets])


if __name__ == "__main__":
    unittest.main()
