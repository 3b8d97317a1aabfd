// A client that was already connecting when its server was found down keeps retransmitting
// SYNs of a connection conntrack has already seen, and NAT is decided only for a connection's
// first packet: those SYNs would go on to the dead server until the client gives up. Deleting
// the server's unanswered entries makes the next retransmission a new connection, which the
// redirect sends to the page (measured in the lab: the waiting request is answered ~2 s later).
// Uses the conntrack tool (package conntrack); without it, such clients just time out.
import { spawn } from 'node:child_process';

/** Deletes the unanswered TCP entries towards server:port; resolves with how many went. */
export type ConntrackFlusher = (server: string, port: number) => Promise<number>;

export class ConntrackMissing extends Error {}

export const flushUnanswered: ConntrackFlusher = (server, port) => new Promise((resolve, reject) => {
  const child = spawn('conntrack', ['-D', '-p', 'tcp', '--orig-dst', server, '--dport', String(port), '--state', 'SYN_SENT'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 2048) stderr += d; });
  child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT'
    ? new ConntrackMissing('the conntrack tool is not installed (package conntrack)')
    : new Error(`cannot run conntrack: ${err.message}`)));
  child.on('close', (code) => {
    const deleted = Number(/(\d+) flow entr/.exec(stderr)?.[1] ?? 0);
    // conntrack exits 1 when nothing matched, which is the usual case.
    if (code === 0 || deleted === 0 && code === 1) resolve(deleted);
    else reject(new Error(`conntrack -D exited ${code}: ${stderr.trim().split('\n')[0]}`));
  });
});
