// Every section type and option backsoon reads from /etc/config/backsoon, in one table. The
// validator takes kinds, defaults and ranges from here, and docs/CONFIG.md is generated from it
// (`backsoon config reference`), so the file, the checks and the manual cannot drift apart.
import type { Limits, ValueKind } from './values';

export interface OptionSpec extends Limits {
  readonly name: string;
  readonly kind: ValueKind;
  /** Read with `list NAME VALUE` (one item per line); `option NAME 'a b'` is read as two items. */
  readonly list?: true;
  readonly required?: true;
  /** Never echoed in messages (keys, passwords). */
  readonly secret?: true;
  /** path: must name an existing regular file when the configuration is checked (validate_data's file). */
  readonly exists?: 'file';
  /** UCI text of the default; absent: unset (null in the typed config) or computed. */
  readonly default?: string | readonly string[];
  /** Describes a default that depends on other options. */
  readonly defaultNote?: string;
  readonly doc: string;
}

export interface SectionSpec {
  readonly type: string;
  /** How the section is written, for the reference: `config server 'NAME'`. */
  readonly header: string;
  readonly multiple: boolean;
  readonly doc: string;
  readonly options: readonly OptionSpec[];
}

const seconds = (min: number, max: number) => ({ kind: 'duration' as const, min, max });

/** The SNMPv3 hash, cipher and their pass phrases, alike for users received from and targets sent to. */
function snmpV3Keys(docPrefix: '' | 'SNMPv3 '): OptionSpec[] {
  const say = (text: string) => docPrefix === '' ? text[0].toUpperCase() + text.slice(1) : docPrefix + text;
  return [
    { name: 'auth_protocol', kind: 'enum', values: ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'],
      defaultNote: 'sha when level needs a key', doc: say('authentication hash.') },
    { name: 'auth_key', kind: 'text', min: 8, secret: true, doc: say('authentication pass phrase, at least 8 characters.') },
    { name: 'priv_protocol', kind: 'enum', values: ['des', 'aes', 'aes256b', 'aes256r'],
      defaultNote: "aes with level 'authPriv'", doc: say('privacy (encryption) cipher.') },
    { name: 'priv_key', kind: 'text', min: 8, secret: true, doc: say('privacy pass phrase, at least 8 characters.') },
  ];
}

export const SCHEMA: readonly SectionSpec[] = [
  {
    type: 'backsoon',
    header: "config backsoon 'main'",
    multiple: false,
    doc: 'The daemon itself: where it listens, how it decides a server is down, and the sizes of its tables. ' +
      'Without this section every default below applies.',
    options: [
      { name: 'enabled', kind: 'bool', default: '1', doc: 'Run the daemon; 0 keeps it stopped.' },
      { name: 'interface', kind: 'iface', list: true, default: [],
        doc: 'Client-side network devices (Linux names as `ip link` shows them, such as br-lan, not UCI network names): ' +
          'ICMP unreachable, SYN, SYN/ACK and RST are read here. None: nothing is watched.' },
      { name: 'server_interface', kind: 'iface', list: true, default: [],
        doc: 'Server-side network devices: ARP requests and replies for servers on a directly attached segment are read here. ' +
          'None: no ARP detection; servers behind a gateway are judged by SYN silence and ICMP only.' },
      { name: 'router_address', kind: 'ip', list: true, default: [],
        doc: 'Further addresses (IPv4 or IPv6) whose ICMP destination-unreachable errors may mark a server down, besides ' +
          "the addresses of this host, which are always read from the kernel and kept current. An error from any other source " +
          "is a client's forgery: counted as forged, never acted on. For `backsoon replay --config`, the router's addresses in the capture." },
      { name: 'syn_timeout', ...seconds(1, 86400), default: '30',
        doc: "Seconds a client's SYN may wait for the SYN/ACK before its server counts as down." },
      { name: 'arp_retries', kind: 'uint', min: 1, max: 100, default: '3',
        doc: 'Unanswered ARP requests for a server before it counts as down.' },
      { name: 'icmp_code', kind: 'icmp_code', list: true, default: ['0', '1', '5', '6', '7', '11', '12'],
        doc: 'ICMP destination-unreachable codes (type 3) that mean "server down". 2, 3 and 4 come from a live host or a working ' +
          'path and are refused; 9, 10 and 13 to 15 are a firewall\'s refusal and draw a warning.' },
      { name: 'icmp6_code', kind: 'icmp6_code', list: true, default: ['0', '3'],
        doc: 'ICMPv6 destination-unreachable codes (type 1) that mean "server down": 0 no route, 3 address unreachable ' +
          '(neighbour discovery failed). 2, 4, 7 and 8 come from a live host or a working path and are refused; ' +
          '1, 5 and 6 are a firewall\'s refusal and draw a warning.' },
      { name: 'max_attempt_age', ...seconds(60, 31536000), default: '86400',
        doc: 'A client whose last attempt is older than this when the server returns is not told, and is purged.' },
      { name: 'purge_interval', ...seconds(1, 86400), default: '300',
        doc: 'Seconds between purges of attempts older than max_attempt_age.' },
      { name: 'hold', ...seconds(0, 86400), default: '0',
        doc: 'Flap damping: seconds a server must stay up before notices go out; 0 sends them at once.' },
      { name: 'confirm', kind: 'bool',
        defaultNote: 'unset: 1 for SNMPv1/v2c traps and SNMPv3 without authentication, 0 for SNMPv3 with authentication',
        doc: 'A recovery trap marks a server recovered only after one probe of it succeeds (a community is sent in clear ' +
          'and any client can send a trap); 1 for every trap, 0 for none. A trap that cannot be confirmed (the server has ' +
          'no usable probe) is not believed.' },
      { name: 'probe_interval', ...seconds(1, 86400), default: '10',
        doc: 'Seconds between active probes of a down server (see list probe of config server).' },
      { name: 'max_servers', kind: 'uint', min: 1, max: 65536, default: '1024',
        doc: 'Capacity of the table of down servers; also the most config server sections allowed.' },
      { name: 'max_links', kind: 'uint', min: 1, max: 4194304, default: '65536',
        doc: 'Capacity of the table of waiting clients (one entry per client and server); when full the oldest entry is evicted.' },
      { name: 'max_links_per_server', kind: 'uint', min: 1, max: 4194304, default: '8192',
        doc: 'Most waiting clients kept for one server, so one flooded server cannot starve the others; at most max_links.' },
      { name: 'max_pending_syns', kind: 'uint', min: 1, max: 4194304, default: '65536',
        doc: 'Capacity of the table of SYNs waiting for their SYN/ACK.' },
      { name: 'capture_buffer', kind: 'uint', min: 256, max: 262144, default: '4096',
        doc: 'Kernel capture buffer per interface, in KiB; a larger one rides out longer bursts without pcap drops (1 MiB dropped at 200k SYN/s in the lab, 4 MiB did not).' },
      { name: 'capture_batch_ms', kind: 'uint', min: 0, max: 1000, default: '10',
        doc: 'Milliseconds the kernel may hold captured packets to hand them to backsoon in one batch: one wake-up per batch ' +
          'instead of one per packet (a third of the CPU per packet under a flood). Every detection happens up to this much later; ' +
          '0 hands over each packet at once.' },
      { name: 'max_contacts', kind: 'uint', min: 1, max: 1048576, default: '65536',
        doc: 'Capacity of the table of client mail addresses (config contact sections and addresses left on the stand-in page).' },
      { name: 'require_contact', kind: 'bool', default: '0',
        doc: 'Register only clients whose mail address is known.' },
      { name: 'state_dir', kind: 'path', default: '/etc/backsoon',
        doc: 'Directory for the state snapshot and the outbox, kept across restarts.' },
      { name: 'snapshot_interval', ...seconds(5, 86400), default: '60',
        doc: 'Least seconds between two writes of the state snapshot; routers write to flash, so not below 5.' },
      { name: 'control_socket', kind: 'path', default: '/var/run/backsoon.sock',
        doc: 'Unix socket that `backsoon status` talks to (root only).' },
      { name: 'ubus_socket', kind: 'path', default: '/var/run/ubus/ubus.sock',
        doc: "ubusd's socket, where backsoon registers object backsoon (`ubus call backsoon status`, LuCI) and sends its events " +
          '(docs/UBUS.md). When no socket is there at start or reload, ubus stays off and the log says so; once connected, ' +
          'backsoon reconnects by itself after ubusd restarts.' },
      { name: 'log_level', kind: 'enum', values: ['error', 'warn', 'info', 'debug'], default: 'info',
        doc: 'Least severity written to the log.' },
      { name: 'policy', kind: 'path', exists: 'file',
        doc: 'A JavaScript policy file that decides on notices (run in a sandbox). Unset: every notice is sent.' },
      { name: 'policy_budget', ...seconds(1, 3600), default: '5',
        doc: "Seconds the policy may delay the notices of one recovery, all its clients together; the clients left when they are " +
          "spent are told with backsoon's defaults (docs/POLICY.md)." },
      { name: 'metrics_listen', kind: 'listen',
        doc: 'ADDRESS:PORT of the Prometheus metrics listener, such as 127.0.0.1:9100. Unset: no listener.' },
    ],
  },
  {
    type: 'watch',
    header: 'config watch',
    multiple: true,
    doc: 'Networks whose servers are watched, and networks whose clients are. Several sections add up. Without any network, ' +
      'every server a client fails to reach is watched.',
    options: [
      { name: 'network', kind: 'prefix', list: true, default: [],
        doc: 'A network such as 198.51.100.0/24 or 2001:db8:1::/64 (host bits zero), or a single address of either family.' },
      { name: 'client_network', kind: 'prefix', list: true, default: [],
        defaultNote: "the networks of the client-side devices (list interface) as the kernel has them, followed as they change, of both families, link-local (fe80::/10) left out; none known (replay): every client",
        doc: 'A client network, IPv4 or IPv6, such as 192.168.1.0/24 or fd00:1::/64 (host bits zero). Only a client inside one is ' +
          'ever registered as waiting: a SYN from a forged source elsewhere is dropped and counted (refused_off_network), ' +
          'so it cannot push real clients out of a full table.' },
    ],
  },
  {
    type: 'server',
    header: "config server 'NAME'",
    multiple: true,
    doc: 'A server known in advance: its name for notices, how its recovery is seen, and who sends its notices. ' +
      'Servers not listed here are still watched, with defaults.',
    options: [
      { name: 'address', kind: 'ip', required: true,
        doc: "The server's IPv4 or IPv6 address; one section per address (a dual-stack server is two sections with the same name)." },
      { name: 'name', kind: 'text', max: 253, defaultNote: 'the section name; the address for an anonymous section',
        doc: 'Host name shown in notices. Two sections with the same name, one IPv4 and one IPv6 address, are one dual-stack server: ' +
          'each address is watched on its own, but when one recovers the other recovers with it, and a client that tried ' +
          'both (one device, by its MAC) gets one notice.' },
      { name: 'agent_address', kind: 'ip', list: true, default: [],
        doc: 'Further source addresses whose SNMP traps speak for this server (a management card, a hypervisor).' },
      { name: 'notify', kind: 'enum', list: true, values: ['direct', 'server', 'nms'], default: ['direct'],
        doc: "Who tells the clients: direct (backsoon mails them), server (a list of clients is mailed to the server's own " +
          'notifier at mailbox), nms (the list goes to the management station, option nms of config mail).' },
      { name: 'mailbox', kind: 'mail', doc: "Mail address of the server's own notifier; needed by notify 'server'." },
      { name: 'probe', kind: 'probe', list: true, default: [],
        doc: 'Active probes while the server is down, every probe_interval: arp (ARP request), neigh (let the kernel ' +
          'probe its neighbour entry), tcp:PORT (connect). None: recovery is seen from traffic and SNMP traps only.' },
      { name: 'standin', kind: 'bool', default: '0',
        doc: 'While the server is down, answer its web port(s) with a page that collects mail addresses.' },
      { name: 'standin_port', kind: 'port', list: true, default: ['80'], doc: 'TCP ports the stand-in answers.' },
    ],
  },
  {
    type: 'contact',
    header: 'config contact',
    multiple: true,
    doc: 'A client whose mail address is known in advance. Give client or mac, not both.',
    options: [
      { name: 'client', kind: 'ipv4', doc: "The client's IPv4 address." },
      { name: 'mac', kind: 'mac', doc: "The client's MAC address, such as 02:00:5e:10:00:01 (for clients whose IPv4 address changes)." },
      { name: 'mail', kind: 'mail', required: true, doc: 'Where its recovery notices go.' },
    ],
  },
  {
    type: 'mail',
    header: 'config mail',
    multiple: false,
    doc: 'The SMTP server that carries the notices. Without this section no mail is sent.',
    options: [
      { name: 'host', kind: 'host', required: true, doc: 'SMTP server host name, IPv4 or IPv6 address.' },
      { name: 'port', kind: 'port', defaultNote: "25; 465 with tls 'tls'; 587 with tls 'starttls' and a user",
        doc: 'SMTP port.' },
      { name: 'tls', kind: 'enum', values: ['none', 'starttls', 'tls'], default: 'none',
        doc: 'none (plain), starttls (upgrade after connecting), tls (TLS from the start).' },
      { name: 'user', kind: 'text', doc: 'SMTP AUTH user name; give password too.' },
      { name: 'password', kind: 'text', secret: true, doc: 'SMTP AUTH password; give user too.' },
      { name: 'from', kind: 'mail', defaultNote: "backsoon@ followed by the router's host name",
        doc: 'Sender address of the notices.' },
      { name: 'helo', kind: 'host', defaultNote: "the router's host name", doc: 'Name given in HELO/EHLO (a host name or IPv4 address).' },
      { name: 'nms', kind: 'mail', doc: "Mailbox of the network management station, for servers with notify 'nms'." },
    ],
  },
  {
    type: 'snmp',
    header: 'config snmp',
    multiple: false,
    doc: 'The SNMP trap receiver: a trap from a server (or one of its agent_address) marks it recovered. ' +
      'Without this section no trap receiver runs.',
    options: [
      { name: 'enabled', kind: 'bool', default: '1', doc: 'Run the trap receiver.' },
      { name: 'listen', kind: 'ip', default: '0.0.0.0',
        doc: 'Address to bind; 0.0.0.0 is every address of both families (IPv6 too, where the host has it), :: likewise.' },
      { name: 'port', kind: 'port', default: '162', doc: 'UDP port.' },
      { name: 'community', kind: 'text', list: true, max: 255, default: [],
        doc: 'SNMPv1/v2c communities accepted. None: v1/v2c traps are refused. Choose one nobody guesses, not public.' },
      { name: 'nms_address', kind: 'ip', list: true, default: [],
        doc: 'Management stations that forward the servers\' traps: from these only, the SNMPv1 agent-addr field or the ' +
          'snmpTrapAddress.0 varbind names the server. From any other source those fields are ignored.' },
      { name: 'recovery_trap', kind: 'oid', list: true, default: [],
        doc: 'Numeric OIDs of further traps that mean "I am back", besides coldStart, warmStart and linkUp.' },
    ],
  },
  {
    type: 'snmp_user',
    header: 'config snmp_user',
    multiple: true,
    doc: 'An SNMPv3 user whose traps are accepted. The keys required depend on level.',
    options: [
      { name: 'name', kind: 'text', required: true, max: 32, doc: 'USM user name.' },
      { name: 'level', kind: 'enum', required: true, values: ['noAuthNoPriv', 'authNoPriv', 'authPriv'],
        doc: 'noAuthNoPriv (no keys), authNoPriv (auth_key), authPriv (auth_key and priv_key).' },
      ...snmpV3Keys(''),
    ],
  },
  // ---- delegation and outbound notifications (docs/DELEGATION.md, docs/WEBHOOKS.md, docs/MIB.md) ----
  {
    type: 'webhook',
    header: 'config webhook',
    multiple: true,
    doc: 'An HTTP endpoint that receives a signed JSON POST on the events listed (docs/WEBHOOKS.md). ' +
      'Failed POSTs are retried through the outbox.',
    options: [
      { name: 'url', kind: 'text', required: true, max: 2048,
        doc: 'http:// or https:// URL the events are POSTed to; one section per URL.' },
      { name: 'secret', kind: 'text', secret: true, min: 16, max: 1024,
        doc: 'Key of the X-Backsoon-Signature HMAC-SHA256, at least 16 characters. Unset: requests are not signed.' },
      { name: 'event', kind: 'enum', list: true, values: ['down', 'recovered', 'notify', 'expired'], default: ['down', 'recovered', 'expired'],
        doc: 'Events posted: down (a server went down), recovered (it is back, with the waiting clients), ' +
          'notify (one POST per waiting client told), expired (an outage ended without a recovery: a full server table pushed it out).' },
      { name: 'timeout', ...seconds(1, 300), default: '10',
        doc: 'Seconds one POST may take; a slower answer counts as a failed attempt and is retried.' },
    ],
  },
  {
    type: 'snmp_out',
    header: 'config snmp_out',
    multiple: false,
    doc: "Settings of the traps backsoon sends to the config trap_target sections (BACKSOON-MIB, docs/MIB.md).",
    options: [
      { name: 'enterprise_oid', kind: 'oid', default: '1.3.6.1.4.1.32473',
        doc: 'OID of the BACKSOON-MIB module; every trap and object hangs under it. The default uses 32473, the ' +
          'enterprise number reserved for documentation (RFC 5612): a deployment should put its own enterprise ' +
          'number here and in the MODULE-IDENTITY line of BACKSOON-MIB.txt.' },
      { name: 'engine_id', kind: 'text', min: 10, max: 64,
        defaultNote: 'derived from enterprise_oid and the router\'s host name',
        doc: 'snmpEngineID of SNMPv3 traps, in hex (5 to 32 octets); the receiver needs it for createUser -e.' },
      { name: 'inform_timeout', ...seconds(1, 60), default: '5',
        doc: 'Seconds an inform waits for its acknowledgement before the attempt counts as failed (and is retried).' },
    ],
  },
  {
    type: 'trap_target',
    header: 'config trap_target',
    multiple: true,
    doc: 'A management station that receives a trap or inform when a server goes down and when it is back.',
    options: [
      { name: 'address', kind: 'host', required: true, doc: 'Host name, IPv4 or IPv6 address of the receiver (a host name is looked up for IPv4).' },
      { name: 'port', kind: 'port', default: '162', doc: 'UDP port of the receiver.' },
      { name: 'version', kind: 'enum', values: ['2c', '3'], default: '2c', doc: 'SNMP version.' },
      { name: 'community', kind: 'text', max: 255, default: 'public', doc: 'SNMPv2c community.' },
      { name: 'inform', kind: 'bool', default: '0',
        doc: 'Send informs (acknowledged, retried while the receiver does not answer) instead of traps.' },
      { name: 'event', kind: 'enum', list: true, values: ['down', 'recovered', 'expired'], default: ['down', 'recovered', 'expired'],
        doc: 'Events sent: down (backsoonServerDown), recovered (backsoonServerRecovered), expired (backsoonOutageExpired: ' +
          'an outage ended without a recovery, pushed out of a full server table).' },
      { name: 'user', kind: 'text', max: 32, doc: 'SNMPv3 USM user name; required with version 3.' },
      { name: 'level', kind: 'enum', values: ['noAuthNoPriv', 'authNoPriv', 'authPriv'], default: 'authPriv',
        doc: 'SNMPv3 security level.' },
      ...snmpV3Keys('SNMPv3 '),
    ],
  },
  {
    type: 'agent',
    header: 'config agent',
    multiple: false,
    doc: '`backsoon agent` (on a recovered server, P13, or a management station, P14): the POP3 mailbox it reads ' +
      'the router\'s lists of clients from. It mails the notices through config mail and finds addresses in the ' +
      'config contact sections and map_file (docs/DELEGATION.md).',
    options: [
      { name: 'pop3_host', kind: 'host', required: true, doc: 'POP3 server host name, IPv4 or IPv6 address.' },
      { name: 'pop3_port', kind: 'port', defaultNote: "110; 995 with pop3_tls 'tls'", doc: 'POP3 port.' },
      { name: 'pop3_tls', kind: 'enum', values: ['none', 'starttls', 'tls'], default: 'starttls',
        doc: 'none (plain), starttls (STLS after connecting), tls (TLS from the start).' },
      { name: 'pop3_user', kind: 'text', required: true, max: 255, doc: 'POP3 user name.' },
      { name: 'pop3_password', kind: 'text', required: true, secret: true, max: 255, doc: 'POP3 password.' },
      { name: 'pop3_ca', kind: 'path',
        doc: "PEM file of the CA that signed the POP3 server's certificate (a private CA). Unset: the system's CAs." },
      { name: 'poll_interval', ...seconds(5, 86400), default: '60', doc: 'Seconds between two looks into the mailbox.' },
      { name: 'state_dir', kind: 'path', default: '/var/lib/backsoon-agent',
        doc: "Directory of the agent's outbox (notices waiting to be sent), kept across restarts." },
      { name: 'map_file', kind: 'path',
        doc: 'A file of `ADDRESS MAIL` lines (# starts a comment), read besides the config contact sections.' },
      { name: 'resolve_names', kind: 'bool', default: '1',
        doc: "Look up the server's host name by reverse DNS for the notices; when that fails, the name the router " +
          'sent, else the address.' },
      { name: 'dns_server', kind: 'text', list: true, default: [], max: 21,
        doc: 'DNS servers for the reverse lookups, ADDRESS or ADDRESS:PORT. None: the system\'s.' },
    ],
  },
  // ---- the stand-in for down servers (read by standin/config.ts; docs/STANDIN.md) ----
  {
    type: 'standin',
    header: 'config standin',
    multiple: false,
    doc: "The page that answers for a down server with option standin '1' (P11, P12): new connections to its " +
      'standin_port are redirected by the nftables table inet backsoon to a listener on the router, one listener port ' +
      'per down server. Without this section every default below applies.',
    options: [
      { name: 'listen', kind: 'ipv4', default: '0.0.0.0',
        doc: 'Address the page listeners bind; 0.0.0.0 (every address) binds :: for IPv4 and IPv6 alike. Redirected connections ' +
          'arrive at the address of the interface they came in on; the table admits only redirected connections to the listener ports.' },
      { name: 'listen_port', kind: 'port', default: '8480', doc: 'First port of the listener range.' },
      { name: 'listen_ports', kind: 'uint', min: 1, max: 1024, default: '64',
        doc: 'Ports in the listener range: the most servers stood in for at once. A server that finds none free is not stood in for (counted).' },
      { name: 'reset_https', kind: 'bool', default: '1',
        doc: 'Answer new connections to the reset_port ports of a stood-in server with a TCP reset, so browsers fail at once ' +
          'instead of waiting; HTTPS cannot be stood in for without the server\'s certificate.' },
      { name: 'reset_port', kind: 'port', list: true, default: ['443'], doc: 'Ports reset while reset_https is 1.' },
      { name: 'reask_after', ...seconds(0, 315360000), default: '2592000',
        doc: 'A mail address left on the page longer ago than this is asked for again (P11); 0 asks every time. ' +
          'Addresses from config contact are never asked for again.' },
      { name: 'registration_conflict', kind: 'enum', values: ['refuse', 'keep_both'], default: 'refuse',
        doc: 'A registration on the page for an address that another device (another MAC) registered, or was seen waiting from: ' +
          "'refuse' it (a client that takes over another's address cannot take its notices), or 'keep_both': the earlier one " +
          'stays by the address, the new one is kept by its own MAC. A contact from config contact is never replaced either way.' },
      { name: 'max_body', kind: 'uint', min: 256, max: 65536, default: '4096', doc: 'Largest form post in bytes; larger ones get 413.' },
      { name: 'max_connections', kind: 'uint', min: 1, max: 65535, default: '512',
        doc: 'Open connections over all listeners. When they are all taken, the oldest connection still sending its request, of a ' +
          'client that holds more than the newcomer, is closed to make room (slowloris), so a client with few connections is always served.' },
      { name: 'max_client_connections', kind: 'uint', min: 1, max: 65535, default: '32', doc: 'Open connections from one client address.' },
      { name: 'max_network_connections', kind: 'uint', min: 1, max: 65535, default: '256',
        doc: 'Open connections from one /24 (IPv4) or /64 (IPv6) network, so another network cannot take every connection; made room for ' +
          'as max_connections is.' },
      { name: 'header_timeout', ...seconds(1, 300), default: '10',
        doc: 'Seconds a client may take to send its request headers (slow clients are cut off); at most request_timeout.' },
      { name: 'request_timeout', ...seconds(1, 600), default: '20', doc: 'Seconds a client may take to send its whole request.' },
      { name: 'client_posts', kind: 'uint', min: 1, max: 100000, default: '10',
        doc: 'Form posts one client address may make in 10 minutes; more get 429.' },
      { name: 'address_registrations', kind: 'uint', min: 1, max: 100000, default: '3',
        doc: 'Registrations of one mail address (from any client) in 24 hours; more get 429, so the form cannot be used to flood someone\'s mailbox.' },
      { name: 'languages_dir', kind: 'path',
        doc: 'Directory of further page languages as LANG.json message catalogs (docs/STANDIN.md). Unset: English and Japanese only.' },
    ],
  },
];

export function sectionSpec(type: string): SectionSpec | undefined {
  return SCHEMA.find((s) => s.type === type);
}

export function optionSpec(section: SectionSpec, name: string): OptionSpec | undefined {
  return section.options.find((o) => o.name === name);
}
