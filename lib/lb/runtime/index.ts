export { Runtime } from './runtime';
export type { RuntimeOptions } from './runtime';
export { startAdminServer } from './admin';
export type { AdminServer, AdminServerOptions } from './admin';
