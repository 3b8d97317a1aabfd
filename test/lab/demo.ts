// make demo: the whole story in a lab of network namespaces, narrated.
// A client tries a server that is down; backsoon on the router notices who tried; the server
// comes back and says so with an SNMP trap; the client gets a mail. Removes the lab on exit.
import { DaemonLab } from './daemon-lab';
import { labRun } from './lab';

const say = (text: string) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
const show = (text: string) => process.stdout.write(text.replace(/^/gm, '   ') + (text.endsWith('\n') ? '' : '\n'));

async function main(): Promise<void> {
  const started = Date.now();
  say('Building the lab: clients 192.0.2.10 and 192.0.2.11 -- router (backsoon) -- server 198.51.100.10');
  const run = labRun();
  show(`network namespaces bs-${run}-demo-c, -c1, -r, -s; nothing leaves this machine`);
  const lab = await DaemonLab.up('demo', { clients: 1, mainOptions: { log_level: 'info', probe_interval: '60' } });
  try {
    show(`exim (the MTA) listens on 127.0.0.1:${lab.exim.port} inside the router`);
    show('shortened the router\'s neighbour timers so the demo takes seconds, not minutes');
    await lab.start();
    show('backsoon is running on the router:');
    show(lab.log.trim());

    say('The server is up: the client fetches its page');
    const ok = await lab.curl('c');
    show(ok.stdout.trim() || ok.stderr.trim());

    say('The server goes away (its address is removed, as when a host crashes)');
    await lab.lab.serverGone('addr');
    for (const client of ['c', 'c1'] as const) {
      const r = await lab.curl(client, 6);
      show(`${client === 'c' ? '192.0.2.10' : '192.0.2.11'}: curl exit ${r.code}: ${r.stderr.trim()}`);
    }
    await lab.waitForLog(/client 192\.0\.2\.11 tried/, 15_000).catch(() => undefined);

    say('backsoon status on the router');
    show(await lab.statusText());

    say('The server comes back and its SNMP agent sends a coldStart trap to the router');
    const mark = lab.log.length;
    await lab.lab.serverBack();
    // The agent's host knows the router's MAC already, so the trap is its first word and not an
    // ARP request (which backsoon would also take as a sign of life).
    const routerMac = lab.lab.mac('r', 's0');
    await lab.lab.exec('s', ['ip', 'neigh', 'replace', '198.51.100.1', 'lladdr', routerMac, 'dev', 'eth0', 'nud', 'permanent']);
    const trap = await lab.trap();
    show(`snmptrap -v 2c -c public 198.51.100.1 '' coldStart: exit ${trap.code}`);
    const back = await lab.waitForLog(/server 198\.51\.100\.10 is back \([a-z-]+\)/, 15_000, mark);
    show(`backsoon: ${back}`);

    say('The mails, as exim delivered them to the Maildir');
    const mails = await lab.exim.waitFor(2, 30_000);
    for (const m of mails) {
      show(`--- ${m.file.split('/').slice(-1)[0]} (envelope to ${m.recipient})`);
      show(m.raw.replace(/\r\n/g, '\n'));
    }

    say('backsoon status after the notices');
    show(await lab.statusText());
    say(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s; removing the lab`);
  } finally {
    await lab.down();
  }
}

main().then(() => process.exit(0), (err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});
