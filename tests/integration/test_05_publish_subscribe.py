"""Publish/subscribe routing on a 2-shard broker with paho-mqtt, mosquitto_pub/_sub and raw
sockets: topic filters and wildcards, $-topics, per-publisher order, mixed protocol levels,
UNSUBSCRIBE, and invalid filters in SUBSCRIBE.

Publishers and subscribers are placed on different shards (see clients.shard_id) so every
delivery crosses shards at least once.
"""

import unittest

from clients import (HAVE_MOSQUITTO, WAIT, MosquittoSub, PubSubTestCase, ack_packet,
                     mosquitto_pub, owner_shard, parse_ack, sub_options)
from harness import PUBACK, PUBCOMP, PUBREC, PUBREL, publish

LEVELS = (4, 5)


class RoutingTest(PubSubTestCase):
    """Which subscriptions a topic reaches (section 4.7)."""

    def test_exact_plus_and_hash_filters(self):
        for level in LEVELS:
            with self.subTest(level=level):
                p = f"route{level}"
                sync = f"{p}-sync"
                filters = {
                    f"{p}/a/b": [f"{p}/a/b"],
                    f"{p}/+/b": [f"{p}/a/b", f"{p}/c/b"],
                    f"{p}/+": [f"{p}/a", f"{p}/c"],
                    f"{p}/#": [f"{p}/a", f"{p}/a/b", f"{p}/c/b", f"{p}/a/b/c", f"{p}/c"],
                    # "a/#" matches "a" itself as well (section 4.7.1.2).
                    f"{p}/a/#": [f"{p}/a", f"{p}/a/b", f"{p}/a/b/c"],
                    "+/a/b": [f"{p}/a/b"],
                    f"{p}/+/+/c": [f"{p}/a/b/c"],
                    f"{p}/a/b/c/#": [f"{p}/a/b/c"],
                    # Nothing published matches these: their subscribers get nothing.
                    f"{p}/x": [],
                    f"{p}/a/b/c/d": [],
                    f"{p}/+/a": [],
                }
                ids = self.ids(f"route{level}-sub", len(filters) + 1)
                publisher = self.paho(ids[-1], level)
                subscribers = {}
                for i, topic_filter in enumerate(filters):
                    sub = self.paho(ids[i], level)
                    self.assertEqual(sub.subscribe([(topic_filter, 1), (sync, 1)]), [1, 1])
                    subscribers[topic_filter] = sub
                published = [f"{p}/a", f"{p}/a/b", f"{p}/c/b", f"{p}/a/b/c", f"{p}/c"]
                for topic in published:
                    publisher.publish(topic, topic.encode(), qos=1)
                publisher.publish(sync, b"sync", qos=1)
                for topic_filter, expected in filters.items():
                    got = [(m.topic, m.payload) for m in subscribers[topic_filter].until(sync)]
                    self.assertEqual(got, [(t, t.encode()) for t in expected],
                                     f"filter {topic_filter!r}")

    def test_wildcards_do_not_match_dollar_topics(self):
        # [MQTT-4.7.2-1]: '#' and '+' in the first level do not match topics starting with '$'.
        for level in LEVELS:
            with self.subTest(level=level):
                sync = f"dollar{level}-sync"
                ids = self.ids(f"dollar{level}", 5)
                everything = self.paho(ids[0], level)
                self.assertEqual(everything.subscribe([("#", 0)]), [0])
                plus = self.paho(ids[1], level)
                self.assertEqual(plus.subscribe([(f"+/dollar{level}", 0), ("+/+", 0),
                                                 (sync, 0)]), [0, 0, 0])
                explicit = self.paho(ids[2], level)
                self.assertEqual(explicit.subscribe([(f"$ops/dollar{level}", 0),
                                                     ("$ops/#", 0)]), [0, 0])
                publisher = self.paho(ids[3], level)
                publisher.publish(f"$ops/dollar{level}", b"system", qos=1)
                publisher.publish(f"$x/dollar{level}", b"other", qos=1)
                publisher.publish(sync, b"sync", qos=1)
                self.assertEqual([(m.topic, m.payload) for m in everything.until(sync)], [])
                self.assertEqual([(m.topic, m.payload) for m in plus.until(sync)], [])
                got = explicit.get()
                self.assertEqual((got.topic, got.payload), (f"$ops/dollar{level}", b"system"))
                self.assertEqual(explicit.pending(), [],
                                 "two matching subscriptions of one client: one delivery")

    def test_overlapping_subscriptions_deliver_once_with_highest_qos(self):
        # [MQTT-3.3.4-2] (v5) / 3.1.1 allows duplicates; Tern delivers once at the highest QoS.
        for level in LEVELS:
            with self.subTest(level=level):
                sub_id, pub_id = self.ids(f"overlap{level}")
                sub = self.rawc(sub_id, level=level)
                self.assertEqual(sub.subscribe([(f"ov{level}/+", 0), (f"ov{level}/#", 1),
                                                (f"ov{level}/x", 2)]), [0, 1, 2])
                pub = self.paho(pub_id, level)
                pub.publish(f"ov{level}/x", b"once", qos=2)
                pub.publish(f"ov{level}/y", b"sync", qos=1)
                got = []
                while not got or got[-1][1] != b"sync":
                    msg = sub.expect_publish()
                    got.append((msg.topic, msg.payload, msg.qos))
                    sub.ack(msg)
                self.assertEqual(got, [(f"ov{level}/x", b"once", 2), (f"ov{level}/y", b"sync", 1)])

    def test_empty_levels_and_dollar_below_the_first_level(self):
        # Empty levels are levels (section 4.7.1.3): "a//b" matches "a/+/b", "/x" matches "+/x",
        # "a/b/" matches "a/b/+" but "a/b" does not. '$' only matters in the first level.
        for level in LEVELS:
            with self.subTest(level=level):
                p = f"empty{level}"
                sync = f"{p}-sync"
                filters = {
                    f"{p}/+/b": [f"{p}//b"],
                    f"+/{p}": [f"/{p}"],
                    f"/{p}/#": [f"/{p}"],
                    f"{p}/b/+": [f"{p}/b/"],
                    f"{p}/+": [f"{p}/$x", f"{p}/", f"{p}/b"],
                    f"{p}/b/#": [f"{p}/b", f"{p}/b/"],
                    f"{p}//b": [f"{p}//b"],
                }
                ids = self.ids(f"empty{level}", len(filters) + 1)
                subscribers = {}
                for i, topic_filter in enumerate(filters):
                    sub = self.paho(ids[i], level)
                    self.assertEqual(sub.subscribe([(topic_filter, 1), (sync, 1)]), [1, 1])
                    subscribers[topic_filter] = sub
                pub = self.paho(ids[-1], level)
                for topic in (f"{p}//b", f"/{p}", f"{p}/b/", f"{p}/$x", f"{p}/", f"{p}/b"):
                    pub.publish(topic, topic.encode(), qos=1)
                pub.publish(sync, b"", qos=1)
                for topic_filter, expected in filters.items():
                    got = sorted(m.topic for m in subscribers[topic_filter].until(sync))
                    self.assertEqual(got, sorted(expected), f"filter {topic_filter!r}")

    def test_resubscribe_replaces_the_subscription(self):
        # [MQTT-3.8.4-3]: an identical filter replaces the existing subscription (its QoS too).
        for level in LEVELS:
            with self.subTest(level=level):
                topic, sync = f"resub{level}/t", f"resub{level}/sync"
                sub_id, pub_id = self.ids(f"resub{level}")
                sub = self.paho(sub_id, level)
                self.assertEqual(sub.subscribe([(topic, 2), (sync, 0)]), [2, 0])
                self.assertEqual(sub.subscribe(topic, qos=0), [0])
                pub = self.paho(pub_id, level)
                pub.publish(topic, b"x", qos=2)
                pub.publish(sync, b"", qos=1)
                self.assertEqual([(m.payload, m.qos) for m in sub.until(sync)], [(b"x", 0)],
                                 "one delivery, at the QoS of the new subscription")

    def test_ids_are_spread_over_both_shards(self):
        # Guards the premise of every test here: ids() alternates shards.
        ids = self.ids("spread", 4)
        self.assertEqual([owner_shard(i) for i in ids], [0, 1, 0, 1])


class FanOutTest(PubSubTestCase):

    def test_one_message_reaches_40_subscribers_on_both_shards(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"fan{level}/t"
                ids = self.ids(f"fan{level}", 41)
                subs = [self.rawc(i, level=level) for i in ids[:40]]
                for s in subs:
                    self.assertEqual(s.subscribe([(f"fan{level}/+", 1)]), [1])
                self.paho(ids[40], level).publish(topic, b"to all", qos=1)
                for s in subs:
                    msg = s.expect_publish()
                    self.assertEqual((msg.topic, msg.payload, msg.qos), (topic, b"to all", 1))
                    s.ack(msg)

    def test_four_publishers_on_both_shards_to_one_subscriber(self):
        # Concurrent cross-shard traffic: nothing lost, each publisher's order kept.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"many{level}/t"
                ids = self.ids(f"many{level}", 5)
                sub = self.paho(ids[4], level)
                sub.subscribe(topic, qos=1)
                pubs = [self.paho(i, level) for i in ids[:4]]
                infos = []
                for n in range(150):
                    for p, pub in enumerate(pubs):
                        infos.append(pub.publish(topic, f"{p}:{n}".encode(), qos=1, wait=False))
                for info in infos:
                    info.wait_for_publish(WAIT)
                got = [m.payload.decode().split(":") for m in sub.get_many(600, timeout=10)]
                for p in range(4):
                    self.assertEqual([int(n) for q, n in got if q == str(p)], list(range(150)),
                                     f"publisher {p}")


class OrderTest(PubSubTestCase):
    """Messages from one publisher reach a subscriber in publish order [MQTT-4.6.0-5, -6]."""

    COUNT = 500

    def test_500_qos1_messages_in_order(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"order{level}/t"
                sub_id, pub_id = self.ids(f"order{level}")
                sub = self.paho(sub_id, level)
                self.assertEqual(sub.subscribe(topic, qos=1), [1])
                pub = self.paho(pub_id, level)
                infos = [pub.publish(topic, str(i).encode(), qos=1, wait=False)
                         for i in range(self.COUNT)]
                for info in infos:
                    info.wait_for_publish(WAIT)
                    self.assertTrue(info.is_published())
                got = sub.get_many(self.COUNT, timeout=10)
                self.assertEqual([int(m.payload) for m in got], list(range(self.COUNT)))
                self.assertTrue(all(m.qos == 1 and m.topic == topic for m in got))

    def test_large_payloads(self):
        # Payloads far beyond one TCP segment, up to most of the default 1 MiB packet limit.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"large{level}/t"
                sub_id, pub_id = self.ids(f"large{level}")
                sub = self.paho(sub_id, level)
                sub.subscribe(topic, qos=1)
                pub = self.paho(pub_id, level)
                payloads = [bytes([i]) * size for i, size in
                            enumerate((65_535, 65_536, 300_000, 1_000_000))]
                for p in payloads:
                    pub.publish(topic, p, qos=1)
                got = sub.get_many(len(payloads), timeout=10)
                self.assertEqual([len(m.payload) for m in got], [len(p) for p in payloads])
                self.assertTrue(all(m.payload == p for m, p in zip(got, payloads)))

    def test_order_kept_across_qos_levels(self):
        # Mixed QoS 1/2 from one publisher to a QoS 2 subscription: the PUBLISH packets leave the
        # broker in publish order. Raw sockets on both ends: paho would hand a QoS 2 message to
        # the application only at PUBREL, reordering it itself.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"mixorder{level}/t"
                sub_id, pub_id = self.ids(f"mixorder{level}")
                sub = self.rawc(sub_id, level=level)
                self.assertEqual(sub.subscribe([(topic, sub_options(2))]), [2])
                pub = self.rawc(pub_id, level=level)
                count = 60
                for i in range(count):
                    pub.send(publish(topic, str(i).encode(), qos=(1, 2)[i % 2],
                                     packet_id=i + 1, level=level))
                acks = completions = 0
                while acks < count or completions < count // 2:
                    pkt = pub.read()
                    self.assertIn(pkt.type, (PUBACK, PUBREC, PUBCOMP))
                    if pkt.type == PUBREC:
                        pub.send(ack_packet(PUBREL, parse_ack(pkt, PUBREC, level)[0]))
                    acks += pkt.type != PUBCOMP
                    completions += pkt.type == PUBCOMP
                got = []
                for _ in range(count):
                    msg = sub.expect_publish()
                    got.append((int(msg.payload), msg.qos))
                    sub.ack(msg)
                self.assertEqual(got, [(i, (1, 2)[i % 2]) for i in range(count)])


@unittest.skipUnless(HAVE_MOSQUITTO, "mosquitto_pub/mosquitto_sub are not installed")
class MosquittoInteropTest(PubSubTestCase):

    def test_mosquitto_pub_to_paho_subscriber(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"mosq{level}/in"
                sub = self.paho(self.ids(f"mosqsub{level}")[1], level)
                self.assertEqual(sub.subscribe(topic, qos=2), [2])
                for qos in (0, 1, 2):
                    mosquitto_pub(self.broker.port, topic, f"from mosquitto q{qos}", level=level,
                                  qos=qos, client_id=self.ids(f"mosqpub{level}")[0])
                got = sub.get_many(3)
                self.assertEqual([(m.topic, m.payload, m.qos) for m in got],
                                 [(topic, f"from mosquitto q{q}".encode(), q) for q in (0, 1, 2)])

    def test_paho_publisher_to_mosquitto_sub(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"mosq{level}/out"
                sub = MosquittoSub(self.broker.port, f"mosq{level}/+", 3, level=level, qos=2,
                                   client_id=self.ids(f"msub{level}")[1])
                try:
                    sub.start()
                    pub = self.paho(self.ids(f"mpub{level}")[0], level)
                    for qos in (0, 1, 2):
                        pub.publish(topic, f"paho q{qos}".encode(), qos=qos)
                    got = sub.messages()
                finally:
                    sub.stop()
                self.assertEqual(got, [(q, 0, topic, f"paho q{q}") for q in (0, 1, 2)])


class MixedProtocolLevelsTest(PubSubTestCase):
    """MQTT 3.1, 3.1.1 and 5.0 clients publish to and receive from one topic."""

    def test_all_levels_exchange_on_one_topic(self):
        topic = "mixed/levels"
        ids = self.ids("mixed", 3)
        clients = {level: self.paho(ids[i], level) for i, level in enumerate((3, 4, 5))}
        for c in clients.values():
            self.assertEqual(c.subscribe(topic, qos=1), [1])
        for level, c in clients.items():
            c.publish(topic, f"from {level}".encode(), qos=1)
        for level, c in clients.items():
            got = sorted((m.topic, m.payload, m.qos) for m in c.get_many(3))
            self.assertEqual(got, [(topic, f"from {lv}".encode(), 1) for lv in (3, 4, 5)],
                             f"receiver at level {level}")

    def test_v5_properties_are_not_sent_to_older_levels(self):
        # A v5 PUBLISH with properties reaches a 3.1.1 client as a plain 3.1.1 PUBLISH.
        topic = "mixed/props"
        sub_id, pub_id = self.ids("mixprops")
        raw = self.rawc(sub_id, level=4)
        self.assertEqual(raw.subscribe([(topic, 1)]), [1])
        pub = self.paho(pub_id, 5)
        pub.publish(topic, b"body", qos=1,
                    props={"UserProperty": [("k", "v")], "ContentType": "text/plain"})
        got = raw.expect_publish()
        self.assertEqual((got.topic, got.payload, got.qos), (topic, b"body", 1))
        raw.ack(got)


class UnsubscribeTest(PubSubTestCase):

    def test_unsubscribe_stops_delivery(self):
        for level in LEVELS:
            with self.subTest(level=level):
                topic, sync = f"unsub{level}/t", f"unsub{level}/sync"
                sub_id, pub_id = self.ids(f"unsub{level}")
                sub = self.paho(sub_id, level)
                sub.subscribe([(topic, 1), (sync, 1)])
                pub = self.paho(pub_id, level)
                pub.publish(topic, b"before", qos=1)
                self.assertEqual(sub.get().payload, b"before")
                codes = sub.unsubscribe(topic)
                if level == 5:
                    self.assertEqual(codes, [0x00])
                pub.publish(topic, b"after", qos=1)
                pub.publish(sync, b"sync", qos=1)
                self.assertEqual([m.payload for m in sub.until(sync)], [])

    def test_unsubscribe_matches_filters_exactly(self):
        # [MQTT-3.10.4-1]: filters are compared character by character, wildcards included; other
        # subscriptions of the session and the same filter of other sessions stay.
        for level in LEVELS:
            with self.subTest(level=level):
                p = f"unsubexact{level}"
                sync = f"{p}/sync"
                ids = self.ids(p, 3)
                a = self.paho(ids[0], level)
                a.subscribe([(f"{p}/+", 1), (f"{p}/x", 1), (sync, 1)])
                b = self.paho(ids[1], level)
                b.subscribe([(f"{p}/+", 1), (sync, 1)])
                codes = a.unsubscribe(f"{p}/+")
                if level == 5:
                    self.assertEqual(codes, [0x00])
                codes = a.unsubscribe(f"{p}/#")  # never subscribed: nothing changes
                if level == 5:
                    self.assertEqual(codes, [0x11])
                pub = self.paho(ids[2], level)
                pub.publish(f"{p}/x", b"x", qos=1)
                pub.publish(f"{p}/y", b"y", qos=1)
                pub.publish(sync, b"", qos=1)
                self.assertEqual([m.payload for m in a.until(sync)], [b"x"])
                self.assertEqual([m.payload for m in b.until(sync)], [b"x", b"y"])

    def test_raw_unsuback_reason_codes(self):
        # v5 UNSUBACK: 0x00 success, 0x11 no subscription existed (3.11.3); 3.1.1 has no
        # payload. The remaining subscription keeps working.
        for level in LEVELS:
            with self.subTest(level=level):
                c = self.rawc(self.ids(f"rawunsub{level}")[0], level=level)
                self.assertEqual(c.subscribe([("ru/a", 1), ("ru/b", 1)]), [1, 1])
                codes = c.unsubscribe(["ru/a", "ru/never"])
                self.assertEqual(codes, [0x00, 0x11] if level == 5 else [])
                c.publish("ru/a", b"gone", qos=1)
                c.publish("ru/b", b"kept", qos=1)
                got = c.expect_publish()
                self.assertEqual((got.topic, got.payload), ("ru/b", b"kept"))
                c.ack(got)
                self.assertEqual(c.sync(), [])


class InvalidFilterTest(PubSubTestCase):
    """A bad filter in SUBSCRIBE gets failure 0x80 (3.1.1 section 3.9.3) / 0x8F Topic Filter
    invalid (v5 [MQTT-3.9.3-2]); the other filters of the same SUBSCRIBE are handled as if sent
    alone [MQTT-3.8.4-5], so they are granted and work."""

    BAD_FILTERS = ("inv/#/b", "inv/a+", "inv#", "inv/+x/c", "")

    def test_bad_filter_fails_alone(self):
        for level in LEVELS:
            with self.subTest(level=level):
                failure = 0x80 if level == 4 else 0x8F
                sub = self.rawc(self.ids(f"inv{level}")[0], level=level)
                filters = [("inv/ok", sub_options(1)), ("a/#/b", sub_options(1)),
                           ("inv/+/x", sub_options(2))]
                self.assertEqual(sub.subscribe(filters), [1, failure, 2])
                pub = self.rawc(self.ids(f"invpub{level}")[1], level=level)
                pub.publish("inv/ok", b"one", qos=1)
                pub.publish("inv/q/x", b"two", qos=2)
                first = sub.expect_publish()
                self.assertEqual((first.topic, first.payload, first.qos), ("inv/ok", b"one", 1))
                sub.ack(first)
                second = sub.expect_publish()
                self.assertEqual((second.topic, second.payload, second.qos),
                                 ("inv/q/x", b"two", 2))
                sub.ack(second)

    def test_other_bad_filters(self):
        for level in LEVELS:
            failure = 0x80 if level == 4 else 0x8F
            for bad in self.BAD_FILTERS:
                with self.subTest(level=level, filter=bad):
                    sub = self.rawc(f"inv-more-{level}", level=level)
                    self.assertEqual(sub.subscribe([(bad, 0), ("inv/fine", 0)]), [failure, 0])
                    sub.close()


if __name__ == "__main__":
    unittest.main()
