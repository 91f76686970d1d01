'use strict';
// What the VRRP integration tests need on the machine.
const { requires } = require('../../helpers/env');
module.exports = [
  requires.root,
  requires.command('ip', 'iproute2'),
  requires.command('keepalived', 'keepalived'),
  requires.command('tcpdump', 'tcpdump'),
  requires.command('tshark', 'tshark'),
  { what: '/usr/sbin/nft (apt-get install nftables)', ok: () => require('fs').existsSync('/usr/sbin/nft') },
];
