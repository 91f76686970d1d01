'use strict';
// keepalived.conf text for lab scenarios (the same text runs keepalived and hakit).
function conf({ state = 'BACKUP', version = 3, vrid = 51, prio = 100, adv = 1, vips = ['192.0.2.100/32'], name = 'VI_1', auth, nopreempt, preemptDelay, unicastSrc, peers, extra = '', globals = '' }) {
  const lines = [`global_defs {`, `    vrrp_version ${version}`, globals, `}`, `vrrp_instance ${name} {`, `    state ${state}`, `    interface eth0`,
    `    virtual_router_id ${vrid}`, `    priority ${prio}`, `    advert_int ${adv}`];
  if (nopreempt) lines.push('    nopreempt');
  if (preemptDelay !== undefined) lines.push(`    preempt_delay ${preemptDelay}`);
  if (auth) lines.push('    authentication {', '        auth_type PASS', `        auth_pass ${auth}`, '    }');
  if (unicastSrc) lines.push(`    unicast_src_ip ${unicastSrc}`, '    unicast_peer {', ...peers.map((p) => `        ${p}`), '    }');
  lines.push('    virtual_ipaddress {', ...vips.map((v) => `        ${v}`), '    }', extra, '}', '');
  return lines.join('\n');
}
module.exports = { conf };
