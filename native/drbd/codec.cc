#include "drbd/codec.h"

namespace hakit::drbd {

uint32_t GetU32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint64_t GetU64(const uint8_t* p) { return uint64_t(GetU32(p)) << 32 | GetU32(p + 4); }
static uint16_t GetU16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

const char* PacketName(PacketType type) {
  switch (type) {
    case PacketType::AuthChallenge: return "AuthChallenge";
    case PacketType::AuthResponse: return "AuthResponse";
    case PacketType::AuthOk: return "AuthOk";
    case PacketType::State: return "State";
    case PacketType::Data: return "Data";
    case PacketType::RecvAck: return "RecvAck";
    case PacketType::WriteAck: return "WriteAck";
    case PacketType::NegAck: return "NegAck";
    case PacketType::Barrier: return "Barrier";
    case PacketType::BarrierAck: return "BarrierAck";
    case PacketType::Ping: return "Ping";
    case PacketType::PingAck: return "PingAck";
    case PacketType::Bitmap: return "Bitmap";
    case PacketType::BitmapDone: return "BitmapDone";
    case PacketType::RsRequest: return "RsRequest";
    case PacketType::CsumRsRequest: return "CsumRsRequest";
    case PacketType::RsData: return "RsData";
    case PacketType::RsInSync: return "RsInSync";
    case PacketType::RsAck: return "RsAck";
    case PacketType::RsDone: return "RsDone";
    case PacketType::OvRequest: return "OvRequest";
    case PacketType::OvReply: return "OvReply";
    case PacketType::ReadRequest: return "ReadRequest";
    case PacketType::ReadReply: return "ReadReply";
  }
  return "Unknown";
}

bool DecodeHeader(const uint8_t* p, Header& header, std::string& error) {
  if (GetU32(p) != kMagic) { error = "bad magic"; return false; }
  uint16_t type = GetU16(p + 4);
  if (type == 0 || type > kMaxPacketType) { error = "unknown packet type " + std::to_string(type); return false; }
  header.type = static_cast<PacketType>(type);
  header.flags = GetU16(p + 6);
  header.length = GetU32(p + 8);
  if (header.length > kMaxPayload) { error = "payload too long (" + std::to_string(header.length) + ")"; return false; }
  return true;
}

namespace {
bool Need(uint32_t have, uint32_t want, const char* what, std::string& error) {
  if (have != want) { error = std::string(what) + ": payload length " + std::to_string(have) + ", expected " + std::to_string(want); return false; }
  return true;
}
bool AtLeast(uint32_t have, uint32_t want, const char* what, std::string& error) {
  if (have < want) { error = std::string(what) + ": payload too short (" + std::to_string(have) + ")"; return false; }
  return true;
}
bool RangeShape(uint64_t offset, uint32_t length, uint32_t align, uint32_t maxLength, std::string& error) {
  if (length == 0 || length > maxLength) { error = "bad length " + std::to_string(length); return false; }
  if (offset % align != 0 || length % align != 0) { error = "unaligned range"; return false; }
  if (offset > (UINT64_MAX >> 1)) { error = "offset out of range"; return false; }
  return true;
}
}  // namespace

bool DecodePayload(const Header& h, const uint8_t* p, Packet& k, std::string& error) {
  k = Packet{};
  k.type = h.type;
  k.flags = h.flags;
  const uint32_t n = h.length;
  const char* name = PacketName(h.type);
  switch (h.type) {
    case PacketType::AuthChallenge:
      if (!Need(n, 8 + 32, name, error)) return false;
      k.version = GetU32(p);
      k.protocol = p[4];
      k.auth = p[5];
      if (k.protocol < 1 || k.protocol > 3 || k.auth > 1) { error = "bad protocol or auth flag"; return false; }
      k.data = p + 8; k.dataLength = 32;
      return true;
    case PacketType::AuthResponse:
      if (!Need(n, 32, name, error)) return false;
      k.data = p; k.dataLength = 32;
      return true;
    case PacketType::AuthOk: case PacketType::Ping: case PacketType::PingAck:
    case PacketType::BitmapDone: case PacketType::RsDone:
      return Need(n, 0, name, error);
    case PacketType::State:
      if (n == 0 || n > 65536) { error = "State: bad length"; return false; }
      k.data = p; k.dataLength = n;
      return true;
    case PacketType::Data: {
      if (!AtLeast(n, 28, name, error)) return false;
      k.seq = GetU64(p); k.epoch = GetU32(p + 8); k.offset = GetU64(p + 12); k.length = GetU32(p + 20); k.dataFlags = GetU32(p + 24);
      if (k.dataFlags & ~kDataFlagsMask) { error = "Data: unknown flags"; return false; }
      if (!RangeShape(k.offset, k.length, kSectorSize, (k.dataFlags & kDataTrim) ? UINT32_MAX - kSectorSize + 1 : kMaxWrite, error)) return false;
      uint32_t at = 28;
      if (k.dataFlags & kDataDigest) {
        if (!AtLeast(n, at + 4, name, error)) return false;
        k.crc = GetU32(p + at); at += 4;
      }
      uint32_t want = (k.dataFlags & kDataTrim) ? 0 : k.length;
      if (!Need(n - at, want, name, error)) return false;
      k.data = p + at; k.dataLength = want;
      return true;
    }
    case PacketType::RecvAck: case PacketType::WriteAck: case PacketType::NegAck:
      if (!Need(n, 8, name, error)) return false;
      k.seq = GetU64(p);
      return true;
    case PacketType::Barrier:
      if (!Need(n, 8, name, error)) return false;
      k.epoch = GetU32(p); k.status = GetU32(p + 4);
      return true;
    case PacketType::BarrierAck:
      if (!Need(n, 4, name, error)) return false;
      k.epoch = GetU32(p);
      return true;
    case PacketType::Bitmap:
      if (!AtLeast(n, 16, name, error)) return false;
      if ((n - 8) % 8 != 0 || n - 8 > 65536) { error = "Bitmap: bad word count"; return false; }
      k.offset = GetU64(p);
      if (k.offset > (UINT64_MAX >> 8)) { error = "Bitmap: offset out of range"; return false; }
      k.data = p + 8; k.dataLength = n - 8;
      return true;
    case PacketType::RsRequest: case PacketType::RsInSync: case PacketType::RsAck:
      if (!Need(n, 12, name, error)) return false;
      k.offset = GetU64(p); k.length = GetU32(p + 8);
      return RangeShape(k.offset, k.length, kBlockSize, kMaxWrite, error);
    case PacketType::CsumRsRequest: case PacketType::OvRequest:
      if (!AtLeast(n, 12, name, error)) return false;
      k.offset = GetU64(p); k.length = GetU32(p + 8);
      if (!RangeShape(k.offset, k.length, kBlockSize, kMaxWrite, error)) return false;
      k.data = p + 12; k.dataLength = n - 12;
      if (k.dataLength == 0 || k.dataLength % (k.length / kBlockSize) != 0 || k.dataLength / (k.length / kBlockSize) > kMaxDigest) { error = std::string(name) + ": bad digest list"; return false; }
      return true;
    case PacketType::RsData:
      if (!AtLeast(n, 12, name, error)) return false;
      k.offset = GetU64(p); k.length = GetU32(p + 8);
      if (!RangeShape(k.offset, k.length, kBlockSize, kMaxWrite, error)) return false;
      if (!Need(n - 12, k.length, name, error)) return false;
      k.data = p + 12; k.dataLength = k.length;
      return true;
    case PacketType::OvReply: {
      if (!AtLeast(n, 12, name, error)) return false;
      k.offset = GetU64(p); k.length = GetU32(p + 8);
      if (!RangeShape(k.offset, k.length, kBlockSize, kMaxWrite, error)) return false;
      uint32_t blocks = k.length / kBlockSize;
      if (!Need(n - 12, (blocks + 7) / 8, name, error)) return false;
      k.data = p + 12; k.dataLength = n - 12;
      return true;
    }
    case PacketType::ReadRequest:
      if (!Need(n, 20, name, error)) return false;
      k.seq = GetU64(p); k.offset = GetU64(p + 8); k.length = GetU32(p + 16);
      return RangeShape(k.offset, k.length, kSectorSize, kMaxWrite, error);
    case PacketType::ReadReply:
      if (!AtLeast(n, 12, name, error)) return false;
      k.seq = GetU64(p); k.status = GetU32(p + 8);
      if (n - 12 > kMaxWrite) { error = "ReadReply: too long"; return false; }
      k.data = p + 12; k.dataLength = n - 12;
      return true;
  }
  error = "unknown packet";
  return false;
}

bool ValidateAgainst(const Packet& k, uint64_t volumeSize, uint32_t digestSize, std::string& error) {
  switch (k.type) {
    case PacketType::Data: case PacketType::RsRequest: case PacketType::RsInSync: case PacketType::RsAck:
    case PacketType::RsData: case PacketType::CsumRsRequest: case PacketType::OvRequest: case PacketType::OvReply:
    case PacketType::ReadRequest:
      if (k.offset > volumeSize || k.length > volumeSize - k.offset) { error = std::string(PacketName(k.type)) + ": range beyond the volume"; return false; }
      break;
    case PacketType::Bitmap: {
      uint64_t words = (volumeSize / kBlockSize + 63) / 64;
      if (k.offset > words || k.dataLength / 8 > words - k.offset) { error = "Bitmap: beyond the volume"; return false; }
      break;
    }
    default:
      break;
  }
  if ((k.type == PacketType::CsumRsRequest || k.type == PacketType::OvRequest) && k.dataLength != (k.length / kBlockSize) * digestSize) {
    error = std::string(PacketName(k.type)) + ": digest size does not match the configured algorithm";
    return false;
  }
  return true;
}

size_t Encoder::Begin(PacketType type, uint16_t flags) {
  size_t start = out_.size();
  U32(kMagic);
  U16(static_cast<uint16_t>(type));
  U16(flags);
  U32(0);
  return start;
}
void Encoder::End(size_t start) { End(start, 0); }
void Encoder::End(size_t start, size_t external) {
  uint32_t length = static_cast<uint32_t>(out_.size() - start - kHeaderSize + external);
  for (int i = 0; i < 4; i++) out_[start + 8 + i] = uint8_t(length >> (24 - 8 * i));
}
void Encoder::U16(uint16_t v) { out_.push_back(uint8_t(v >> 8)); out_.push_back(uint8_t(v)); }
void Encoder::U32(uint32_t v) { for (int i = 0; i < 4; i++) out_.push_back(uint8_t(v >> (24 - 8 * i))); }
void Encoder::U64(uint64_t v) { U32(uint32_t(v >> 32)); U32(uint32_t(v)); }

}  // namespace hakit::drbd
