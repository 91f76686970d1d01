export { TcpProxy, closeReasons } from './proxy';
export type { TcpProxyOptions, L4ListenerOptions, ListenerStats, ConnectionInfo, TcpProxyEvents, CloseReason } from './proxy';
