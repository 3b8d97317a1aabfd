// The LuCI pages, loaded the way LuCI loads a view (the 'require NAME [as ALIAS]' lines name
// the function's parameters, the file is the function's body) with stand-ins for LuCI's
// modules: there is no browser and no LuCI here. The stand-ins record what the view asks for;
// what they return is plain data (E() builds {tag, attrs, children}).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vm from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SCHEMA, type OptionSpec } from '../../src/config/schema';
import { PARSERS } from '../../src/config/values';
import type { StatusReport } from '../../src/control/status';
import { METHODS, OBJECT_PATH } from '../../src/ubus/backsoon-object';
import { FILES, LUCI, sampleReport } from './board-helpers';

const VIEWS = join(LUCI, 'htdocs/luci-static/resources/view');
const STATUS_VIEW = join(VIEWS, 'backsoon/status.js');
const SETTINGS_VIEW = join(VIEWS, 'backsoon/settings.js');

// ---- a LuCI-like loader ----------------------------------------------------------------------

interface Node { tag: string; attrs: Record<string, unknown>; children: unknown[] }

const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && 'tag' in x && 'children' in x;
const flat = (x: unknown): unknown[] => (x == null ? [] : Array.isArray(x) ? x.flatMap(flat) : [x]);

/** Stand-in for LuCI's E(tag, [attrs], [children]). */
function E(tag: string, a?: unknown, b?: unknown): Node {
  const attrsGiven = typeof a === 'object' && a !== null && !Array.isArray(a) && !isNode(a);
  return { tag, attrs: attrsGiven ? (a as Record<string, unknown>) : {}, children: flat(attrsGiven ? b : a) };
}

function text(x: unknown): string {
  if (isNode(x)) return x.children.map(text).join(' ');
  if (Array.isArray(x)) return x.map(text).join(' ');
  return x == null ? '' : String(x);
}

function find(x: unknown, tag: string): Node[] {
  if (Array.isArray(x)) return x.flatMap((c) => find(c, tag));
  if (!isNode(x)) return [];
  return [...(x.tag === tag ? [x] : []), ...x.children.flatMap((c) => find(c, tag))];
}

/** The data rows of a table, cell texts; the placeholder row reads as [placeholder]. */
const rows = (table: Node) => find(table, 'tr').slice(1).map((tr) => find(tr, 'td').map(text));

// LuCI's String.prototype.format, for the two conversions the views use.
const FORMAT = `String.prototype.format = function() {
  var args = arguments, i = 0;
  return this.replace(/%([sd%])/g, function(_m, c) {
    if (c === '%') return '%';
    if (i >= args.length) throw new Error('format: too few arguments for ' + JSON.stringify(String(this)));
    var v = args[i++];
    return c === 'd' ? String(parseInt(v, 10)) : String(v);
  }.bind(this));
};`;

function loadView(file: string, modules: Record<string, unknown>): Record<string, unknown> {
  const source = readFileSync(file, 'utf8');
  const names = [...source.matchAll(/^'require ([\w.]+)(?: as (\w+))?';$/gm)].map((m) => m[2] ?? m[1].split('.').pop()!);
  for (const name of names) assert.ok(name in modules, `${file} requires '${name}', which this test has no stand-in for`);
  const context = vm.createContext({ E, _: (s: string) => s, N_: (_n: number, s: string) => s, console });
  vm.runInContext(FORMAT, context);
  const factory = vm.runInContext(`(function (${names.join(', ')}) {\n${source}\n})`, context, { filename: file }) as
    (...args: unknown[]) => Record<string, unknown>;
  return factory(...names.map((n) => modules[n]));
}

/** Stand-in for LuCI's rpc: declare() records the call and answers with `answer(method)`. */
function rpcStandIn(answer: (method: string) => Promise<unknown>) {
  const declared: Record<string, unknown>[] = [];
  const rpc = {
    declare: (opts: Record<string, unknown>) => { declared.push(opts); return () => answer(String(opts.method)); },
    // LuCI's texts for the ubus status codes the views may meet.
    getStatusText: (code: number) => ({ 4: 'Object not found', 6: 'Permission denied' } as Record<number, string>)[code] ?? 'Unknown error',
  };
  return { rpc, declared };
}

// ---- the status page -------------------------------------------------------------------------

function statusView() {
  const polls: { fn: () => Promise<unknown>; interval: number }[] = [];
  let answer: () => Promise<unknown> = () => Promise.resolve(sampleReport());
  const { rpc, declared } = rpcStandIn(() => answer());
  const modules = {
    view: { extend: (o: object) => o },
    rpc,
    poll: { add: (fn: () => Promise<unknown>, interval: number) => { polls.push({ fn, interval }); } },
    dom: { content: (node: Node, children: unknown) => { node.children = flat(children); } },
  };
  const view = loadView(STATUS_VIEW, modules) as {
    load(): Promise<unknown>; render(r: unknown): Node;
    handleSave: unknown; handleSaveApply: unknown; handleReset: unknown;
  };
  return { view, declared, polls, answerWith: (f: () => Promise<unknown>) => { answer = f; } };
}

const clock = (t: number) => new Date(t * 1000).toLocaleString();

test('status: asks ubus object backsoon for status, a method the daemon registers', () => {
  const { declared } = statusView();
  assert.equal(declared.map((d) => [d.object, d.method]), [['backsoon', 'status']]);
  assert.is(OBJECT_PATH, 'backsoon');
  assert.ok((METHODS as readonly string[]).includes('status'));
});

test('status: down servers with since and cause, their waiting clients, outbox, capture drops', async () => {
  const { view } = statusView();
  const report = await view.load() as StatusReport;
  const page = view.render(report);
  const tables = find(page, 'table');
  assert.is(tables.length, 4);
  const [servers, clients, outbox, captures] = tables;
  assert.equal(rows(servers), [
    ['198.51.100.10', 'down', `${clock(report.now - 600)} (10 min ago)`, 'connection attempts went unanswered', '2'],
    ['198.51.100.20', 'back, notices in 45 s', `${clock(report.now - 3600)} (1 h 0 min ago)`, 'the router answered "destination unreachable"', '1'],
  ]);
  assert.equal(rows(clients), [
    ['198.51.100.10', '192.0.2.5', '02:00:5e:10:00:05', clock(report.now - 590), `${clock(report.now - 60)} (1 min ago)`],
    ['198.51.100.10', '192.0.2.6', '-', clock(report.now - 300), `${clock(report.now - 300)} (5 min ago)`],
    ['198.51.100.20', '192.0.2.7', '-', clock(report.now - 3500), `${clock(report.now - 3400)} (56 min ago)`],
  ]);
  assert.equal(rows(outbox), [['11', '1', '37', '2', '5']]);
  assert.equal(rows(captures), [['br-lan', 'clients', '123456', '17', '3'], ['br-dmz', 'servers', '9876', '0', '0']]);
  const all = text(page);
  assert.match(all, /backsoon 0\.1\.0, process 4242, running for 2 h 0 min, configuration \/etc\/config\/backsoon\./);
  assert.match(all, /Down servers 2 of 1024, waiting clients 3 of 65536, SYNs awaiting an answer 9 of 65536, known contacts 2\./);
  // A status page: no Save buttons.
  assert.is(view.handleSave, null);
  assert.is(view.handleSaveApply, null);
  assert.is(view.handleReset, null);
});

test('status: no outage reads as such, and a long list of clients is cut with a count', () => {
  const { view } = statusView();
  const calm = { ...sampleReport(), outages: [], waitingClients: 0 };
  const [servers, clients] = find(view.render(calm), 'table');
  assert.equal(rows(servers), [['No server is down.']]);
  assert.equal(rows(clients), [['No client is waiting.']]);

  const crowd = sampleReport();
  crowd.outages = [{ ...crowd.outages[0], clients: Array.from({ length: 53 }, (_, i) => ({ client: `192.0.2.${i + 1}`, firstAttempt: crowd.now - 10, lastAttempt: crowd.now - 5 })) }];
  const listed = rows(find(view.render(crowd), 'table')[1]);
  assert.is(listed.length, 51);
  assert.equal(listed[50], ['198.51.100.10', 'and 3 more (backsoon status --json lists all)', '', '', '']);
});

test('status: a reply cut to fit one ubus message counts the clients and servers it left out', () => {
  const { view } = statusView();
  const cut = sampleReport() as StatusReport & { outagesOmitted?: number };
  (cut.outages[0] as { clientsOmitted?: number }).clientsOmitted = 120;
  cut.outagesOmitted = 7;
  const [servers, clients] = find(view.render(cut), 'table');
  assert.is(rows(servers)[0][4], '122');
  assert.equal(rows(servers)[2], ['and 7 more servers (backsoon status --json lists all)', '', '', '', '']);
  assert.equal(rows(clients)[2], ['198.51.100.10', 'and 120 more (backsoon status --json lists all)', '', '', '']);
});

test('status: polls every 5 s and redraws; a daemon that is not on ubus shows the reason', async () => {
  const { view, polls, answerWith } = statusView();
  const page = view.render(sampleReport());
  assert.equal(polls.map((p) => p.interval), [5]);
  assert.is(find(page, 'table').length, 4);

  // LuCI hands over the bare ubus status when a call has no data: 4, no such object.
  answerWith(() => Promise.resolve(4));
  await polls[0].fn();
  assert.is(find(page, 'table').length, 0);
  assert.match(text(page), /backsoon is not running, or does not answer\. ubus object backsoon: Object not found/);

  answerWith(() => Promise.resolve(sampleReport()));
  await polls[0].fn();
  assert.is(find(page, 'table').length, 4);
});

test('status: a failed ubus call (no permission, rpcd not reloaded) is shown, not thrown', async () => {
  const { view, answerWith } = statusView();
  answerWith(() => Promise.reject(new Error('Access denied')));
  const report = await view.load();
  assert.equal(JSON.parse(JSON.stringify(report)), { error: 'Access denied' });
  assert.match(text(view.render(report)), /not running, or does not answer\. Access denied/);
});

// ---- the settings page -----------------------------------------------------------------------

class FormOption {
  values: [string, string][] = [];
  [property: string]: unknown;
  constructor(readonly widget: string, readonly name: string, readonly tab: string | null) {}
  value(key: string, label: string) { this.values.push([key, label]); }
}

class FormSection {
  readonly options: FormOption[] = [];
  readonly tabs: string[] = [];
  [property: string]: unknown;
  constructor(readonly kind: string, readonly type: string) {}
  tab(name: string) { this.tabs.push(name); }
  option(widget: { widget: string }, name: string) {
    const o = new FormOption(widget.widget, name, null);
    this.options.push(o);
    return o;
  }
  taboption(tab: string, widget: { widget: string }, name: string) {
    assert.ok(this.tabs.includes(tab), `option ${name}: tab '${tab}' was not declared with s.tab()`);
    const o = new FormOption(widget.widget, name, tab);
    this.options.push(o);
    return o;
  }
}

async function settingsView(answers: Record<string, () => Promise<unknown>> = {}) {
  const maps: { config: string; sections: FormSection[] }[] = [];
  class Map {
    readonly sections: FormSection[] = [];
    constructor(readonly config: string) { maps.push(this); }
    section(kind: { widget: string }, ...args: string[]) {
      const s = new FormSection(kind.widget, kind.widget === 'NamedSection' ? args[1] : args[0]);
      if (kind.widget === 'NamedSection') s.sectionName = args[0];
      this.sections.push(s);
      return s;
    }
    render() { return Promise.resolve(E('div', { 'class': 'cbi-map' }, 'the form')); }
  }
  const widget = (name: string) => ({ widget: name });
  const form = {
    Map, NamedSection: widget('NamedSection'), TypedSection: widget('TypedSection'), Value: widget('Value'), Flag: widget('Flag'),
    ListValue: widget('ListValue'), MultiValue: widget('MultiValue'), DynamicList: widget('DynamicList'),
  };
  const { rpc, declared } = rpcStandIn((method) => (answers[method] ?? (() => Promise.resolve(sampleReport())))());
  const dom = { content: (node: Node, children: unknown) => { node.children = flat(children); } };
  const view = loadView(SETTINGS_VIEW, { view: { extend: (o: object) => o }, form, rpc, dom, widgets: { DeviceSelect: widget('DeviceSelect') } }) as
    { load(): Promise<unknown>; render(report: unknown): Promise<Node> };
  const page = await view.render(await view.load());
  assert.is(maps.length, 1);
  assert.is(find(page, 'div').filter((d) => d.attrs.class === 'cbi-map').length, 1, 'the form is on the page');
  return { map: maps[0], page, declared };
}

// Every LuCI datatype the form may use; all are in luci-base's validation.js.
const LUCI_DATATYPES = ['range', 'port', 'rangelength', 'ip4addr', 'cidr4', 'ipaddr', 'cidr', 'macaddr', 'host', 'or'];

// Values for the options checked by the view's own functions; each answer must match the
// daemon's parser for that kind.
const SAMPLES: Record<string, string[]> = {
  mail: ['admin@example.org', 'a.b+c@mail.example.org', 'x@[192.0.2.1]', 'nope', 'a@b@example.org', 'a b@example.org',
    '.a@example.org', 'a..b@example.org', 'a@-bad-.org', 'a@', '@example.org', 'x@[300.1.1.1]', `${'l'.repeat(65)}@example.org`],
  oid: ['1.3.6.1.4.1.8072.4.0.1', '.1.3.6.1', '1', '3.1', 'sysUpTime', '1.3.06', '1.3.4294967296', '1..3', '2.999'],
  probe: ['arp', 'neigh', 'tcp:443', 'tcp:65535', 'tcp:000443', 'tcp:0', 'tcp:65536', 'tcp:', 'icmp', 'ARP'],
  listen: ['127.0.0.1:9100', '0.0.0.0:9100', '127.0.0.1', '127.0.0.1:0', '[::1]:9100', 'localhost:9100', '127.0.0.01:9100'],
  path: ['/etc/backsoon', 'etc/backsoon', '/', './x'],
};

function expectedWidget(opt: OptionSpec): string {
  // A bool without a default has a third state, unset, which a checkbox cannot write.
  if (opt.kind === 'bool') return opt.default === undefined ? 'ListValue' : 'Flag';
  if (opt.kind === 'iface') return 'DeviceSelect';
  if (opt.kind === 'enum' || opt.kind === 'icmp_code' || opt.kind === 'icmp6_code') return opt.list ? 'MultiValue' : 'ListValue';
  return opt.list ? 'DynamicList' : 'Value';
}

function expectedDatatype(opt: OptionSpec): string | undefined {
  switch (opt.kind) {
    case 'uint': case 'duration': return `range(${opt.min},${opt.max})`;
    case 'port': return 'port';
    case 'text': return `rangelength(${opt.min ?? 1},${opt.max ?? 255})`;
    case 'ipv4': return 'ip4addr("nomask")';
    case 'ip': return 'ipaddr("nomask")';
    case 'prefix': return 'or(cidr4,ip4addr("nomask"))';
    case 'ipprefix': return 'or(cidr,ipaddr("nomask"))';
    case 'mac': return 'macaddr';
    case 'host': return 'host(1)';
    default: return undefined;
  }
}

function checkOption(type: string, opt: OptionSpec, o: FormOption): void {
  const where = `${type}.${opt.name}`;
  assert.is(o.widget, expectedWidget(opt), `${where}: widget`);
  assert.is(o.datatype, expectedDatatype(opt), `${where}: datatype`);
  if (typeof o.datatype === 'string') {
    // The names in the expression, quoted arguments and numbers left out.
    for (const fn of o.datatype.replace(/"[^"]*"|'[^']*'/g, '').match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      assert.ok(LUCI_DATATYPES.includes(fn), `${where}: '${fn}' is not a LuCI datatype`);
    }
  }
  if (opt.kind in SAMPLES) {
    assert.type(o.validate, 'function', `${where}: needs a check of its own`);
    const validate = o.validate as (sid: string, v: string) => unknown;
    assert.is(validate('cfg01', ''), true, `${where}: empty means unset`);
    for (const sample of SAMPLES[opt.kind]) {
      const daemon = PARSERS[opt.kind](sample, opt).ok;
      assert.is(validate('cfg01', sample) === true, daemon, `${where}: '${sample}' is ${daemon ? 'accepted' : 'refused'} by the daemon`);
    }
  }
  if (opt.kind === 'bool' && opt.default === undefined) {
    assert.equal(o.values.map(([k]) => k), ['', '1', '0'], `${where}: unset, 1 or 0`);
    assert.is(o.default, undefined, `${where}: unset by default`);
  } else if (opt.kind === 'bool') {
    assert.is(o.default, opt.default, `${where}: default`);
    assert.is(o.rmempty, false, `${where}: written as 0 or 1`);
  } else if (opt.kind === 'enum') {
    assert.equal(o.values.map(([k]) => k), [...(opt.values ?? [])], `${where}: choices`);
    assert.is(o.default, Array.isArray(opt.default) ? opt.default.join(' ') : opt.default, `${where}: default`);
  } else if (opt.kind === 'icmp_code' || opt.kind === 'icmp6_code') {
    const usable = Array.from({ length: 16 }, (_, c) => String(c)).filter((c) => PARSERS[opt.kind](c, opt).ok);
    assert.equal(o.values.map(([k]) => k), usable, `${where}: choices are the codes the daemon accepts`);
  } else if (opt.kind === 'iface') {
    assert.is(o.multiple, opt.list === true, `${where}: several devices`);
  } else if (opt.default !== undefined) {
    // The default is shown greyed, not written into the file.
    const shown = Array.isArray(opt.default) ? opt.default[0] : opt.default;
    assert.is(o.placeholder, shown, `${where}: placeholder`);
    assert.is(o.default, undefined, `${where}: default not written`);
  }
  assert.is(o.password === true, opt.secret === true, `${where}: hidden while typed`);
  if (opt.required) assert.is(o.rmempty, false, `${where}: required`);
}

test('settings: one map on /etc/config/backsoon with the daemon, networks, servers, contacts, mail and SNMP', async () => {
  const { map } = await settingsView();
  assert.is(map.config, 'backsoon');
  assert.equal(map.sections.map((s) => [s.kind, s.type]), [
    ['NamedSection', 'backsoon'], ['TypedSection', 'watch'], ['TypedSection', 'server'],
    ['TypedSection', 'contact'], ['TypedSection', 'mail'], ['TypedSection', 'snmp'],
  ]);
  const [main, , servers, contacts, mail, snmp] = map.sections;
  assert.is(main.sectionName, 'main');
  assert.is(main.addremove, false);
  // Servers are named (the name shows in notices); the others are anonymous.
  assert.is(servers.anonymous, false);
  for (const s of map.sections.slice(1)) assert.is(s.addremove, true, `${s.type}: entries can be added and removed`);
  for (const s of [contacts, mail, snmp]) assert.is(s.anonymous, true, `${s.type}: anonymous`);
});

test('settings: every option of each section shown, typed and checked as the daemon reads it', async () => {
  const { map } = await settingsView();
  for (const section of map.sections) {
    const spec = SCHEMA.find((s) => s.type === section.type);
    assert.ok(spec, `no schema section '${section.type}'`);
    assert.equal(section.options.map((o) => o.name).sort(), spec.options.map((o) => o.name).sort(), `${section.type}: options`);
    for (const opt of spec.options) checkOption(section.type, opt, section.options.find((o) => o.name === opt.name)!);
  }
});

// ---- menu and permissions --------------------------------------------------------------------

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

test('menu: Services > Backsoon, its pages are the views, shown to holders of the ACL', () => {
  const menu = readJson(join(LUCI, 'root/usr/share/luci/menu.d/luci-app-backsoon.json'));
  assert.equal(Object.keys(menu), ['admin/services/backsoon', 'admin/services/backsoon/status', 'admin/services/backsoon/settings']);
  assert.equal(menu['admin/services/backsoon'].depends, { acl: ['luci-app-backsoon'], uci: { backsoon: true } });
  for (const entry of Object.values(menu) as { action: { type: string; path?: string } }[]) {
    if (entry.action.type !== 'view') continue;
    assert.ok(existsSync(join(VIEWS, `${entry.action.path}.js`)), `menu names view ${entry.action.path}, which does not exist`);
  }
});

test('settings: the running daemon above the form; reload shows what it loaded, or every error of a refused file', async () => {
  let reloadAnswer: unknown = { reloaded: true, config: '/etc/config/backsoon', outagesKept: 2, warnings: [] };
  const { page, declared } = await settingsView({ reload: () => Promise.resolve(reloadAnswer) });
  assert.equal(declared.map((d) => [d.object, d.method]), [['backsoon', 'status'], ['backsoon', 'reload']]);
  assert.match(text(page), /backsoon 0\.1\.0 is running \(process 4242\) with \/etc\/config\/backsoon\./);
  const button = find(page, 'button')[0];
  assert.is(text(button), 'Reload the daemon now');
  const click = button.attrs.click as () => Promise<void>;
  await click();
  assert.match(text(page), /Reloaded \/etc\/config\/backsoon; 2 down servers kept\./);

  reloadAnswer = { reloaded: false, config: '/etc/config/backsoon', errors: ['/etc/config/backsoon:7: option syn_timeout \'x\': a number of seconds'] };
  await click();
  assert.match(text(page), /\/etc\/config\/backsoon was refused; the daemon keeps its running configuration: .*backsoon:7: option syn_timeout/);
  assert.equal(find(page, 'li').map(text), ['/etc/config/backsoon:7: option syn_timeout \'x\': a number of seconds']);

  reloadAnswer = 4;
  await click();
  assert.match(text(page), /backsoon is not running, or runs without ubus \(Object not found\)\./);
});

test('settings: no daemon on ubus reads as such, and the form is still there', async () => {
  const { page } = await settingsView({ status: () => Promise.reject(new Error('Access denied')) });
  assert.match(text(page), /Access denied/);
});

test('ACLs: LuCI may call what its pages call and edit the file; reading needs no write permission, reload does', async () => {
  const luci = readJson(join(LUCI, 'root/usr/share/rpcd/acl.d/luci-app-backsoon.json'))['luci-app-backsoon'];
  const plain = readJson(join(FILES, 'usr/share/rpcd/acl.d/backsoon.json')).backsoon;
  const called = [...statusView().declared, ...(await settingsView()).declared];
  for (const d of called) {
    const granted = [...luci.read.ubus[d.object as string], ...(luci.write.ubus?.[d.object as string] ?? [])];
    assert.ok(granted.includes(d.method), `luci-app-backsoon may not call ${d.object}.${d.method}`);
  }
  assert.equal(luci.read.uci, ['backsoon']);
  assert.equal(luci.write.uci, ['backsoon']);
  for (const acl of [luci, plain]) {
    assert.equal(acl.read.ubus.backsoon, ['status', 'outages']);
    assert.equal(acl.write.ubus.backsoon, ['reload']);
    assert.equal([...acl.read.ubus.backsoon, ...acl.write.ubus.backsoon].sort(), [...METHODS].sort(), 'every method of the daemon\'s object');
  }
});

test.run();
