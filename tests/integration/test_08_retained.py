"""Retained messages on a 2-shard broker: stored per topic, sent with RETAIN=1 to new
subscriptions (also through wildcards), replaced, deleted by an empty payload; MQTT 5 Retain
Handling 0/1/2 and Retain As Published.

Raw subscribers check "nothing (more) was sent" with PINGREQ/PINGRESP: the broker sends the
retained messages of a SUBSCRIBE right after its SUBACK, before it reads the next packet.
"""

import unittest

from clients import (HAVE_MOSQUITTO, PubSubTestCase, mosquitto_pub, parse_publish,
                     sub_options)

LEVELS = (4, 5)


class RetainedTest(PubSubTestCase):

    def subscribe_and_collect(self, client, filters):
        """SUBSCRIBE, then the PUBLISHes the broker sent before answering a PINGREQ."""
        codes = client.subscribe(filters)
        packets = client.sync()
        pubs = [parse_publish(p, client.level) for p in packets]
        for p in pubs:
            client.ack(p)
        return codes, pubs

    def test_retained_message_sent_on_subscribe(self):
        # Stored [MQTT-3.3.1-5 (v5)], sent to new subscriptions [MQTT-3.3.1-9 (v5)] with RETAIN=1
        # [MQTT-3.3.1-8 (3.1.1)], section 3.3.1.3 (v5).
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"ret{level}/a/b{level}"
                pub_id, sub_id = self.ids(f"ret{level}")
                pub = self.rawc(pub_id, level=level)
                pub.publish(topic, b"kept", qos=1, retain=True)
                for topic_filter in (topic, f"ret{level}/+/b{level}", f"ret{level}/#",
                                     f"+/a/b{level}", f"ret{level}/a/b{level}/#"):
                    with self.subTest(filter=topic_filter):
                        sub = self.rawc(sub_id, level=level)
                        _, got = self.subscribe_and_collect(sub, [(topic_filter,
                                                                   sub_options(1))])
                        self.assertEqual([(m.topic, m.payload, m.retain, m.qos) for m in got],
                                         [(topic, b"kept", True, 1)])
                        sub.close()
                sub = self.rawc(sub_id, level=level)
                _, got = self.subscribe_and_collect(sub, [(f"ret{level}/a/x", sub_options(1)),
                                                          (f"ret{level}/+", sub_options(1))])
                self.assertEqual(got, [], "non-matching filters get no retained message")

    def test_retained_qos_is_downgraded_to_granted(self):
        for level in LEVELS:
            with self.subTest(level=level):
                pub_id, sub_id = self.ids(f"retqos{level}")
                pub = self.rawc(pub_id, level=level)
                pub.publish(f"retqos{level}/2", b"q2", qos=2, retain=True)
                pub.publish(f"retqos{level}/1", b"q1", qos=1, retain=True)
                pub.publish(f"retqos{level}/0", b"q0", qos=0, retain=True)
                pub.sync()  # the QoS 0 PUBLISH has been processed
                sub = self.rawc(sub_id, level=level)
                _, got = self.subscribe_and_collect(sub, [(f"retqos{level}/+", sub_options(1))])
                self.assertEqual(sorted((m.payload, m.qos, m.retain) for m in got),
                                 [(b"q0", 0, True), (b"q1", 1, True), (b"q2", 1, True)])

    def test_live_delivery_has_retain_0(self):
        # An established subscription gets RETAIN=0 [MQTT-3.3.1-9 (3.1.1) / -12 (v5)].
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"retlive{level}"
                sub_id, pub_id = self.ids(f"retlive{level}")
                sub = self.paho(sub_id, level)
                sub.subscribe(topic, qos=1)
                pub = self.paho(pub_id, level)
                pub.publish(topic, b"live", qos=1, retain=True)
                msg = sub.get()
                self.assertEqual((msg.payload, msg.retain), (b"live", 0))
                later = self.paho(self.ids(f"retlive{level}-late")[1], level)
                later.subscribe(topic, qos=1)
                msg = later.get()
                self.assertEqual((msg.payload, msg.retain), (b"live", 1))

    def test_retained_message_replaced(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"retrepl{level}"
                pub_id, sub_id = self.ids(f"retrepl{level}")
                pub = self.rawc(pub_id, level=level)
                pub.publish(topic, b"v1", qos=1, retain=True)
                pub.publish(topic, b"v2", qos=2, retain=True)
                # A non-retained PUBLISH leaves it alone [MQTT-3.3.1-12 (3.1.1), MQTT-3.3.1-8 (v5)].
                pub.publish(topic, b"not retained", qos=1)
                sub = self.rawc(sub_id, level=level)
                _, got = self.subscribe_and_collect(sub, [(topic, sub_options(2))])
                self.assertEqual([(m.payload, m.qos, m.retain) for m in got],
                                 [(b"v2", 2, True)])

    def test_retained_message_deleted_by_empty_payload(self):
        # [MQTT-3.3.1-10/-11 (3.1.1), MQTT-3.3.1-6/-7 (v5)]: a zero-byte retained PUBLISH removes
        # the retained message and is itself forwarded to current subscribers, but not stored.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"retdel{level}/x"
                pub_id, sub_id, live_id = self.ids(f"retdel{level}", 3)
                live = self.paho(live_id, level)
                live.subscribe(topic, qos=1)
                pub = self.rawc(pub_id, level=level)
                pub.publish(topic, b"soon gone", qos=1, retain=True)
                pub.publish(topic, b"", qos=1, retain=True)
                self.assertEqual([m.payload for m in live.get_many(2)], [b"soon gone", b""])
                sub = self.rawc(sub_id, level=level)
                _, got = self.subscribe_and_collect(sub, [(topic, sub_options(1)),
                                                          (f"retdel{level}/#", sub_options(1))])
                self.assertEqual(got, [])

    def test_deleting_one_topic_keeps_the_others(self):
        for level in LEVELS:
            with self.subTest(level=level):
                p = f"retmany{level}"
                pub_id, sub_id = self.ids(p)
                pub = self.rawc(pub_id, level=level)
                for t in ("a", "a/b", "a/b/c", "d"):
                    pub.publish(f"{p}/{t}", t.encode(), qos=1, retain=True)
                pub.publish(f"{p}/a/b", b"", qos=1, retain=True)
                sub = self.rawc(sub_id, level=level)
                _, got = self.subscribe_and_collect(sub, [(f"{p}/#", sub_options(1))])
                self.assertEqual(sorted((m.topic, m.payload) for m in got),
                                 [(f"{p}/a", b"a"), (f"{p}/a/b/c", b"a/b/c"), (f"{p}/d", b"d")])

    def test_retained_dollar_topics_not_matched_by_leading_wildcards(self):
        # [MQTT-4.7.2-1] holds for retained messages too.
        for level in LEVELS:
            with self.subTest(level=level):
                pub_id, sub_id = self.ids(f"retdollar{level}")
                pub = self.rawc(pub_id, level=level)
                pub.publish(f"$ret{level}/x", b"dollar", qos=1, retain=True)
                sub = self.rawc(sub_id, level=level)
                _, got = self.subscribe_and_collect(sub, [("#", sub_options(1)),
                                                          ("+/x", sub_options(1))])
                self.assertEqual([m.topic for m in got if m.topic.startswith("$")], [])
                sub.close()
                sub = self.rawc(sub_id, level=level)
                _, got = self.subscribe_and_collect(sub, [(f"$ret{level}/#", sub_options(1))])
                self.assertEqual([(m.topic, m.payload) for m in got],
                                 [(f"$ret{level}/x", b"dollar")])

    @unittest.skipUnless(HAVE_MOSQUITTO, "mosquitto_pub is not installed")
    def test_mosquitto_pub_retained_to_paho(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"retmosq{level}"
                mosquitto_pub(self.broker.port, topic, "from mosquitto", level=level, qos=1,
                              retain=True)
                sub = self.paho(self.ids(f"retmosq{level}")[1], level)
                sub.subscribe(f"retmosq{level}/#", qos=2)
                msg = sub.get()
                self.assertEqual((msg.topic, msg.payload, msg.qos, msg.retain),
                                 (topic, b"from mosquitto", 1, 1))


class RetainHandlingTest(PubSubTestCase):
    """MQTT 5 subscription options Retain Handling and Retain As Published [MQTT-3.3.1-9..13]."""

    def setUp(self):
        super().setUp()
        self.pub = self.rawc(self.id().rsplit(".", 1)[-1][:20] + "-pub", level=5)

    def collect(self, client, filters):
        client.subscribe(filters)
        pubs = [parse_publish(p, 5) for p in client.sync()]
        for p in pubs:
            client.ack(p)
        return [(m.topic, m.payload, m.retain) for m in pubs]

    def test_retain_handling_0_sends_on_every_subscribe(self):
        self.pub.publish("rh0/t", b"r", qos=1, retain=True)
        sub = self.rawc(self.ids("rh0")[1], level=5)
        for _ in range(2):
            self.assertEqual(self.collect(sub, [("rh0/t", sub_options(1, retain_handling=0))]),
                             [("rh0/t", b"r", True)])

    def test_retain_handling_1_sends_only_for_a_new_subscription(self):
        self.pub.publish("rh1/t", b"r", qos=1, retain=True)
        sub = self.rawc(self.ids("rh1")[1], level=5)
        options = sub_options(1, retain_handling=1)
        self.assertEqual(self.collect(sub, [("rh1/t", options)]), [("rh1/t", b"r", True)])
        self.assertEqual(self.collect(sub, [("rh1/t", options)]), [],
                         "the subscription existed: no retained message [MQTT-3.3.1-10]")
        sub.unsubscribe(["rh1/t"])
        self.assertEqual(self.collect(sub, [("rh1/t", options)]), [("rh1/t", b"r", True)],
                         "new again after UNSUBSCRIBE")

    def test_retain_handling_2_never_sends(self):
        self.pub.publish("rh2/t", b"r", qos=1, retain=True)
        sub = self.rawc(self.ids("rh2")[1], level=5)
        self.assertEqual(self.collect(sub, [("rh2/+", sub_options(1, retain_handling=2))]), [])
        # The subscription itself works.
        self.pub.publish("rh2/t", b"live", qos=1)
        msg = sub.expect_publish()
        self.assertEqual((msg.payload, msg.retain), (b"live", False))
        sub.ack(msg)

    def test_retain_handling_with_paho(self):
        self.pub.publish("rhp/t", b"r", qos=1, retain=True)
        sub = self.paho(self.ids("rhp")[1], 5)
        sub.subscribe([("rhp/sync", 1)])
        sub.subscribe("rhp/+", qos=1, retain_handling=2)
        sub.subscribe("rhp/t", qos=1, retain_handling=1)
        sub.subscribe("rhp/t", qos=1, retain_handling=1)
        self.pub.publish("rhp/sync", b"", qos=1)
        self.assertEqual([(m.topic, m.payload, m.retain) for m in sub.until("rhp/sync")],
                         [("rhp/t", b"r", 1)])

    def test_retain_as_published(self):
        # RAP=1 keeps the publisher's RETAIN flag on live deliveries [MQTT-3.3.1-13]; RAP=0
        # clears it [MQTT-3.3.1-12].
        keep_id, clear_id = self.ids("rap")
        keep = self.paho(keep_id, 5)
        keep.subscribe("rap/t", qos=1, retain_as_published=True)
        clear = self.paho(clear_id, 5)
        clear.subscribe("rap/t", qos=1, retain_as_published=False)
        self.pub.publish("rap/t", b"retained", qos=1, retain=True)
        self.pub.publish("rap/t", b"plain", qos=1, retain=False)
        self.assertEqual([(m.payload, m.retain) for m in keep.get_many(2)],
                         [(b"retained", 1), (b"plain", 0)])
        self.assertEqual([(m.payload, m.retain) for m in clear.get_many(2)],
                         [(b"retained", 0), (b"plain", 0)])

    def test_retain_as_published_raw(self):
        sub = self.rawc(self.ids("rapraw")[1], level=5)
        sub.subscribe([("raprw/t", sub_options(1, retain_as_published=True))])
        self.pub.publish("raprw/t", b"x", qos=1, retain=True)
        msg = sub.expect_publish()
        self.assertTrue(msg.retain)
        sub.ack(msg)


if __name__ == "__main__":
    unittest.main()
