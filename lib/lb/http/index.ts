/**
 * hakit's L7 HTTP load balancer: HAProxy's frontend/backend model over the core Pool.
 *
 *   const lb = new HttpBalancer(parseConfigText(yaml));
 *   await lb.start();
 *   await lb.reload(newConfig);   // SIGHUP in the CLI
 */
export { HttpBalancer } from './balancer';
export type { HttpBalancerOptions } from './balancer';
export type { AccessLogEntry } from './proxy';
export { compileAcl, compileCondition } from './acl';
export type { AclRequest, AclTest } from './acl';
export { compileHttpRequestRule } from './rules';
export { ErrorPages, errorResponse, parseErrorResponse } from './errors';
export { validateConfig, parseBind, parseServer } from '../config/validate';
export { parseConfigText, loadConfigFile } from '../config/load';
export { defaultConfigText } from '../config/default';
export type * from '../config/types';
export { StatsServer } from '../stats/server';
export { snapshot } from '../stats/snapshot';
export type { StatsSnapshot } from '../stats/snapshot';
export { createMetrics } from '../stats/metrics';
