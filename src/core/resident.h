// core/resident.h — giving back the resident pages start-up touched and the server will not
// use again.
#pragma once

#include <cstddef>

namespace tt {

// Drops the process' clean, read-only file-backed pages (the binary's code and constants, the
// shared libraries'), and returns freed heap to the system. The page cache keeps the file pages,
// so what runs later faults back in from memory, not from disk. Start-up runs code once
// (migrations, loading the tables, OpenSSL's initialisation in a library's constructor), and
// the kernel's fault-around maps 16 neighbouring pages with every page it faults: without this,
// an idle server kept about 8 MiB of pages it never touched again. Mappings with a private
// copy of any page (relocated data) are left alone: dropping them would lose the copy.
// Returns the resident bytes of the mappings released.
std::size_t release_startup_pages();

// Gives the pages of freed heap memory back to the system. glibc returns memory by itself only
// from the top of each arena; the heads' blocks, a query's samples and an API answer free
// memory in the middle, which stayed resident (5 to 8 MiB with 1,000 pings a second). Called
// after each maintenance pass (10 s): a walk of the free lists, 2 to 5 ms with 1,000 pings a
// second (perf probe on malloc_trim), during which other threads' allocations wait on the one
// arena.
void release_free_heap();

}  // namespace tt
