export { HealthChecker, realClock, checkTypes } from './checker';
export type { HealthCheckOptions, CheckType, Clock, ServerCheckStatus, CheckEvent, HealthCheckerEvents, HealthCheckerStats } from './checker';
export { parseAgentReply, AGENT_MAX_REPLY } from './agent';
export type { AgentReply } from './agent';
export { tcpProbe, tlsProbe, httpProbe, agentProbe, customProbe, statusMatcher } from './probes';
export type { ProbeResult, ProbeContext, HttpCheckOptions, AgentCheckOptions, CustomCheck } from './probes';
export { Pinger, echoRequest, echoReplyOffset, internetChecksum } from './icmp';
