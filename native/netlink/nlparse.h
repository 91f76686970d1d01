// Netlink wire-format walking (linux/netlink.h): message headers and attribute TLVs. Plain C++
// so the fuzzer links it without Node. Nothing here trusts a length it did not check.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hakit::netlink {

constexpr size_t kHeaderLen = 16;  // struct nlmsghdr
constexpr uint16_t kMsgNoop = 1, kMsgError = 2, kMsgDone = 3, kMsgOverrun = 4;
constexpr uint16_t kFlagRequest = 0x1, kFlagMulti = 0x2, kFlagAck = 0x4, kFlagDumpIntr = 0x10;
constexpr uint16_t kFlagDump = 0x300;  // NLM_F_ROOT | NLM_F_MATCH

struct MessageView {
  size_t offset;    // of the header within the buffer
  uint32_t length;  // nlmsg_len, header included
  uint16_t type;
  uint16_t flags;
  uint32_t seq;
  uint32_t pid;
};

inline size_t Align4(size_t n) { return (n + 3) & ~static_cast<size_t>(3); }

// Splits a buffer of back-to-back messages. Returns false at the first malformed header
// (length below 16 or past the end) and sets *bad_offset to where it starts.
bool SplitMessages(const uint8_t* data, size_t length, std::vector<MessageView>& out, size_t* bad_offset);

// The int error of an NLMSG_ERROR or NLMSG_DONE payload (0 = ack / clean end). Returns false
// when the payload is too short to hold it.
bool MessageErrno(const uint8_t* data, const MessageView& message, int32_t* error);

// Checks that a region is a well-formed sequence of attributes (struct nlattr), descending into
// every attribute whose payload itself parses as attributes, up to max_depth levels. Returns
// the number of attributes seen, or -1 at the first malformed one (*bad_offset set).
long ValidateAttributes(const uint8_t* data, size_t length, int max_depth, size_t* bad_offset);

}  // namespace hakit::netlink
