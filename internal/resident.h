// Dropping this process's page-table references to file pages it no longer
// needs. Start-up (config parsing, component factories, static initializers,
// the dynamic linker's symbol lookups) touches megabytes of code and
// read-only data in otlpd and its libraries that steady state never runs
// again; those pages would otherwise count in otlpd's RSS for its lifetime.
#pragma once

#include <cstddef>

namespace otlpd {

struct ReleasedPages {
  std::size_t ranges = 0;  // segments advised
  std::size_t bytes = 0;   // their size, resident or not
};

// madvise(MADV_DONTNEED) on the read-only segments (code, constants, symbol
// tables) of the executable and every loaded shared object. Those pages are
// never written, so they are the file's bytes: they stay in the page cache,
// and the next access maps them again (a minor fault). Writable segments,
// relocated read-only data (PT_GNU_RELRO) and objects with text relocations
// are left alone, since dropping them would lose what was written.
ReleasedPages ReleaseFilePages();

}  // namespace otlpd
