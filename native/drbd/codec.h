// The replication link's wire format (hakit's own, with DRBD's packet vocabulary): a 12-byte
// header (magic, type, flags, payload length; big-endian) and a typed payload. Decoding never
// trusts a length it did not check; the receiver acts only on packets that parsed completely.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hakit::drbd {

constexpr uint32_t kMagic = 0x484b4431;  // "HKD1"
constexpr size_t kHeaderSize = 12;
constexpr uint32_t kMaxWrite = 1u << 20;               // largest single write (DRBD's max bio size)
constexpr uint32_t kMaxPayload = kMaxWrite + 64;       // data packet header fields + digest
constexpr uint32_t kBlockSize = 4096;                  // one bitmap bit
constexpr uint32_t kSectorSize = 512;
constexpr uint32_t kProtocolVersion = 1;
constexpr uint32_t kMaxDigest = 32;

enum class PacketType : uint16_t {
  AuthChallenge = 1,  // version, protocol, auth flag, 32-byte challenge
  AuthResponse = 2,   // HMAC-SHA256(shared-secret, "hakit-drbd" | challenge | side)
  AuthOk = 3,
  State = 4,          // opaque state report for the TypeScript state machine
  Data = 5,           // P_DATA: seq, epoch, offset, length, flags, [crc32c], data
  RecvAck = 6,        // protocol B
  WriteAck = 7,       // protocol C
  NegAck = 8,
  Barrier = 9,
  BarrierAck = 10,
  Ping = 11,
  PingAck = 12,
  Bitmap = 13,        // word offset + bitmap words
  BitmapDone = 14,
  RsRequest = 15,     // P_RS_DATA_REQUEST
  CsumRsRequest = 16, // P_CSUM_RS_REQUEST: digests of the target's blocks
  RsData = 17,        // P_RS_DATA_REPLY
  RsInSync = 18,      // P_RS_IS_IN_SYNC
  RsAck = 19,         // target wrote a resync reply: source clears its bits
  RsDone = 20,
  OvRequest = 21,     // online verify: digests of the verify source's blocks
  OvReply = 22,       // one bit per block: 1 = out of sync
  ReadRequest = 23,   // diskless primary reads through the peer
  ReadReply = 24,
};
constexpr uint16_t kMaxPacketType = 24;

// P_DATA flags.
constexpr uint32_t kDataTrim = 1;
constexpr uint32_t kDataWantRecvAck = 2;
constexpr uint32_t kDataWantWriteAck = 4;
constexpr uint32_t kDataDigest = 8;
constexpr uint32_t kDataFlagsMask = 15;

struct Header {
  PacketType type;
  uint16_t flags;
  uint32_t length;
};

// Decodes a header; false with `error` set when it is not one of ours.
bool DecodeHeader(const uint8_t* p, Header& header, std::string& error);

struct Packet {
  PacketType type{};
  uint16_t flags = 0;
  // Fields used by the types that have them.
  uint64_t seq = 0;       // Data/acks; ReadRequest/ReadReply id
  uint32_t epoch = 0;     // Data/Barrier/BarrierAck
  uint64_t offset = 0;    // byte offset in the volume; Bitmap: word offset
  uint32_t length = 0;    // bytes covered
  uint32_t dataFlags = 0;
  uint32_t crc = 0;
  uint32_t version = 0;
  uint8_t protocol = 0;
  uint8_t auth = 0;
  uint32_t status = 0;
  const uint8_t* data = nullptr;  // view into the payload
  size_t dataLength = 0;
};

// Parses a complete payload for `header`. Checks every structural rule (sizes, alignment,
// flags); bounds against the volume size are the receiver's job (ValidateAgainst).
bool DecodePayload(const Header& header, const uint8_t* payload, Packet& packet, std::string& error);
// Checks offsets/lengths against a volume of `volumeSize` bytes and digest sizes.
bool ValidateAgainst(const Packet& packet, uint64_t volumeSize, uint32_t digestSize, std::string& error);

// Encoding appends to `out`.
class Encoder {
 public:
  explicit Encoder(std::vector<uint8_t>& out) : out_(out) {}
  size_t Begin(PacketType type, uint16_t flags = 0);
  void End(size_t start);
  // The payload's last `external` bytes are sent from elsewhere, right after these.
  void End(size_t start, size_t external);
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Bytes(const uint8_t* p, size_t n) { out_.insert(out_.end(), p, p + n); }

 private:
  std::vector<uint8_t>& out_;
};

uint32_t GetU32(const uint8_t* p);
uint64_t GetU64(const uint8_t* p);
const char* PacketName(PacketType type);

}  // namespace hakit::drbd
