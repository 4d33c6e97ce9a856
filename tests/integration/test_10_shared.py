"""Shared subscriptions ($share/<group>/<filter>, MQTT 5 section 4.8.2) on a 2-shard broker:
each message goes to one member of a group, round robin; every group gets every message;
messages a leaving member did not acknowledge go to another member. Tern accepts $share
filters from 3.1.1 clients as well, so both levels are tested.
"""

import unittest

from clients import PubSubTestCase, parse_publish, shard_id, sub_options

LEVELS = (4, 5)
COUNT = 20


class SharedSubscriptionTest(PubSubTestCase):

    def members(self, name, level, group_filter, count=2, qos=1):
        """`count` members on alternating shards, each also subscribed (not shared) to the
        barrier topic `<name>/sync`."""
        out = []
        for i in range(count):
            m = self.paho(shard_id(f"{name}-m{i}", i % 2), level)
            self.assertEqual(m.subscribe([(group_filter, qos), (f"{name}/sync", qos)]),
                             [qos, qos])
            out.append(m)
        return out

    def test_each_message_to_exactly_one_member_round_robin(self):
        for level in LEVELS:
            with self.subTest(level=level):
                name = f"share{level}"
                topic = f"{name}/t"
                a, b = self.members(name, level, f"$share/g/{topic}")
                pub = self.paho(shard_id(f"{name}-pub", 0), level)
                for i in range(COUNT):
                    pub.publish(topic, str(i).encode(), qos=1)
                pub.publish(f"{name}/sync", b"", qos=1)
                got_a = [int(m.payload) for m in a.until(f"{name}/sync")]
                got_b = [int(m.payload) for m in b.until(f"{name}/sync")]
                self.assertEqual(sorted(got_a + got_b), list(range(COUNT)),
                                 "every message exactly once in the group")
                self.assertTrue(got_a and got_b, f"both members get some: {got_a} / {got_b}")
                # Round robin: the two members alternate.
                self.assertEqual(abs(len(got_a) - len(got_b)), 0, f"{got_a} / {got_b}")
                self.assertEqual(got_a, sorted(got_a), "each member sees publish order")
                self.assertEqual(got_b, sorted(got_b))

    def test_shared_filter_with_wildcards(self):
        for level in LEVELS:
            with self.subTest(level=level):
                name = f"sharewild{level}"
                a, b = self.members(name, level, f"$share/w/{name}/+/x")
                pub = self.paho(shard_id(f"{name}-pub", 1), level)
                for i in range(10):
                    pub.publish(f"{name}/{i}/x", str(i).encode(), qos=1)
                pub.publish(f"{name}/1/y", b"no match", qos=1)
                pub.publish(f"{name}/sync", b"", qos=1)
                got = a.until(f"{name}/sync") + b.until(f"{name}/sync")
                self.assertEqual(sorted(int(m.payload) for m in got), list(range(10)))

    def test_two_groups_each_get_every_message(self):
        for level in LEVELS:
            with self.subTest(level=level):
                name = f"groups{level}"
                topic = f"{name}/t"
                g1 = self.members(f"{name}-g1", level, f"$share/one/{topic}")
                g2 = self.members(f"{name}-g2", level, f"$share/two/{topic}")
                plain = self.paho(shard_id(f"{name}-plain", 1), level)
                plain.subscribe(topic, qos=1)
                pub = self.paho(shard_id(f"{name}-pub", 0), level)
                for i in range(COUNT):
                    pub.publish(topic, str(i).encode(), qos=1)
                for group, sync in ((g1, f"{name}-g1/sync"), (g2, f"{name}-g2/sync")):
                    pub.publish(sync, b"", qos=1)
                    got = [int(m.payload) for member in group for m in member.until(sync)]
                    self.assertEqual(sorted(got), list(range(COUNT)))
                self.assertEqual([int(m.payload) for m in plain.get_many(COUNT)],
                                 list(range(COUNT)), "a non-shared subscriber gets all")

    def test_granted_qos_applies_per_member(self):
        for level in LEVELS:
            with self.subTest(level=level):
                name = f"shareqos{level}"
                topic = f"{name}/t"
                q0 = self.paho(shard_id(f"{name}-q0", 0), level)
                q0.subscribe(f"$share/q/{topic}", qos=0)
                q2 = self.paho(shard_id(f"{name}-q2", 1), level)
                q2.subscribe(f"$share/q/{topic}", qos=2)
                pub = self.paho(shard_id(f"{name}-pub", 0), level)
                for i in range(4):
                    pub.publish(topic, str(i).encode(), qos=2)
                got = q0.get_many(2) + q2.get_many(2)
                self.assertEqual(sorted(int(m.payload) for m in got), [0, 1, 2, 3])
                self.assertEqual([m.qos for m in got], [0, 0, 2, 2])

    def test_no_retained_messages_for_shared_subscriptions(self):
        # Section 3.3.1.3: retained messages go to new non-shared subscriptions only.
        for level in LEVELS:
            with self.subTest(level=level):
                topic = f"shareret{level}/t"
                pub = self.rawc(shard_id(f"shareret{level}-pub", 0), level=level)
                pub.publish(topic, b"retained", qos=1, retain=True)
                member = self.rawc(shard_id(f"shareret{level}-m", 1), level=level)
                self.assertEqual(member.subscribe([(f"$share/r/{topic}", sub_options(1))]), [1])
                self.assertEqual(member.sync(), [])

    def test_invalid_share_names_fail_alone(self):
        # [MQTT-4.8.2-1]: the ShareName is at least one character and has no '/', '+' or '#';
        # [MQTT-4.8.2-2]: it is followed by '/' and a Topic Filter.
        for level in LEVELS:
            failure = 0x80 if level == 4 else 0x8F
            for bad in ("$share/g", "$share//t", "$share/g+/t", "$share/#/t", "$share/g/"):
                with self.subTest(level=level, filter=bad):
                    c = self.rawc(f"sharebad{level}", level=level)
                    self.assertEqual(c.subscribe([(bad, sub_options(1)),
                                                  ("$share/good/t", sub_options(1))]),
                                     [failure, 1])
                    c.close()

    def test_resubscribing_member_is_not_counted_twice(self):
        # [MQTT-3.8.4-3]: the same filter again replaces the subscription, so the group still has
        # two members with one turn each.
        for level in LEVELS:
            with self.subTest(level=level):
                name = f"sharere{level}"
                topic = f"{name}/t"
                a, b = self.members(name, level, f"$share/g/{topic}")
                self.assertEqual(a.subscribe(f"$share/g/{topic}", qos=1), [1])
                self.assertEqual(a.subscribe(f"$share/g/{topic}", qos=1), [1])
                pub = self.paho(shard_id(f"{name}-pub", 0), level)
                for i in range(COUNT):
                    pub.publish(topic, str(i).encode(), qos=1)
                pub.publish(f"{name}/sync", b"", qos=1)
                got_a = [int(m.payload) for m in a.until(f"{name}/sync")]
                got_b = [int(m.payload) for m in b.until(f"{name}/sync")]
                self.assertEqual(sorted(got_a + got_b), list(range(COUNT)))
                self.assertEqual((len(got_a), len(got_b)), (COUNT // 2, COUNT // 2))

    def test_unsubscribed_member_gets_no_more(self):
        for level in LEVELS:
            with self.subTest(level=level):
                name = f"shareunsub{level}"
                topic = f"{name}/t"
                a, b = self.members(name, level, f"$share/g/{topic}")
                a.unsubscribe(f"$share/g/{topic}")
                pub = self.paho(shard_id(f"{name}-pub", 1), level)
                for i in range(10):
                    pub.publish(topic, str(i).encode(), qos=1)
                pub.publish(f"{name}/sync", b"", qos=1)
                self.assertEqual([m.payload for m in a.until(f"{name}/sync")], [])
                self.assertEqual([int(m.payload) for m in b.until(f"{name}/sync")],
                                 list(range(10)))

    def test_offline_member_is_skipped(self):
        # A member whose persistent session is offline gets no new messages while another member
        # is online (Tern prefers online members).
        for level in LEVELS:
            with self.subTest(level=level):
                name = f"shareoff{level}"
                topic = f"{name}/t"
                away_id = shard_id(f"{name}-away", 0)
                away = self.paho(away_id, level, clean=False,
                                 session_expiry=60 if level == 5 else None)
                away.subscribe(f"$share/g/{topic}", qos=1)
                away.disconnect()
                self.wait_gone(away_id)
                here = self.paho(shard_id(f"{name}-here", 1), level)
                here.subscribe(f"$share/g/{topic}", qos=1)
                pub = self.paho(shard_id(f"{name}-pub", 0), level)
                for i in range(10):
                    pub.publish(topic, str(i).encode(), qos=1)
                self.assertEqual([int(m.payload) for m in here.get_many(10)], list(range(10)))
                back = self.rawc(away_id, level=level, clean=False,
                                 **({"props": [(0x11, 60)]} if level == 5 else {}))
                self.assertTrue(back.connack.session_present)
                self.assertEqual(back.sync(), [], "nothing was queued for the offline member")

    def test_unacknowledged_messages_of_a_leaving_member_reach_the_other(self):
        # A member that disconnects with QoS 1 messages it did not acknowledge: they go to the
        # remaining member (MQTT 5 section 4.8.2: "SHOULD send the Application Message to another
        # Client that is subscribed to the same Shared Subscription").
        for level in LEVELS:
            for persistent in (False, True):
                with self.subTest(level=level, persistent_session=persistent):
                    name = f"leave{level}{'p' if persistent else 'c'}"
                    topic = f"{name}/t"
                    connect_args = dict(clean=not persistent)
                    if level == 5 and persistent:
                        connect_args["props"] = [(0x11, 60)]
                    leaver = self.rawc(shard_id(f"{name}-leaver", 0), level=level,
                                       **connect_args)
                    self.assertEqual(leaver.subscribe([(f"$share/g/{topic}", sub_options(1)),
                                                       (f"{name}/sync", sub_options(1))]), [1, 1])
                    stayer = self.paho(shard_id(f"{name}-stayer", 1), level)
                    stayer.subscribe(f"$share/g/{topic}", qos=1)
                    pub = self.paho(shard_id(f"{name}-pub", 1), level)
                    for i in range(COUNT):
                        pub.publish(topic, str(i).encode(), qos=1)
                    pub.publish(f"{name}/sync", b"", qos=1)
                    # The leaver reads its share (up to the barrier) and acknowledges none of it.
                    held = []
                    while True:
                        msg = leaver.expect_publish()
                        if msg.topic != topic:
                            break
                        held.append(int(msg.payload))
                    self.assertTrue(held, "the leaving member got a share of the messages")
                    leaver.close()
                    got = [int(m.payload) for m in stayer.get_many(COUNT)]
                    self.assertEqual(sorted(got), list(range(COUNT)),
                                     f"the leaver held {held} unacknowledged")


    def test_qos2_in_flight_to_a_leaving_member_stays_with_it(self):
        # MQTT 5 section 4.8.2: a QoS 2 message whose delivery to the chosen member was started
        # (PUBLISH sent, no PUBREC yet) MUST be completed to that member when it reconnects
        # [MQTT-4.8.2-4]; if its session ends first, it MUST NOT go to another member
        # [MQTT-4.8.2-5]. Exactly once: the other member must never get it.
        for level in LEVELS:
            for persistent in (False, True):
                with self.subTest(level=level, persistent_session=persistent):
                    name = f"leaveq2{level}{'p' if persistent else 'c'}"
                    topic = f"{name}/t"
                    connect_args = dict(clean=not persistent)
                    if level == 5 and persistent:
                        connect_args["props"] = [(0x11, 60)]
                    leaver_id = shard_id(f"{name}-leaver", 0)
                    leaver = self.rawc(leaver_id, level=level, **connect_args)
                    leaver.subscribe([(f"$share/g/{topic}", sub_options(2)),
                                      (f"{name}/sync", sub_options(1))])
                    stayer = self.paho(shard_id(f"{name}-stayer", 1), level)
                    stayer.subscribe([(f"$share/g/{topic}", 2), (f"{name}/sync", 2)])
                    # The publisher shares the leaver's shard: a message moved away at the
                    # leaver's detach is queued towards the stayer's shard before the barrier.
                    pub = self.paho(shard_id(f"{name}-pub", 0), level)
                    for i in range(COUNT):
                        pub.publish(topic, str(i).encode(), qos=2)
                    pub.publish(f"{name}/sync", b"", qos=2)
                    held = []
                    while True:
                        msg = leaver.expect_publish()
                        if msg.topic != topic:
                            break
                        self.assertEqual(msg.qos, 2)
                        held.append(int(msg.payload))  # no PUBREC
                    self.assertTrue(held)
                    kept = [int(m.payload) for m in stayer.until(f"{name}/sync")]
                    leaver.close()
                    self.wait_gone(leaver_id)
                    pub.publish(f"{name}/sync", b"", qos=2)
                    moved = [int(m.payload) for m in stayer.until(f"{name}/sync")]
                    self.assertEqual(moved, [], f"QoS 2 messages {moved} of the {held} in flight "
                                     "to the leaving member went to the other member")
                    self.assertEqual(sorted(held + kept), list(range(COUNT)))
                    if persistent:
                        back = self.rawc(leaver_id, level=level, **connect_args)
                        resent = [parse_publish(p, level) for p in back.sync()]
                        self.assertEqual([int(m.payload) for m in resent if m.topic == topic],
                                         held, "completed to the same member on reconnect")
                        for m in resent:
                            back.ack(m)


if __name__ == "__main__":
    unittest.main()
