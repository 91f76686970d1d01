#include "netlink/nlparse.h"

#include <cstring>

namespace hakit::netlink {
namespace {
uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
}  // namespace

bool SplitMessages(const uint8_t* data, size_t length, std::vector<MessageView>& out, size_t* bad_offset) {
  size_t offset = 0;
  while (offset < length) {
    if (length - offset < kHeaderLen) {
      *bad_offset = offset;
      return false;
    }
    const uint8_t* p = data + offset;
    MessageView m{offset, Load32(p), Load16(p + 4), Load16(p + 6), Load32(p + 8), Load32(p + 12)};
    if (m.length < kHeaderLen || m.length > length - offset) {
      *bad_offset = offset;
      return false;
    }
    out.push_back(m);
    size_t next = Align4(m.length);
    // The last message may omit its padding; anything else past the end is malformed.
    if (next > length - offset) break;
    offset += next;
  }
  return true;
}

bool MessageErrno(const uint8_t* data, const MessageView& message, int32_t* error) {
  if (message.length < kHeaderLen + 4) return false;
  uint32_t raw = Load32(data + message.offset + kHeaderLen);
  std::memcpy(error, &raw, 4);
  return true;
}

long ValidateAttributes(const uint8_t* data, size_t length, int max_depth, size_t* bad_offset) {
  long count = 0;
  size_t offset = 0;
  while (offset + 4 <= length) {
    uint16_t len = Load16(data + offset);
    if (len < 4 || len > length - offset) {
      *bad_offset = offset;
      return -1;
    }
    ++count;
    // A payload that happens to parse as attributes is walked too: that is how nesting is
    // exercised without a schema. A payload that does not is just bytes.
    if (max_depth > 0 && len > 8) {
      size_t inner_bad = 0;
      long inner = ValidateAttributes(data + offset + 4, len - 4, max_depth - 1, &inner_bad);
      if (inner > 0) count += inner;
    }
    offset += Align4(len);
  }
  // Fewer than 4 bytes left cannot be an attribute: accepted only as zero padding.
  for (size_t i = offset; i < length; ++i)
    if (data[i] != 0) {
      *bad_offset = offset;
      return -1;
    }
  return count;
}

}  // namespace hakit::netlink
