// The agent's disk buffer (agent/buffer.h): seqs, reading in pages, acknowledgement, the bound,
// the faults of its disk (a full disk, torn writes, failed syncs, crashes, damaged bytes), and
// deferred syncs.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "../faulty_fs.h"
#include "agent/buffer.h"
#include "agent/segment.h"
#include "core/clock.h"
#include "core/random.h"

using namespace tt;
using namespace tt::agent;
using tt::test::FaultyFs;

namespace {

constexpr const char* kDir = "/buf";

// Segments of 256 bytes (a few records of a few dozen bytes), 1 KiB in all.
BufferOptions small() { return {.dir = kDir, .max_bytes = 1024, .segment_bytes = 256}; }

std::unique_ptr<Buffer> open(FaultyFs& fs, BufferOptions options = small(),
                             const Clock& clock = SystemClock::instance()) {
  auto b = Buffer::open(std::move(options), fs, clock);
  REQUIRE_MESSAGE(b.ok(), (b.ok() ? "" : b.error().message));
  return std::move(b).value();
}

std::string segment(std::uint64_t name) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s/%016llx.seg", kDir, static_cast<unsigned long long>(name));
  return buf;
}

std::uint64_t put(Buffer& b, const std::string& payload) {
  auto seq = b.append(payload);
  REQUIRE_MESSAGE(seq.ok(), (seq.ok() ? "" : seq.error().message));
  return seq.value();
}

std::vector<std::string> payloads(Buffer& b, std::uint64_t after = 0) {
  auto records = b.read(after, 1 << 20, 1000);
  REQUIRE(records.ok());
  std::vector<std::string> out;
  for (auto& r : records.value()) out.push_back(r.payload);
  return out;
}

std::vector<std::uint64_t> seqs(Buffer& b, std::uint64_t after = 0) {
  auto records = b.read(after, 1 << 20, 1000);
  REQUIRE(records.ok());
  std::vector<std::uint64_t> out;
  for (auto& r : records.value()) out.push_back(r.seq);
  return out;
}

std::string text(int n) { return "collection " + std::to_string(n); }

}  // namespace

TEST_CASE("agent buffer: records come back in order with increasing seqs, from any seq on") {
  FaultyFs fs;
  auto b = open(fs);
  for (int i = 1; i <= 5; ++i) CHECK(put(*b, text(i)) == static_cast<std::uint64_t>(i));
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(2), text(3), text(4), text(5)});
  CHECK(seqs(*b, 3) == std::vector<std::uint64_t>{4, 5});
  CHECK(seqs(*b, 5).empty());
  const auto s = b->stats();
  CHECK(s.records == 5);
  CHECK(s.oldest_seq == 1);
  CHECK(s.newest_seq == 5);
  CHECK(s.bytes == 5 * kRecordHeaderBytes + 4 * text(1).size() + text(5).size());
  CHECK(fs.syncs() == 5);  // one fdatasync per append
}

TEST_CASE("agent buffer: read pages by record count and payload bytes, at least one record") {
  FaultyFs fs;
  auto b = open(fs);
  for (int i = 1; i <= 9; ++i) put(*b, std::string(20, static_cast<char>('a' + i)));  // 3 segments
  REQUIRE(b->stats().segments > 1);
  auto page = b->read(0, 1000, 4).value();
  REQUIRE(page.size() == 4);
  CHECK(page.back().seq == 4);
  page = b->read(4, 45, 100).value();  // two payloads of 20 fit in 45 bytes, not three
  REQUIRE(page.size() == 2);
  CHECK(page[0].seq == 5);
  page = b->read(6, 1, 100).value();  // larger than the limit, but one record always comes
  REQUIRE(page.size() == 1);
  CHECK(page[0].seq == 7);
  CHECK(seqs(*b, 2) == std::vector<std::uint64_t>{3, 4, 5, 6, 7, 8, 9});  // back again
}

TEST_CASE("agent buffer: acknowledged segments are deleted, the newest kept") {
  FaultyFs fs;
  auto b = open(fs);
  for (int i = 1; i <= 12; ++i) put(*b, std::string(40, 'x'));  // 56 bytes a record, 4 a segment
  CHECK(b->stats().segments == 3);
  b->ack(5);
  CHECK(b->stats().segments == 2);  // 1-4 gone, 5-8 still holds 6-8
  CHECK(b->stats().oldest_seq == 5);
  b->ack(12);
  CHECK(b->stats().segments == 1);
  CHECK(fs.files() == std::vector<std::string>{segment(9)});
  CHECK(seqs(*b, 12).empty());
}

TEST_CASE("agent buffer: seqs keep increasing across restarts, also after everything was acked") {
  FaultyFs fs;
  for (auto crash : {FaultyFs::Crash::process, FaultyFs::Crash::power}) {
    std::uint64_t last = 0;
    {
      auto b = open(fs);
      for (int i = 0; i < 10; ++i) last = put(*b, std::string(40, 'y'));
      b->ack(last);
    }
    fs.crash(crash);
    auto b = open(fs);
    CHECK(put(*b, "after") > last);
    // Unacknowledged or not, what is on disk is read again after a restart (the hub drops repeats).
    CHECK(payloads(*b).back() == "after");
  }
}

TEST_CASE("agent buffer: an empty directory starts at seq 1 and keeps its first segment") {
  FaultyFs fs;
  { auto b = open(fs); }
  CHECK(fs.files() == std::vector<std::string>{segment(1)});
  fs.crash(FaultyFs::Crash::power);  // the segment's directory entry was synced
  auto b = open(fs);
  CHECK(put(*b, "first") == 1);
}

TEST_CASE("agent buffer: a power loss keeps every appended record (each is synced)") {
  FaultyFs fs;
  {
    auto b = open(fs);
    for (int i = 1; i <= 10; ++i) put(*b, text(i));  // across segments
  }
  fs.crash(FaultyFs::Crash::power);
  auto b = open(fs);
  CHECK(payloads(*b).size() == 10);
  CHECK(b->dropped() == Dropped{});
  CHECK(put(*b, "next") == 11);
}

TEST_CASE("agent buffer: a write torn by a power loss is cut at open and counted, seqs skip it") {
  FaultyFs fs;
  std::size_t whole = 0;
  {
    auto b = open(fs);
    put(*b, text(1));
    put(*b, text(2));
    whole = fs.contents(segment(1))->size();
    fs.tear_next_write(20);
    CHECK_FALSE(b->append(text(3)).ok());  // never returned a seq
  }
  CHECK(fs.contents(segment(1))->size() == whole + 20);
  fs.crash(FaultyFs::Crash::power);
  auto b = open(fs);
  CHECK(fs.contents(segment(1))->size() == whole);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(2)});
  CHECK(b->dropped() == Dropped{1, 20});
  // The cut bytes could have held a record of seq 3 (and one more per 16 bytes): not used again.
  CHECK(put(*b, text(4)) > 3 + 1);
  CHECK(b->take_dropped().value() == Dropped{1, 20});
  CHECK(b->take_dropped().value() == Dropped{});
}

TEST_CASE(
    "agent buffer: a full disk refuses the append (BUFFER_FULL), cuts the partial record back, "
    "and appends work again once there is room") {
  FaultyFs fs;
  auto b = open(fs);
  put(*b, text(1));
  const auto before = fs.contents(segment(1))->size();
  fs.set_free_bytes(5);
  auto refused = b->append(text(2));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "BUFFER_FULL");
  CHECK(fs.contents(segment(1))->size() == before);
  fs.set_free_bytes(std::nullopt);
  CHECK(put(*b, text(3)) == 2);  // the refused append took no seq: it was never given out
  fs.crash(FaultyFs::Crash::power);
  b = open(fs);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(3)});
}

TEST_CASE("agent buffer: a partial record that cannot be cut back ends its segment") {
  FaultyFs fs;
  auto b = open(fs);
  put(*b, text(1));
  fs.set_free_bytes(5);
  fs.set_truncate_fails(true);
  CHECK_FALSE(b->append(text(2)).ok());
  fs.set_free_bytes(std::nullopt);
  fs.set_truncate_fails(false);
  CHECK(put(*b, text(3)) == 2);
  CHECK(fs.contents(segment(2)).has_value());  // a new segment
  fs.crash(FaultyFs::Crash::process);
  b = open(fs);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(3)});
  CHECK(b->dropped() == Dropped{1, 5});  // the 5 stray bytes, cut at open
}

TEST_CASE("agent buffer: a failed sync refuses the append (BUFFER_IO); the next starts a segment") {
  FaultyFs fs;
  auto b = open(fs);
  put(*b, text(1));
  fs.fail_next_sync();
  auto refused = b->append(text(2));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "BUFFER_IO");
  CHECK(put(*b, text(3)) == 2);
  CHECK(b->stats().segments == 2);
  fs.crash(FaultyFs::Crash::power);
  b = open(fs);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(3)});
  CHECK(b->dropped() == Dropped{});
}

TEST_CASE("agent buffer: short writes still make whole records") {
  FaultyFs fs;
  fs.set_max_write(3);
  {
    auto b = open(fs);
    for (int i = 1; i <= 6; ++i) put(*b, text(i));
  }
  fs.crash(FaultyFs::Crash::power);
  auto b = open(fs);
  CHECK(payloads(*b).size() == 6);
}

TEST_CASE(
    "agent buffer: a corrupt record in the middle of a segment ends that segment; the loss is "
    "counted and later segments are kept") {
  FaultyFs fs;
  {
    auto b = open(fs);
    for (int i = 1; i <= 8; ++i) put(*b, std::string(40, static_cast<char>('a' + i)));
  }
  // Segment 1 holds seqs 1-4 (56 bytes each); flip a payload byte of seq 2.
  std::string data = *fs.contents(segment(1));
  REQUIRE(data.size() == 4 * 56);
  data[56 + kRecordHeaderBytes + 3] ^= 0x40;
  fs.set_contents(segment(1), data);
  auto b = open(fs);
  CHECK(seqs(*b) == std::vector<std::uint64_t>{1, 5, 6, 7, 8});
  CHECK(b->dropped() == Dropped{1, 3 * 56});
  CHECK(fs.contents(segment(1))->size() == 56);
  CHECK(put(*b, "next") == 9);
}

TEST_CASE("agent buffer: a record whose seq is out of its segment's order is damage too") {
  FaultyFs fs;
  fs.set_contents(segment(10), encode_record(10, "a") + encode_record(12, "b") +
                                   encode_record(11, "c") + encode_record(13, "d"));
  fs.set_contents(segment(20), encode_record(20, "e") + encode_record(21, "f"));
  fs.set_contents(segment(30), encode_record(29, "g"));  // below its name
  auto b = open(fs);
  CHECK(seqs(*b) == std::vector<std::uint64_t>{10, 12, 20, 21});
  CHECK(b->dropped().records == 2);
  CHECK(put(*b, "next") >= 30);
}

TEST_CASE(
    "agent buffer: the bound deletes the oldest segments, counts their records as dropped, "
    "and the count survives a restart") {
  FaultyFs fs;
  std::uint64_t last = 0;
  {
    auto b = open(fs);
    for (int i = 0; i < 20; ++i) last = put(*b, std::string(40, 'z'));  // 1,120 bytes > 1,024
    CHECK(b->stats().bytes <= 1024);
    CHECK(b->stats().oldest_seq == 5);
    CHECK(b->dropped() == Dropped{4, 4 * 56});
  }
  fs.crash(FaultyFs::Crash::power);
  auto b = open(fs);
  CHECK(b->dropped() == Dropped{4, 4 * 56});
  CHECK(seqs(*b).front() == 5);
  CHECK(seqs(*b).back() == last);
  CHECK(b->take_dropped().value() == Dropped{4, 4 * 56});
  b.reset();
  fs.crash(FaultyFs::Crash::power);
  b = open(fs);
  CHECK(b->take_dropped().value() == Dropped{});  // taken once
  CHECK(b->dropped() == Dropped{4, 4 * 56});      // the total stays
}

TEST_CASE("agent buffer: acknowledged records are not counted when the bound deletes them") {
  FaultyFs fs;
  auto b = open(fs);
  for (int i = 0; i < 18; ++i) put(*b, std::string(40, 'z'));
  b->ack(2);  // half of the first segment
  put(*b, std::string(40, 'z'));
  put(*b, std::string(40, 'z'));
  put(*b, std::string(40, 'z'));
  CHECK(b->dropped() == Dropped{2, 2 * 56});
}

TEST_CASE("agent buffer: records written with larger segments are kept after the size shrinks") {
  FaultyFs fs;
  {
    auto b = open(fs, {.dir = kDir, .max_bytes = 1 << 20, .segment_bytes = 4096});
    put(*b, std::string(1000, 'l'));
  }
  auto b = open(fs);  // 256-byte segments now
  CHECK(payloads(*b) == std::vector<std::string>{std::string(1000, 'l')});
  CHECK(b->dropped() == Dropped{});
  CHECK(put(*b, "small") == 2);
}

TEST_CASE("agent buffer: refuses a record larger than a segment and bad options") {
  FaultyFs fs;
  auto b = open(fs);
  auto big = b->append(std::string(256 - kRecordHeaderBytes + 1, 'x'));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == "BUFFER_RECORD_TOO_LARGE");
  CHECK(put(*b, std::string(256 - kRecordHeaderBytes, 'x')) == 1);
  auto bad = Buffer::open({.dir = kDir, .max_bytes = 1000, .segment_bytes = 600}, fs);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "BUFFER_OPTIONS");
}

TEST_CASE("agent buffer: one thread appends while another reads and acknowledges") {
  FaultyFs fs;
  auto b = open(fs, {.dir = kDir, .max_bytes = 1 << 20, .segment_bytes = 4096});
  constexpr std::uint64_t kRecords = 300;
  std::thread writer([&] {
    for (std::uint64_t i = 0; i < kRecords; ++i) CHECK(b->append(text(int(i))).ok());
  });
  std::uint64_t next = 1;
  while (next <= kRecords) {
    auto page = b->read(next - 1, 1000, 7);
    REQUIRE(page.ok());
    for (const auto& r : page.value()) CHECK(r.seq == next++);
    if (!page.value().empty()) b->ack(page.value().back().seq);
  }
  writer.join();
  CHECK(b->stats().segments == 1);
}

TEST_CASE("agent buffer: on the real file system") {
  const auto dir = std::filesystem::temp_directory_path() / ("tt-buffer-" + random_hex(6));
  {
    auto b = Buffer::open({.dir = dir.string()});
    REQUIRE(b.ok());
    CHECK(b.value()->append("one").value() == 1);
    CHECK(b.value()->append("two").value() == 2);
  }
  auto b = Buffer::open({.dir = dir.string()});
  REQUIRE(b.ok());
  auto records = b.value()->read(1, 100, 100);
  REQUIRE(records.ok());
  REQUIRE(records.value().size() == 1);
  CHECK(records.value()[0].payload == "two");
  CHECK(b.value()->append("three").value() == 3);
  std::filesystem::remove_all(dir);
}

namespace {

using namespace std::chrono_literals;

// Small segments, syncs deferred by up to 30 s.
BufferOptions deferred() {
  BufferOptions o = small();
  o.sync_delay = 30s;
  return o;
}

}  // namespace

TEST_CASE(
    "agent buffer, deferred syncs: a record waits up to sync_delay, then one sync takes all") {
  FaultyFs fs;
  ManualClock clock;
  auto b = open(fs, deferred(), clock);
  CHECK(b->sync_wait() == std::nullopt);
  put(*b, text(1));
  const auto syncs = fs.syncs();  // the seq reservation's
  clock.advance_ms(10'000);
  put(*b, text(2));
  put(*b, text(3));
  CHECK(fs.syncs() == syncs);
  CHECK(b->sync_wait() == 20s);  // counted from the first record waiting
  REQUIRE(b->sync_due().ok());
  CHECK(fs.syncs() == syncs);  // not due yet
  clock.advance_ms(20'000);
  CHECK(b->sync_wait() == 0ms);
  REQUIRE(b->sync_due().ok());
  CHECK(fs.syncs() == syncs + 1);
  CHECK(b->sync_wait() == std::nullopt);
  fs.crash(FaultyFs::Crash::power);
  b = open(fs, deferred(), clock);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(2), text(3)});
}

TEST_CASE("agent buffer, deferred syncs: a kill -9 keeps every appended record") {
  FaultyFs fs;
  auto b = open(fs, deferred());
  for (int i = 1; i <= 10; ++i) put(*b, text(i));  // across segments
  const auto syncs = fs.syncs();
  fs.crash(FaultyFs::Crash::process);  // the killed agent's buffer stays open: it syncs nothing
  auto restarted = open(fs, deferred());
  CHECK(payloads(*restarted).size() == 10);
  CHECK(restarted->dropped() == Dropped{});
  CHECK(fs.syncs() == syncs);
}

TEST_CASE(
    "agent buffer, deferred syncs: a power loss takes only the records not yet synced, and their "
    "seqs are not given again") {
  FaultyFs fs;
  ManualClock clock;
  std::uint64_t last = 0;
  {
    auto b = open(fs, deferred(), clock);
    put(*b, text(1));
    put(*b, text(2));
    clock.advance_ms(30'000);
    REQUIRE(b->sync_due().ok());
    put(*b, text(3));
    last = put(*b, text(4));           // sent, perhaps acknowledged by the hub: seqs it has
    fs.crash(FaultyFs::Crash::power);  // before the destructor's sync
  }
  auto b = open(fs, deferred(), clock);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(2)});
  CHECK(b->dropped() == Dropped{});  // whole records lost at the end: nothing torn to cut
  CHECK(put(*b, text(5)) > last);
  CHECK(put(*b, text(5)) > kSeqReserve);  // past the reservation
}

TEST_CASE("agent buffer, deferred syncs: seqs are reserved on disk a block at a time") {
  FaultyFs fs;
  ManualClock clock;
  auto b = open(fs, deferred(), clock);
  put(*b, text(1));
  CHECK(fs.contents(std::string(kDir) + "/seq-reserve") == std::to_string(1 + kSeqReserve) + "\n");
  const auto syncs = fs.syncs();
  for (std::uint64_t i = 2; i <= kSeqReserve; ++i) b->ack(put(*b, "r"));
  CHECK(fs.syncs() == syncs);  // acknowledged, and still within the reservation
  put(*b, "r");                // seq kSeqReserve + 1: the next block
  CHECK(fs.contents(std::string(kDir) + "/seq-reserve") ==
        std::to_string(1 + 2 * kSeqReserve) + "\n");
}

TEST_CASE("agent buffer, deferred syncs: acknowledged records are never synced") {
  FaultyFs fs;
  ManualClock clock;
  auto b = open(fs, deferred(), clock);
  b->ack(put(*b, text(1)));
  const auto syncs = fs.syncs();
  b->ack(put(*b, text(2)));
  CHECK(b->sync_wait() == std::nullopt);
  clock.advance_ms(60'000);
  REQUIRE(b->sync_due().ok());
  const auto third = put(*b, text(3));
  b->ack(third - 1);  // the third one not yet: it waits
  CHECK(b->sync_wait() == 30s);
  b->ack(third);
  CHECK(b->sync_wait() == std::nullopt);
  b.reset();
  CHECK(fs.syncs() == syncs);
}

TEST_CASE("agent buffer, deferred syncs: closing the buffer syncs what waits") {
  FaultyFs fs;
  ManualClock clock;
  {
    auto b = open(fs, deferred(), clock);
    put(*b, text(1));
    put(*b, text(2));
  }
  fs.crash(FaultyFs::Crash::power);
  auto b = open(fs, deferred(), clock);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(2)});
}

TEST_CASE("agent buffer, deferred syncs: leaving a segment syncs what it holds") {
  FaultyFs fs;
  ManualClock clock;
  {
    auto b = open(fs, deferred(), clock);
    for (int i = 0; i < 5; ++i) put(*b, std::string(40, 'x'));  // 4 a segment: the 5th starts one
    REQUIRE(b->stats().segments == 2);
    fs.crash(FaultyFs::Crash::power);
  }
  auto b = open(fs, deferred(), clock);
  CHECK(seqs(*b) == std::vector<std::uint64_t>{1, 2, 3, 4});
}

TEST_CASE(
    "agent buffer, deferred syncs: a failed sync is BUFFER_IO and ends the segment; its records "
    "are still read, and later appends go on in a new one") {
  FaultyFs fs;
  ManualClock clock;
  auto b = open(fs, deferred(), clock);
  put(*b, text(1));
  put(*b, text(2));
  clock.advance_ms(30'000);
  fs.fail_next_sync();
  auto failed = b->sync_due();
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().code == "BUFFER_IO");
  CHECK(b->sync_wait() == std::nullopt);
  CHECK(put(*b, text(3)) == 3);
  CHECK(b->stats().segments == 2);
  CHECK(payloads(*b) == std::vector<std::string>{text(1), text(2), text(3)});
}

TEST_CASE("agent buffer, deferred syncs: a full disk refuses the reservation, and takes no seq") {
  FaultyFs fs;
  ManualClock clock;
  auto b = open(fs, deferred(), clock);
  fs.set_free_bytes(0);
  auto refused = b->append(text(1));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "BUFFER_FULL");
  fs.set_free_bytes(std::nullopt);
  CHECK(put(*b, text(2)) == 1);
}

TEST_CASE("agent buffer, deferred syncs: a torn record after a power loss is cut at open") {
  FaultyFs fs;
  ManualClock clock;
  {
    auto b = open(fs, deferred(), clock);
    put(*b, text(1));
    fs.tear_next_write(10);  // what the file holds reaches the disk, the tail torn
    CHECK_FALSE(b->append(text(2)).ok());
  }
  fs.crash(FaultyFs::Crash::power);
  auto b = open(fs, deferred(), clock);
  CHECK(payloads(*b) == std::vector<std::string>{text(1)});
  CHECK(b->dropped() == Dropped{1, 10});
}

TEST_CASE("agent buffer: a buffer opened without deferred syncs honours an earlier reservation") {
  FaultyFs fs;
  {
    auto b = open(fs, deferred());
    put(*b, text(1));
  }
  auto b = open(fs);
  CHECK(put(*b, text(2)) > kSeqReserve);
}
