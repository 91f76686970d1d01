'use strict';
const test = require('ava');
const fs = require('fs');
const path = require('path');
const { pacemaker: P } = require('../../..');

const rich = fs.readFileSync(path.join(__dirname, '../../fixtures/pacemaker/cib-rich.xml'), 'utf8');

test('typed model of every modelled section', (t) => {
  const m = P.Cib.parse(rich).model();
  t.deepEqual(m.version, { adminEpoch: 1, epoch: 42, numUpdates: 7 });
  t.is(m.crmFeatureSet, '3.16.1');
  t.is(m.validateWith, 'pacemaker-3.9');
  t.deepEqual(m.properties, { 'stonith-enabled': 'true', 'no-quorum-policy': 'freeze', 'symmetric-cluster': 'false' });
  t.deepEqual(m.nodes.map((n) => [n.id, n.uname, n.attributes, n.utilization]), [
    ['1', 'n1', { standby: 'on' }, { cpu: '4' }],
    ['2', 'n2', {}, {}],
  ]);
  const [vip, g, clone, bundle, fence] = m.resources;
  t.like(vip, { kind: 'primitive', id: 'vip', standard: 'ocf', provider: 'heartbeat', agent: 'IPaddr2', agentName: 'ocf:heartbeat:IPaddr2', instance: { ip: '192.0.2.10' }, meta: { 'target-role': 'Stopped' } });
  t.like(vip.operations[0], { id: 'vip-monitor-interval-10s', name: 'monitor', interval: '10s', timeout: '20s', onFail: 'restart' });
  t.is(g.kind, 'group');
  t.deepEqual(g.members.map((p) => p.agentName), ['systemd:nginx', 'lsb:cron']);
  t.like(clone, { kind: 'clone', id: 'st-clone', promotable: true });
  t.is(clone.child.id, 'st');
  t.deepEqual(bundle, { kind: 'other', tag: 'bundle', id: 'httpd-bundle' });
  t.is(fence.standard, 'stonith');

  const byId = Object.fromEntries(m.constraints.map((c) => [c.id, c]));
  t.like(byId['location-vip-n1-50'], { kind: 'location', rsc: 'vip', node: 'n1', score: '50' });
  const rule = byId['location-st'].rules[0];
  t.like(rule, { score: '100', role: 'Promoted', booleanOp: 'or' });
  t.deepEqual(rule.expressions.map((e) => e.kind), ['expression', 'date']);
  t.like(byId['colocation-g-vip-INFINITY'], { kind: 'colocation', rsc: 'g', withRsc: 'vip', score: 'INFINITY', rscRole: 'Started' });
  t.like(byId['order-vip-g-mandatory'], { orderKind: 'Mandatory', symmetrical: true, firstAction: 'start' });
  t.like(byId['order-old-optional'], { orderKind: 'Optional' });
  t.like(byId['order_set_vp'], { orderKind: 'Serialize', symmetrical: false });
  t.deepEqual(byId['order_set_vp'].sets[0], { id: 'order_set_vp_set', resources: ['vip', 'st-clone'], sequential: false, requireAll: false, role: undefined, action: undefined, ordering: undefined, kind: undefined, score: undefined });
  t.like(byId['ticket-a'], { kind: 'ticket', ticket: 'T' });
  t.deepEqual(m.rscDefaults, { 'resource-stickiness': '100', 'migration-threshold': '3' });
  t.deepEqual(m.opDefaults, { timeout: '30s' });
  t.deepEqual(m.fencingTopology.map((l) => [l.index, l.target ?? l.targetPattern, l.devices]), [[1, 'n1', ['fence1', 'fence2']], [2, 'n.*', ['fence1']]]);
  t.like(m.alerts[0], { id: 'alert1', description: 'file & "log"', meta: { timeout: '15s' } });
  t.is(m.alerts[0].recipients[0].value, '/var/log/pcmk-alerts.log');
});

test('edits leave unmodelled parts untouched', (t) => {
  const cib = P.Cib.parse(rich);
  P.resourceCreate(cib, 'web', 'ocf:pacemaker:Dummy');
  P.colocationAdd(cib, 'web', 'vip');
  const out = cib.toXml();
  for (const needle of ['<bundle id="httpd-bundle">', '<acls>', '<tags>', 'x-vendor-extension="kept"', '<node_state id="1"', '<rsc_ticket id="ticket-a" ticket="T" rsc="vip"/>']) t.true(out.includes(needle), needle);
  t.is(P.Cib.parse(out).model().resources.length, 6);
});

test('feature set newer than the installed tools is refused with a typed error', (t) => {
  const cib = P.Cib.parse(rich.replace('crm_feature_set="3.16.1"', 'crm_feature_set="3.19.0"'));
  const error = t.throws(() => cib.checkFeatureSet('3.16.1'));
  t.is(error.code, 'PCMK_FEATURE_SET');
  t.like(error.details, { element: 'cib', cib: '3.19.0', installed: '3.16.1' });
  t.notThrows(() => P.Cib.parse(rich).checkFeatureSet('3.16.1'));
  t.notThrows(() => P.Cib.parse(rich).checkFeatureSet('3.17'));
  t.is(P.compareVersions('3.2', '3.16.1'), -1);
});

test('not a CIB', (t) => {
  t.is(t.throws(() => P.Cib.parse('<config/>')).code, 'PCMK_NOT_CIB');
});

test('Cib.empty is what cibadmin --empty prints', (t) => {
  const m = P.Cib.empty().model();
  t.deepEqual(m.version, { adminEpoch: 0, epoch: 1, numUpdates: 0 });
  t.is(P.Cib.empty().toXml(), '<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">\n  <configuration>\n    <crm_config/>\n    <nodes/>\n    <resources/>\n    <constraints/>\n  </configuration>\n  <status/>\n</cib>\n');
});
