'use strict';
// Operations on an offline CIB: pcs's ids, semantics and typed errors. (Equality with the real
// pcs on the same sequences is proven in test/integration/pacemaker/pcs-equivalence.test.js.)
const test = require('ava');
const { pacemaker: P } = require('../../..');

const DUMMY = { name: 'Dummy', parameters: [], actions: [
  { name: 'start', timeout: '20s' }, { name: 'stop', timeout: '20s' }, { name: 'monitor', timeout: '20s', interval: '10s' },
  { name: 'reload', timeout: '20s' }, { name: 'migrate_to', timeout: '20s' }, { name: 'meta-data', timeout: '5s' }, { name: 'validate-all', timeout: '20s' },
] };

function base() {
  const cib = P.Cib.empty();
  P.nodeAdd(cib, '1', 'n1');
  P.nodeAdd(cib, '2', 'n2');
  return cib;
}
const ids = (cib) => { const out = []; for (const { element } of P.walk(cib.configuration)) { const id = P.attr(element, 'id'); if (id && element.name !== 'node' && element.name !== 'resource_ref') out.push(id); } return out; };

test('resource create: pcs ids, sorted attributes, default operations from meta-data', (t) => {
  const cib = base();
  P.resourceCreate(cib, 'web', 'ocf:pacemaker:Dummy', { instance: { state: '/run/x', fake: '1' }, meta: { 'resource-stickiness': '5' }, metadata: DUMMY });
  const web = cib.model().resources[0];
  t.deepEqual(web.operations.map((o) => [o.id, o.interval, o.timeout]), [
    ['web-migrate_to-interval-0s', '0s', '20s'],
    ['web-monitor-interval-10s', '10s', '20s'],
    ['web-reload-interval-0s', '0s', '20s'],
    ['web-start-interval-0s', '0s', '20s'],
    ['web-stop-interval-0s', '0s', '20s'],
  ]);
  t.deepEqual(ids(cib).slice(0, 5), ['web', 'web-instance_attributes', 'web-instance_attributes-fake', 'web-instance_attributes-state', 'web-meta_attributes']);
  // --no-default-ops keeps only monitor; a user op replaces the agent's one of the same name.
  P.resourceCreate(cib, 'w2', 'ocf:pacemaker:Dummy', { metadata: DUMMY, noDefaultOps: true, operations: [{ name: 'start', timeout: '99s' }] });
  t.deepEqual(cib.model().resources[1].operations.map((o) => o.id), ['w2-monitor-interval-10s', 'w2-start-interval-0s']);
  // Without meta-data, monitor every 60s as pcs does.
  P.resourceCreate(cib, 'w3', 'systemd:nginx');
  t.deepEqual(cib.model().resources[2].operations.map((o) => [o.id, o.interval]), [['w3-monitor-interval-60s', '60s']]);
});

test('ids already taken get -1, -2 suffixes like pcs find_unique_id', (t) => {
  const cib = base();
  P.resourceCreate(cib, 'a', 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  P.resourceCreate(cib, 'b', 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  t.is(P.locationAdd(cib, 'a', 'n1', '50'), 'location-a-n1-50');
  t.is(P.locationAdd(cib, 'a', 'n1', '50'), 'location-a-n1-50-1');
  t.is(P.locationAdd(cib, 'a', 'n1', '50'), 'location-a-n1-50-2');
  t.is(P.colocationAdd(cib, 'a', 'b'), 'colocation-a-b-INFINITY');
  t.is(P.colocationAdd(cib, 'b', 'a', '-INFINITY'), 'colocation-b-a--INFINITY');
  t.is(P.orderAdd(cib, 'a', 'b'), 'order-a-b-mandatory');
  t.is(P.orderAdd(cib, 'a', 'b', { kind: 'Optional', thenAction: 'stop' }), 'order-a-b-Optional');
  t.is(P.locationAvoids(cib, 'b', 'n2'), 'location-b-n2--INFINITY');
  t.is(P.setConstraintAdd(cib, 'colocation', [{ resources: ['a', 'b'] }]), 'colocation_set_aabb');
  t.is(P.sanitizeId('1a b+c'), 'abc');
});

test('invalid scores are typed errors naming the element', (t) => {
  const cib = base();
  P.resourceCreate(cib, 'a', 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  P.resourceCreate(cib, 'b', 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  for (const bad of ['inf', '1.5', '', '10x', 'INFINITY!']) {
    const error = t.throws(() => P.locationAdd(cib, 'a', 'n1', bad));
    t.is(error.code, 'PCMK_BAD_SCORE');
    t.is(error.details.score, bad);
  }
  t.is(t.throws(() => P.colocationAdd(cib, 'a', 'b', 'lots')).code, 'PCMK_BAD_SCORE');
  t.is(P.colocationAdd(cib, 'a', 'b', '+INFINITY'), 'colocation-a-b-INFINITY');
  t.is(P.scoreValue('-INFINITY'), -1000000);
  t.is(P.scoreValue('2000000'), 1000000);
});

test('order cycles are refused, naming the constraint and the cycle', (t) => {
  const cib = base();
  for (const r of ['a', 'b', 'c']) P.resourceCreate(cib, r, 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  P.orderAdd(cib, 'a', 'b');
  P.orderAdd(cib, 'b', 'c');
  const error = t.throws(() => P.orderAdd(cib, 'c', 'a'));
  t.is(error.code, 'PCMK_CONSTRAINT_CYCLE');
  t.is(error.details.id, 'order-c-a-mandatory');
  t.deepEqual(error.details.cycle, ['a:start', 'b:start', 'c:start', 'a:start']);
  // stop c then start a is no cycle (different actions).
  t.notThrows(() => P.orderAdd(cib, 'c', 'a', { firstAction: 'stop', thenAction: 'start' }));
  t.is(t.throws(() => P.orderAdd(cib, 'a', 'a')).code, 'PCMK_CONSTRAINT_CYCLE');
  t.is(t.throws(() => P.colocationAdd(cib, 'a', 'a')).code, 'PCMK_CONSTRAINT_CYCLE');
  // A set that closes the loop is found too.
  const cib2 = base();
  for (const r of ['x', 'y']) P.resourceCreate(cib2, r, 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  P.setConstraintAdd(cib2, 'order', [{ resources: ['x', 'y'] }]);
  t.is(t.throws(() => P.orderAdd(cib2, 'y', 'x')).code, 'PCMK_CONSTRAINT_CYCLE');
});

test('unknown agents, bad agent names, missing resources and clone insides are typed errors', async (t) => {
  const cib = base();
  const none = async () => undefined;
  const e1 = await t.throwsAsync(P.runPcs(cib, ['resource', 'create', 'x', 'ocf:heartbeat:NoSuchAgent'], { metadata: none }));
  t.is(e1.code, 'PCMK_UNKNOWN_AGENT');
  t.like(e1.details, { agent: 'ocf:heartbeat:NoSuchAgent', element: 'primitive', id: 'x' });
  t.is(t.throws(() => P.parseAgentName('ocf:Dummy')).code, 'PCMK_BAD_AGENT');
  t.is(t.throws(() => P.parseAgentName('weird:x')).code, 'PCMK_BAD_AGENT');
  t.is(t.throws(() => P.resourceCreate(cib, '9bad', 'ocf:pacemaker:Dummy')).code, 'PCMK_BAD_ID');
  t.is(t.throws(() => P.locationAdd(cib, 'ghost', 'n1')).code, 'PCMK_NOT_FOUND');
  P.resourceCreate(cib, 'c', 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  t.is(t.throws(() => P.resourceCreate(cib, 'c', 'ocf:pacemaker:Dummy')).code, 'PCMK_ID_EXISTS');
  P.resourceClone(cib, 'c');
  const e2 = t.throws(() => P.colocationAdd(cib, 'c', 'c-clone'));
  t.is(e2.code, 'PCMK_BAD_TARGET');
  t.is(e2.details.clone, 'c-clone');
  t.is(t.throws(() => P.propertySet(cib, 'stonith-enable', 'false')).code, 'PCMK_UNKNOWN_OPTION');
  t.is(t.throws(() => P.nodeStandby(cib, 'n9')).code, 'PCMK_NOT_FOUND');
  t.is((await t.throwsAsync(P.runPcs(cib, ['resource', 'frobnicate', 'x']))).code, 'PCMK_PCS_USAGE');
});

test('move and ban with lifetimes; clear removes exactly what they made', (t) => {
  const cib = base();
  P.resourceCreate(cib, 'a', 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  P.locationAdd(cib, 'a', 'n1', '10');
  const now = new Date('2026-11-27T10:00:00Z');
  t.is(P.resourceMove(cib, 'a', 'n2', { lifetime: 'PT1H30M', now }), 'cli-prefer-a');
  t.is(P.resourceBan(cib, 'a', 'n1', { lifetime: 'P1D', now }), 'cli-ban-a-on-n1');
  const m = cib.model();
  const prefer = m.constraints.find((c) => c.id === 'cli-prefer-a');
  t.is(prefer.rules[0].score, 'INFINITY');
  t.deepEqual(prefer.rules[0].expressions.map((e) => e.kind === 'date' ? e.end : e.value), ['n2', '2026-11-27 11:30:00Z']);
  t.is(m.constraints.find((c) => c.id === 'cli-ban-a-on-n1').rules[0].expressions[1].end, '2026-11-28 10:00:00Z');
  // A second move replaces the first instead of stacking.
  P.resourceMove(cib, 'a', 'n1');
  t.is(cib.model().constraints.filter((c) => c.id.startsWith('cli-prefer-a')).length, 1);
  t.deepEqual(P.resourceClear(cib, 'a').sort(), ['cli-ban-a-on-n1', 'cli-prefer-a']);
  t.deepEqual(cib.model().constraints.map((c) => c.id), ['location-a-n1-10']);
  t.is(t.throws(() => P.resourceMove(cib, 'a', 'n2', { lifetime: '1 hour' })).code, 'PCMK_BAD_LIFETIME');
  t.is(P.parseDuration('PT10M'), 600000);
  t.is(P.parseDuration('90'), 90000);
});

test('group add, clone, promotable, delete cascade, enable/disable, defaults, node attributes', (t) => {
  const cib = base();
  for (const r of ['a', 'b', 'c']) P.resourceCreate(cib, r, 'ocf:pacemaker:Dummy', { noDefaultOps: true });
  P.colocationAdd(cib, 'c', 'a');
  P.groupAdd(cib, 'g', ['a', 'b']);
  let m = cib.model();
  t.deepEqual(m.resources.map((r) => r.id), ['g', 'c']);
  t.deepEqual(m.resources[0].members.map((p) => p.id), ['a', 'b']);
  P.resourceClone(cib, 'c', { promotable: true, meta: { 'clone-max': '2' } });
  m = cib.model();
  t.like(m.resources[1], { kind: 'clone', id: 'c-clone', promotable: true, meta: { 'clone-max': '2', promotable: 'true' } });
  t.is(m.constraints[0].rsc, 'c-clone', 'constraints follow the resource into its clone');
  P.resourceDisable(cib, 'g');
  t.is(cib.model().resources[0].meta['target-role'], 'Stopped');
  P.resourceEnable(cib, 'g');
  t.is(cib.model().resources[0].meta['target-role'], undefined);
  P.defaultsUpdate(cib, 'rsc', { 'resource-stickiness': '100' });
  P.defaultsUpdate(cib, 'op', { timeout: '30s' });
  P.nodeStandby(cib, 'n1');
  P.nodeMaintenance(cib, 'n2');
  m = cib.model();
  t.deepEqual([m.rscDefaults, m.opDefaults], [{ 'resource-stickiness': '100' }, { timeout: '30s' }]);
  t.deepEqual(m.nodes.map((n) => n.attributes), [{ standby: 'on' }, { maintenance: 'on' }]);
  P.nodeStandby(cib, 'n1', false);
  t.deepEqual(cib.model().nodes[0].attributes, {});
  // Deleting a group member keeps the group; deleting the last removes the group and its constraints.
  t.deepEqual(P.resourceDelete(cib, 'a').removedConstraints, ['colocation-c-a-INFINITY']);
  t.deepEqual(cib.model().resources[0].members.map((p) => p.id), ['b']);
  t.deepEqual(cib.model().constraints, []);
  P.resourceDelete(cib, 'c');
  t.deepEqual(cib.model().resources.map((r) => r.id), ['g']);
  P.resourceDelete(cib, 'b');
  t.deepEqual(cib.model().resources, []);
});

test('fencing levels and alerts with pcs ids; bad references are typed errors', async (t) => {
  const cib = base();
  P.stonithCreate(cib, 'f1', 'fence_dummy', { noDefaultOps: true });
  P.stonithCreate(cib, 'f2', 'fence_dummy', { noDefaultOps: true });
  t.is(P.fencingLevelAdd(cib, 1, 'n1', ['f1', 'f2']), 'fl-n1-1');
  await P.runPcs(cib, ['stonith', 'level', 'add', '2', 'n1', 'f2']);
  t.deepEqual(cib.model().fencingTopology.map((l) => [l.id, l.index, l.devices]), [['fl-n1-1', 1, ['f1', 'f2']], ['fl-n1-2', 2, ['f2']]]);
  // pcs judges a duplicate by index, target and devices together.
  t.is(t.throws(() => P.fencingLevelAdd(cib, 1, 'n1', ['f1', 'f2'])).code, 'PCMK_ID_EXISTS');
  t.is(P.fencingLevelAdd(cib, 1, 'n1', ['f1']), 'fl-n1-1-1');
  t.deepEqual(P.fencingLevelRemove(cib, 1, { target: 'n1', devices: ['f1'] }), ['fl-n1-1-1']);
  t.is(t.throws(() => P.fencingLevelRemove(cib, 1, { devices: ['f1'] })).code, 'PCMK_NOT_FOUND');
  t.is(t.throws(() => P.fencingLevelAdd(cib, 3, 'n1', ['nope'])).code, 'PCMK_NOT_FOUND');
  t.is(t.throws(() => P.fencingLevelAdd(cib, 0, 'n1', ['f1'])).code, 'PCMK_BAD_LEVEL');
  await P.runPcs(cib, ['alert', 'create', 'path=/bin/a.sh', 'id=a1', 'description=hi', 'options', 'timeout=10s', 'meta', 'timestamp-format=%H']);
  await P.runPcs(cib, ['alert', 'recipient', 'add', 'a1', 'value=/var/log/x.log']);
  t.is(P.alertCreate(cib, '/bin/true'), 'alert');
  const [a1, a2] = cib.model().alerts;
  t.like(a1, { id: 'a1', path: '/bin/a.sh', description: 'hi', meta: { 'timestamp-format': '%H' }, instance: { timeout: '10s' } });
  t.deepEqual(a1.recipients.map((r) => [r.id, r.value]), [['a1-recipient', '/var/log/x.log']]);
  t.is(a2.id, 'alert');
  t.is(t.throws(() => P.alertRecipientAdd(cib, 'ghost', 'x')).code, 'PCMK_NOT_FOUND');
  t.is(t.throws(() => P.alertRecipientAdd(cib, 'a1', '/var/log/x.log')).code, 'PCMK_ID_EXISTS');
});
