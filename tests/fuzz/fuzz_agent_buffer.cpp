// A segment file of the agent's buffer as a crash or a bad disk may leave it: opening the buffer
// must cut what is not whole good records (and count the cut), and leave a buffer whose records
// read back in increasing seq order, as often as it is reopened, and that appends above them.
// The first byte picks the segment's name and whether a good segment follows it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../unit/faulty_fs.h"
#include "agent/buffer.h"
#include "agent/segment.h"
#include "core/log.h"

namespace {

using tt::agent::Buffer;

constexpr const char* kDir = "/buf";

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::string segment(std::uint64_t name) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s/%016llx.seg", kDir, static_cast<unsigned long long>(name));
  return buf;
}

std::unique_ptr<Buffer> open(tt::test::FaultyFs& fs) {
  auto b = Buffer::open({.dir = kDir, .max_bytes = 1 << 20, .segment_bytes = 64 << 10}, fs);
  check(b.ok());  // damaged contents are cut, never a failure to open
  return std::move(b).value();
}

// The seqs read back, checked to increase and to stay at or above `first`.
std::vector<std::uint64_t> read_all(Buffer& b, std::uint64_t first) {
  auto records = b.read(0, 1 << 24, 1 << 20);
  check(records.ok());
  std::vector<std::uint64_t> seqs;
  for (const auto& r : records.value()) {
    check(r.seq >= first && (seqs.empty() || r.seq > seqs.back()));
    seqs.push_back(r.seq);
  }
  return seqs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  tt::log::set_level(tt::log::Level::error);
  const std::uint64_t name = 1 + (data[0] & 0x0F) * 3;
  const bool follow = data[0] & 0x10;
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  tt::test::FaultyFs fs;
  fs.set_contents(segment(name), bytes);
  if (follow) fs.set_contents(segment(100), tt::agent::encode_record(100, "next"));

  auto b = open(fs);
  const auto kept = fs.contents(segment(name));
  const std::size_t kept_bytes = kept ? kept->size() : 0;
  check(kept_bytes <= bytes.size() && bytes.compare(0, kept_bytes, kept.value_or("")) == 0);
  const auto dropped = b->dropped();
  check(dropped.bytes == bytes.size() - kept_bytes);
  check(dropped.records == (kept_bytes < bytes.size() ? 1 : 0));
  const auto seqs = read_all(*b, name);
  const auto stats = b->stats();
  check(stats.records == seqs.size());
  check(stats.bytes == kept_bytes + (follow ? tt::agent::kRecordHeaderBytes + 4 : 0));
  check(!follow || (!seqs.empty() && seqs.back() == 100));

  auto appended = b->append("x");
  check(appended.ok() && (seqs.empty() || appended.value() > seqs.back()));
  b.reset();
  fs.crash(tt::test::FaultyFs::Crash::power);
  b = open(fs);
  auto again = read_all(*b, name);
  check(!again.empty() && again.back() == appended.value());
  again.pop_back();
  check(again == seqs);
  check(b->dropped() == dropped);
  return 0;
}
