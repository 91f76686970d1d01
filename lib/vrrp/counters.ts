/** Per-instance counters, named like keepalived's statistics (keepalived.stats / --json). */
export interface VrrpCounters {
  advert_rcvd: number;
  advert_sent: number;
  become_master: number;
  release_master: number;
  pri_zero_rcvd: number;
  pri_zero_sent: number;
  packet_len_err: number;
  advert_interval_err: number;
  ip_ttl_err: number;
  invalid_type_rcvd: number;
  addr_list_err: number;
  invalid_authtype: number;
  authtype_mismatch: number;
  auth_failure: number;
  checksum_err: number;
  version_err: number;
  send_err: number;
  /** check_unicast_src: a unicast advert from an address that is not a peer. */
  unicast_src_err: number;
}

export function newCounters(): VrrpCounters {
  return {
    advert_rcvd: 0, advert_sent: 0, become_master: 0, release_master: 0, pri_zero_rcvd: 0, pri_zero_sent: 0,
    packet_len_err: 0, advert_interval_err: 0, ip_ttl_err: 0, invalid_type_rcvd: 0, addr_list_err: 0,
    invalid_authtype: 0, authtype_mismatch: 0, auth_failure: 0, checksum_err: 0, version_err: 0, send_err: 0, unicast_src_err: 0,
  };
}
