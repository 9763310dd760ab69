// RespNodeClientTest's client: Node's `redis` package (node-redis 4, Debian's node-redis) against the
// RESP socket given as argv[2]. Prints one line per check ("ok <what>") and exits 0, or prints the
// failure and exits 1. node-redis 4 speaks RESP2 only (RESP3 arrived in node-redis 5).
'use strict';
const assert = require('assert');
const { createClient, commandOptions, WatchError } = require('redis');

const socket = process.argv[2];

async function main() {
  const client = createClient({ socket: { path: socket } });
  const other = createClient({ socket: { path: socket } });
  client.on('error', (e) => console.error('client error', e));
  other.on('error', (e) => console.error('other error', e));
  await client.connect();
  await other.connect();
  assert.strictEqual(await client.ping(), 'PONG');
  console.log('ok connect RESP2');

  // binary values: every byte value, as a Buffer both ways
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  assert.strictEqual(await client.set('node:bin', all), 'OK');
  const back = await client.get(commandOptions({ returnBuffers: true }), 'node:bin');
  assert.ok(Buffer.isBuffer(back) && back.equals(all), 'binary value read back unchanged');
  console.log('ok binary set/get');

  // pipelining: commands issued in one tick go out in one write; replies come back in order
  const sets = [];
  for (let i = 0; i < 1000; i++) sets.push(client.set(`node:p:${i}`, `v${i}`));
  assert.ok((await Promise.all(sets)).every((r) => r === 'OK'));
  const gets = [];
  for (let i = 0; i < 1000; i++) gets.push(client.get(`node:p:${i}`));
  const values = await Promise.all(gets);
  values.forEach((v, i) => assert.strictEqual(v, `v${i}`));
  console.log('ok pipeline of 1000');

  // MULTI/EXEC on two keys
  const replies = await client.multi().set('node:a', '1').incr('node:a').set('node:b', 'x').mGet(['node:a', 'node:b']).exec();
  assert.deepStrictEqual(replies, ['OK', 2, 'OK', ['2', 'x']]);
  console.log('ok multi/exec');

  // WATCH that conflicts: another client changes the key between WATCH and EXEC
  await client.executeIsolated(async (iso) => {
    await iso.watch('node:w');
    await other.set('node:w', 'theirs');
    await assert.rejects(iso.multi().set('node:w', 'mine').exec(), WatchError);
  });
  assert.strictEqual(await client.get('node:w'), 'theirs');
  console.log('ok watch conflict aborts');

  // SCAN over many pages
  const seen = new Set();
  let pages = 0;
  let cursor = 0;
  do {
    const r = await client.scan(cursor, { MATCH: 'node:p:*', COUNT: 100 });
    cursor = r.cursor;
    pages++;
    for (const k of r.keys) {
      assert.ok(!seen.has(k), `${k} seen twice`);
      seen.add(k);
    }
  } while (cursor !== 0);
  assert.strictEqual(seen.size, 1000);
  assert.ok(pages >= 10, `${pages} pages`);
  console.log(`ok scan ${seen.size} keys in pages of 100`);

  // errors, in the forms node-redis parses
  await assert.rejects(client.sendCommand(['NOSUCHCMD', 'x']), (e) => e.message.startsWith("ERR unknown command 'NOSUCHCMD'"));
  await client.set('node:s', 'abc');
  await assert.rejects(client.incr('node:s'), (e) => e.message === 'ERR value is not an integer or out of range');
  await assert.rejects(client.hSet('node:h', 'f', 'v'), (e) => e.message.startsWith("ERR unknown command 'HSET'"));
  assert.strictEqual(await client.ping(), 'PONG');
  console.log('ok errors');

  await client.set('node:for-java', 'written by node-redis');
  await client.quit();
  await other.quit();
  console.log('done');
}

main().catch((e) => {
  console.error('FAILED', e);
  process.exit(1);
});
