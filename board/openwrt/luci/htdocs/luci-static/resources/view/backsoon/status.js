'use strict';
'require view';
'require rpc';
'require poll';
'require dom';

// The status page: which servers are down, since when and why, which clients wait for each,
// the outbox and the capture counters. Read from `ubus call backsoon status`, which the daemon
// answers itself (docs/UBUS.md): the report `backsoon status --json` prints.

var callStatus = rpc.declare({
	object: 'backsoon',
	method: 'status'
});

// A ubus status instead of a report: object backsoon is not registered (the daemon is not
// running, or runs without ubus); a failed call (no permission) reads as an error too.
function fetchStatus() {
	return callStatus().then(function(report) {
		if (typeof report === 'number')
			return { error: _('ubus object backsoon: %s').format(rpc.getStatusText(report)) };
		return report;
	}).catch(function(err) {
		return { error: String(err && err.message || err) };
	});
}

var POLL_SECONDS = 5;

// Waiting clients listed per server; the rest is counted ("and N more").
var CLIENTS_SHOWN = 50;

var DOWN_CAUSES = {
	'icmp-unreachable': _('the router answered "destination unreachable"'),
	'syn-timeout': _('connection attempts went unanswered'),
	'arp-silence': _('ARP requests went unanswered'),
	'nd-silence': _('neighbour solicitations went unanswered'),
	'neigh-failed': _('the neighbour entry failed')
};

function causeText(cause) {
	return DOWN_CAUSES[cause] || String(cause);
}

function clock(t) {
	return new Date(t * 1000).toLocaleString();
}

function duration(seconds) {
	var s = Math.max(0, Math.round(seconds));
	if (s < 60)
		return _('%d s').format(s);
	if (s < 3600)
		return _('%d min').format(Math.floor(s / 60));
	if (s < 86400)
		return _('%d h %d min').format(Math.floor(s / 3600), Math.floor((s % 3600) / 60));
	return _('%d d %d h').format(Math.floor(s / 86400), Math.floor((s % 86400) / 3600));
}

function since(report, t) {
	return _('%s (%s ago)').format(clock(t), duration(report.now - t));
}

function table(titles, rows, placeholder) {
	var head = E('tr', { 'class': 'tr table-titles' }, titles.map(function(title) {
		return E('th', { 'class': 'th' }, title);
	}));
	var body = rows.length ? rows.map(function(cells) {
		return E('tr', { 'class': 'tr' }, cells.map(function(cell) {
			return E('td', { 'class': 'td' }, cell);
		}));
	}) : [ E('tr', { 'class': 'tr placeholder' }, [ E('td', { 'class': 'td' }, E('em', {}, placeholder)) ]) ];
	return E('table', { 'class': 'table' }, [ head ].concat(body));
}

function section(title, content) {
	return E('div', { 'class': 'cbi-section' }, [ E('h3', {}, title) ].concat(content));
}

function outageRows(report) {
	var rows = (report.outages || []).map(function(o) {
		var state = o.state === 'holding' && o.holdUntil != null
			? _('back, notices in %s').format(duration(o.holdUntil - report.now))
			: _('down');
		return [ o.server, state, since(report, o.since), causeText(o.cause), String(waiting(o)) ];
	});
	if (report.outagesOmitted > 0)
		rows.push([ _('and %d more servers (backsoon status --json lists all)').format(report.outagesOmitted), '', '', '', '' ]);
	return rows;
}

// All the clients of a server; a reply cut to fit one ubus message says how many it left out.
function waiting(o) {
	return o.clients.length + (o.clientsOmitted || 0);
}

function clientRows(report) {
	var rows = [];
	(report.outages || []).forEach(function(o) {
		o.clients.slice(0, CLIENTS_SHOWN).forEach(function(c) {
			rows.push([ o.server, c.client, c.mac || '-', clock(c.firstAttempt), since(report, c.lastAttempt) ]);
		});
		var more = waiting(o) - Math.min(o.clients.length, CLIENTS_SHOWN);
		if (more > 0)
			rows.push([ o.server, _('and %d more (backsoon status --json lists all)').format(more), '', '', '' ]);
	});
	return rows;
}

function captureRows(report) {
	return (report.captures || []).map(function(c) {
		return [ c.interface, c.role === 'server' ? _('servers') : _('clients'), String(c.received), String(c.dropped), String(c.ifDropped) ];
	});
}

function outboxRows(report) {
	var ob = report.outbox || {};
	return [ [ String(ob.queued || 0), String(ob.sending || 0), String(ob.sent || 0), String(ob.failed || 0), String(ob.retries || 0) ] ];
}

function tableUse(report) {
	var t = report.tables || {};
	return _('Down servers %d of %d, waiting clients %d of %d, SYNs awaiting an answer %d of %d, known contacts %d.').format(
		t.servers || 0, t.serverCapacity || 0, t.links || 0, t.linkCapacity || 0, t.pendingSyns || 0, t.synCapacity || 0, report.contacts || 0);
}

// The page body for one answer of the daemon: the report, or why there is none.
function renderReport(report) {
	if (!report || report.error != null || report.version == null) {
		return [ E('div', { 'class': 'alert-message warning' }, [
			E('p', {}, _('backsoon is not running, or does not answer.')),
			E('p', {}, E('code', {}, (report && report.error) || _('no answer from ubus object backsoon'))),
			E('p', {}, _('See Status > System Log (logread -e backsoon) for the reason, and Services > Backsoon > Settings.'))
		]) ];
	}

	return [
		E('p', {}, _('backsoon %s, process %d, running for %s, configuration %s.').format(
			report.version, report.pid, duration(report.now - report.startedAt), report.config)),
		section(_('Down servers'), [
			table([ _('Server'), _('State'), _('Down since'), _('Why'), _('Waiting clients') ],
				outageRows(report), _('No server is down.'))
		]),
		section(_('Waiting clients'), [
			E('p', { 'class': 'cbi-section-descr' },
				_('Clients that tried a down server; each is told once the server is back.')),
			table([ _('Server'), _('Client'), _('MAC address'), _('First attempt'), _('Last attempt') ],
				clientRows(report), _('No client is waiting.'))
		]),
		section(_('Outbox'), [
			E('p', { 'class': 'cbi-section-descr' },
				_('Notices (mail, traps, web hooks) waiting to be sent, sent, and given up after their retries.')),
			table([ _('Queued'), _('Sending'), _('Sent'), _('Failed'), _('Retries') ], outboxRows(report), '')
		]),
		section(_('Capture'), [
			E('p', { 'class': 'cbi-section-descr' },
				_('Packets read on each watched device. Drops mean backsoon missed traffic: a busy router, or a buffer too small.')),
			table([ _('Device'), _('Side'), _('Received'), _('Dropped by capture'), _('Dropped by the device') ],
				captureRows(report), _('No device is captured.'))
		]),
		section(_('Tables'), [ E('p', {}, tableUse(report)) ])
	];
}

return view.extend({
	load: function() {
		return fetchStatus();
	},

	render: function(report) {
		var body = E('div', {}, renderReport(report));

		poll.add(function() {
			return fetchStatus().then(function(next) {
				dom.content(body, renderReport(next));
			});
		}, POLL_SECONDS);

		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('Backsoon: status')),
			E('div', { 'class': 'cbi-map-descr' },
				_('Servers the clients could not reach, and the clients who will be told when they are back. Refreshed every %d seconds.').format(POLL_SECONDS)),
			body
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
