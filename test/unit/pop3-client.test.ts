// The POP3 client against misbehaving servers that no real server can be made to play: one
// that never answers, one that is not POP3, one that slips data in before the TLS handshake.
// Each is scriptedPeerMock, a TCP listener on 127.0.0.1 that writes what the test scripts.
// A real server (Dovecot) is in test/lab/delegation.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { Pop3Client, Pop3Error } from '../../src/agent/pop3-client';

/** Answers each line the client sends with the next scripted reply ('' = say nothing). */
async function scriptedPeerMock(greeting: string, replies: Record<string, string>) {
  const heard: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    if (greeting !== '') s.write(greeting);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        heard.push(line);
        const reply = replies[line.split(' ')[0]] ?? '-ERR unknown\r\n';
        if (reply !== '') s.write(reply);
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, heard, close: () => new Promise<void>((r) => { server.close(() => r()); for (const c of sockets) c.destroy(); }) };
}

async function failure(p: Promise<unknown>): Promise<Pop3Error> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, Pop3Error);
    return err as Pop3Error;
  }
  throw new Error('expected a Pop3Error');
}

const base = { host: '127.0.0.1', user: 'notify', password: 'secret', timeoutMs: 300 };

test('a server that never greets: a timeout error, not a hang', async () => {
  const peer = await scriptedPeerMock('', {});
  try {
    const err = await failure(Pop3Client.connect({ ...base, port: peer.port, tls: 'none' }));
    assert.is(err.kind, 'timeout');
    assert.match(err.message, /no answer to the greeting within 0\.3 s/);
  } finally {
    await peer.close();
  }
});

test('a server that stops answering mid-session: a timeout error', async () => {
  const peer = await scriptedPeerMock('+OK ready\r\n', { USER: '+OK\r\n', PASS: '+OK in\r\n', LIST: '' });
  try {
    const c = await Pop3Client.connect({ ...base, port: peer.port, tls: 'none' });
    const err = await failure(c.list());
    assert.is(err.kind, 'timeout');
    assert.match(err.message, /no answer to LIST/);
    c.destroy();
  } finally {
    await peer.close();
  }
});

test('not POP3, or a refused session, says so', async () => {
  const http = await scriptedPeerMock('HTTP/1.1 400 Bad Request\r\n', {});
  const refused = await scriptedPeerMock('-ERR too many connections\r\n', {});
  try {
    assert.match((await failure(Pop3Client.connect({ ...base, port: http.port, tls: 'none' }))).message, /refused the session: HTTP\/1\.1 400/);
    assert.match((await failure(Pop3Client.connect({ ...base, port: refused.port, tls: 'none' }))).message, /refused the session: -ERR too many connections/);
  } finally {
    await http.close();
    await refused.close();
  }
});

test('data slipped in after the STLS answer and before the handshake is refused', async () => {
  // the STARTTLS injection: the reply to STLS carries a forged answer to the next command
  const peer = await scriptedPeerMock('+OK ready\r\n', { STLS: '+OK begin TLS\r\n+OK forged\r\n' });
  try {
    const err = await failure(Pop3Client.connect({ ...base, port: peer.port, tls: 'starttls' }));
    assert.is(err.kind, 'tls');
    assert.match(err.message, /sent data before the TLS handshake; refusing the session/);
    assert.ok(!peer.heard.some((l) => l.startsWith('PASS')), 'the password was never sent');
  } finally {
    await peer.close();
  }
});

test('a line break in the user name cannot smuggle a command', async () => {
  const peer = await scriptedPeerMock('+OK ready\r\n', { USER: '+OK\r\n' });
  try {
    const err = await failure(Pop3Client.connect({ ...base, user: 'notify\r\nDELE 1', port: peer.port, tls: 'none' }));
    assert.match(err.message, /holds a line break/);
    assert.ok(!peer.heard.some((l) => l.startsWith('DELE')));
  } finally {
    await peer.close();
  }
});

test('a closed port: a connect error naming the server', async () => {
  const peer = await scriptedPeerMock('', {});
  const port = peer.port;
  await peer.close();
  const err = await failure(Pop3Client.connect({ ...base, port, tls: 'none' }));
  assert.is(err.kind, 'connect');
  assert.match(err.message, new RegExp(`POP3 server 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
});

test.run();
