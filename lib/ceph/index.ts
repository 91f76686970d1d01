/** Ceph from Node: cephx keyrings, the ceph CLI, pools and PG planning, and placement computed locally. */
export * from './keyring';
export * from './cli';
export * from './placement';
export * from './autoscale';
