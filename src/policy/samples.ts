// Sample data for `backsoon policy test --sample` and the benchmark: the cases a policy
// usually distinguishes (a known DHCP host name or not, a short daytime outage or a long one
// ending at night, a recovery mail or a stand-in page). Times are on the router's clock.
import type { PolicyClient, PolicyNotice, PolicyOutage } from './types';

/** Unix seconds of a local wall-clock time, so the samples read the same in every time zone. */
function localAt(year: number, month: number, day: number, hour: number, minute: number): number {
  return Math.floor(new Date(year, month - 1, day, hour, minute).getTime() / 1000);
}

const dayEnd = localAt(2025, 6, 2, 14, 30);   // a Monday afternoon
const nightEnd = localAt(2025, 6, 2, 23, 30); // the same day, late at night

export const sampleClients: readonly PolicyClient[] = [
  { address: '192.0.2.10', addresses: ['192.0.2.10', '2001:db8::a'], mac: '02:00:5e:00:53:0a', hostname: 'anna-laptop' },
  { address: '192.0.2.11', mac: '02:00:5e:00:53:0b' },
  { address: '192.0.2.12', hostname: 'printer-2f', contact: 'office@example.com' },
];

export const sampleOutages: readonly PolicyOutage[] = [
  { server: '198.51.100.7', name: 'intranet', since: dayEnd - 45, until: dayEnd, cause: 'syn-timeout', now: dayEnd },
  { server: '198.51.100.8', name: 'mail.example.com', since: nightEnd - 600, until: nightEnd, cause: 'icmp-unreachable', now: nightEnd },
];

export const sampleNotices: readonly PolicyNotice[] = [
  {
    kind: 'recovery',
    outage: sampleOutages[1],
    client: sampleClients[0],
    to: 'anna@example.com',
    defaults: {
      subject: 'Server failure recovery notice: mail.example.com (198.51.100.8)',
      body: 'Server failure recovery notice\n\nThe server you tried to reach while it was down is available again.\n',
    },
  },
  {
    kind: 'standin',
    outage: { server: '198.51.100.7', name: 'intranet', since: dayEnd - 45, now: dayEnd },
    client: sampleClients[1],
    defaults: { pageText: 'intranet is down. Leave your mail address and you will be told when it is back.' },
  },
];
