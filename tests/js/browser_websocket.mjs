// A real browser against the tern binary: headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core; no browser download) loads MQTT.js's browser bundle and talks MQTT over
// ws:// to tern. A message from mosquitto_pub over TCP must reach the page, and the page's
// publish must reach a TCP client.
//
// Run with `node --test browser_websocket.mjs` in this directory; TERN_BINARY names the broker
// (default: build/ci/src/app/tern). Chromium runs with --no-sandbox: the page is this test's own
// local content, and the sandbox needs user namespaces or root-owned helpers that containers
// and CI runners often lack (and Chromium refuses to start as root without it).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BINARY = process.env.TERN_BINARY || path.join(HERE, '..', '..', 'build', 'ci', 'src', 'app', 'tern');
const BROWSER = process.env.TERN_CHROMIUM || '/usr/bin/chromium';
const BUNDLE = path.join(HERE, 'node_modules', 'mqtt', 'dist', 'mqtt.min.js');
const WAIT_MS = 5000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

// tern with a plain MQTT listener (for the readiness probe and TCP clients) and a ws listener.
class Broker {
  async start() {
    accessSync(BINARY, constants.X_OK);
    this.dir = mkdtempSync(path.join(tmpdir(), 'tern-browser-'));
    this.port = await freePort();
    this.wsPort = await freePort();
    const config = path.join(this.dir, 'tern.toml');
    writeFileSync(config, `shards = 2\n[storage]\ndurability = "memory"\n`
      + `[[listeners]]\naddress = "127.0.0.1"\nport = ${this.port}\n`
      + `[[listeners]]\naddress = "127.0.0.1"\nport = ${this.wsPort}\nprotocol = "ws"\n`);
    this.log = '';
    this.proc = spawn(BINARY, ['-c', config, '--data-dir', path.join(this.dir, 'data')],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.log += d; });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      try {
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${this.port}`,
                                          { clientId: 'browser-probe', reconnectPeriod: 0, connectTimeout: 1000 });
        await c.endAsync();
        return;
      } catch {
        await sleep(20);
      }
    }
    throw new Error(`tern did not start; log:\n${this.log}`);
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

const broker = new Broker();
let browser;
let tcpClient;

before(async () => {
  await broker.start();
  browser = await chromium.launch({ executablePath: BROWSER, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  if (tcpClient) await tcpClient.endAsync();
  if (browser) await browser.close();
  await broker.stop();
});

// Waits in the page until window.received holds a message on `topic`; returns its payload.
async function receivedInPage(page, topic) {
  const handle = await page.waitForFunction(
    (t) => window.received.find((m) => m.topic === t), topic, { timeout: WAIT_MS });
  return (await handle.jsonValue()).payload;
}

test('a page connects over ws://, subscribes, publishes and receives', async () => {
  const page = await browser.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') console.error('page:', msg.text()); });
  await page.setContent('<!doctype html><title>tern over WebSocket</title>');
  await page.addScriptTag({ path: BUNDLE });  // defines window.mqtt
  assert.equal(await page.evaluate(() => typeof window.mqtt.connect), 'function');

  // Connect and subscribe inside the page, with the browser's own WebSocket.
  const connack = await page.evaluate(async (url) => {
    window.received = [];
    const client = window.mqtt.connect(url, { clientId: 'browser-page', protocolVersion: 5,
                                              reconnectPeriod: 0, connectTimeout: 5000 });
    window.client = client;
    client.on('message', (topic, payload) => window.received.push({ topic, payload: payload.toString() }));
    await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
    await client.subscribeAsync('browser/#', { qos: 1 });
    return { connected: client.connected, socket: client.stream.socket?.constructor?.name ?? 'WebSocket' };
  }, `ws://127.0.0.1:${broker.wsPort}/mqtt`);
  assert.equal(connack.connected, true);
  assert.match(broker.log, /client connected: id=browser-page .* transport=ws\b/);

  // The page to itself, through the broker.
  await page.evaluate(() => window.client.publishAsync('browser/self', 'from the page', { qos: 1 }));
  assert.equal(await receivedInPage(page, 'browser/self'), 'from the page');

  // mosquitto_pub over TCP to the page.
  await promisify(execFile)('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port),
                                              '-t', 'browser/tcp', '-m', 'from mosquitto_pub', '-q', '1']);
  assert.equal(await receivedInPage(page, 'browser/tcp'), 'from mosquitto_pub');

  // The page to a TCP client (MQTT.js under Node).
  tcpClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`,
                                      { clientId: 'browser-tcp-peer', reconnectPeriod: 0 });
  const got = new Promise((resolve) => tcpClient.on('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
  await tcpClient.subscribeAsync('from-browser', { qos: 1 });
  await page.evaluate(() => window.client.publishAsync('from-browser', 'hello tcp', { qos: 1 }));
  assert.deepEqual(await Promise.race([got, sleep(WAIT_MS).then(() => 'timeout')]),
                   { topic: 'from-browser', payload: 'hello tcp' });

  await page.evaluate(() => window.client.endAsync());
  await page.close();
});
