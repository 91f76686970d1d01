// libFuzzer target: arbitrary bytes through the link's decoder and through an engine whose link
// is in the handshake phase. Nothing may crash, and nothing may reach the disk (the engine has
// no disk here; any write attempt would dereference fd -1 and fail loudly under ASan/UBSan).
#include <cstddef>
#include <cstdint>
#include <string>

#include "drbd/codec.h"
#include "drbd/engine.h"

using namespace hakit::drbd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t at = 0;
  while (size - at >= kHeaderSize) {
    Header header;
    std::string error;
    if (!DecodeHeader(data + at, header, error)) break;
    if (size - at - kHeaderSize < header.length) break;
    Packet packet;
    if (DecodePayload(header, data + at + kHeaderSize, packet, error)) {
      if (packet.dataLength > header.length) __builtin_trap();
      if (packet.data && (packet.data < data + at + kHeaderSize || packet.data + packet.dataLength > data + at + kHeaderSize + header.length)) __builtin_trap();
      ValidateAgainst(packet, 1u << 20, 4, error);
      ValidateAgainst(packet, 1u << 20, 32, error);
    }
    at += kHeaderSize + header.length;
  }
  static Engine* engine = [] {
    EngineConfig config;
    config.dataSize = 1u << 20;
    config.secret = "fuzz";
    auto* e = new Engine(config, [](Event&&) {});
    return e;
  }();
  engine->FeedForTest(data, size);
  return 0;
}
