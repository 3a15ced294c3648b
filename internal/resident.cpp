#include "internal/resident.h"

#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string_view>

namespace otlpd {
namespace {

bool HasTextRelocations(const dl_phdr_info* info) {
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_DYNAMIC) continue;
    const auto* dyn = reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + ph.p_vaddr);
    for (; dyn->d_tag != DT_NULL; ++dyn) {
      if (dyn->d_tag == DT_TEXTREL) return true;
      if (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_TEXTREL) != 0) return true;
    }
  }
  return false;
}

// Runs with the dynamic linker's lock held, so no object can be unloaded
// (and its addresses reused) between finding a segment and advising it.
int ReleaseObject(dl_phdr_info* info, std::size_t, void* data) {
  auto* released = static_cast<ReleasedPages*>(data);
  // The vDSO is the kernel's; objects with text relocations had their code
  // written.
  const std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (name.starts_with("linux-vdso") || name.starts_with("linux-gate")) return 0;
  if (HasTextRelocations(info)) return 0;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  std::uintptr_t relro_begin = 0, relro_end = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_GNU_RELRO) continue;
    relro_begin = (info->dlpi_addr + ph.p_vaddr) & ~(page - 1);
    relro_end = (info->dlpi_addr + ph.p_vaddr + ph.p_memsz + page - 1) & ~(page - 1);
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W) != 0 || ph.p_filesz == 0) continue;
    // Whole pages only: a page shared with a neighbouring writable segment
    // belongs to that segment's mapping.
    const std::uintptr_t begin = (info->dlpi_addr + ph.p_vaddr + page - 1) & ~(page - 1);
    const std::uintptr_t end = (info->dlpi_addr + ph.p_vaddr + ph.p_filesz) & ~(page - 1);
    if (end <= begin) continue;
    if (begin < relro_end && relro_begin < end) continue;  // never seen; RELRO is in a writable segment
    if (madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) != 0) continue;
    ++released->ranges;
    released->bytes += end - begin;
  }
  return 0;
}

}  // namespace

ReleasedPages ReleaseFilePages() {
  ReleasedPages released;
  dl_iterate_phdr(ReleaseObject, &released);
  return released;
}

}  // namespace otlpd
