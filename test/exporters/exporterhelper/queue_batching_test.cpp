// sending_queue.batch: QueuedRetrySender batching what its queue holds, in
// memory and on the real file_storage extension.
#include <algorithm>
#include <map>
#include <set>

#include <catch2/catch.hpp>

#include "exporters/exporterhelper/queued_retry_sender.h"
#include "extensions/file_storage/file_storage_extension.h"
#include "otlp/wire/wire_walker.h"
#include "test/otlp/wire/otlp_test_data.h"
#include "test/support/process.h"
#include "test/support/sink.h"

using namespace otlpd;
using namespace std::chrono_literals;
using exporters::exporterhelper::BatchConfig;
using exporters::exporterhelper::Config;
using exporters::exporterhelper::PersistentQueueName;
using exporters::exporterhelper::QueuedRetrySender;
using exporters::exporterhelper::SenderOptions;
using exporters::exporterhelper::SendResult;
using exporters::exporterhelper::Sizer;

namespace {

constexpr const char* kExporter = "otlp/batched";

// `n` spans named s<first>..s<first+n-1> in one request.
PayloadPtr Spans(int first, int n, std::shared_ptr<const Metadata> metadata = nullptr) {
  wire::testing::TraceRequest req = wire::testing::MakeTraces(1, 1, n);
  int i = first;
  for (auto& span : *req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans()) {
    span.set_name("s" + std::to_string(i++));
  }
  return MakePayload(Signal::kTraces, req.SerializeAsString(), static_cast<std::uint64_t>(n),
                     std::move(metadata));
}

// Records what it accepted; answers Unavailable while down.
class Backend {
 public:
  SendResult Send(const PayloadPtr& p) {
    std::lock_guard<std::mutex> lock(mu_);
    ++attempts_;
    if (down_) return SendResult::Failed(Status::Unavailable("backend down"));
    received_.push_back(p);
    return SendResult::Ok();
  }
  exporters::exporterhelper::SendFunc Func() {
    return [this](const PayloadPtr& p, Clock::time_point) { return Send(p); };
  }
  void Down(bool down) {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = down;
  }
  int attempts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_;
  }
  std::vector<PayloadPtr> received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  // Every span name received, each request checked to be a valid OTLP request
  // whose item count is right.
  std::multiset<std::string> names() const {
    std::multiset<std::string> out;
    for (const PayloadPtr& p : received()) {
      auto counted = wire::ValidateAndCount(Signal::kTraces, p->bytes);
      REQUIRE(counted.ok());
      CHECK(*counted == p->items);
      for (const std::string& id : wire::testing::ParseWithProtobuf(Signal::kTraces, p->bytes).ids)
        out.insert(id);
    }
    return out;
  }
  std::uint64_t items() const {
    std::uint64_t n = 0;
    for (const PayloadPtr& p : received()) n += p->items;
    return n;
  }

 private:
  mutable std::mutex mu_;
  bool down_ = false;
  int attempts_ = 0;
  std::vector<PayloadPtr> received_;
};

std::multiset<std::string> Names(int first, int n) {
  std::multiset<std::string> out;
  for (int i = first; i < first + n; ++i) out.insert("s" + std::to_string(i));
  return out;
}

Config Batched(BatchConfig batch) {
  Config c;
  c.retry_on_failure.initial_interval = 5ms;
  c.retry_on_failure.max_interval = 20ms;
  c.retry_on_failure.max_elapsed_time = 0s;
  c.sending_queue.num_consumers = 4;
  c.sending_queue.queue_size = 100000;
  c.sending_queue.sizer = Sizer::kItems;
  c.sending_queue.batch = batch;
  return c;
}

BatchConfig Batch(std::int64_t min_size, std::int64_t max_size = 0, std::chrono::nanoseconds flush = 1h,
                  Sizer sizer = Sizer::kItems) {
  BatchConfig b;
  b.min_size = min_size;
  b.max_size = max_size;
  b.flush_timeout = flush;
  b.sizer = sizer;
  return b;
}

struct Harness {
  ComponentTelemetry telemetry;
  Backend backend;
  std::unique_ptr<QueuedRetrySender> sender;

  explicit Harness(Config config, StorageExtension* storage = nullptr) {
    sender = std::make_unique<QueuedRetrySender>(kExporter, std::move(config), backend.Func(), &telemetry,
                                                 SenderOptions{nullptr, nullptr, storage, nullptr, nullptr});
    REQUIRE(sender->Start().ok());
  }
  void Shutdown() { sender->Shutdown(Clock::now() + 10s); }
  std::uint64_t sent() { return telemetry[Signal::kTraces].sent.load(); }
};

std::unique_ptr<extensions::file_storage::FileStorageExtension> Storage(const std::filesystem::path& dir) {
  extensions::file_storage::Config c;
  c.directory = dir.string();
  c.timeout = 100ms;
  auto e = std::make_unique<extensions::file_storage::FileStorageExtension>("file_storage",
                                                                            "extensions.file_storage", c);
  REQUIRE(e->Start().ok());
  return e;
}

std::size_t BacklogSize(StorageExtension& storage) {
  auto q = storage.OpenQueue(PersistentQueueName(kExporter));
  REQUIRE(q.ok());
  std::size_t n = 0;
  std::uint64_t id = 0;
  std::string record;
  while ((*q)->NextBacklog(id, record)) ++n;
  return n;
}

}  // namespace

TEST_CASE("queue batching merges requests into batches of min_size items") {
  Harness h(Batched(Batch(10)));
  for (int i = 0; i < 30; ++i) REQUIRE(h.sender->Consume(Spans(i, 1)).ok());
  REQUIRE(test::WaitFor([&] { return h.backend.items() == 30; }));
  // 30 one-span requests make three batches of 10: fewer, larger requests.
  CHECK(h.backend.received().size() == 3);
  for (const PayloadPtr& p : h.backend.received()) CHECK(p->items == 10);
  CHECK(h.backend.names() == Names(0, 30));
  CHECK(h.sent() == 30);
  CHECK(h.sender->queue_size() == 0);
  h.Shutdown();
}

TEST_CASE("queue batching sends a batch below min_size once flush_timeout passes") {
  Harness h(Batched(Batch(8192, 0, 50ms)));
  const auto start = Clock::now();
  REQUIRE(h.sender->Consume(Spans(0, 3)).ok());
  REQUIRE(h.sender->Consume(Spans(3, 2)).ok());
  REQUIRE(test::WaitFor([&] { return h.backend.items() == 5; }));
  CHECK(Clock::now() - start >= 50ms);
  CHECK(h.backend.received().size() == 1);
  CHECK(h.backend.names() == Names(0, 5));
  h.Shutdown();
}

TEST_CASE("queue batching splits at max_size on wire boundaries") {
  Harness h(Batched(Batch(10, 10)));
  REQUIRE(h.sender->Consume(Spans(0, 35)).ok());
  REQUIRE(h.sender->Consume(Spans(35, 5)).ok());
  REQUIRE(test::WaitFor([&] { return h.backend.items() == 40; }));
  for (const PayloadPtr& p : h.backend.received()) CHECK(p->items == 10);
  CHECK(h.backend.names() == Names(0, 40));
  h.Shutdown();
}

TEST_CASE("queue batching by bytes keeps pieces within max_size bytes") {
  const std::size_t one = Spans(0, 1)->bytes.size();
  const auto max = static_cast<std::int64_t>(one * 4 + one / 2);
  Harness h(Batched(Batch(static_cast<std::int64_t>(one * 3), max, 1h, Sizer::kBytes)));
  REQUIRE(h.sender->Consume(Spans(0, 20)).ok());
  REQUIRE(h.sender->Consume(Spans(20, 1)).ok());
  REQUIRE(h.sender->Consume(Spans(21, 1)).ok());
  h.Shutdown();  // flushes what is left below min_size
  CHECK(h.backend.items() == 22);
  CHECK(h.backend.names() == Names(0, 22));
  for (const PayloadPtr& p : h.backend.received()) CHECK(p->bytes.size() <= static_cast<std::size_t>(max));
}

TEST_CASE("queue batching keeps partitions apart by client metadata") {
  BatchConfig b = Batch(4);
  b.partition.metadata_keys = {"tenant"};
  Harness h(Batched(b));
  auto a = std::make_shared<const Metadata>(Metadata{{"tenant", "a"}, {"other", "x"}});
  auto bb = std::make_shared<const Metadata>(Metadata{{"tenant", "b"}});
  for (int i = 0; i < 4; ++i) {
    REQUIRE(h.sender->Consume(Spans(i, 1, a)).ok());
    REQUIRE(h.sender->Consume(Spans(100 + i, 1, bb)).ok());
  }
  REQUIRE(test::WaitFor([&] { return h.backend.items() == 8; }));
  REQUIRE(h.backend.received().size() == 2);
  for (const PayloadPtr& p : h.backend.received()) {
    REQUIRE(p->metadata);
    REQUIRE(p->metadata->size() == 1);  // just the partition's keys travel on
    const std::string tenant = p->metadata->front().second;
    for (const std::string& id : wire::testing::ParseWithProtobuf(Signal::kTraces, p->bytes).ids) {
      CHECK((tenant == "a") == (id.size() == 2));  // s0..s3 vs s100..s103
    }
  }
  h.Shutdown();
}

TEST_CASE("queue batching: wait_for_result answers once the batch holding the request is sent") {
  Config c = Batched(Batch(8192, 0, 30ms));
  c.sending_queue.wait_for_result = true;
  Harness h(c);
  CHECK(h.sender->Consume(Spans(0, 2)).ok());
  CHECK(h.backend.items() == 2);
  h.Shutdown();
}

TEST_CASE("queue batching: shutdown sends what the batches hold") {
  Harness h(Batched(Batch(8192)));
  for (int i = 0; i < 5; ++i) REQUIRE(h.sender->Consume(Spans(i * 2, 2)).ok());
  h.Shutdown();
  CHECK(h.backend.names() == Names(0, 10));
  CHECK(h.sent() == 10);
  CHECK(h.telemetry[Signal::kTraces].send_failed.load() == 0);
}

TEST_CASE("queue batching on a persistent queue removes records only once delivered") {
  test::TempDir dir;
  auto storage = Storage(dir.path());
  Config c = Batched(Batch(6, 4));
  {
    Harness h(c, storage.get());
    for (int i = 0; i < 9; ++i) REQUIRE(h.sender->Consume(Spans(i * 3, 3)).ok());
    // 27 spans: the first 24 leave in pieces of 4; 3 wait below min_size.
    REQUIRE(test::WaitFor([&] { return h.backend.items() == 24; }));
    CHECK(h.backend.names() == Names(0, 24));
    h.Shutdown();
    CHECK(h.backend.items() == 24);  // persistent: the rest stays on disk, not sent at shutdown
  }
  // The record whose spans were cut across the last delivered piece and the
  // batch stays too: sent again rather than lost.
  CHECK(BacklogSize(*storage) == 1);
  {
    Harness h(Batched(Batch(1)), storage.get());
    REQUIRE(test::WaitFor([&] { return h.backend.items() == 3; }));
    CHECK(h.backend.names() == Names(24, 3));
    h.Shutdown();
  }
  CHECK(BacklogSize(*storage) == 0);
}

TEST_CASE("queue batching on a persistent queue keeps everything when the backend is down at shutdown") {
  test::TempDir dir;
  auto storage = Storage(dir.path());
  {
    Harness h(Batched(Batch(5, 5)), storage.get());
    h.backend.Down(true);
    for (int i = 0; i < 6; ++i) REQUIRE(h.sender->Consume(Spans(i * 2, 2)).ok());
    REQUIRE(test::WaitFor([&] { return h.backend.attempts() >= 2; }));
    h.Shutdown();
    CHECK(h.backend.items() == 0);
    CHECK(h.telemetry[Signal::kTraces].send_failed.load() == 0);
  }
  CHECK(BacklogSize(*storage) == 6);
  {
    Harness h(Batched(Batch(5, 5, 20ms)), storage.get());
    REQUIRE(test::WaitFor([&] { return h.backend.items() == 12; }));
    CHECK(h.backend.names() == Names(0, 12));
    h.Shutdown();
  }
  CHECK(BacklogSize(*storage) == 0);
}
