// Black-box publish/subscribe tests of the tern binary with MQTT.js (npm package `mqtt`, v5).
// Run with `node --test` in this directory; the broker binary comes from env TERN_BINARY
// (default: build/ci/src/app/tern). The broker runs with 2 shards on a free port, and client
// identifiers are picked so that publishers and subscribers live on different shards.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BINARY = process.env.TERN_BINARY || path.join(HERE, '..', '..', 'build', 'ci', 'src', 'app', 'tern');
const WAIT_MS = 3000;

// ------------------------------------------------------------------------------------------
// Shard placement: libstdc++'s std::hash<std::string_view> (std::_Hash_bytes, 64-bit), which
// tern uses to choose the shard hosting a client identifier.
// ------------------------------------------------------------------------------------------

const MASK = (1n << 64n) - 1n;
const MUL = (0xc6a4a793n << 32n) + 0x5bd1e995n;
const shiftMix = (v) => v ^ (v >> 47n);

function loadLE(bytes, start, end) {
  let v = 0n;
  for (let i = end - 1; i >= start; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function stdlibHash(text) {
  const bytes = Buffer.from(text, 'utf8');
  const len = bytes.length;
  const aligned = len & ~7;
  let h = (0xc70f6907n ^ ((BigInt(len) * MUL) & MASK)) & MASK;
  for (let i = 0; i < aligned; i += 8) {
    const data = (shiftMix((loadLE(bytes, i, i + 8) * MUL) & MASK) * MUL) & MASK;
    h = ((h ^ data) * MUL) & MASK;
  }
  if (len & 7) h = ((h ^ loadLE(bytes, aligned, len)) * MUL) & MASK;
  h = (shiftMix(h) * MUL) & MASK;
  return shiftMix(h);
}

// The first of prefix, prefix-1, prefix-2, ... hosted by `shard` (of 2).
function idOnShard(prefix, shard) {
  for (let i = 0; ; i++) {
    const id = i === 0 ? prefix : `${prefix}-${i}`;
    if (Number(stdlibHash(id) % 2n) === shard) return id;
  }
}

// ------------------------------------------------------------------------------------------
// The broker process
// ------------------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Broker {
  async start() {
    accessSync(BINARY, constants.X_OK);
    this.dir = mkdtempSync(path.join(tmpdir(), 'tern-js-'));
    writeFileSync(path.join(this.dir, 'tern.toml'), 'shards = 2\n');
    // A port free on 127.0.0.1 may still be taken on ::1: try a few.
    for (let attempt = 0; attempt < 5; attempt++) {
      this.port = await freePort();
      this.logPath = path.join(this.dir, `tern-${attempt}.log`);
      this.proc = spawn(BINARY, ['-p', String(this.port), '--data-dir', path.join(this.dir, 'data'),
                                 '-c', path.join(this.dir, 'tern.toml')],
                        { stdio: ['ignore', 'pipe', 'pipe'] });
      this.log = '';
      this.proc.stdout.on('data', (d) => { this.log += d; });
      this.proc.stderr.on('data', (d) => { this.log += d; });
      this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
      if (await this.waitReady()) return;
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    throw new Error(`tern did not start; last log:\n${this.log}`);
  }

  // Ready = a CONNECT gets a CONNACK (an open port alone is not enough).
  async waitReady() {
    const deadline = Date.now() + 10000;
    let exited = false;
    this.exited.then(() => { exited = true; });
    while (Date.now() < deadline && !exited) {
      try {
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${this.port}`,
                                          { clientId: 'js-probe', reconnectPeriod: 0, connectTimeout: 1000 });
        await c.endAsync();
        return true;
      } catch {
        await sleep(20);
      }
    }
    return false;
  }

  async stop() {
    if (!this.proc) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    rmSync(this.dir, { recursive: true, force: true });
    assert.equal(code, 0, `tern exit code ${code} (signal ${signal}) after SIGTERM; log:\n${this.log}`);
  }
}

// ------------------------------------------------------------------------------------------
// Clients
// ------------------------------------------------------------------------------------------

const broker = new Broker();
const clients = [];

async function client(clientId, protocolVersion, extra = {}) {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    clientId, protocolVersion, clean: true, reconnectPeriod: 0, connectTimeout: WAIT_MS, ...extra,
  });
  c.received = [];
  c.waiters = [];
  c.on('message', (topic, payload, packet) => {
    c.received.push({ topic, payload: payload.toString(), packet });
    c.waiters = c.waiters.filter((w) => !w());
  });
  clients.push(c);
  return c;
}

// Resolves with the first `n` messages (waiting up to WAIT_MS), and consumes them.
function messages(c, n) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (c.received.length < n) return false;
      clearTimeout(timer);
      resolve(c.received.splice(0, n));
      return true;
    };
    const timer = setTimeout(() => {
      c.waiters = c.waiters.filter((w) => w !== check);
      reject(new Error(`${c.options.clientId}: ${c.received.length} of ${n} messages within ${WAIT_MS} ms: `
                       + JSON.stringify(c.received.map((m) => [m.topic, m.payload]))));
    }, WAIT_MS);
    if (!check()) c.waiters.push(check);
  });
}

before(async () => { await broker.start(); });

after(async () => {
  await Promise.all(clients.map((c) => c.endAsync().catch(() => {})));
  await broker.stop();
});

// ------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------

for (const version of [4, 5]) {
  describe(`MQTT.js with protocolVersion ${version}`, { timeout: 20000 }, () => {
    test('connects', async () => {
      const c = await client(idOnShard(`js${version}-connect`, 0), version);
      assert.equal(c.connected, true);
      assert.equal(c.options.protocolVersion, version);
    });

    test('subscribe with wildcards, publish QoS 0/1/2, receive topic, payload and QoS', async () => {
      const sub = await client(idOnShard(`js${version}-sub`, 1), version);
      const granted = await sub.subscribeAsync({ [`js${version}/+/x`]: { qos: 2 }, [`js${version}/all/#`]: { qos: 2 } });
      assert.deepEqual(granted.map((g) => [g.topic, g.qos]), [[`js${version}/+/x`, 2], [`js${version}/all/#`, 2]]);
      const pub = await client(idOnShard(`js${version}-pub`, 0), version);
      for (const qos of [0, 1, 2]) {
        await pub.publishAsync(`js${version}/q${qos}/x`, `payload ${qos}`, { qos });
      }
      await pub.publishAsync(`js${version}/all/a/b`, 'deep', { qos: 1 });
      await pub.publishAsync(`js${version}/all`, 'parent level', { qos: 1 });
      await pub.publishAsync(`js${version}/q0/y`, 'no match', { qos: 1 });
      const got = await messages(sub, 5);
      const seen = got.map((m) => [m.topic, m.payload, m.packet.qos]).sort();
      assert.deepEqual(seen, [
        [`js${version}/all`, 'parent level', 1],
        [`js${version}/all/a/b`, 'deep', 1],
        [`js${version}/q0/x`, 'payload 0', 0],
        [`js${version}/q1/x`, 'payload 1', 1],
        [`js${version}/q2/x`, 'payload 2', 2],
      ]);
      for (const m of got) assert.equal(m.packet.retain, false);
    });

    test('QoS is downgraded to the granted QoS', async () => {
      const sub = await client(idOnShard(`js${version}-down-sub`, 0), version);
      await sub.subscribeAsync(`js${version}/down`, { qos: 1 });
      const pub = await client(idOnShard(`js${version}-down-pub`, 1), version);
      await pub.publishAsync(`js${version}/down`, 'two', { qos: 2 });
      const [m] = await messages(sub, 1);
      assert.equal(m.payload, 'two');
      assert.equal(m.packet.qos, 1);
    });

    test('retained message is delivered on subscribe with the retain flag', async () => {
      const pub = await client(idOnShard(`js${version}-ret-pub`, 0), version);
      await pub.publishAsync(`js${version}/retained/t`, 'kept', { qos: 1, retain: true });
      const sub = await client(idOnShard(`js${version}-ret-sub`, 1), version);
      await sub.subscribeAsync(`js${version}/retained/+`, { qos: 1 });
      const [m] = await messages(sub, 1);
      assert.deepEqual([m.topic, m.payload, m.packet.qos, m.packet.retain],
                       [`js${version}/retained/t`, 'kept', 1, true]);
      // Deleting it: a later subscriber gets nothing, the barrier message arrives alone.
      await pub.publishAsync(`js${version}/retained/t`, '', { qos: 1, retain: true });
      const late = await client(idOnShard(`js${version}-ret-late`, 1), version);
      await late.subscribeAsync([`js${version}/retained/+`, `js${version}/barrier`], { qos: 1 });
      await pub.publishAsync(`js${version}/barrier`, 'barrier', { qos: 1 });
      const [only] = await messages(late, 1);
      assert.equal(only.topic, `js${version}/barrier`);
    });

    test('unsubscribe stops delivery', async () => {
      const sub = await client(idOnShard(`js${version}-unsub-sub`, 1), version);
      await sub.subscribeAsync([`js${version}/unsub/t`, `js${version}/unsub/barrier`], { qos: 1 });
      const pub = await client(idOnShard(`js${version}-unsub-pub`, 0), version);
      await pub.publishAsync(`js${version}/unsub/t`, 'before', { qos: 1 });
      assert.equal((await messages(sub, 1))[0].payload, 'before');
      await sub.unsubscribeAsync(`js${version}/unsub/t`);
      await pub.publishAsync(`js${version}/unsub/t`, 'after', { qos: 1 });
      await pub.publishAsync(`js${version}/unsub/barrier`, 'barrier', { qos: 1 });
      const [m] = await messages(sub, 1);
      assert.equal(m.topic, `js${version}/unsub/barrier`);
    });
  });
}

describe('MQTT 5 properties with MQTT.js', { timeout: 20000 }, () => {
  test('user properties round trip', async () => {
    const sub = await client(idOnShard('js5-up-sub', 1), 5);
    await sub.subscribeAsync('js5/userprops', { qos: 1 });
    const pub = await client(idOnShard('js5-up-pub', 0), 5);
    const userProperties = { region: 'eu', tags: ['a', 'b'], empty: '' };
    await pub.publishAsync('js5/userprops', 'with properties', {
      qos: 1,
      properties: { userProperties, contentType: 'text/plain', correlationData: Buffer.from([0, 1, 2]),
                    responseTopic: 'js5/reply', messageExpiryInterval: 60 },
    });
    const [m] = await messages(sub, 1);
    assert.deepEqual({ ...m.packet.properties.userProperties }, userProperties);
    assert.equal(m.packet.properties.contentType, 'text/plain');
    assert.deepEqual([...m.packet.properties.correlationData], [0, 1, 2]);
    assert.equal(m.packet.properties.responseTopic, 'js5/reply');
    assert.ok(m.packet.properties.messageExpiryInterval <= 60);
    assert.ok(m.packet.properties.messageExpiryInterval >= 59);
  });

  test('subscription identifier comes back', async () => {
    const sub = await client(idOnShard('js5-sid-sub', 0), 5);
    await sub.subscribeAsync('js5/sid/+', { qos: 1, properties: { subscriptionIdentifier: 42 } });
    const pub = await client(idOnShard('js5-sid-pub', 1), 5);
    await pub.publishAsync('js5/sid/x', 'x', { qos: 1 });
    const [m] = await messages(sub, 1);
    const ids = [].concat(m.packet.properties.subscriptionIdentifier);
    assert.deepEqual(ids, [42]);
  });

  test('topic aliases from the broker are resolved (client Topic Alias Maximum 2)', async () => {
    const sub = await client(idOnShard('js5-alias-sub', 1), 5, { properties: { topicAliasMaximum: 2 } });
    await sub.subscribeAsync('js5/alias/+', { qos: 1 });
    const pub = await client(idOnShard('js5-alias-pub', 0), 5);
    const topics = ['a', 'b', 'a', 'c', 'b', 'a'].map((t) => `js5/alias/${t}`);
    for (const [i, t] of topics.entries()) await pub.publishAsync(t, String(i), { qos: 1 });
    const got = await messages(sub, topics.length);
    assert.deepEqual(got.map((m) => [m.topic, m.payload]), topics.map((t, i) => [t, String(i)]));
  });

  test('topic alias from the client is accepted', async () => {
    const sub = await client(idOnShard('js5-calias-sub', 0), 5);
    await sub.subscribeAsync('js5/calias', { qos: 1 });
    const pub = await client(idOnShard('js5-calias-pub', 1), 5, { autoUseTopicAlias: true });
    assert.ok(pub.topicAliasSend, 'the broker announced a Topic Alias Maximum');
    for (let i = 0; i < 3; i++) await pub.publishAsync('js5/calias', `m${i}`, { qos: 1 });
    const got = await messages(sub, 3);
    assert.deepEqual(got.map((m) => [m.topic, m.payload]), [0, 1, 2].map((i) => ['js5/calias', `m${i}`]));
  });
});

// Guards the premise that the ids above are spread over both shards (checked against the C++
// implementation when written: "a" -> 4993892634952068459).
test('shard hash matches libstdc++', () => {
  assert.equal(stdlibHash('a'), 4993892634952068459n);
  assert.equal(stdlibHash('abcdefghi'), 13036955925923793583n);
  assert.notEqual(Number(stdlibHash(idOnShard('x', 0)) % 2n), Number(stdlibHash(idOnShard('x', 1)) % 2n));
});

