'use strict';
'require view';
'require form';
'require rpc';
'require dom';
'require tools.widgets as widgets';

// The settings page: /etc/config/backsoon, section by section, with the types, ranges and
// defaults of docs/CONFIG.md (test/unit/board-luci.test.ts keeps them equal to the schema).
// Save & Apply commits the file; procd then runs /etc/init.d/backsoon reload, which runs
// `backsoon config check` and refuses a file the daemon would refuse (the reason goes to the
// system log). Above the form, the running daemon as ubus object backsoon reports it, and a
// button that reloads it now and shows why a file is refused. Sections not shown here
// (snmp_user, webhook, snmp_out, trap_target, agent) are edited in the file itself.

var callStatus = rpc.declare({
	object: 'backsoon',
	method: 'status'
});

var callReload = rpc.declare({
	object: 'backsoon',
	method: 'reload'
});

// A number instead of an object is a ubus status: object backsoon is not registered.
function answerOf(call) {
	return call().then(function(answer) {
		if (typeof answer === 'number')
			return { error: _('backsoon is not running, or runs without ubus (%s).').format(rpc.getStatusText(answer)) };
		return answer;
	}).catch(function(err) {
		return { error: String(err && err.message || err) };
	});
}

function daemonText(report) {
	if (!report || report.version == null)
		return (report && report.error) || _('backsoon does not answer.');
	return _('backsoon %s is running (process %d) with %s.').format(report.version, report.pid, report.config);
}

// The daemon's answer to a reload: what it loaded, or every error of the refused file.
function reloadText(answer) {
	if (answer.reloaded === true)
		return [ E('p', {}, _('Reloaded %s; %d down servers kept.').format(answer.config, answer.outagesKept)) ];
	if (answer.reloaded === false)
		return [
			E('p', {}, _('%s was refused; the daemon keeps its running configuration:').format(answer.config)),
			E('ul', {}, (answer.errors || []).map(function(e) { return E('li', {}, E('code', {}, e)); }))
		];
	return [ E('p', {}, answer.error || _('backsoon does not answer.')) ];
}

function daemonBox(report) {
	var result = E('div', {});
	return E('div', { 'class': 'cbi-section' }, [
		E('p', {}, daemonText(report)),
		E('button', {
			'class': 'cbi-button cbi-button-action',
			'click': function() {
				return answerOf(callReload).then(function(answer) { dom.content(result, reloadText(answer)); });
			}
		}, _('Reload the daemon now')),
		E('p', { 'class': 'cbi-section-descr' },
			_('Save & Apply reloads it by itself; this button shows why a file is refused.')),
		result
	]);
}

// The checks below answer as the daemon's own parsers do (src/config/values.ts); an empty
// field means "unset" and is left to the option's default.

function absolutePath(section_id, value) {
	if (value == null || value === '' || (value.charAt(0) === '/' && value.length <= 4095))
		return true;
	return _('Expecting an absolute path, starting with /');
}

function isIPv4(text) {
	var m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
	if (!m)
		return false;
	for (var i = 1; i <= 4; i++)
		if (+m[i] > 255 || (m[i].length > 1 && m[i].charAt(0) === '0'))
			return false;
	return true;
}

// Plain decimal digits, as the daemon reads numbers (no leading zero).
function isPort(text) {
	return /^[1-9][0-9]{0,4}$/.test(text) && +text <= 65535;
}

function isHostName(text) {
	var label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
	return text.length <= 253 && text.split('.').every(function(l) { return label.test(l); });
}

function mailAddress(section_id, value) {
	if (value == null || value === '')
		return true;
	var local_part = /^[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+\/=?^_`{|}~-]+)*$/;
	var at = value.lastIndexOf('@');
	var local = value.slice(0, at);
	var domain = value.slice(at + 1);
	var literal = /^\[([0-9.]+)\]$/.exec(domain);
	if (value.length <= 254 && !/\s/.test(value) && at > 0 && value.indexOf('@') === at &&
	    local.length <= 64 && local_part.test(local) && domain !== '' &&
	    (literal ? isIPv4(literal[1]) : isHostName(domain)))
		return true;
	return _('Expecting a single mail address such as admin@example.org');
}

function numericOid(section_id, value) {
	if (value == null || value === '')
		return true;
	var arcs = (value.charAt(0) === '.' ? value.slice(1) : value).split('.');
	if (arcs.length >= 2 && arcs.length <= 128 && +arcs[0] <= 2 &&
	    arcs.every(function(a) { return /^(0|[1-9][0-9]{0,9})$/.test(a) && +a <= 4294967295; }))
		return true;
	return _('Expecting a numeric OID such as 1.3.6.1.4.1.8072.4.0.1 (names from MIBs are not read)');
}

function probeSpec(section_id, value) {
	if (value == null || value === '' || value === 'arp' || value === 'neigh')
		return true;
	var m = /^tcp:(.*)$/.exec(value);
	if (m && isPort(m[1]))
		return true;
	return _("Expecting 'arp', 'neigh' or 'tcp:PORT' (such as tcp:443)");
}

function listenAddress(section_id, value) {
	if (value == null || value === '')
		return true;
	var m = /^(.*):([^:]*)$/.exec(value);
	if (m && isIPv4(m[1]) && isPort(m[2]))
		return true;
	return _('Expecting ADDRESS:PORT, such as 127.0.0.1:9100');
}

// ICMP destination-unreachable codes that may mean "server down". 2, 3 and 4 come from a live
// host or a working path: the daemon refuses them, so they are not offered.
var ICMP_CODES = [
	[ '0', _('0: network unreachable') ],
	[ '1', _('1: host unreachable') ],
	[ '5', _('5: source route failed') ],
	[ '6', _('6: destination network unknown') ],
	[ '7', _('7: destination host unknown') ],
	[ '8', _('8: source host isolated') ],
	[ '9', _('9: network administratively prohibited (a firewall)') ],
	[ '10', _('10: host administratively prohibited (a firewall)') ],
	[ '11', _('11: network unreachable for type of service') ],
	[ '12', _('12: host unreachable for type of service') ],
	[ '13', _('13: communication administratively prohibited (a firewall)') ],
	[ '14', _('14: host precedence violation (a firewall)') ],
	[ '15', _('15: precedence cutoff in effect (a firewall)') ]
];

// ICMPv6 destination unreachable (RFC 4443): the codes the daemon accepts.
var ICMP6_CODES = [
	[ '0', _('0: no route to destination') ],
	[ '1', _('1: communication administratively prohibited (a firewall)') ],
	[ '3', _('3: address unreachable') ],
	[ '5', _('5: source address failed ingress/egress policy (a firewall)') ],
	[ '6', _('6: reject route to destination (a firewall)') ]
];

// A number option: LuCI's range check, and the default shown greyed in the empty field.
function number(s, tab, name, title, description, min, max, dflt) {
	var o = s.taboption(tab, form.Value, name, title, description);
	o.datatype = 'range(%d,%d)'.format(min, max);
	o.placeholder = dflt;
	return o;
}

function flag(s, tab, name, title, description, dflt) {
	var o = tab ? s.taboption(tab, form.Flag, name, title, description) : s.option(form.Flag, name, title, description);
	o.default = dflt;
	o.rmempty = false;
	return o;
}

function renderMain(m) {
	var s = m.section(form.NamedSection, 'main', 'backsoon', _('Daemon'));
	s.addremove = false;
	s.tab('general', _('General'));
	s.tab('detection', _('Detection'));
	s.tab('tables', _('Table sizes'));
	s.tab('storage', _('State and control'));

	var o;
	flag(s, 'general', 'enabled', _('Enabled'), _('Run the daemon.'), '1');

	o = s.taboption('general', widgets.DeviceSelect, 'interface', _('Client-side devices'),
		_('Where the clients are, such as br-lan: connection attempts, answers and "unreachable" replies are read here.'));
	o.multiple = true;
	o.noaliases = true;

	o = s.taboption('general', widgets.DeviceSelect, 'server_interface', _('Server-side devices'),
		_('The segment the servers sit on, such as br-dmz: ARP is read here. None: servers are judged by unanswered connection attempts and ICMP only.'));
	o.multiple = true;
	o.noaliases = true;

	o = s.taboption('general', form.ListValue, 'log_level', _('Log level'), _('Least severity written to the system log.'));
	o.value('error', _('errors'));
	o.value('warn', _('warnings'));
	o.value('info', _('information'));
	o.value('debug', _('debugging'));
	o.default = 'info';

	o = s.taboption('general', form.Value, 'policy', _('Policy file'),
		_('A JavaScript file that decides on each notice, run in a sandbox. Empty: every notice is sent.'));
	o.validate = absolutePath;
	o.placeholder = '/etc/backsoon/policy.js';

	number(s, 'general', 'policy_budget', _('Policy budget'),
		_("Seconds the policy may delay the notices of one recovery, all its clients together; the clients left then are told with backsoon's defaults."), 1, 3600, '5');

	o = s.taboption('general', form.Value, 'metrics_listen', _('Prometheus metrics'),
		_('ADDRESS:PORT of the metrics listener; keep it on 127.0.0.1 or the LAN address. Empty: no listener.'));
	o.validate = listenAddress;
	o.placeholder = '127.0.0.1:9100';

	number(s, 'detection', 'syn_timeout', _('SYN timeout'),
		_("Seconds a client's connection attempt may wait for the server's answer before the server counts as down."), 1, 86400, '30');
	number(s, 'detection', 'arp_retries', _('ARP retries'),
		_('Unanswered ARP requests for a server (on the server-side devices) before it counts as down.'), 1, 100, '3');

	o = s.taboption('detection', form.DynamicList, 'router_address', _('Router addresses'),
		_("Further addresses whose ICMP \"unreachable\" errors may mark a server down, besides this router's own (always read from the kernel). An error from any other source is a client's forgery and is only counted."));
	o.datatype = 'ipaddr("nomask")';

	o = s.taboption('detection', form.MultiValue, 'icmp_code', _('ICMP codes'),
		_('"Destination unreachable" codes that mean the server is down. Codes marked "a firewall" are a refusal, not an outage. None chosen: 0, 1, 5, 6, 7, 11 and 12.'));
	ICMP_CODES.forEach(function(c) { o.value(c[0], c[1]); });

	o = s.taboption('detection', form.MultiValue, 'icmp6_code', _('ICMPv6 codes'),
		_('IPv6 "destination unreachable" codes that mean the server is down. Codes marked "a firewall" are a refusal, not an outage. None chosen: 0 and 3.'));
	ICMP6_CODES.forEach(function(c) { o.value(c[0], c[1]); });

	number(s, 'detection', 'hold', _('Hold'),
		_('Seconds a server must stay up before the notices go out, so a flapping server does not mail everybody twice. 0: at once.'), 0, 86400, '0');
	o = s.taboption('detection', form.ListValue, 'confirm', _('Confirm traps'),
		_('A recovery trap marks a server recovered only after one probe of it succeeds. A trap that cannot be confirmed (no usable probe) is not believed.'));
	o.value('', _('SNMPv1/v2c traps (a community is sent in clear); SNMPv3 with authentication is believed'));
	o.value('1', _('Every trap'));
	o.value('0', _('No trap'));
	number(s, 'detection', 'probe_interval', _('Probe interval'),
		_('Seconds between active probes of a down server (see the probes of each server).'), 1, 86400, '10');
	number(s, 'detection', 'max_attempt_age', _('Longest wait'),
		_('Seconds an attempt is remembered: a client whose last attempt is older when the server returns is not told.'), 60, 31536000, '86400');
	number(s, 'detection', 'purge_interval', _('Purge interval'),
		_('Seconds between purges of attempts older than the longest wait.'), 1, 86400, '300');
	flag(s, 'detection', 'require_contact', _('Known clients only'),
		_('Remember only clients whose mail address is known (a contact, or an address left on the stand-in page).'), '0');

	number(s, 'tables', 'max_servers', _('Down servers'),
		_('Capacity of the table of down servers; also the most servers below.'), 1, 65536, '1024');
	number(s, 'tables', 'max_links', _('Waiting clients'),
		_('One entry per client and server; when full, the oldest entry gives way.'), 1, 4194304, '65536');
	number(s, 'tables', 'max_links_per_server', _('Waiting clients per server'),
		_('So one flooded server cannot starve the others; at most the number above.'), 1, 4194304, '8192');
	number(s, 'tables', 'max_pending_syns', _('Pending connection attempts'),
		_('Connection attempts waiting for their answer.'), 1, 4194304, '65536');
	number(s, 'tables', 'max_contacts', _('Contacts'),
		_('Client mail addresses: contacts below and addresses left on the stand-in page.'), 1, 1048576, '65536');
	number(s, 'tables', 'capture_buffer', _('Capture buffer (KiB)'),
		_('Kernel buffer per captured interface; larger rides out longer bursts without drops.'), 256, 262144, '4096');
	number(s, 'tables', 'capture_batch_ms', _('Capture batch (ms)'),
		_('The kernel hands packets over in batches of up to this many ms: far less CPU under load, detections that much later; 0 for each packet at once.'), 0, 1000, '10');

	o = s.taboption('storage', form.Value, 'state_dir', _('State directory'),
		_('Where the state snapshot and the outbox are kept across restarts.'));
	o.validate = absolutePath;
	o.placeholder = '/etc/backsoon';
	number(s, 'storage', 'snapshot_interval', _('Snapshot interval'),
		_('Least seconds between two writes of the snapshot; /etc is on flash, which wears with every write.'), 5, 86400, '60');
	o = s.taboption('storage', form.Value, 'control_socket', _('Control socket'),
		_('Unix socket of the backsoon status command.'));
	o.validate = absolutePath;
	o.placeholder = '/var/run/backsoon.sock';
	o = s.taboption('storage', form.Value, 'ubus_socket', _('ubus socket'),
		_('Socket of ubusd, where backsoon answers these pages and sends its events. No socket there: backsoon runs without ubus.'));
	o.validate = absolutePath;
	o.placeholder = '/var/run/ubus/ubus.sock';
}

function renderWatch(m) {
	var s = m.section(form.TypedSection, 'watch', _('Watched networks'),
		_('Servers in these networks are watched. No entry: every server a client fails to reach is watched, on the internet too.'));
	s.anonymous = true;
	s.addremove = true;

	var o = s.option(form.DynamicList, 'network', _('Networks'), _('Such as 198.51.100.0/24 (host bits zero), or a single address.'));
	o.datatype = 'or(cidr4,ip4addr("nomask"))';

	o = s.option(form.DynamicList, 'client_network', _('Client networks'),
		_('Only clients in these networks are registered, such as 192.168.1.0/24 or fd00:1::/64 (host bits zero). No entry: the networks of the client-side devices.'));
	o.datatype = 'or(cidr,ipaddr("nomask"))';
}

function renderServers(m) {
	var s = m.section(form.TypedSection, 'server', _('Servers'),
		_('Servers known in advance, by name. Servers not listed are still watched, with the defaults.'));
	s.anonymous = false;
	s.addremove = true;

	var o = s.option(form.Value, 'address', _('Address'), _("The server's IPv4 address; one entry per address."));
	o.datatype = 'ip4addr("nomask")';
	o.rmempty = false;

	o = s.option(form.Value, 'name', _('Name in notices'), _('Empty: the name of this entry.'));
	o.datatype = 'rangelength(1,253)';

	o = s.option(form.DynamicList, 'agent_address', _('Agent addresses'),
		_('Further addresses whose SNMP traps speak for this server, such as its management card.'));
	o.datatype = 'ip4addr("nomask")';

	o = s.option(form.MultiValue, 'notify', _('Who tells the clients'),
		_('backsoon mails them; or the list of clients goes to the server\'s own notifier (mailbox below) or to the management station (mail settings).'));
	o.value('direct', _('backsoon'));
	o.value('server', _("the server's notifier"));
	o.value('nms', _('the management station'));
	o.default = 'direct';

	o = s.option(form.Value, 'mailbox', _('Notifier mailbox'), _("Mail address of the server's own notifier."));
	o.validate = mailAddress;

	o = s.option(form.DynamicList, 'probe', _('Probes'),
		_("While the server is down, every probe interval: 'arp', 'neigh' (the kernel probes its neighbour entry) or 'tcp:PORT'. None: recovery is seen from traffic and traps."));
	o.validate = probeSpec;

	flag(s, null, 'standin', _('Stand-in page'),
		_('While the server is down, answer its web port with a page that collects mail addresses.'), '0');

	o = s.option(form.DynamicList, 'standin_port', _('Stand-in ports'), _('TCP ports the stand-in answers. Empty: 80.'));
	o.datatype = 'port';
	o.placeholder = '80';
}

function renderContacts(m) {
	var s = m.section(form.TypedSection, 'contact', _('Contacts'),
		_('Clients whose mail address is known in advance. Give the address or the MAC address of the client, not both.'));
	s.anonymous = true;
	s.addremove = true;

	var o = s.option(form.Value, 'client', _('Client address'));
	o.datatype = 'ip4addr("nomask")';

	o = s.option(form.Value, 'mac', _('Client MAC address'), _('For clients whose IPv4 address changes.'));
	o.datatype = 'macaddr';

	o = s.option(form.Value, 'mail', _('Mail address'), _('Where its notices go.'));
	o.validate = mailAddress;
	o.rmempty = false;
}

function renderMail(m) {
	var s = m.section(form.TypedSection, 'mail', _('Mail'),
		_('The SMTP server that carries the notices (one entry). None: no mail is sent.'));
	s.anonymous = true;
	s.addremove = true;

	var o = s.option(form.Value, 'host', _('SMTP server'), _('Host name or IPv4 address.'));
	o.datatype = 'host(1)';
	o.rmempty = false;

	o = s.option(form.ListValue, 'tls', _('Encryption'));
	o.value('none', _('none'));
	o.value('starttls', _('STARTTLS'));
	o.value('tls', _('TLS from the start'));
	o.default = 'none';

	o = s.option(form.Value, 'port', _('Port'), _('Empty: 25; 465 with TLS from the start; 587 with STARTTLS and a user.'));
	o.datatype = 'port';

	o = s.option(form.Value, 'user', _('User'), _('SMTP AUTH; give the password too.'));
	o.datatype = 'rangelength(1,255)';

	o = s.option(form.Value, 'password', _('Password'));
	o.datatype = 'rangelength(1,255)';
	o.password = true;

	o = s.option(form.Value, 'from', _('Sender'), _("Empty: backsoon@ and the router's host name."));
	o.validate = mailAddress;

	o = s.option(form.Value, 'helo', _('HELO name'), _("Empty: the router's host name."));
	o.datatype = 'host(1)';

	o = s.option(form.Value, 'nms', _('Management station'), _('Mailbox of the network management station, for servers whose notices it sends.'));
	o.validate = mailAddress;
}

function renderSnmp(m) {
	var s = m.section(form.TypedSection, 'snmp', _('SNMP traps'),
		_('A trap from a server (or one of its agent addresses) marks it recovered (one entry). None: UDP port 162 stays closed.'));
	s.anonymous = true;
	s.addremove = true;

	flag(s, null, 'enabled', _('Enabled'), _('Run the trap receiver.'), '1');

	var o = s.option(form.Value, 'listen', _('Listen address'), _('0.0.0.0: every address; the firewall decides which zones reach it.'));
	o.datatype = 'ip4addr("nomask")';
	o.placeholder = '0.0.0.0';

	o = s.option(form.Value, 'port', _('Port'));
	o.datatype = 'port';
	o.placeholder = '162';

	o = s.option(form.DynamicList, 'community', _('Communities'),
		_('SNMPv1/v2c communities accepted. Empty: SNMPv1/v2c traps are refused. Choose one nobody guesses: every client knows public.'));
	o.datatype = 'rangelength(1,255)';

	o = s.option(form.DynamicList, 'nms_address', _('Management stations'),
		_('Addresses of stations that forward the servers\' traps: from these only, the address a trap names inside itself (SNMPv1 agent-addr, snmpTrapAddress.0) says which server is back.'));
	o.datatype = 'ip4addr("nomask")';

	o = s.option(form.DynamicList, 'recovery_trap', _('Recovery traps'),
		_('Numeric OIDs of further traps that mean "I am back", besides coldStart, warmStart and linkUp.'));
	o.validate = numericOid;
}

return view.extend({
	load: function() {
		return answerOf(callStatus);
	},

	render: function(report) {
		var m = new form.Map('backsoon', _('Backsoon: settings'),
			_('backsoon notices which clients tried to reach a server while it was down, and tells exactly those clients when it is back. ' +
			  'After Save & Apply the file is checked: a file with errors is not loaded, and the reasons are in the system log.'));

		renderMain(m);
		renderWatch(m);
		renderServers(m);
		renderContacts(m);
		renderMail(m);
		renderSnmp(m);

		return Promise.resolve(m.render()).then(function(mapNode) {
			return E('div', {}, [ daemonBox(report), mapNode ]);
		});
	}
});
