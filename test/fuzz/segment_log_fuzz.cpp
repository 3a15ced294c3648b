// libFuzzer target for the file_storage segment reader: corrupt and truncated
// segments and removal files. Run by run_fuzzers.sh. The first byte picks how
// the input becomes a queue directory:
//   bit 0: the segment gets a valid file header before the input bytes;
//   bit 1: the input is cut into records written validly (CRCs and all), then
//          the file is truncated and one byte flipped where the input says,
//          which reaches the torn-tail and resync paths;
//   bit 2: the tail of the input also becomes the segment's removal file.
// Properties: reading never crashes, returns only records of that segment in
// increasing id order, each exactly as written when the records were written
// validly and not damaged; a second open after the repair reads the same number.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "extensions/file_storage/segment_log.h"
#include "internal/crc32c.h"

namespace {

namespace fs = std::filesystem;
using namespace otlpd;
using namespace otlpd::extensions::file_storage;

void Check(bool ok) {
  if (!ok) std::abort();
}

const fs::path& Dir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "otlpd-segfuzz-XXXXXX").string();
    Check(::mkdtemp(tmpl.data()) != nullptr);
    return fs::path(tmpl);
  }();
  return dir;
}

void Put32(std::string& s, std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); }
void Put64(std::string& s, std::uint64_t v) { s.append(reinterpret_cast<const char*>(&v), 8); }

std::string Header() {
  std::string h("otlpdseg", 8);
  Put32(h, 1);
  Put32(h, 0);
  return h;
}

void WriteFile(const fs::path& p, std::string_view bytes) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  Check(fd >= 0);
  Check(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

std::vector<std::pair<std::uint64_t, std::string>> Drain(SegmentLog& log) {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  std::uint64_t id = 0;
  std::string rec;
  while (log.NextBacklog(id, rec)) out.emplace_back(id, rec);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const fs::path q = Dir() / "q";
  std::error_code ec;
  fs::remove_all(q, ec);
  fs::create_directory(q);
  fs::permissions(q, fs::perms::owner_all);

  std::string removal;
  if ((mode & 4) != 0 && in.size() >= 8) {
    const std::size_t n = (in.size() / 4) & ~std::size_t{7};
    removal.assign(in.substr(in.size() - n));
    in.remove_suffix(n);
  }
  std::string segment = (mode & 1) != 0 ? Header() : std::string();
  std::map<std::uint64_t, std::string> written;  // valid records as written
  bool damaged = false;
  if ((mode & 2) != 0) {
    segment = Header();
    std::size_t cut = std::string::npos, flip = std::string::npos;
    if (in.size() >= 4) {
      std::uint16_t c, f;
      std::memcpy(&c, in.data(), 2);
      std::memcpy(&f, in.data() + 2, 2);
      if (c != 0xFFFF) cut = c;
      if (f != 0xFFFF) flip = f;
      in.remove_prefix(4);
    }
    for (std::uint32_t index = 0; !in.empty(); ++index) {
      const std::size_t len = std::min<std::size_t>(static_cast<std::uint8_t>(in[0]), in.size() - 1);
      const std::string_view rec = in.substr(1, len);
      in.remove_prefix(1 + len);
      const std::uint64_t id = std::uint64_t{1} << 32 | index;
      std::string h("OTQR", 4);
      Put32(h, static_cast<std::uint32_t>(rec.size()));
      Put64(h, id);
      Put32(h, Crc32c(rec.data(), rec.size()));
      Put32(h, Crc32c(h.data(), 20));
      segment += h;
      segment.append(rec);
      written[id] = std::string(rec);
    }
    if (cut < segment.size()) {
      segment.resize(cut);
      damaged = true;
    }
    if (flip < segment.size()) {
      segment[flip] = static_cast<char>(segment[flip] ^ 0x5A);
      damaged = true;
    }
  } else {
    segment.append(in);
  }
  WriteFile(q / SegmentFileName(1), segment);
  if (!removal.empty()) WriteFile(q / RemovalFileName(1), removal);

  SegmentLogOptions options;
  options.lock_timeout = std::chrono::nanoseconds(0);
  std::size_t first_count = 0;
  {
    auto log = SegmentLog::Open(q, options);
    Check(log.ok());
    auto records = Drain(**log);
    first_count = records.size();
    std::uint64_t last = 0;
    for (const auto& [id, rec] : records) {
      Check((id >> 32) == 1);
      Check(id >= last);
      last = id + 1;
      if (!written.empty() && !damaged) {
        // Undamaged: every record comes back as written (removal entries may skip some).
        auto it = written.find(id);
        Check(it != written.end() && it->second == rec);
      }
    }
    if (!written.empty() && !damaged && removal.empty()) Check(records.size() == written.size());
    // Appending and removing still work after reading damage.
    auto id = (*log)->Append("after");
    Check(id.ok());
    Check((*log)->Remove(*id).ok());
  }
  {
    // Nothing was removed, so the records read before come back again; the
    // repair (a cut tail) must not have lost any of them.
    auto log = SegmentLog::Open(q, options);
    Check(log.ok());
    Check(Drain(**log).size() == first_count);
  }
  return 0;
}
