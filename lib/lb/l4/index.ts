export { TcpProxy, closeReasons } from './proxy';
export type { ProxyV2Options } from './proxy-tlvs';
export type { TcpProxyOptions, L4ListenerOptions, ListenerStats, ConnectionInfo, TcpProxyEvents, CloseReason } from './proxy';
