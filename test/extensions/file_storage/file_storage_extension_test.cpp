#include "extensions/file_storage/file_storage_extension.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "config/error.h"
#include "config/loader.h"
#include "extensions/file_storage/factory.h"
#include "test/support/process.h"

using namespace otlpd;
using namespace otlpd::extensions::file_storage;
using Catch::Matchers::Contains;

namespace {

namespace fs = std::filesystem;

Config InDirectory(const fs::path& dir) {
  Config c;
  c.directory = dir.string();
  c.compaction.directory = c.directory;
  c.timeout = std::chrono::milliseconds(0);
  return c;
}

mode_t Permissions(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("file_storage: queue names are sanitised as otelcol's file_storage does") {
  CHECK(SanitizeQueueName("exporter_otlp_backend") == "exporter_otlp_backend");
  CHECK(SanitizeQueueName("exporter_otlp_a.b-c") == "exporter_otlp_a.b-c");
  CHECK(SanitizeQueueName("exporter_otlp_a/b") == "exporter_otlp_a~002Fb");
  CHECK(SanitizeQueueName("exporter_otlp_a b") == "exporter_otlp_a~0020b");
  // The tilde itself, so a sanitised name never equals one that needed none.
  CHECK(SanitizeQueueName("a~b") == "a~007Eb");
  CHECK(SanitizeQueueName("caf\xC3\xA9") == "caf~00E9");     // é, two bytes
  CHECK(SanitizeQueueName("\xF0\x9F\x98\x80") == "~1F600");  // an emoji, four bytes
  CHECK(SanitizeQueueName("a\xFF"
                          "b") == "a~FFFDb");      // invalid UTF-8, as Go reads it
  CHECK(SanitizeQueueName("\xC3") == "~FFFD");     // truncated sequence
  CHECK(SanitizeQueueName("..") == "~002E~002E");  // never the parent directory
  CHECK(SanitizeQueueName(".") == "~002E");
  CHECK(SanitizeQueueName("..x") == "..x");
}

TEST_CASE("file_storage: Start needs an existing directory unless create_directory is set") {
  test::TempDir tmp;
  const fs::path missing = tmp / "a" / "b";
  FileStorageExtension ext("file_storage", "extensions.file_storage", InDirectory(missing));
  Status s = ext.Start();
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Contains("extensions.file_storage.directory") && Contains(missing.string()) &&
                              Contains("does not exist") && Contains("create_directory"));
  CHECK_FALSE(fs::exists(missing));
  // Not started: no queue.
  auto q = ext.OpenQueue("exporter_otlp_a");
  CHECK(q.status().code() == StatusCode::kUnavailable);

  const fs::path file = tmp / "file";
  test::WriteFile(file, "x");
  FileStorageExtension on_file("file_storage", "extensions.file_storage", InDirectory(file));
  s = on_file.Start();
  CHECK_THAT(s.message(), Contains(file.string()) && Contains("is not a directory"));

  // Root may write anywhere by permissions, but not into /proc.
  FileStorageExtension read_only("file_storage", "extensions.file_storage", InDirectory("/proc"));
  s = read_only.Start();
  // Not root: /proc is refused earlier, as root's.
  CHECK_THAT(s.message(), Contains("extensions.file_storage.directory") &&
                              (Contains("is not writable") || Contains("owned by uid 0")));
}

TEST_CASE("file_storage: create_directory creates the directory with directory_permissions") {
  test::TempDir tmp;
  const fs::path dir = tmp / "x" / "storage";
  Config c = InDirectory(dir);
  c.create_directory = true;
  c.directory_permissions = "0700";
  c.permissions = 0700;
  const mode_t old_umask = ::umask(0077);  // the permissions do not depend on the umask
  FileStorageExtension ext("file_storage", "extensions.file_storage", c);
  const Status s = ext.Start();
  ::umask(old_umask);
  INFO(s.message());
  REQUIRE(s.ok());
  REQUIRE(fs::is_directory(dir));
  CHECK(Permissions(dir) == 0700);
  // No probe file is left behind.
  CHECK(fs::is_empty(dir));

  auto q = ext.OpenQueue("exporter_otlp_a/b");
  INFO(q.status().message());
  REQUIRE(q.ok());
  CHECK(ext.QueueDirectory("exporter_otlp_a/b") == dir / "exporter_otlp_a~002Fb");
  CHECK(fs::is_directory(dir / "exporter_otlp_a~002Fb"));
  CHECK(Permissions(dir / "exporter_otlp_a~002Fb") == 0700);
}

TEST_CASE("file_storage: OpenQueue gives a working queue, usable after Shutdown until destroyed") {
  test::TempDir tmp;
  FileStorageExtension ext("file_storage", "extensions.file_storage", InDirectory(tmp.path()));
  REQUIRE(ext.Start().ok());
  auto q = ext.OpenQueue("exporter_otlp_backend");
  REQUIRE(q.ok());
  auto id = (*q)->Append("payload");
  REQUIRE(id.ok());
  CHECK((*q)->disk_bytes() > 0);
  CHECK(ext.OpenQueue("").status().code() == StatusCode::kInvalidArgument);
  // The same name again while the first is open: locked.
  auto again = ext.OpenQueue("exporter_otlp_backend");
  CHECK(again.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(again.status().message(), Contains("exporter_otlp_backend"));

  ext.Shutdown(Clock::now());
  CHECK(ext.OpenQueue("exporter_otlp_other").status().code() == StatusCode::kUnavailable);
  CHECK((*q)->Append("more").ok());
  q = Status::Internal("destroyed");

  FileStorageExtension next("file_storage", "extensions.file_storage", InDirectory(tmp.path()));
  REQUIRE(next.Start().ok());
  auto reopened = next.OpenQueue("exporter_otlp_backend");
  REQUIRE(reopened.ok());
  std::uint64_t back_id = 0;
  std::string rec;
  REQUIRE((*reopened)->NextBacklog(back_id, rec));
  CHECK(back_id == *id);
  CHECK(rec == "payload");
  REQUIRE((*reopened)->NextBacklog(back_id, rec));
  CHECK(rec == "more");
  CHECK_FALSE((*reopened)->NextBacklog(back_id, rec));
}

TEST_CASE("file_storage: a queue another process holds makes OpenQueue wait `timeout`, then fail clearly") {
  test::TempDir tmp;
  int to_parent[2], to_child[2];
  REQUIRE(::pipe(to_parent) == 0);
  REQUIRE(::pipe(to_child) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    int code = 0;
    {
      FileStorageExtension ext("file_storage", "extensions.file_storage", InDirectory(tmp.path()));
      if (!ext.Start().ok()) ::_exit(2);
      auto q = ext.OpenQueue("exporter_otlp_backend");
      if (!q.ok()) ::_exit(3);
      char c = 'L';
      if (::write(to_parent[1], &c, 1) != 1) ::_exit(4);
      if (::read(to_child[0], &c, 1) != 1 || c != 'Q') code = 5;
      // q is destroyed here: the lock goes with it, though the process lives on.
    }
    char c = 'R';
    if (::write(to_parent[1], &c, 1) != 1) ::_exit(6);
    if (::read(to_child[0], &c, 1) < 0) ::_exit(7);  // until the parent is done (EOF)
    ::_exit(code);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  char c = 0;
  REQUIRE(::read(to_parent[0], &c, 1) == 1);
  REQUIRE(c == 'L');

  Config config = InDirectory(tmp.path());
  config.timeout = std::chrono::milliseconds(200);
  FileStorageExtension ext("file_storage", "extensions.file_storage", config);
  REQUIRE(ext.Start().ok());
  const auto start = std::chrono::steady_clock::now();
  auto q = ext.OpenQueue("exporter_otlp_backend");
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(200));
  REQUIRE_FALSE(q.ok());
  CHECK(q.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(q.status().message(), Contains((tmp / "exporter_otlp_backend").string()) &&
                                       Contains("in use by another process") && Contains("200 ms"));
  // Another queue of the same extension is not affected.
  CHECK(ext.OpenQueue("exporter_otlp_other").ok());

  c = 'Q';
  REQUIRE(::write(to_child[1], &c, 1) == 1);
  REQUIRE(::read(to_parent[0], &c, 1) == 1);
  REQUIRE(c == 'R');
  auto reopened = ext.OpenQueue("exporter_otlp_backend");
  CHECK(reopened.ok());

  ::close(to_child[1]);
  ::close(to_parent[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("file_storage: the factory decodes its config and makes a StorageExtension") {
  test::TempDir tmp;
  ExtensionFactory f = FileStorageExtensionFactory();
  CHECK(f.type == "file_storage");
  config::Node node = config::ParseYaml("directory: " + tmp.path().string() + "\nfsync: true\n", "c.yaml");
  CreateContext ctx;
  ctx.id = config::ComponentId{"file_storage", "q"};
  ctx.path = "extensions.file_storage/q";
  std::unique_ptr<Extension> e = f.create(ctx, node);
  auto* storage = dynamic_cast<StorageExtension*>(e.get());
  REQUIRE(storage != nullptr);
  REQUIRE(e->Start().ok());
  auto q = storage->OpenQueue("exporter_otlp_a");
  REQUIRE(q.ok());
  CHECK((*q)->Append("x").ok());
  e->Shutdown(Clock::now());

  config::Node bad = config::ParseYaml("directory_permissions: \"9\"\ncreate_directory: true\n", "c.yaml");
  try {
    f.create(ctx, bad);
    FAIL("bad permissions were accepted");
  } catch (const config::Error& err) {
    CHECK_THAT(err.what(), Contains("extensions.file_storage/q.directory_permissions"));
  }
}

TEST_CASE("file_storage: Start refuses a directory others may write or another user owns") {
  test::TempDir tmp;
  const fs::path dir = tmp / "d";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 0770);
  FileStorageExtension group("file_storage", "extensions.file_storage", InDirectory(dir));
  Status s = group.Start();
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Contains("extensions.file_storage.directory") && Contains("mode 0770") &&
                              Contains("group or others may write"));
  ::chmod(dir.c_str(), 0700);
  FileStorageExtension ok("file_storage", "extensions.file_storage", InDirectory(dir));
  CHECK(ok.Start().ok());
  if (::geteuid() == 0) {  // only root can give a directory away
    REQUIRE(::chown(dir.c_str(), 12345, 12345) == 0);
    FileStorageExtension foreign("file_storage", "extensions.file_storage", InDirectory(dir));
    s = foreign.Start();
    CHECK_THAT(s.message(), Contains("owned by uid 12345") && Contains("chown"));
  }
}
