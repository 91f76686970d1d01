// libFuzzer target: the netlink message splitter and attribute walker on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "netlink/nlparse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hakit::netlink;
  std::vector<MessageView> messages;
  size_t bad = 0;
  SplitMessages(data, size, messages, &bad);
  for (const MessageView& m : messages) {
    int32_t error = 0;
    MessageErrno(data, m, &error);
    // Generic netlink payloads: a 4-byte family header, then attributes.
    if (m.length > kHeaderLen + 4) ValidateAttributes(data + m.offset + kHeaderLen + 4, m.length - kHeaderLen - 4, 8, &bad);
  }
  ValidateAttributes(data, size, 16, &bad);
  return 0;
}
