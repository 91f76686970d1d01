'use strict';
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { vrrp } = require('../../..');

const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'vrrp');
const bin = path.join(__dirname, '..', '..', '..', 'bin', 'hakit.js');
const parse = (text) => vrrp.parseConfig(text, 'k.conf');
const errorOf = (text) => { try { parse(text); return undefined; } catch (e) { return e; } };

test('every keepalived config of the oracle loads with the values keepalived uses', (t) => {
  for (const file of fs.readdirSync(fixtures).filter((f) => f.endsWith('.conf'))) {
    const c = vrrp.loadConfig(path.join(fixtures, file));
    t.is(c.instances.length, 1, file);
    t.deepEqual(c.warnings, [], file);
  }
  const v2 = vrrp.loadConfig(path.join(fixtures, 'v2-auth-prio150.conf')).instances[0];
  t.like(v2, { name: 'VI_1', interface: 'eth0', vrid: 54, priority: 150, advertInt: 1000, version: 2, authPass: 'secret12', state: 'BACKUP', preempt: true });
  const v6 = vrrp.loadConfig(path.join(fixtures, 'v3-ipv6-prio100.conf')).instances[0];
  t.is(v6.version, 3);  // IPv6 is always v3, even without vrrp_version
  t.deepEqual(v6.vips, [{ address: 'fe80::55', prefix: 64 }, { address: '2001:db8::100', prefix: 64 }]);
  const uni = vrrp.loadConfig(path.join(fixtures, 'v3-unicast-h1.conf')).instances[0];
  t.like(uni, { unicastSrc: '192.0.2.11', unicastPeers: ['192.0.2.12'] });
  t.is(vrrp.loadConfig(path.join(fixtures, 'v3-nopreempt-prio150.conf')).instances[0].preempt, false);
  t.is(vrrp.loadConfig(path.join(fixtures, 'v3-vmac-prio150.conf')).instances[0].useVmac, true);
});

const full = `
! a comment
global_defs {
    router_id LB1
    vrrp_version 3
    vrrp_garp_master_delay 2
    vrrp_garp_master_repeat 3
    notification_email { ops@example.com }
    frobnicate yes
}
vrrp_script chk_app {
    script "/usr/bin/test -e /tmp/x"
    interval 2
    weight -20
    fall 2
    rise 3
}
vrrp_sync_group G1 {
    group {
        VI_1
        VI_2
    }
    notify_master "/bin/true master"
}
vrrp_instance VI_1
{
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 0.05
    preempt_delay 3
    virtual_ipaddress {
        192.0.2.100/24 dev eth0 label eth0:vip
        192.0.2.101
    }
    virtual_ipaddress_excluded { 2001:db8::100/64 }
    track_interface {
        eth1 weight -30
        eth2
    }
    track_script { chk_app }
    notify_master "/usr/local/bin/on-master"
    notify /usr/local/bin/notify.sh
    garp_master_repeat 7
    smtp_alert
}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    virtual_ipaddress { fe80::1 }
}
virtual_server 192.0.2.100 80 {
    lb_algo rr
}
`;

test('global_defs, vrrp_script, vrrp_sync_group and the instance keywords', (t) => {
  const c = parse(full);
  t.is(c.routerId, 'LB1');
  const [i1, i2] = c.instances;
  t.like(i1, { state: 'MASTER', priority: 150, advertInt: 50, version: 3, preemptDelay: 3000 });
  t.deepEqual(i1.vips, [{ address: '192.0.2.100', prefix: 24, dev: 'eth0', label: 'eth0:vip' }, { address: '192.0.2.101', prefix: 32 }]);
  t.deepEqual(i1.excludedVips, [{ address: '2001:db8::100', prefix: 64 }]);
  t.deepEqual(i1.trackInterfaces, [{ name: 'eth1', weight: -30 }, { name: 'eth2' }]);
  t.deepEqual(i1.trackScripts, [{ name: 'chk_app' }]);
  t.deepEqual(i1.notify, { master: '/usr/local/bin/on-master', any: '/usr/local/bin/notify.sh' });
  t.deepEqual(i1.garp, { masterDelay: 2000, masterRepeat: 7 });
  t.like(i2, { priority: 100, advertInt: 1000, version: 3, state: 'BACKUP' });
  t.deepEqual(c.scripts, [{ name: 'chk_app', script: '/usr/bin/test -e /tmp/x', interval: 2000, timeout: 2000, weight: -20, rise: 3, fall: 2 }]);
  t.deepEqual(c.groups, [{ name: 'G1', members: ['VI_1', 'VI_2'], notify: { master: '/bin/true master' } }]);
  const lines = c.warnings.map((w) => `${w.file}:${w.line}: ${w.message}`);
  t.true(lines.some((l) => /^k\.conf:8: .*notification_email/.test(l)));
  t.true(lines.some((l) => /^k\.conf:9: unknown keyword 'frobnicate'/.test(l)));
  t.true(lines.some((l) => /^k\.conf:46: .*'smtp_alert'/.test(l)));
  t.true(lines.some((l) => /^k\.conf:53: virtual_server belongs to the load balancer/.test(l)));
});

test('invalid values are errors naming file:line, all of them at once', (t) => {
  const e = errorOf(`vrrp_instance A {
    interface eth0
    virtual_router_id 256
    priority 0
    state SLAVE
    advert_int 0.5
    virtual_ipaddress {
        192.0.2.300
    }
}`);
  t.is(e.code, 'VRRP_BAD_CONFIG');
  t.regex(e.message, /k\.conf:3: virtual_router_id: expected an integer in 1-255, got '256'/);
  t.regex(e.message, /k\.conf:4: priority/);
  t.regex(e.message, /k\.conf:5: state must be MASTER or BACKUP/);
  t.regex(e.message, /k\.conf:8: '192\.0\.2\.300' is not an IP address/);
  t.true(e.details.errors.length >= 4);
});

test('advert_int limits match keepalived -t: v2 whole seconds 1-255, v3 0.01-40.95', (t) => {
  const inst = (v, adv) => `global_defs {\n vrrp_version ${v}\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n advert_int ${adv}\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n`;
  t.is(parse(inst(3, '0.01')).instances[0].advertInt, 10);
  t.is(parse(inst(3, '40.95')).instances[0].advertInt, 40950);
  t.regex(errorOf(inst(3, '0.001')).message, /k\.conf:7: advert_int 0\.001/);
  t.regex(errorOf(inst(3, '41')).message, /k\.conf:7/);
  t.regex(errorOf(inst(2, '0.5')).message, /whole seconds/);
  t.is(parse(inst(2, '255')).instances[0].advertInt, 255000);
});

test('structural errors: unbalanced braces, unknown sync group member, unknown script, duplicates, strict mode', (t) => {
  t.regex(errorOf('vrrp_instance A {\n interface eth0\n').message, /missing '}'/);
  t.regex(errorOf('}\n').message, /k\.conf:1: unbalanced/);
  const inst = (name, vrid, extra = '') => `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n virtual_ipaddress {\n 192.0.2.1\n }\n${extra}}\n`;
  t.regex(errorOf(inst('A', 1) + 'vrrp_sync_group G {\n group {\n A\n B\n }\n}\n').message, /unknown instance 'B'/);
  t.regex(parse(inst('A', 1, ' track_script {\n nope\n }\n')).warnings[0].message, /tracks 'nope', which is not a vrrp_script/);
  t.regex(errorOf(inst('A', 1) + inst('B', 1)).message, /same interface, family and virtual_router_id as A/);
  t.regex(errorOf('global_defs {\n vrrp_strict\n}\n' + inst('A', 1, ' unicast_peer {\n 192.0.2.2\n }\n')).message, /vrrp_strict forbids unicast_peer/);
  t.regex(errorOf(inst('A', 1, ' authentication {\n auth_type AH\n auth_pass x\n }\n')).message, /k\.conf:8: auth_type AH is not supported/);
});

test('include pulls in another file relative to the including one', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hkv-conf-'));
  fs.writeFileSync(path.join(dir, 'inst.conf'), 'vrrp_instance A {\n interface eth0\n virtual_router_id 9\n virtual_ipaddress {\n 192.0.2.9\n }\n bogus_kw 1\n}\n');
  fs.writeFileSync(path.join(dir, 'main.conf'), 'include inst.conf\n');
  const c = vrrp.loadConfig(path.join(dir, 'main.conf'));
  t.is(c.instances[0].vrid, 9);
  t.is(c.warnings[0].file, path.join(dir, 'inst.conf'));
  t.is(c.warnings[0].line, 7);
  fs.rmSync(dir, { recursive: true });
});

test('hakit vrrp check: warnings on stderr, errors exit 1 with file:line, usage errors exit 2', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hkv-cli-'));
  const good = path.join(dir, 'good.conf');
  fs.writeFileSync(good, fs.readFileSync(path.join(fixtures, 'v3-prio100.conf'), 'utf8') + '\nweird_thing 1\n');
  let r = spawnSync(process.execPath, [bin, 'vrrp', 'check', '--config', good], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /1 instance\(s\).*OK/);
  t.regex(r.stderr, /good\.conf:18: unknown or unsupported top-level keyword 'weird_thing'/);
  const bad = path.join(dir, 'bad.conf');
  fs.writeFileSync(bad, 'vrrp_instance A {\n interface eth0\n virtual_router_id x\n}\n');
  r = spawnSync(process.execPath, [bin, 'vrrp', 'check', '--config', bad], { encoding: 'utf8' });
  t.is(r.status, 1);
  t.regex(r.stderr, /bad\.conf:3: virtual_router_id/);
  t.regex(r.stderr, /VRRP_BAD_CONFIG/);
  r = spawnSync(process.execPath, [bin, 'vrrp', 'frob'], { encoding: 'utf8' });
  t.is(r.status, 2);
  r = spawnSync(process.execPath, [bin, 'vrrp', 'status', '--control', path.join(dir, 'none.sock')], { encoding: 'utf8' });
  t.is(r.status, 1);
  t.regex(r.stderr, /VRRP_NOT_RUNNING/);
  fs.rmSync(dir, { recursive: true });
});
