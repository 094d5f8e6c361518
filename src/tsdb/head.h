// tsdb/head.h — the samples of one series that are not cut into chunks yet. A 1 s series holds
// up to a chunk's worth (8,192 samples) for hours; at 16 bytes a sample, 1,000 ping checks
// (9,000 series) would hold over a gigabyte. So full blocks of kBlockSamples are encoded with
// the chunk codec (a few bytes a sample), and the store's maintenance moves them to the head
// block file (block_file.h), so only the newest samples stay in memory, coded sample by sample
// (SampleTail). Blocks stay in memory until then, behind a backlog (below), and when the block
// file fails or there is none.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/series.h"
#include "tsdb/block_file.h"

namespace tt::tsdb {

// Merges b into a (both ascending); on equal timestamps b wins.
void merge_samples(std::vector<Sample>& a, const std::vector<Sample>& b);

// The newest samples of a head, before they fill a block, coded one by one as they come: a
// tag byte (whether the timestamp's delta repeats, how many bytes of the value's XOR with the
// previous value follow), the zigzag varint of the delta's change when it does not repeat, then
// those bytes. A regular constant series (probe_up) takes 1 byte a sample where plain samples
// took 16, a 1 s RTT about 7; with thousands of series the tails were most of the heads' memory.
class SampleTail {
 public:
  void push(const Sample& s);  // after back()
  std::size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  Sample front() const;  // callers check empty() first
  Sample back() const { return m_last; }
  std::vector<Sample> samples() const;
  void clear();  // frees the memory too
  std::size_t memory_bytes() const { return m_capacity; }

 private:
  std::string_view bytes() const { return {m_bytes.get(), m_used}; }
  // Every series has a tail: a pointer and two sizes are half a std::string.
  std::unique_ptr<char[]> m_bytes;
  Sample m_last{};
  TimeMs m_delta = 0;  // between the two newest samples
  std::uint32_t m_used = 0, m_capacity = 0;
  std::uint32_t m_size = 0;
};

// Blocks on disk always precede in time every sample held in memory, but late ones (below).
class HeadSamples {
 public:
  static constexpr std::size_t kBlockSamples = 64;

  // How merge treats full blocks: encoded at once, or left plain until the head is cut. Plain
  // is for samples of the past, which the next maintenance pass cuts: encoding them into blocks
  // first would only be undone by the cut.
  enum class Blocks { encode, defer };
  // Adds ascending samples with unique timestamps; one with the timestamp of a held sample
  // replaces it. Appending after the newest is the fast path; older samples re-encode what is in
  // memory, and those as old as the blocks on disk are kept aside, plain, until the cut.
  void merge(std::span<const Sample> samples, Blocks blocks = Blocks::encode);
  // The same, taking the vector as a run of its own when deferred (no copy).
  void merge(std::vector<Sample>&& samples, Blocks blocks);
  // Moves the blocks held in memory to `disk`, oldest first, and with `newest_too` the newest
  // samples as a short block (a block's header for the memory of a tail). Not behind a backlog
  // (its next samples may go between the blocks) nor with deferred runs (due anyway). True when
  // it freed memory.
  bool spill(BlockFile& disk, bool newest_too = false);
  std::size_t plain_samples() const;
  // Deferred runs, or a run of the past set aside: its head is due.
  bool has_deferred() const { return m_rare && (!m_rare->runs.empty() || m_rare->late_due); }
  // The held samples in [from, to], ascending. HEAD_BLOCK_IO or CHUNK_CORRUPT when its blocks on
  // disk cannot be read.
  Result<std::vector<Sample>> copy(const BlockFile* disk, TimeMs from = INT64_MIN,
                                   TimeMs to = INT64_MAX) const;
  void clear();  // frees the memory too

  // Samples held; an upper bound when late samples replaced some on disk.
  std::size_t size() const { return m_size; }
  bool empty() const { return m_size == 0; }
  TimeMs first_t() const;  // callers check empty() first
  TimeMs last_t() const;
  std::size_t memory_bytes() const;
  // The oldest of the samples that runs were inserted in front of (insert_between), since the
  // last clear(): the live samples a replayed backlog arrives behind. INT64_MAX when none.
  TimeMs backlog_front() const { return rare().backlog_front; }

 private:
  struct Block {
    TimeMs min_t, max_t;
    std::string encoded;
  };
  void append(const Sample& s);
  void seal_tail();  // the tail becomes a block held in memory
  void drop_rare_if_unused();
  bool write_block(BlockFile& disk, TimeMs min_t, TimeMs max_t, const std::string& encoded);
  // Keeps the samples as old as the blocks on disk aside (Rare::late) and returns the rest.
  std::span<const Sample> set_aside_late(std::span<const Sample> samples, bool due);
  // Ascending samples that fall between two blocks (or the last block and the tail) without
  // overlapping either go there, into a block kept plain until it holds kBlockSamples: a backlog
  // replayed behind live samples costs its own encoding, not a rebuild of the head. False when
  // they do not fit so.
  bool insert_between(std::span<const Sample> samples);
  void seal_plain_block();  // encodes the plain block, if any
  std::vector<Sample> samples_of(std::size_t block) const;
  // Removes the blocks, runs and tail held in memory and returns their samples, ascending.
  std::vector<Sample> take_memory();
  void clear_memory();
  Result<void> read_disk(const BlockFile& disk, TimeMs from, TimeMs to,
                         std::vector<Sample>& out) const;

  static constexpr std::uint32_t kNoBlock = UINT32_MAX;
  // What few heads need, out of line: every series has a head.
  struct Rare {
    // Blocks held in memory, ascending, before the runs; kBlockSamples or so each: until
    // maintenance moves them to disk, and for good behind a backlog, after a failed write or
    // without a block file.
    std::vector<Block> blocks;
    // Deferred runs (Blocks::defer), ascending, before m_tail; kept as the appends brought
    // them, since growing one plain vector copied it and faulted in fresh pages again and again.
    std::vector<std::vector<Sample>> runs;
    // Samples as old as the blocks on disk (a late push, a repeated batch, a backlog): merged
    // over them when read, rather than rewriting the blocks.
    std::vector<Sample> late;
    // The block whose `encoded` holds its samples' plain bytes (insert_between), or kNoBlock.
    std::uint32_t plain_block = kNoBlock;
    TimeMs backlog_front = INT64_MAX;
    bool late_due = false;  // `late` holds a run of the past (Blocks::defer)
  };
  const Rare& rare() const;
  Rare& rare_mut();  // made on first use
  const std::vector<Block>& blocks() const { return rare().blocks; }

  std::unique_ptr<Rare> m_rare;
  SampleTail m_tail;         // the newest samples: fewer than kBlockSamples unless runs are held
  BlockRef m_disk;           // the newest block on disk
  std::uint32_t m_size = 0;  // heads are cut long before 2^32 samples
  TimeMs m_disk_first_t = 0, m_disk_last_t = 0;
};

}  // namespace tt::tsdb
