#include "lb/proxy_protocol.h"

#include "lb/proxy_tlv.h"

#include <arpa/inet.h>

#include <cstring>

namespace hakit::lb {
namespace {

const uint8_t kV2Signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

ProxyParse Invalid(ProxyHeader* h, const char* why) {
  h->error = why;
  return ProxyParse::kInvalid;
}

// A v1 decimal port: 1-5 digits, no leading zero, <= 65535.
bool ParsePort(const std::string& s, uint16_t* out) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

bool CanonicalAddress(int family, const std::string& text, std::string* out) {
  unsigned char buf[16];
  char back[INET6_ADDRSTRLEN];
  int af = family == 4 ? AF_INET : AF_INET6;
  if (text.size() >= INET6_ADDRSTRLEN) return false;
  if (inet_pton(af, text.c_str(), buf) != 1) return false;
  if (!inet_ntop(af, buf, back, sizeof back)) return false;
  *out = back;
  return true;
}

// A v2 inet address block: source and destination addresses (addressBytes each), then the
// source and destination ports, all in network byte order. The block length was checked.
void DecodeInetBlock(int af, size_t addressBytes, const uint8_t* block, ProxyHeader* h) {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(af, block, text, sizeof text);
  h->source = text;
  inet_ntop(af, block + addressBytes, text, sizeof text);
  h->destination = text;
  const uint8_t* ports = block + 2 * addressBytes;
  h->sourcePort = static_cast<uint16_t>((ports[0] << 8) | ports[1]);
  h->destinationPort = static_cast<uint16_t>((ports[2] << 8) | ports[3]);
}

ProxyParse ParseV1(const uint8_t* data, size_t length, ProxyHeader* h) {
  // "PROXY " ... "\r\n" within 107 bytes.
  size_t end = 0;
  bool found = false;
  for (size_t i = 0; i + 1 < length && i + 1 < kProxyV1MaxLength; i++) {
    if (data[i] == '\r' && data[i + 1] == '\n') {
      end = i;
      found = true;
      break;
    }
    if (data[i] == '\n' || data[i] == 0) return Invalid(h, "v1: bad character before CRLF");
  }
  if (!found) {
    if (length >= kProxyV1MaxLength) return Invalid(h, "v1: no CRLF within 107 bytes");
    return ProxyParse::kIncomplete;
  }
  std::string line(reinterpret_cast<const char*>(data), end);
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string::npos) sp = line.size();
    words.emplace_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  h->version = 1;
  h->length = end + 2;
  if (words.size() < 2 || words[0] != "PROXY") return Invalid(h, "v1: missing PROXY keyword");
  if (words[1] == "UNKNOWN") {
    h->local = true;
    return ProxyParse::kComplete;
  }
  int family;
  if (words[1] == "TCP4") family = 4;
  else if (words[1] == "TCP6") family = 6;
  else return Invalid(h, "v1: protocol must be TCP4, TCP6 or UNKNOWN");
  if (words.size() != 6) return Invalid(h, "v1: expected 6 fields");
  h->family = family;
  h->transport = 1;
  if (!CanonicalAddress(family, words[2], &h->source) || !CanonicalAddress(family, words[3], &h->destination)) return Invalid(h, "v1: bad address");
  if (!ParsePort(words[4], &h->sourcePort) || !ParsePort(words[5], &h->destinationPort)) return Invalid(h, "v1: bad port");
  return ProxyParse::kComplete;
}

ProxyParse ParseV2(const uint8_t* data, size_t length, ProxyHeader* h) {
  if (length < kProxyV2HeaderLength) return ProxyParse::kIncomplete;
  const uint8_t verCmd = data[12];
  if ((verCmd >> 4) != 2) return Invalid(h, "v2: version must be 2");
  const uint8_t cmd = verCmd & 0x0f;
  if (cmd > 1) return Invalid(h, "v2: command must be LOCAL or PROXY");
  const size_t bodyLength = (static_cast<size_t>(data[14]) << 8) | data[15];
  const size_t total = kProxyV2HeaderLength + bodyLength;
  if (length < total) return ProxyParse::kIncomplete;
  h->version = 2;
  h->length = total;
  h->local = cmd == 0;
  const uint8_t fam = data[13] >> 4;
  const uint8_t proto = data[13] & 0x0f;
  if (fam > 3 || proto > 2) return Invalid(h, "v2: bad address family or transport");
  const uint8_t* body = data + kProxyV2HeaderLength;
  size_t addrLength = 0;
  if (fam == 1) addrLength = 12;
  else if (fam == 2) addrLength = 36;
  else if (fam == 3) addrLength = 216;
  if (bodyLength < addrLength) return Invalid(h, "v2: address block longer than the header");
  if (!h->local) {
    h->transport = proto;
    if (fam == 1) {
      h->family = 4;
      DecodeInetBlock(AF_INET, 4, body, h);
    } else if (fam == 2) {
      h->family = 6;
      DecodeInetBlock(AF_INET6, 16, body, h);
    } else if (fam == 3) {
      h->family = 1;
      h->source.assign(reinterpret_cast<const char*>(body), strnlen(reinterpret_cast<const char*>(body), 108));
      h->destination.assign(reinterpret_cast<const char*>(body + 108), strnlen(reinterpret_cast<const char*>(body + 108), 108));
    }
  }
  // TLVs: type(1) length(2) value, exactly filling the rest; known ones checked (CRC32C, ...).
  const char* error = nullptr;
  if (!SplitProxyTlvs(body + addrLength, bodyLength - addrLength, kProxyV2HeaderLength + addrLength, &h->tlvs, &error)) return Invalid(h, error);
  ProxyTlvInfo info;
  if (!DecodeProxyTlvs(data, h->tlvs, data, total, &info, &error)) return Invalid(h, error);
  return ProxyParse::kComplete;
}

}  // namespace

ProxyParse ParseProxyHeader(const uint8_t* data, size_t length, ProxyHeader* header) {
  *header = ProxyHeader{};
  if (length == 0) return ProxyParse::kIncomplete;
  // Decide the version from what is there: a prefix of either signature is "incomplete".
  const size_t sigCheck = length < sizeof kV2Signature ? length : sizeof kV2Signature;
  if (std::memcmp(data, kV2Signature, sigCheck) == 0) {
    if (length < sizeof kV2Signature) return ProxyParse::kIncomplete;
    return ParseV2(data, length, header);
  }
  static const char kV1Prefix[] = "PROXY ";
  const size_t v1Check = length < 6 ? length : 6;
  if (std::memcmp(data, kV1Prefix, v1Check) == 0) {
    if (length < 6) return ProxyParse::kIncomplete;
    return ParseV1(data, length, header);
  }
  return Invalid(header, "not a PROXY protocol header");
}

}  // namespace hakit::lb
