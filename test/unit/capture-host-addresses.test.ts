// The router's addresses from the kernel: read at start, read again when the monitor speaks,
// reported only when they change; loopback never counts. The monitor here is a shell stand-in
// printing lines as `ip monitor address` does (changing addresses needs a namespace: the lab
// test does that against the real ip).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HostAddressWatch, readHostAddresses } from '../../src/capture/host-addresses';
import type { RouterAddress } from '../../src/engine/router-addresses';
import { routerAddresses } from './router';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('this host\'s addresses: no loopback, each with its interface\'s MAC or 0', () => {
  const list = readHostAddresses();
  assert.not.ok(list.some((a) => a.address.text === '127.0.0.1' || a.address.text === '::1'), JSON.stringify(list.map((a) => a.address.text)));
  for (const a of list) assert.ok(Number.isInteger(a.mac) && a.mac >= 0);
});

test('read at start, again after the monitor prints, reported only when the set changes', async () => {
  const reads: RouterAddress[][] = [routerAddresses('192.0.2.1'), routerAddresses('192.0.2.1'), routerAddresses('192.0.2.1', '2001:db8:1::1')];
  let n = 0;
  const seen: string[][] = [];
  const watch = new HostAddressWatch({
    read: () => reads[Math.min(n++, reads.length - 1)],
    changed: (list) => seen.push(list.map((a) => a.address.text)),
    log: () => {},
    // stand-in for ip monitor address: one burst, then another after a pause
    command: ['sh', '-c', 'echo "2: eth0    inet 192.0.2.1/24"; echo "Deleted ..."; sleep 0.4; echo "3: br0    inet6 2001:db8:1::1/64"; sleep 30'],
    settleMs: 50,
  });
  watch.start();
  assert.equal(seen, [['192.0.2.1']], 'at once, before start returns');
  await sleep(1000);
  watch.stop();
  assert.equal(seen, [['192.0.2.1'], ['192.0.2.1', '2001:db8:1::1']]);
  assert.is(n, 3, 'one read per settled burst, not per line');
  assert.equal(watch.stats(), { known: 2, changes: 2, monitorRestarts: 0 });
});

test('a monitor that dies is restarted and a missing one leaves the timer', async () => {
  const logs: string[] = [];
  const watch = new HostAddressWatch({
    read: () => routerAddresses('192.0.2.1'), changed: () => {}, log: (_l, m) => logs.push(m),
    command: ['sh', '-c', 'exit 1'], restartMinMs: 50, restartMaxMs: 100,
  });
  watch.start();
  await sleep(400);
  watch.stop();
  assert.ok(watch.stats().monitorRestarts >= 1, JSON.stringify(watch.stats()));
  const missing = new HostAddressWatch({ changed: () => {}, log: (_l, m) => logs.push(m), command: ['/nonexistent/ip', 'monitor', 'address'] });
  missing.start();
  await sleep(200);
  missing.stop();
  assert.ok(logs.some((l) => l.includes("cannot run '/nonexistent/ip monitor address'") && l.includes('within 30 s instead')), logs.join('\n'));
});

test.run();
