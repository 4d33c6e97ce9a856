"""MQTT 5 features end to end on a 2-shard broker, with paho-mqtt (v5 properties) and raw
sockets: forwarded PUBLISH properties, Message Expiry Interval, Subscription Identifiers, No
Local, topic aliases both ways, Receive Maximum, Payload Format Indicator checks, and the
server redirect of [redirect] in the configuration.
"""

import time
import unittest

from clients import (SHARDS_CONFIG, PahoClient, PubSubTestCase, parse_ack, shard_id,
                     sub_options, user_properties)
from harness import (MAXIMUM_PACKET_SIZE, PUBREC, RECEIVE_MAXIMUM, SERVER_REFERENCE,
                     SESSION_EXPIRY_INTERVAL, TOPIC_ALIAS, TOPIC_ALIAS_MAXIMUM, Broker,
                     BrokerTestCase, connect, expect_closed, parse_connack, parse_disconnect,
                     publish, read_packet)

PAYLOAD_FORMAT_INVALID = 0x99
RECEIVE_MAXIMUM_EXCEEDED = 0x93
TOPIC_ALIAS_INVALID = 0x94
PROTOCOL_ERROR = 0x82


class ForwardedPropertiesTest(PubSubTestCase):
    """Properties the server forwards unchanged to subscribers [MQTT-3.3.2-4, -15 .. -20]."""

    def pair(self, name):
        sub = self.paho(shard_id(f"{name}-sub", 1), 5)
        pub = self.paho(shard_id(f"{name}-pub", 0), 5)
        return sub, pub

    def test_user_properties_forwarded_in_order(self):
        # [MQTT-3.3.2-17/-18]: unaltered, order kept; names may repeat.
        sub, pub = self.pair("userprops")
        sub.subscribe("up/t", qos=1)
        props = [("b", "1"), ("a", "2"), ("b", "3"), ("ключ", "значение"), ("empty", "")]
        pub.publish("up/t", b"x", qos=1, props={"UserProperty": props})
        self.assertEqual(user_properties(sub.get()), props)
        pub.publish("up/t", b"none", qos=0)
        self.assertEqual(user_properties(sub.get()), [], "not carried over to the next message")

    def test_user_properties_at_every_qos(self):
        sub, pub = self.pair("userpropsqos")
        sub.subscribe("upq/t", qos=2)
        for qos in (0, 1, 2):
            pub.publish("upq/t", b"x", qos=qos, props={"UserProperty": [("qos", str(qos))]})
            msg = sub.get()
            self.assertEqual((msg.qos, user_properties(msg)), (qos, [("qos", str(qos))]))

    def test_response_topic_and_correlation_data_request_response(self):
        requester, responder = self.pair("reqresp")
        responder.subscribe("rr/request", qos=1)
        requester.subscribe("rr/response/+", qos=1)
        correlation = b"\x00\x01\xfe\xffid-42"
        requester.publish("rr/request", b"what time is it", qos=1,
                          props={"ResponseTopic": "rr/response/requester",
                                 "CorrelationData": correlation})
        request = responder.get()
        self.assertEqual(request.properties.ResponseTopic, "rr/response/requester")
        self.assertEqual(request.properties.CorrelationData, correlation)
        responder.publish(request.properties.ResponseTopic, b"noon", qos=1,
                          props={"CorrelationData": request.properties.CorrelationData})
        response = requester.get()
        self.assertEqual((response.topic, response.payload),
                         ("rr/response/requester", b"noon"))
        self.assertEqual(response.properties.CorrelationData, correlation)
        self.assertFalse(hasattr(response.properties, "ResponseTopic"))

    def test_content_type_and_payload_format_indicator(self):
        sub, pub = self.pair("ctype")
        sub.subscribe("ct/+", qos=1)
        pub.publish("ct/json", '{"ü": 1}'.encode(), qos=1,
                    props={"ContentType": "application/json; charset=utf-8",
                           "PayloadFormatIndicator": 1})
        pub.publish("ct/bin", b"\x00\xff", qos=1,
                    props={"ContentType": "application/octet-stream",
                           "PayloadFormatIndicator": 0})
        text, data = sub.get_many(2)
        self.assertEqual(text.properties.ContentType, "application/json; charset=utf-8")
        self.assertEqual(text.properties.PayloadFormatIndicator, 1)
        self.assertEqual(data.properties.ContentType, "application/octet-stream")
        self.assertEqual(getattr(data.properties, "PayloadFormatIndicator", 0), 0)

    def test_properties_survive_offline_queueing(self):
        sub_id = shard_id("propqueue-sub", 1)
        sub = self.paho(sub_id, 5, clean=False, session_expiry=60)
        sub.subscribe("pq/t", qos=1)
        sub.disconnect()
        self.wait_gone(sub_id)
        pub = self.paho(shard_id("propqueue-pub", 0), 5)
        pub.publish("pq/t", b"x", qos=1,
                    props={"UserProperty": [("k", "v")], "ContentType": "text/plain",
                           "ResponseTopic": "pq/r", "CorrelationData": b"c"})
        back = self.paho(sub_id, 5, clean=False, session_expiry=60)
        msg = back.get()
        self.assertEqual(user_properties(msg), [("k", "v")])
        self.assertEqual((msg.properties.ContentType, msg.properties.ResponseTopic,
                          msg.properties.CorrelationData), ("text/plain", "pq/r", b"c"))


class MessageExpiryTest(PubSubTestCase):
    """Message Expiry Interval [MQTT-3.3.2-5, -6]: forwarded with the time left; a message whose
    interval passed is not delivered."""

    def test_expiry_forwarded_to_live_subscriber(self):
        sub = self.paho(shard_id("mexp-live-sub", 1), 5)
        sub.subscribe("mexp/live", qos=1)
        pub = self.paho(shard_id("mexp-live-pub", 0), 5)
        pub.publish("mexp/live", b"x", qos=1, props={"MessageExpiryInterval": 60})
        pub.publish("mexp/live", b"y", qos=1)
        first, second = sub.get_many(2)
        self.assertIn(first.properties.MessageExpiryInterval, (59, 60))
        self.assertFalse(hasattr(second.properties, "MessageExpiryInterval"))

    def test_queued_messages_decremented_and_expired_dropped(self):
        sub_id = shard_id("mexp-q-sub", 1)
        sub = self.paho(sub_id, 5, clean=False, session_expiry=60)
        sub.subscribe([("mexp/q", 1), ("mexp/sync", 1)])
        sub.disconnect()
        self.wait_gone(sub_id)
        pub = self.paho(shard_id("mexp-q-pub", 0), 5)
        pub.publish("mexp/q", b"short", qos=1, props={"MessageExpiryInterval": 1})
        pub.publish("mexp/q", b"long", qos=1, props={"MessageExpiryInterval": 30})
        pub.publish("mexp/q", b"forever", qos=1)
        pub.publish("mexp/retained", b"retained short", qos=1, retain=True,
                    props={"MessageExpiryInterval": 1})
        published = time.monotonic()
        # The point of the test is time passing: 1.2 s > the 1 s interval.
        time.sleep(max(0.0, published + 1.2 - time.monotonic()))
        back = self.paho(sub_id, 5, clean=False, session_expiry=60)
        self.assertTrue(back.session_present)
        pub.publish("mexp/sync", b"", qos=1)
        got = back.until("mexp/sync")
        self.assertEqual([m.payload for m in got], [b"long", b"forever"],
                         "the expired message is not delivered")
        self.assertLessEqual(got[0].properties.MessageExpiryInterval, 29,
                             "the interval forwarded is the time left")
        self.assertGreaterEqual(got[0].properties.MessageExpiryInterval, 27)
        self.assertFalse(hasattr(got[1].properties, "MessageExpiryInterval"))
        # An expired retained message is not sent to new subscriptions either.
        back.subscribe("mexp/retained", qos=1)
        pub.publish("mexp/sync", b"", qos=1)
        self.assertEqual([m.payload for m in back.until("mexp/sync")], [])


class SubscriptionIdentifierTest(PubSubTestCase):
    """Subscription Identifiers come back on matching deliveries [MQTT-3.3.4-3, -4, -5]."""

    def test_identifiers_on_deliveries(self):
        sub = self.paho(shard_id("subid-sub", 1), 5)
        sub.subscribe("sid/+", qos=1, sub_id=5)
        sub.subscribe("sid/#", qos=1, sub_id=7)
        sub.subscribe("sid/none/x", qos=1)
        sub.subscribe("sid/big", qos=1, sub_id=268435455)
        pub = self.paho(shard_id("subid-pub", 0), 5)
        pub.publish("sid/a", b"both", qos=1)
        pub.publish("sid/a/b", b"hash only", qos=1)
        pub.publish("sid/none/x", b"hash and none", qos=1)
        got = sub.get_many(3)
        ids = [sorted(getattr(m.properties, "SubscriptionIdentifier", [])) for m in got]
        self.assertEqual(ids, [[5, 7], [7], [7]])
        self.assertEqual(len(got), 3, "overlapping subscriptions: one delivery each")
        pub.publish("sid/big", b"max id", qos=1)
        msg = sub.get()
        self.assertEqual(sorted(msg.properties.SubscriptionIdentifier), [5, 7, 268435455])

    def test_resubscribe_replaces_identifier(self):
        # [MQTT-3.8.4-3]: the new subscription replaces the old one, identifier included.
        sub = self.paho(shard_id("subid-re-sub", 0), 5)
        sub.subscribe("sidre/t", qos=1, sub_id=11)
        sub.subscribe("sidre/t", qos=1, sub_id=12)
        pub = self.paho(shard_id("subid-re-pub", 1), 5)
        pub.publish("sidre/t", b"x", qos=1)
        self.assertEqual(sub.get().properties.SubscriptionIdentifier, [12])
        sub.subscribe("sidre/t", qos=1)
        pub.publish("sidre/t", b"y", qos=1)
        self.assertFalse(hasattr(sub.get().properties, "SubscriptionIdentifier"))

    def test_identifier_on_retained_message(self):
        pub = self.paho(shard_id("subid-ret-pub", 0), 5)
        pub.publish("sidret/t", b"r", qos=1, retain=True)
        sub = self.paho(shard_id("subid-ret-sub", 1), 5)
        sub.subscribe("sidret/+", qos=1, sub_id=99)
        msg = sub.get()
        self.assertEqual((msg.payload, msg.retain), (b"r", 1))
        self.assertEqual(msg.properties.SubscriptionIdentifier, [99])

    def test_no_identifier_without_one(self):
        sub = self.paho(shard_id("subid-none-sub", 1), 5)
        sub.subscribe("sidn/t", qos=1)
        self.paho(shard_id("subid-none-pub", 0), 5).publish("sidn/t", b"x", qos=1)
        self.assertFalse(hasattr(sub.get().properties, "SubscriptionIdentifier"))


class NoLocalTest(PubSubTestCase):
    """No Local: a client's own messages do not come back [MQTT-3.8.3-3]."""

    def test_no_local(self):
        me = self.paho(shard_id("nolocal-me", 0), 5)
        me.subscribe("nl/t", qos=1, no_local=True)
        me.subscribe("nl/sync", qos=1)
        other = self.paho(shard_id("nolocal-other", 1), 5)
        me.publish("nl/t", b"mine", qos=1)
        me.publish("nl/sync", b"", qos=1)
        self.assertEqual([m.payload for m in me.until("nl/sync")], [])
        other.publish("nl/t", b"theirs", qos=1)
        self.assertEqual(me.get().payload, b"theirs")

    def test_without_no_local_own_messages_come_back(self):
        me = self.paho(shard_id("local-me", 1), 5)
        me.subscribe("loc/t", qos=1, no_local=False)
        me.publish("loc/t", b"mine", qos=1)
        self.assertEqual(me.get().payload, b"mine")

    def test_no_local_per_subscription(self):
        # Overlapping subscriptions, one with No Local: the other one still delivers.
        me = self.paho(shard_id("nolocal-mixed", 0), 5)
        me.subscribe("nlm/t", qos=1, no_local=True)
        me.subscribe("nlm/+", qos=0, no_local=False)
        me.publish("nlm/t", b"mine", qos=1)
        msg = me.get()
        self.assertEqual((msg.payload, msg.qos), (b"mine", 0))


class TopicAliasTest(PubSubTestCase):
    """Topic aliases (3.3.2.3.4, [MQTT-3.3.2-7 .. -12])."""

    def test_client_defines_alias_then_publishes_with_empty_topic(self):
        sub = self.rawc(shard_id("alias-sub", 1), level=5)
        self.assertEqual(sub.subscribe([("ta/+", sub_options(1))]), [1])
        pub = self.rawc(shard_id("alias-pub", 0), level=5)
        maximum = pub.connack.props.get(TOPIC_ALIAS_MAXIMUM, 0)
        self.assertGreaterEqual(maximum, 2, "Tern announces Topic Alias Maximum (default 64)")
        pub.publish("ta/x", b"define", qos=1, props=[(TOPIC_ALIAS, 1)])
        pub.publish("", b"use", qos=1, props=[(TOPIC_ALIAS, 1)])
        pub.publish("", b"use qos0", qos=0, props=[(TOPIC_ALIAS, 1)])
        pub.publish("ta/y", b"redefine", qos=1, props=[(TOPIC_ALIAS, 1)])
        pub.publish("", b"use again", qos=2, props=[(TOPIC_ALIAS, 1)])
        pub.publish("ta/z", b"highest", qos=1, props=[(TOPIC_ALIAS, maximum)])
        pub.publish("", b"highest again", qos=1, props=[(TOPIC_ALIAS, maximum)])
        expected = [("ta/x", b"define"), ("ta/x", b"use"), ("ta/x", b"use qos0"),
                    ("ta/y", b"redefine"), ("ta/y", b"use again"), ("ta/z", b"highest"),
                    ("ta/z", b"highest again")]
        got = []
        for _ in expected:
            msg = sub.expect_publish()
            self.assertNotIn(TOPIC_ALIAS, msg.props,
                             "the subscriber announced no Topic Alias Maximum (3.1.2.11.5)")
            got.append((msg.topic, msg.payload))
            sub.ack(msg)
        self.assertEqual(got, expected)

    def test_alias_0_or_above_maximum_is_refused(self):
        for alias in (0, 65):
            with self.subTest(alias=alias):
                pub = self.rawc(f"alias-bad-{alias}", level=5)
                pub.send(publish("ta/bad", b"x", qos=0, props=[(TOPIC_ALIAS, alias)], level=5))
                self.expect_disconnect(pub.sock, TOPIC_ALIAS_INVALID)

    def test_unknown_alias_with_empty_topic_is_protocol_error(self):
        pub = self.rawc("alias-unknown", level=5)
        pub.send(publish("", b"x", qos=1, props=[(TOPIC_ALIAS, 3)], level=5))
        self.expect_disconnect(pub.sock, PROTOCOL_ERROR)

    def test_aliases_are_per_connection(self):
        cid = "alias-reconnect"
        pub = self.rawc(cid, level=5)
        pub.publish("ta/conn", b"x", qos=1, props=[(TOPIC_ALIAS, 1)])
        pub.close()
        again = self.rawc(cid, level=5)
        again.send(publish("", b"x", qos=1, props=[(TOPIC_ALIAS, 1)], level=5))
        self.expect_disconnect(again.sock, PROTOCOL_ERROR)

    def test_broker_aliases_only_within_the_clients_maximum(self):
        # A subscriber announcing Topic Alias Maximum 2 may get aliases 1..2 and nothing above
        # [MQTT-3.3.2-11]; resolving them must give back every topic.
        sub = self.rawc(shard_id("alias-out-sub", 1), level=5, props=[(TOPIC_ALIAS_MAXIMUM, 2)])
        sub.subscribe([("tao/+", sub_options(1))])
        pub = self.paho(shard_id("alias-out-pub", 0), 5)
        topics = ["tao/a", "tao/b", "tao/a", "tao/c", "tao/b", "tao/c", "tao/a"]
        for i, topic in enumerate(topics):
            pub.publish(topic, str(i).encode(), qos=1)
        aliases = {}
        got = []
        for _ in topics:
            msg = sub.expect_publish()
            sub.ack(msg)
            topic = msg.topic
            alias = msg.props.get(TOPIC_ALIAS)
            if alias is not None:
                self.assertTrue(1 <= alias <= 2, f"alias {alias} outside 1..2")
                if topic:
                    aliases[alias] = topic
                else:
                    self.assertIn(alias, aliases, "alias used before it was defined")
                    topic = aliases[alias]
            self.assertTrue(topic, "empty topic without an alias")
            got.append((topic, int(msg.payload)))
        self.assertEqual(got, list(zip(topics, range(len(topics)))))


class MaximumPacketSizeTest(PubSubTestCase):
    """The client's Maximum Packet Size: larger messages are discarded for that client as if
    delivered (3.1.2.11.4); they do not block the ones behind them."""

    def test_too_large_messages_are_skipped(self):
        sub = self.rawc(shard_id("mps-sub", 1), level=5, props=[(MAXIMUM_PACKET_SIZE, 100)])
        sub.subscribe([("mps/t", sub_options(1))])
        big = self.paho(shard_id("mps-big-sub", 0), 5)
        big.subscribe("mps/t", qos=1)
        pub = self.paho(shard_id("mps-pub", 0), 5)
        pub.publish("mps/t", b"small 1", qos=1)
        pub.publish("mps/t", b"B" * 200, qos=1)
        pub.publish("mps/t", b"small 2", qos=0)
        pub.publish("mps/t", b"C" * 200, qos=0)
        pub.publish("mps/t", b"small 3", qos=1)
        got = []
        for _ in range(3):
            msg = sub.expect_publish()
            got.append(msg.payload)
            sub.ack(msg)
        self.assertEqual(got, [b"small 1", b"small 2", b"small 3"])
        self.assertEqual(sub.sync(), [])
        self.assertEqual(len(big.get_many(5)), 5, "other subscribers get everything")

    def test_too_large_message_does_not_leave_an_undefined_topic_alias(self):
        # With outbound topic aliases, the PUBLISH that would define an alias may be the one
        # discarded for size; the next PUBLISH on that topic must then still carry the topic
        # (or define the alias): 3.3.2.3.4, an alias must be known to the receiver.
        sub = self.rawc(shard_id("mps-alias-sub", 1), level=5,
                        props=[(MAXIMUM_PACKET_SIZE, 100), (TOPIC_ALIAS_MAXIMUM, 5)])
        sub.subscribe([("mpsa/t", sub_options(1))])
        pub = self.paho(shard_id("mps-alias-pub", 0), 5)
        pub.publish("mpsa/t", b"D" * 200, qos=1)
        pub.publish("mpsa/t", b"fits", qos=1)
        msg = sub.expect_publish()
        sub.ack(msg)
        self.assertEqual(msg.payload, b"fits")
        self.assertEqual(msg.topic, "mpsa/t",
                         f"topic alias {msg.props.get(TOPIC_ALIAS)} was never sent with its "
                         "topic: the defining PUBLISH was the one discarded for size")


class ReceiveMaximumTest(PubSubTestCase):
    """More unacknowledged QoS 2 PUBLISHes than the announced Receive Maximum: DISCONNECT 0x93
    (client rule [MQTT-3.3.4-7]; 3.2.2.3.3). Here with the default limit Tern announces in
    CONNACK."""

    def test_exceeding_the_announced_receive_maximum(self):
        c = self.rawc("recvmax-default", level=5)
        limit = c.connack.props.get(RECEIVE_MAXIMUM, 65535)
        self.assertLessEqual(limit, 4096, "this test sends limit + 1 messages")
        batch = b"".join(publish("rm/t", b"x", qos=2, packet_id=i, level=5)
                         for i in range(1, limit + 1))
        c.send(batch)
        for i in range(1, limit + 1):
            self.assertEqual(parse_ack(c.read(), PUBREC, 5)[:2], (i, 0))
        # A resend of a pending id is no new message and is fine.
        c.send(publish("rm/t", b"x", qos=2, dup=True, packet_id=1, level=5))
        self.assertEqual(parse_ack(c.read(), PUBREC, 5)[:2], (1, 0))
        c.send(publish("rm/t", b"x", qos=2, packet_id=limit + 1, level=5))
        self.expect_disconnect(c.sock, RECEIVE_MAXIMUM_EXCEEDED)


class ConfiguredReceiveMaximumTest(unittest.TestCase):
    """limits.receive_maximum = 2: the third QoS 2 PUBLISH without PUBREL gets 0x93."""

    CONFIG = SHARDS_CONFIG + "[limits]\nreceive_maximum = 2\n"

    def test_third_qos2_without_pubrel_is_disconnected(self):
        with Broker(config=self.CONFIG) as broker:
            s, ack = broker.handshake(level=5, client_id="recvmax-2")
            try:
                self.assertEqual(ack.props.get(RECEIVE_MAXIMUM), 2)
                for pid in (1, 2):
                    s.sendall(publish("rm2/t", b"x", qos=2, packet_id=pid, level=5))
                    self.assertEqual(parse_ack(read_packet(s), PUBREC, 5)[:2], (pid, 0))
                s.sendall(publish("rm2/t", b"x", qos=2, packet_id=3, level=5))
                self.assertEqual(parse_disconnect(read_packet(s)).reason,
                                 RECEIVE_MAXIMUM_EXCEEDED)
                expect_closed(s)
            finally:
                s.close()

    def test_topic_alias_maximum_0_disables_aliases(self):
        with Broker(config=SHARDS_CONFIG + "[limits]\ntopic_alias_maximum = 0\n") as broker:
            s, ack = broker.handshake(level=5, client_id="noalias")
            try:
                self.assertNotIn(TOPIC_ALIAS_MAXIMUM, ack.props)
                s.sendall(publish("na/t", b"x", qos=0, props=[(TOPIC_ALIAS, 1)], level=5))
                self.assertEqual(parse_disconnect(read_packet(s)).reason, TOPIC_ALIAS_INVALID)
            finally:
                s.close()


class PayloadFormatTest(PubSubTestCase):
    """Payload Format Indicator 1 with a payload that is not UTF-8: Tern checks it and answers
    0x99 Payload format invalid (allowed by 3.3.2.3.2)."""

    def test_invalid_utf8_gets_0x99_and_is_not_routed(self):
        sub = self.paho(shard_id("pfi-sub", 1), 5)
        sub.subscribe([("pfi/t", 2), ("pfi/sync", 1)])
        pub = self.rawc(shard_id("pfi-pub", 0), level=5)
        bad = b"caf\xc3"  # truncated UTF-8 sequence
        self.assertEqual(pub.publish("pfi/t", bad, qos=1,
                                     props=[(0x01, 1)]), PAYLOAD_FORMAT_INVALID)
        self.assertEqual(pub.publish("pfi/t", b"\xff\xfe", qos=2,
                                     props=[(0x01, 1)]), PAYLOAD_FORMAT_INVALID)
        # The same bytes without the indicator are just binary.
        self.assertEqual(pub.publish("pfi/t", bad, qos=1, props=[(0x01, 0)]), 0)
        self.assertEqual(pub.publish("pfi/t", "é".encode(), qos=1, props=[(0x01, 1)]), 0)
        pub.publish("pfi/sync", b"", qos=1)
        got = sub.until("pfi/sync")
        self.assertEqual([m.payload for m in got], [bad, "é".encode()])

    def test_invalid_utf8_at_qos0_disconnects(self):
        # No acknowledgement to carry the reason: DISCONNECT 0x99.
        pub = self.rawc("pfi-qos0", level=5)
        pub.send(publish("pfi/q0", b"\xff", qos=0, props=[(0x01, 1)], level=5))
        self.expect_disconnect(pub.sock, PAYLOAD_FORMAT_INVALID)


class RedirectTest(BrokerTestCase):
    """[redirect] server_reference: CONNACK 0x9C Use another server with Server Reference for
    MQTT 5 (section 4.11), 0x03 Server unavailable for 3.1/3.1.1; then the connection closes."""

    CONFIG = SHARDS_CONFIG + '[redirect]\nserver_reference = "other:1883"\n'
    CHECK_SERVING_AFTER_EACH_TEST = False
    CODE_V5 = 0x9C

    def test_v5_gets_server_reference(self):
        s = self.raw()
        s.sendall(connect(level=5, client_id="redirected-5"))
        ack = parse_connack(read_packet(s), 5)
        self.assertEqual(ack.code, self.CODE_V5)
        self.assertFalse(ack.session_present)
        self.assertEqual(ack.props.get(SERVER_REFERENCE), "other:1883")
        expect_closed(s)

    def test_v311_and_v31_get_server_unavailable(self):
        for level in (3, 4):
            with self.subTest(level=level):
                s = self.raw()
                s.sendall(connect(level=level, client_id=f"redirected-{level}"))
                self.assertEqual(read_packet(s).body, b"\x00\x03")
                expect_closed(s)

    def test_paho_v5_sees_redirect(self):
        c = PahoClient(self.broker.port, "redirected-paho", level=5, expect_code=None)
        try:
            self.assertEqual(c.connack[1], self.CODE_V5)
            self.assertEqual(c.connack[2].ServerReference, "other:1883")
        finally:
            c.client.loop_stop()

    def test_no_session_is_created(self):
        s = self.raw()
        s.sendall(connect(level=5, client_id="redirected-persistent", clean=False,
                          props=[(SESSION_EXPIRY_INTERVAL, 60)]))
        self.assertEqual(parse_connack(read_packet(s), 5).code, self.CODE_V5)
        expect_closed(s)
        s2 = self.raw()
        s2.sendall(connect(level=5, client_id="redirected-persistent", clean=False,
                           props=[(SESSION_EXPIRY_INTERVAL, 60)]))
        self.assertFalse(parse_connack(read_packet(s2), 5).session_present)


class PermanentRedirectTest(RedirectTest):
    """permanent = true: 0x9D Server moved."""

    CONFIG = SHARDS_CONFIG + '[redirect]\nserver_reference = "other:1883"\npermanent = true\n'
    CODE_V5 = 0x9D


if __name__ == "__main__":
    unittest.main()
