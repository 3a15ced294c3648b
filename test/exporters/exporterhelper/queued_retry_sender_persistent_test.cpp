// The persistent mode of QueuedRetrySender on the real file_storage extension.
#include <sys/resource.h>

#include <csignal>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "exporters/exporterhelper/payload_codec.h"
#include "exporters/exporterhelper/queued_retry_sender.h"
#include "extensions/file_storage/file_storage_extension.h"
#include "test/exporters/exporterhelper/manual_time_source.h"
#include "test/support/process.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace std::chrono_literals;
using exporters::exporterhelper::Config;
using exporters::exporterhelper::PersistentQueueName;
using exporters::exporterhelper::QueuedRetrySender;
using exporters::exporterhelper::SenderOptions;
using exporters::exporterhelper::SendResult;
using exporters::exporterhelper::Sizer;
using extensions::file_storage::FileStorageExtension;

namespace {

constexpr const char* kExporter = "otlp/backend";

// A backend whose answer the test switches (up, down, refusing for good) and
// that can hold every attempt at a gate. Records what it accepted.
class Backend {
 public:
  SendResult Send(const PayloadPtr& payload) {
    std::unique_lock<std::mutex> lock(mu_);
    ++attempts_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    if (answer_.ok()) delivered_.push_back(payload);
    return SendResult::Failed(answer_);
  }
  exporters::exporterhelper::SendFunc Func() {
    return [this](const PayloadPtr& p, Clock::time_point) { return Send(p); };
  }
  void Answer(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    answer_ = std::move(s);
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitAttempts(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return attempts_ >= n; });
  }
  std::vector<PayloadPtr> delivered() const {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }
  std::multiset<std::string> delivered_bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::multiset<std::string> out;
    for (const auto& p : delivered_) out.insert(p->bytes);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Status answer_;
  bool open_ = true;
  int attempts_ = 0;
  std::vector<PayloadPtr> delivered_;
};

Status Down() { return Status::Unavailable("backend down"); }

// A file_storage extension on `dir`, started. A new one on the same directory
// plays the next run of the process.
std::unique_ptr<FileStorageExtension> Storage(const std::filesystem::path& dir) {
  extensions::file_storage::Config c;
  c.directory = dir.string();
  c.timeout = 100ms;
  auto e = std::make_unique<FileStorageExtension>("file_storage", "extensions.file_storage", c);
  REQUIRE(e->Start().ok());
  return e;
}

// Fast real-time retries, forever: these tests never wait on a backoff.
Config PersistentConfig() {
  Config c;
  c.retry_on_failure.initial_interval = 5ms;
  c.retry_on_failure.max_interval = 20ms;
  c.retry_on_failure.max_elapsed_time = 0s;
  c.sending_queue.num_consumers = 4;
  return c;
}

struct Sender {
  ComponentTelemetry telemetry;
  QueuedRetrySender sender;

  Sender(StorageExtension* storage, Backend& backend, Config config = PersistentConfig(),
         exporters::exporterhelper::TimeSource* time = nullptr)
      : sender(kExporter, config, backend.Func(), &telemetry,
               SenderOptions{time, nullptr, storage, nullptr, nullptr}) {}

  SignalCounters& counters(Signal s = Signal::kTraces) { return telemetry[s]; }
};

PayloadPtr Numbered(int i, Signal signal = Signal::kTraces) {
  return MakePayload(signal, "request-" + std::to_string(i), static_cast<std::uint64_t>(i % 5 + 1));
}

// What is still on disk: the records a next run would get as its backlog.
std::vector<std::string> Backlog(StorageExtension& storage) {
  auto q = storage.OpenQueue(PersistentQueueName(kExporter));
  REQUIRE(q.ok());
  std::vector<std::string> out;
  std::uint64_t id = 0;
  std::string record;
  while ((*q)->NextBacklog(id, record)) out.push_back(record);
  return out;
}

}  // namespace

TEST_CASE("the persistent queue is named like otelcol's storage clients") {
  CHECK(PersistentQueueName("otlp/backend") == "exporter_otlp_backend");
  CHECK(PersistentQueueName("otlp_grpc/a/b") == "exporter_otlp_grpc_a/b");
  CHECK(PersistentQueueName("otlp") == "exporter_otlp_");
}

TEST_CASE("a persistent queue delivers everything and then holds nothing on disk") {
  test::TempDir dir;
  auto storage = Storage(dir.path());
  Backend backend;
  std::multiset<std::string> sent;
  std::uint64_t items = 0;
  {
    Sender s(storage.get(), backend);
    REQUIRE(s.sender.persistent());
    REQUIRE(s.sender.Start().ok());
    for (int i = 0; i < 300; ++i) {
      PayloadPtr p = Numbered(i);
      REQUIRE(s.sender.Consume(p).ok());
      sent.insert(p->bytes);
      items += p->items;
    }
    REQUIRE(test::WaitFor([&] { return s.counters().sent == items; }));
    s.sender.Shutdown(Clock::now() + 5s);
    CHECK(s.counters().send_failed == 0);
  }
  CHECK(backend.delivered_bytes() == sent);
  CHECK(Backlog(*storage).empty());
}

TEST_CASE("a record refused for good is removed, not replayed") {
  test::TempDir dir;
  auto storage = Storage(dir.path());
  Backend backend;
  backend.Answer(Status::InvalidArgument("bad data"));
  {
    Sender s(storage.get(), backend);
    REQUIRE(s.sender.Start().ok());
    for (int i = 0; i < 10; ++i) REQUIRE(s.sender.Consume(MakePayload(Signal::kTraces, "x", 2)).ok());
    REQUIRE(test::WaitFor([&] { return s.counters().send_failed == 20; }));
    s.sender.Shutdown(Clock::now() + 5s);
  }
  CHECK(Backlog(*storage).empty());
}

TEST_CASE("a record given up after max_elapsed_time is removed, not replayed") {
  test::TempDir dir;
  auto storage = Storage(dir.path());
  Backend backend;
  backend.Answer(Down());
  test::ManualTimeSource time;  // the retry schedule runs at once
  Config c = PersistentConfig();
  c.retry_on_failure.initial_interval = 1s;
  c.retry_on_failure.max_interval = 1s;
  c.retry_on_failure.max_elapsed_time = 10s;
  {
    Sender s(storage.get(), backend, c, &time);
    REQUIRE(s.sender.Start().ok());
    REQUIRE(s.sender.Consume(MakePayload(Signal::kTraces, "x", 3)).ok());
    REQUIRE(test::WaitFor([&] { return s.counters().send_failed == 3; }));
    s.sender.Shutdown(time.Now() + 5s);
  }
  CHECK(Backlog(*storage).empty());
}

TEST_CASE("a restarted sender delivers what one shut down with the backend down left on disk") {
  test::TempDir dir;
  const int kRequests = 50;
  std::multiset<std::string> sent;
  {
    auto storage = Storage(dir.path());
    Backend down;
    down.Answer(Down());
    Sender s(storage.get(), down);
    REQUIRE(s.sender.Start().ok());
    for (int i = 0; i < kRequests; ++i) {
      PayloadPtr p = Numbered(i);
      REQUIRE(s.sender.Consume(p).ok());
      sent.insert(p->bytes);
    }
    REQUIRE(down.WaitAttempts(8));  // the consumers are retrying
    s.sender.Shutdown(Clock::now() + 2s);
    // Not lost: kept for the next start, so not counted as failed.
    CHECK(s.counters().send_failed == 0);
    CHECK(s.counters().sent == 0);
    CHECK(s.sender.queue_size() == 0);
    storage->Shutdown(Clock::now());
  }
  // The next run: a new extension and sender on the same directory.
  auto storage = Storage(dir.path());
  Backend up;
  {
    Sender s(storage.get(), up);
    REQUIRE(s.sender.Start().ok());
    REQUIRE(test::WaitFor([&] { return up.delivered().size() == sent.size(); }));
    s.sender.Shutdown(Clock::now() + 5s);
    CHECK(s.counters().send_failed == 0);
  }
  CHECK(up.delivered_bytes() == sent);
  CHECK(Backlog(*storage).empty());
}

TEST_CASE("signal, item count and client metadata survive the disk round trip") {
  test::TempDir dir;
  auto with_metadata = MakePayload(Signal::kLogs, std::string("\x0a\x00\xff", 3), 7,
                                   std::make_shared<const Metadata>(Metadata{
                                       {"x-tenant", "acme"}, {"x-tenant", "second"}, {"authorization", ""}}));
  auto without = MakePayload(Signal::kMetrics, "m", 2);
  {
    auto storage = Storage(dir.path());
    Backend down;
    down.Answer(Down());
    Sender s(storage.get(), down);
    REQUIRE(s.sender.Start().ok());
    REQUIRE(s.sender.Consume(with_metadata).ok());
    REQUIRE(s.sender.Consume(without).ok());
    s.sender.Shutdown(Clock::now() + 1s);
  }
  auto storage = Storage(dir.path());
  Backend up;
  Sender s(storage.get(), up);
  REQUIRE(s.sender.Start().ok());
  REQUIRE(test::WaitFor([&] { return up.delivered().size() == 2; }));
  std::map<Signal, PayloadPtr> got;
  for (const auto& p : up.delivered()) got[p->signal] = p;
  REQUIRE(got.count(Signal::kLogs) == 1);
  REQUIRE(got.count(Signal::kMetrics) == 1);
  CHECK(got[Signal::kLogs]->bytes == with_metadata->bytes);
  CHECK(got[Signal::kLogs]->items == 7);
  REQUIRE(got[Signal::kLogs]->metadata != nullptr);
  CHECK(*got[Signal::kLogs]->metadata == *with_metadata->metadata);
  CHECK(got[Signal::kMetrics]->bytes == "m");
  CHECK(got[Signal::kMetrics]->items == 2);
  CHECK(got[Signal::kMetrics]->metadata == nullptr);
  // The backend records a request before the sender's counter moves.
  CHECK(test::WaitFor([&] { return s.counters(Signal::kLogs).sent == 7; }));
  CHECK(test::WaitFor([&] { return s.counters(Signal::kMetrics).sent == 2; }));
}

TEST_CASE("a full disk makes Consume refuse with a retryable status, and it recovers") {
  test::TempDir dir;
  auto storage = Storage(dir.path());
  Backend backend;
  Sender s(storage.get(), backend);
  REQUIRE(s.sender.Start().ok());

  // RLIMIT_FSIZE makes every write past 4 KiB of a file fail (EFBIG), as a
  // full disk fails them: the segment log sees a real failed write.
  struct FileSizeLimit {
    rlimit old{};
    void (*old_handler)(int);
    explicit FileSizeLimit(rlim_t bytes) {
      old_handler = std::signal(SIGXFSZ, SIG_IGN);
      getrlimit(RLIMIT_FSIZE, &old);
      rlimit lower = old;
      lower.rlim_cur = bytes;
      setrlimit(RLIMIT_FSIZE, &lower);
    }
    ~FileSizeLimit() {
      setrlimit(RLIMIT_FSIZE, &old);
      std::signal(SIGXFSZ, old_handler);
    }
  };
  const PayloadPtr big = MakePayload(Signal::kTraces, std::string(16 << 10, 'b'), 4);
  {
    FileSizeLimit limit(4096);
    for (int i = 0; i < 3; ++i) {
      Status refused = s.sender.Consume(big);
      CHECK(refused.code() == StatusCode::kUnavailable);
      CHECK(refused.retryable());
      CHECK_THAT(refused.message(), Catch::Matchers::Contains("cannot persist"));
    }
  }
  CHECK(s.counters().enqueue_failed == 12);
  CHECK(s.sender.queue_size() == 0);  // refused appends give their room back
  REQUIRE(s.sender.Consume(big).ok());
  REQUIRE(test::WaitFor([&] { return s.counters().sent == 4; }));
  CHECK(backend.delivered().size() == 1);
}

TEST_CASE("capacity counts the backlog loaded from disk; new data waits behind it") {
  test::TempDir dir;
  const int kBacklog = 30;
  std::multiset<std::string> old;
  {
    auto storage = Storage(dir.path());
    Backend down;
    down.Answer(Down());
    Sender s(storage.get(), down);
    REQUIRE(s.sender.Start().ok());
    for (int i = 0; i < kBacklog; ++i) {
      PayloadPtr p = Numbered(i);
      REQUIRE(s.sender.Consume(p).ok());
      old.insert(p->bytes);
    }
    s.sender.Shutdown(Clock::now() + 1s);
  }
  auto storage = Storage(dir.path());
  Backend gated;
  gated.Close();  // nothing leaves until the test opens it
  Config c = PersistentConfig();
  c.sending_queue.queue_size = 10;
  c.sending_queue.num_consumers = 2;
  Sender s(storage.get(), gated, c);
  REQUIRE(s.sender.Start().ok());
  REQUIRE(test::WaitFor([&] { return s.sender.queue_size() == 10; }));
  CHECK(gated.WaitAttempts(2));
  Status refused = s.sender.Consume(MakePayload(Signal::kTraces, "new", 1));
  CHECK(refused.code() == StatusCode::kUnavailable);
  CHECK_THAT(refused.message(), Catch::Matchers::Contains("sending queue is full"));
  CHECK(s.counters().enqueue_failed == 1);
  CHECK(s.sender.queue_size() == 10);  // the loader waits for room, it never overfills

  gated.Open();
  REQUIRE(test::WaitFor([&] { return gated.delivered().size() == kBacklog; }));
  CHECK(gated.delivered_bytes() == old);
  REQUIRE(test::WaitFor([&] { return s.sender.Consume(MakePayload(Signal::kTraces, "new", 1)).ok(); }));
  REQUIRE(test::WaitFor([&] { return gated.delivered().size() == kBacklog + 1; }));
}

TEST_CASE("a backlog record that is not a payload is dropped, counted and removed") {
  test::TempDir dir;
  {
    auto storage = Storage(dir.path());
    auto q = storage->OpenQueue(PersistentQueueName(kExporter));
    REQUIRE(q.ok());
    REQUIRE((*q)->Append("not a payload record").ok());
    REQUIRE((*q)->Append(exporters::exporterhelper::EncodePayloadRecord(*Numbered(1))).ok());
  }
  auto storage = Storage(dir.path());
  Backend backend;
  {
    Sender s(storage.get(), backend);
    REQUIRE(s.sender.Start().ok());
    REQUIRE(test::WaitFor([&] { return backend.delivered().size() == 1; }));
    CHECK(test::WaitFor([&] { return s.sender.undecodable_records() == 1; }));
    s.sender.Shutdown(Clock::now() + 5s);
  }
  CHECK(backend.delivered()[0]->bytes == Numbered(1)->bytes);
  CHECK(Backlog(*storage).empty());
}

TEST_CASE("Start fails, naming the queue, when another holder has it locked") {
  test::TempDir dir;
  auto storage = Storage(dir.path());
  auto held = storage->OpenQueue(PersistentQueueName(kExporter));
  REQUIRE(held.ok());
  Backend backend;
  Sender s(storage.get(), backend);
  Status started = s.sender.Start();
  CHECK_FALSE(started.ok());
  CHECK_THAT(started.message(), Catch::Matchers::Contains("exporter_otlp_backend"));
  CHECK_THAT(started.message(), Catch::Matchers::Contains(kExporter));
  CHECK(s.sender.Consume(Numbered(1)).retryable());
}
