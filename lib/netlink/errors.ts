/** Typed errors of netlink exchanges: `NETLINK_<ERRNO>` with the errno and the request. */
import os from 'node:os';
import { HakitError } from '../errors';

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(os.constants.errno)) if (!errnoNames.has(value)) errnoNames.set(value, name);

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export interface RequestSummary {
  type: number;
  flags: number;
  seq: number;
  /** e.g. 'IPVS NEW_SERVICE TCP 10.0.0.1:80' */
  what?: string;
}

export class NetlinkError extends HakitError {
  readonly errno: number;
  constructor(errno: number, request: RequestSummary | undefined, kernelMessage?: string, context = 'netlink request') {
    const name = errnoName(errno);
    const what = request?.what ?? (request ? `message type ${request.type}` : context);
    super(`NETLINK_${name}`, `${what}: ${describeErrno(errno)}${kernelMessage ? ` (${kernelMessage})` : ''}`, {
      errno,
      errnoName: name,
      ...(request ? { request } : {}),
      ...(kernelMessage ? { kernelMessage } : {}),
    });
    this.name = 'NetlinkError';
    this.errno = errno;
  }
}

/** strerror(3)-like text from libuv's table, e.g. 'file already exists'. */
export function describeErrno(errno: number): string {
  const name = errnoName(errno);
  // util.getSystemErrorMessage needs Node 22; a small table of what netlink answers serves 20.
  return systemMessages[name] ? `${systemMessages[name]} (${name})` : name;
}

const systemMessages: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  ENODEV: 'no such device',
  EINVAL: 'invalid argument',
  ENOSPC: 'no space left on device',
  ERANGE: 'numerical result out of range',
  EOPNOTSUPP: 'operation not supported',
  ENOBUFS: 'no buffer space available',
  ETIMEDOUT: 'timed out',
  EPROTONOSUPPORT: 'protocol not supported',
  EAFNOSUPPORT: 'address family not supported by protocol',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EMSGSIZE: 'message too long',
  EBADMSG: 'bad message',
};
