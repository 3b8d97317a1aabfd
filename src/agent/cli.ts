// `backsoon agent [--config FILE] [--once]`: the delegated notifier, run on the recovered server
// (list notify 'server', P13) or on a management station (list notify 'nms', P14).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCommandLine, usageError } from '../cli-args';
import { ConfigError } from '../config/diagnostics';
import { createLogger, type Logger } from '../daemon/log';
import { createMailTransport, mailChannel, MAIL_CHANNEL } from '../notify/mail';
import { Outbox } from '../notify/outbox/outbox';
import { DelegationAgent } from './agent';
import { DEFAULT_AGENT_CONFIG_FILE, loadAgentConfig, type AgentSetup } from './config';
import { loadContacts, MapFileError, type AgentContacts } from './contacts';
import { Pop3Client } from './pop3-client';
import { serverNameLookup } from './server-name';

const usage = `usage: backsoon agent [--config FILE] [--once] [--verbose]

Reads the "recovery notification targets" mails a backsoon router sends to this host's
mailbox (POP3, config agent), and mails each listed client's user that the server is back
(config mail; addresses from config contact and map_file). A mail is deleted from the
mailbox once all its notices are queued; one it cannot read is reported and kept.

  --config FILE  configuration file (default ${DEFAULT_AGENT_CONFIG_FILE})
  --once         look into the mailbox once, send what is due, and exit
                 (exit 0; 1 when the mailbox could not be read; 2 on a configuration error)
  --verbose      log debug lines too

SIGHUP re-reads the configuration and map_file; SIGTERM stops after the current look.
`;

interface Loaded { setup: AgentSetup; contacts: AgentContacts; ca: Buffer | undefined }

/** The configuration, map file and CA file; a problem is written to stderr and null returned. */
function load(file: string): Loaded | null {
  try {
    const setup = loadAgentConfig(file);
    for (const w of setup.warnings) process.stderr.write(`${w}\n`);
    const contacts = loadContacts(setup.contacts, setup.agent.mapFile);
    let ca: Buffer | undefined;
    if (setup.agent.pop3Ca !== null) {
      try {
        ca = readFileSync(setup.agent.pop3Ca);
      } catch (err) {
        process.stderr.write(`${file}: option pop3_ca '${setup.agent.pop3Ca}': cannot read it: ${(err as Error).message}\n`);
        return null;
      }
    }
    return { setup, contacts, ca };
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const w of err.warnings) process.stderr.write(`${w}\n`);
      process.stderr.write(`${err.message}\n`);
      return null;
    }
    if (err instanceof MapFileError) {
      process.stderr.write(`${err.message}\n`);
      return null;
    }
    throw err;
  }
}

export async function main(args: string[]): Promise<number> {
  const line = readCommandLine('agent', usage, args, { config: 'value', once: 'flag', verbose: 'flag' });
  if (typeof line === 'number') return line;
  if (line.positionals.length > 0) return usageError('agent', `unexpected argument '${line.positionals[0]}' (the file goes after --config)`, usage);
  const options = { file: line.options.config ?? DEFAULT_AGENT_CONFIG_FILE, once: line.options.once === true, verbose: line.options.verbose === true };
  let loaded = load(options.file);
  if (loaded === null) return 2;
  const log: Logger = createLogger(options.verbose ? 'debug' : 'info');

  const stateDir = loaded.setup.agent.stateDir;
  let outbox: Outbox;
  try {
    outbox = await Outbox.open({ dir: join(stateDir, 'outbox'), log: (level, line) => log(level, line) });
  } catch (err) {
    log('error', `cannot open the outbox in ${stateDir} (option state_dir): ${(err as Error).message}`);
    return 2;
  }
  let transport = createMailTransport(loaded.setup.mail);
  outbox.registerChannel(MAIL_CHANNEL, mailChannel(transport));

  const makeAgent = (l: Loaded) => {
    const a = l.setup.agent;
    return new DelegationAgent({
      connect: () => Pop3Client.connect({
        host: a.pop3Host, port: a.pop3Port, tls: a.pop3Tls, user: a.pop3User, password: a.pop3Password,
        ...(l.ca !== undefined ? { ca: l.ca } : {}),
      }),
      outbox,
      contacts: l.contacts,
      serverName: serverNameLookup({ enabled: a.resolveNames, servers: a.dnsServers }),
      from: l.setup.mail.from,
      log,
    });
  };
  let agent = makeAgent(loaded);
  const a = loaded.setup.agent;
  log('info', `agent: ${a.pop3User}@${a.pop3Host}:${a.pop3Port} (${a.pop3Tls}), ${loaded.contacts.size} known client(s), ` +
    `every ${a.pollInterval} s; outbox ${join(stateDir, 'outbox')}`);

  if (options.once) {
    const report = await agent.pollOnce();
    const { left } = await outbox.drain(30_000);
    if (left > 0) log('info', `${left} notice(s) stay in the outbox for the next run`);
    transport.close();
    return report.failure === null ? 0 : 1;
  }

  let stopping = false;
  let wake: (() => void) | null = null;
  let pendingReload = false;
  process.on('SIGHUP', () => { pendingReload = true; wake?.(); });
  const stop = () => { stopping = true; wake?.(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  while (!stopping) {
    if (pendingReload) {
      pendingReload = false;
      const next = load(options.file);
      if (next === null) {
        log('error', `reload refused, keeping the running configuration (see above)`);
      } else {
        if (next.setup.agent.stateDir !== stateDir) log('warn', 'option state_dir changed: it takes effect at the next start');
        loaded = next;
        transport.close();
        transport = createMailTransport(loaded.setup.mail);
        outbox.registerChannel(MAIL_CHANNEL, mailChannel(transport));
        agent = makeAgent(loaded);
        log('info', `configuration reloaded from ${options.file}; ${loaded.contacts.size} known client(s)`);
      }
    }
    await agent.pollOnce();
    if (stopping) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, loaded!.setup.agent.pollInterval * 1000);
      wake = () => { clearTimeout(timer); resolve(); };
    });
    wake = null;
  }
  log('info', 'stopping');
  const { left } = await outbox.drain(5000);
  if (left > 0) log('info', `${left} notice(s) stay in the outbox for the next start`);
  transport.close();
  return 0;
}
