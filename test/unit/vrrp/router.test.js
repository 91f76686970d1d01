'use strict';
const test = require('ava');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { vrrp } = require('../../..');
const { Wire } = require('./wire');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (fn, ms = 3000) => {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > ms) return false;
    await sleep(10);
  }
  return true;
};

function routerOn(wire, primary, text, checks = []) {
  return new vrrp.VrrpRouter(vrrp.parseConfig(text), {
    clock: wire.clock,
    checks,
    linkFactory: (instance) => {
      const link = wire.link(primary);
      link.family = instance.vips[0].address.includes(':') ? 6 : 4;
      return link;
    },
  });
}

const twoInstances = (prio, extra = '') => `
global_defs {
    vrrp_version 3
}
vrrp_sync_group G1 {
    group {
        VI_A
        VI_B
    }
}
vrrp_instance VI_A {
    interface eth0
    virtual_router_id 1
    priority ${prio}
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100
    }
    track_script {
        health
    }
${extra}
}
vrrp_instance VI_B {
    interface eth1
    virtual_router_id 2
    priority ${prio}
    advert_int 0.1
    virtual_ipaddress {
        198.51.100.100
    }
}
`;

test('tracking with weight 0 puts the instance in FAULT and the sync group follows; notify scripts run', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hkv-router-'));
  const out = path.join(dir, 'notify.log');
  const notify = `    notify "echo >> ${out}"\n    notify_master "echo master >> ${out}"`;
  const clock = new vrrp.FakeClock();
  const wire = new Wire(clock);
  let healthy = true;
  const router = routerOn(wire, '192.0.2.11', twoInstances(150, notify), [{ name: 'health', check: () => healthy, interval: 10 }]);
  const changes = [];
  router.on('state', (c) => changes.push(`${c.instance}:${c.to}`));
  await router.start();
  // wire the links to their instances for delivery
  clock.advance(500);
  t.deepEqual(router.status().instances.map((i) => i.state), ['MASTER', 'MASTER']);
  healthy = false;
  t.true(await until(() => router.instance('VI_A').state === 'FAULT'));
  t.is(router.instance('VI_B').state, 'FAULT', 'the sync group follows');
  healthy = true;
  t.true(await until(() => router.instance('VI_A').state !== 'FAULT'));
  t.is(router.instance('VI_B').state, 'BACKUP');
  clock.advance(500);
  t.deepEqual(router.status().instances.map((i) => i.state), ['MASTER', 'MASTER']);
  t.true(await until(() => fs.existsSync(out) && /INSTANCE VI_A FAULT 150/.test(fs.readFileSync(out, 'utf8')) && /master/.test(fs.readFileSync(out, 'utf8'))));
  await router.stop();
  t.true(changes.includes('VI_A:STOP') && changes.includes('VI_B:STOP'));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a negative weight lowers the priority instead of FAULT; reload keeps the state', async (t) => {
  const clock = new vrrp.FakeClock();
  const wire = new Wire(clock);
  let healthy = true;
  const text = twoInstances(150).replace('        health\n', '        health weight -100\n');
  const router = routerOn(wire, '192.0.2.11', text, [{ name: 'health', check: () => healthy, interval: 10 }]);
  await router.start();
  clock.advance(500);
  healthy = false;
  t.true(await until(() => router.instance('VI_A').effectivePriority === 50));
  t.is(router.instance('VI_A').state, 'MASTER');
  const became = router.instance('VI_A').counters.become_master;
  await router.reload(vrrp.parseConfig(text.replace(/priority 150/g, 'priority 200')));
  t.is(router.instance('VI_A').state, 'MASTER');
  t.is(router.instance('VI_A').counters.become_master, became);
  t.is(router.instance('VI_A').effectivePriority, 100);
  // an instance removed by the reload is stopped (priority 0 if it was master)
  await router.reload(vrrp.parseConfig(text.replace(/vrrp_sync_group[\s\S]*?\n}\n/, '').replace(/vrrp_instance VI_B[\s\S]*$/, '')));
  t.is(router.instance('VI_B'), undefined);
  t.is(router.status().instances.length, 1);
  await router.stop();
});
