#include "exporters/file/zstd_frame.h"

#include <zstd.h>

#include <algorithm>
#include <memory>

namespace otlpd::exporters::file {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

}  // namespace

Result<std::string> ZstdFrame(std::string_view data, int level) {
  // One context per thread: payloads are compressed on the callers' threads,
  // and a context keeps its tables between calls.
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  if (!ctx) return Status::Internal("zstd: cannot create a compression context");
  level = level == 0 ? ZSTD_CLEVEL_DEFAULT : std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel());
  std::string out;
  out.resize(ZSTD_compressBound(data.size()));
  const std::size_t n = ZSTD_compressCCtx(ctx.get(), out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

}  // namespace otlpd::exporters::file
