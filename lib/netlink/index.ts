/**
 * The netlink core shared by hakit's kernel clients (IPVS over generic netlink, rtnetlink for
 * VRRP's addresses and links): a socket of any protocol running batched exchanges off the JS
 * thread, typed errors, nlctrl family resolution, and declarative attribute schemas.
 */
export * from './constants';
export * from './attributes';
export * from './message';
export * from './errors';
export * from './socket';
export * from './genl';
