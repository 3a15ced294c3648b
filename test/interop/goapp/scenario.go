package main

// The fixed telemetry this program sends, and the pdata form it is expected to
// arrive in. Every value here is deterministic (ids, timestamps, attribute
// values) except what the SDK itself stamps (metric start/end times,
// exemplar times); those are checked against the bytes the SDK put on the
// wire instead (see capture.go).

import (
	"context"
	"encoding/hex"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Base time of every explicit timestamp. The nanosecond part makes the values
// exceed 2^53, so a reader that parses the int64 strings through a double
// loses precision and fails the comparison.
var t0 = time.Unix(1_750_000_000, 123_456_789).UTC()

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	resourceSchemaURL = "https://opentelemetry.io/schemas/1.37.0"
	scopeSchemaURL    = "https://opentelemetry.io/schemas/1.36.0"
	scopeVersion      = "0.1.0"
	tracerName        = "otlpd/interop/tracer"
	meterName         = "otlpd/interop/meter"
	loggerName        = "otlpd/interop/logger"

	// A string that needs JSON escaping: quotes, backslash, control
	// characters, non-ASCII (2, 3 and 4 byte UTF-8).
	trickyString = "ünïcødé \"quoted\" back\\slash\n\ttab / 日本語 🚀 \u0001"
)

func resourceAttrs() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("service.name", "otlpd-interop-goapp"),
		attribute.String("service.version", "1.2.3"),
		attribute.String("service.instance.id", "interop-0001"),
		attribute.String("deployment.environment.name", "test"),
		attribute.Int64("interop.resource.int", 42),
		attribute.Bool("interop.resource.bool", true),
		attribute.Float64("interop.resource.double", 2.5),
		attribute.StringSlice("interop.resource.strings", []string{"a", "b"}),
	}
}

func newResource() *resource.Resource {
	return resource.NewWithAttributes(resourceSchemaURL, resourceAttrs()...)
}

func scopeAttrs(kind string) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String("interop.scope.kind", kind)}
}

// ---------------------------------------------------------------- traces ---

func mustTraceID(s string) trace.TraceID {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		panic("bad trace id " + s)
	}
	return trace.TraceID(b)
}

func mustSpanID(s string) trace.SpanID {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		panic("bad span id " + s)
	}
	return trace.SpanID(b)
}

var (
	traceA = mustTraceID("0102030405060708090a0b0c0d0e0f10")
	traceB = mustTraceID("4bf92f3577b34da6a3ce929d0e0e4736")

	// The remote parent of trace B's first span (a span of an upstream
	// service, not sent by us).
	remoteParent = trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    traceB,
		SpanID:     mustSpanID("00f067aa0ba902b7"),
		TraceFlags: trace.FlagsSampled,
		TraceState: mustTraceState("vendor1=value1,vendor2=value2"),
		Remote:     true,
	})
)

func mustTraceState(s string) trace.TraceState {
	ts, err := trace.ParseTraceState(s)
	if err != nil {
		panic(err)
	}
	return ts
}

type eventSpec struct {
	name    string
	at      time.Duration
	attrs   []attribute.KeyValue
	dropped uint32 // attributes the SDK drops (see eventAttrLimit)
}

type linkSpec struct {
	to    string // key of the linked span
	attrs []attribute.KeyValue
}

type spanSpec struct {
	key        string
	name       string
	traceID    trace.TraceID
	spanID     trace.SpanID
	parent     string // key of the parent span; "" = root; "remote" = remoteParent
	kind       trace.SpanKind
	start, end time.Duration
	attrs      []attribute.KeyValue
	events     []eventSpec
	links      []linkSpec
	status     codes.Code
	statusMsg  string
}

// At most this many attributes per span event; the SDK drops the rest and
// reports the number in droppedAttributesCount.
const eventAttrLimit = 4

// allTypeAttrs has an attribute of every type an attribute can have.
func allTypeAttrs() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("attr.string", "hello"),
		attribute.String("attr.string.tricky", trickyString),
		attribute.String("attr.string.empty", ""),
		attribute.Bool("attr.bool.true", true),
		attribute.Bool("attr.bool.false", false),
		attribute.Int64("attr.int", 1234567),
		attribute.Int64("attr.int.zero", 0),
		attribute.Int64("attr.int.negative", -42),
		attribute.Int64("attr.int.max", math.MaxInt64),
		attribute.Int64("attr.int.min", math.MinInt64),
		attribute.Float64("attr.double", 3.141592653589793),
		attribute.Float64("attr.double.negative", -0.5),
		attribute.Float64("attr.double.large", 1.5e300),
		attribute.Float64("attr.double.integral", 2.0),
		attribute.StringSlice("attr.string.slice", []string{"x", "", trickyString}),
		attribute.Int64Slice("attr.int.slice", []int64{1, -2, math.MaxInt64}),
		attribute.Float64Slice("attr.double.slice", []float64{0.25, -1.5}),
		attribute.BoolSlice("attr.bool.slice", []bool{true, false}),
		attribute.ByteSlice("attr.bytes", []byte{0x00, 0x01, 0xfe, 0xff}),
		attribute.Slice("attr.mixed.slice", attribute.StringValue("s"), attribute.Int64Value(7), attribute.BoolValue(true)),
		attribute.Map("attr.map",
			attribute.String("inner.string", "v"),
			attribute.Int64("inner.int", 9),
			attribute.Map("inner.map", attribute.Float64("deep", 0.125)),
		),
	}
}

func spanSpecs() []spanSpec {
	return []spanSpec{
		{
			key: "root", name: "GET /api/orders/{id}", traceID: traceA, spanID: mustSpanID("1111111111111111"),
			kind: trace.SpanKindServer, start: 0, end: 250*time.Millisecond + 7,
			attrs: append([]attribute.KeyValue{
				attribute.String("http.request.method", "GET"),
				attribute.String("url.path", "/api/orders/12345"),
				attribute.Int64("http.response.status_code", 200),
			}, allTypeAttrs()...),
			events: []eventSpec{{name: "request.received", at: 1 * time.Millisecond,
				attrs: []attribute.KeyValue{attribute.Int64("request.size", 512), attribute.Bool("request.authenticated", true)}}},
			status: codes.Ok,
		},
		{
			key: "cache", name: "cache lookup", traceID: traceA, spanID: mustSpanID("2222222222222222"), parent: "root",
			kind: trace.SpanKindInternal, start: 5 * time.Millisecond, end: 8*time.Millisecond + 1,
			attrs: []attribute.KeyValue{attribute.String("cache.key", "order:12345"), attribute.Bool("cache.hit", false)},
			events: []eventSpec{{name: "exception", at: 7 * time.Millisecond, attrs: []attribute.KeyValue{
				attribute.String("exception.type", "ConnectionRefusedError"),
				attribute.String("exception.message", "connection refused"),
				attribute.String("exception.stacktrace", "at cache.get()\nat handler()"),
				attribute.Bool("exception.escaped", false),
				attribute.String("dropped.by.limit", "this attribute exceeds the per-event limit"),
			}, dropped: 1}},
			status: codes.Error, statusMsg: "cache unavailable: " + trickyString,
		},
		{
			key: "db", name: "SELECT orders", traceID: traceA, spanID: mustSpanID("3333333333333333"), parent: "root",
			kind: trace.SpanKindClient, start: 10 * time.Millisecond, end: 60 * time.Millisecond,
			attrs: []attribute.KeyValue{
				attribute.String("db.system.name", "postgresql"),
				attribute.String("db.query.text", "SELECT * FROM orders WHERE id = $1"),
				attribute.String("server.address", "db.example.com"),
				attribute.Int64("server.port", 5432),
			},
		},
		{
			key: "process", name: "process order", traceID: traceA, spanID: mustSpanID("4444444444444444"), parent: "root",
			kind: trace.SpanKindInternal, start: 70 * time.Millisecond, end: 200 * time.Millisecond,
			attrs: []attribute.KeyValue{attribute.Int64("order.items", 3), attribute.Float64("order.total", 99.95)},
			events: []eventSpec{
				{name: "validated", at: 80 * time.Millisecond},
				{name: "priced", at: 90*time.Millisecond + 3, attrs: []attribute.KeyValue{
					attribute.Float64("price", 99.95), attribute.StringSlice("currencies", []string{"EUR", "USD"})}},
			},
		},
		{
			key: "publish", name: "publish order.created", traceID: traceA, spanID: mustSpanID("5555555555555555"), parent: "process",
			kind: trace.SpanKindProducer, start: 100 * time.Millisecond, end: 110 * time.Millisecond,
			attrs: []attribute.KeyValue{
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.destination.name", "orders"),
				attribute.String("messaging.operation.type", "send"),
			},
		},
		{
			key: "consume", name: "consume order.created", traceID: traceB, spanID: mustSpanID("6666666666666666"), parent: "remote",
			kind: trace.SpanKindConsumer, start: 300 * time.Millisecond, end: 350 * time.Millisecond,
			attrs: []attribute.KeyValue{
				attribute.String("messaging.system", "kafka"),
				attribute.String("messaging.operation.type", "process"),
			},
			links: []linkSpec{{to: "publish", attrs: []attribute.KeyValue{
				attribute.String("link.reason", "message"), attribute.Int64("link.index", 0)}}},
		},
		{
			key: "handle", name: "handle order.created", traceID: traceB, spanID: mustSpanID("7777777777777777"), parent: "consume",
			kind: trace.SpanKindInternal, start: 310 * time.Millisecond, end: 340 * time.Millisecond,
			links: []linkSpec{{to: "root"}},
		},
	}
}

// Fixed ids: the span's wanted ids travel in the context given to Start.
type idKey struct{}

type wantedIDs struct {
	trace trace.TraceID
	span  trace.SpanID
}

type fixedIDGenerator struct{}

func (fixedIDGenerator) ids(ctx context.Context) wantedIDs {
	v, ok := ctx.Value(idKey{}).(wantedIDs)
	if !ok {
		panic("span started without fixed ids in its context")
	}
	return v
}

func (g fixedIDGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	v := g.ids(ctx)
	return v.trace, v.span
}

func (g fixedIDGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	return g.ids(ctx).span
}

var _ sdktrace.IDGenerator = fixedIDGenerator{}

// emitSpans creates every span of spanSpecs through tp.
func emitSpans(tp trace.TracerProvider) {
	tracer := tp.Tracer(tracerName, trace.WithInstrumentationVersion(scopeVersion),
		trace.WithSchemaURL(scopeSchemaURL), trace.WithInstrumentationAttributes(scopeAttrs("tracer")...))
	started := map[string]trace.Span{}
	for _, s := range spanSpecs() {
		ctx := context.Background()
		switch s.parent {
		case "":
		case "remote":
			ctx = trace.ContextWithRemoteSpanContext(ctx, remoteParent)
		default:
			ctx = trace.ContextWithSpan(ctx, started[s.parent])
		}
		ctx = context.WithValue(ctx, idKey{}, wantedIDs{s.traceID, s.spanID})
		var links []trace.Link
		for _, l := range s.links {
			links = append(links, trace.Link{SpanContext: started[l.to].SpanContext(), Attributes: l.attrs})
		}
		_, span := tracer.Start(ctx, s.name, trace.WithSpanKind(s.kind), trace.WithTimestamp(at(s.start)),
			trace.WithAttributes(s.attrs...), trace.WithLinks(links...))
		for _, e := range s.events {
			span.AddEvent(e.name, trace.WithTimestamp(at(e.at)), trace.WithAttributes(e.attrs...))
		}
		if s.status != codes.Unset {
			span.SetStatus(s.status, s.statusMsg)
		}
		started[s.key] = span
	}
	// End children before parents, as real code does.
	specs := spanSpecs()
	for i := len(specs) - 1; i >= 0; i-- {
		started[specs[i].key].End(trace.WithTimestamp(at(specs[i].end)))
	}
}

func putResourceAndScope(res pcommon.Resource, scope pcommon.InstrumentationScope, kind, name string) {
	putAttrs(res.Attributes(), resourceAttrs())
	scope.SetName(name)
	scope.SetVersion(scopeVersion)
	putAttrs(scope.Attributes(), scopeAttrs(kind))
}

// expectedSpans returns, per span id, the span as it must arrive.
func expectedSpans() map[string]ptrace.Traces {
	specs := spanSpecs()
	byKey := map[string]spanSpec{}
	for _, s := range specs {
		byKey[s.key] = s
	}
	out := map[string]ptrace.Traces{}
	for _, s := range specs {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		rs.SetSchemaUrl(resourceSchemaURL)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.SetSchemaUrl(scopeSchemaURL)
		putResourceAndScope(rs.Resource(), ss.Scope(), "tracer", tracerName)
		sp := ss.Spans().AppendEmpty()
		sp.SetName(s.name)
		sp.SetTraceID(pcommon.TraceID(s.traceID))
		sp.SetSpanID(pcommon.SpanID(s.spanID))
		switch s.parent {
		case "":
		case "remote":
			sp.SetParentSpanID(pcommon.SpanID(remoteParent.SpanID()))
			sp.TraceState().FromRaw(remoteParent.TraceState().String())
		default:
			sp.SetParentSpanID(pcommon.SpanID(byKey[s.parent].spanID))
			if byKey[s.parent].parent == "remote" {
				sp.TraceState().FromRaw(remoteParent.TraceState().String())
			}
		}
		sp.SetKind(ptrace.SpanKind(s.kind)) // trace.SpanKind and OTLP's enum agree for 1..5
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(at(s.start)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(at(s.end)))
		putAttrs(sp.Attributes(), s.attrs)
		for _, e := range s.events {
			ev := sp.Events().AppendEmpty()
			ev.SetName(e.name)
			ev.SetTimestamp(pcommon.NewTimestampFromTime(at(e.at)))
			n := min(len(e.attrs), eventAttrLimit)
			putAttrs(ev.Attributes(), e.attrs[:n])
			ev.SetDroppedAttributesCount(e.dropped)
		}
		for _, l := range s.links {
			to := byKey[l.to]
			pl := sp.Links().AppendEmpty()
			pl.SetTraceID(pcommon.TraceID(to.traceID))
			pl.SetSpanID(pcommon.SpanID(to.spanID))
			if to.traceID == traceB {
				pl.TraceState().FromRaw(remoteParent.TraceState().String())
			}
			putAttrs(pl.Attributes(), l.attrs)
		}
		switch s.status {
		case codes.Ok:
			sp.Status().SetCode(ptrace.StatusCodeOk)
		case codes.Error:
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage(s.statusMsg)
		}
		out[hex.EncodeToString(s.spanID[:])] = td
	}
	return out
}

// --------------------------------------------------------------- metrics ---

var (
	latencyBounds = []float64{0.005, 0.01, 0.025, 0.1, 0.5, 1, 5}
	latencyValues = []float64{0.003, 0.02, 0.02, 0.3, 2, 7}
	payloadBounds = []float64{100, 1000, 10000}
	payloadValues = []int64{50, 500, 5000, 50000, 500}
	respTimeVals  = []float64{0, 1.5, 3, 3, 10, 250}
)

const (
	expHistoMaxSize  = 160
	expHistoMaxScale = 20
	exemplarValue    = 0.3 // the latency measurement recorded inside a sampled span
)

// exemplarSpan is the span context the exemplar measurement is recorded in.
func exemplarSpan() trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceA, SpanID: mustSpanID("1111111111111111"), TraceFlags: trace.FlagsSampled,
	})
}

// emitMetrics records every measurement; observable instruments report at
// collection time.
func emitMetrics(mp metric.MeterProvider) error {
	meter := mp.Meter(meterName, metric.WithInstrumentationVersion(scopeVersion),
		metric.WithSchemaURL(scopeSchemaURL), metric.WithInstrumentationAttributes(scopeAttrs("meter")...))
	ctx := context.Background()
	exCtx := trace.ContextWithSpanContext(ctx, exemplarSpan())
	// Measurements recorded outside a sampled span (no exemplar).
	a := func(kv ...attribute.KeyValue) metric.MeasurementOption { return metric.WithAttributes(kv...) }

	requests, err := meter.Int64Counter("interop.requests", metric.WithUnit("{request}"), metric.WithDescription("Requests handled"))
	if err != nil {
		return err
	}
	requests.Add(ctx, 3, a(attribute.String("http.route", "/a"), attribute.Int64("http.response.status_code", 200)))
	requests.Add(ctx, 2, a(attribute.String("http.route", "/a"), attribute.Int64("http.response.status_code", 200)))
	requests.Add(ctx, 1, a(attribute.String("http.route", "/b"), attribute.Int64("http.response.status_code", 500)))

	bytes, err := meter.Float64Counter("interop.bytes", metric.WithUnit("By"), metric.WithDescription("Bytes transferred"))
	if err != nil {
		return err
	}
	bytes.Add(ctx, 1024.5, a(attribute.String("direction", "in")))
	bytes.Add(ctx, 512.25, a(attribute.String("direction", "in")))

	depth, err := meter.Int64UpDownCounter("interop.queue.depth", metric.WithUnit("{item}"), metric.WithDescription("Queue depth"))
	if err != nil {
		return err
	}
	depth.Add(ctx, 10, a(attribute.String("queue", "orders")))
	depth.Add(ctx, -3, a(attribute.String("queue", "orders")))
	depth.Add(ctx, -2, a(attribute.String("queue", "payments")))

	balance, err := meter.Float64UpDownCounter("interop.balance", metric.WithUnit("{EUR}"))
	if err != nil {
		return err
	}
	balance.Add(ctx, 100.5)
	balance.Add(ctx, -0.25)

	latency, err := meter.Float64Histogram("interop.latency", metric.WithUnit("s"), metric.WithDescription("Request latency"),
		metric.WithExplicitBucketBoundaries(latencyBounds...))
	if err != nil {
		return err
	}
	for _, v := range latencyValues {
		c := ctx
		if v == exemplarValue {
			c = exCtx
		}
		latency.Record(c, v, a(attribute.String("http.route", "/a")))
	}

	payload, err := meter.Int64Histogram("interop.payload.size", metric.WithUnit("By"))
	if err != nil {
		return err
	}
	for _, v := range payloadValues {
		payload.Record(ctx, v)
	}

	temp, err := meter.Float64Gauge("interop.temperature", metric.WithUnit("Cel"))
	if err != nil {
		return err
	}
	temp.Record(ctx, 21.5, a(attribute.String("room", "lab")))
	temp.Record(ctx, 22.75, a(attribute.String("room", "lab")))

	threads, err := meter.Int64Gauge("interop.threads", metric.WithUnit("{thread}"))
	if err != nil {
		return err
	}
	threads.Record(ctx, 12)

	respTime, err := meter.Float64Histogram("interop.response.time", metric.WithUnit("ms"))
	if err != nil {
		return err
	}
	for _, v := range respTimeVals {
		respTime.Record(ctx, v, a(attribute.Bool("cached", false)))
	}

	_, err = meter.Float64ObservableCounter("interop.cpu.time", metric.WithUnit("s"),
		metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
			o.Observe(12.5, metric.WithAttributes(attribute.String("cpu.mode", "user")))
			o.Observe(3.25, metric.WithAttributes(attribute.String("cpu.mode", "system")))
			return nil
		}))
	if err != nil {
		return err
	}
	_, err = meter.Int64ObservableGauge("interop.memory.usage", metric.WithUnit("By"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(1048576, metric.WithAttributes(attribute.String("memory.state", "used")))
			return nil
		}))
	if err != nil {
		return err
	}
	_, err = meter.Int64ObservableUpDownCounter("interop.connections", metric.WithUnit("{connection}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(42, metric.WithAttributes(attribute.String("state", "active")))
			o.Observe(-5, metric.WithAttributes(attribute.String("state", "leaked")))
			return nil
		}))
	return err
}

func newMetric(name, unit, desc string) (pmetric.Metrics, pmetric.Metric) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.SetSchemaUrl(resourceSchemaURL)
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.SetSchemaUrl(scopeSchemaURL)
	putResourceAndScope(rm.Resource(), sm.Scope(), "meter", meterName)
	m := sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	m.SetDescription(desc)
	return md, m
}

func sumOf[T int64 | float64](vs []T) T {
	var s T
	for _, v := range vs {
		s += v
	}
	return s
}

func bucketCounts(bounds []float64, values []float64) []uint64 {
	counts := make([]uint64, len(bounds)+1)
	for _, v := range values {
		i := 0
		for i < len(bounds) && v > bounds[i] {
			i++
		}
		counts[i]++
	}
	return counts
}

// expHistogram computes the base-2 exponential histogram the SDK builds for
// values: the largest scale <= maxScale whose bucket range fits maxSize.
func expHistogram(values []float64, maxSize, maxScale int) (scale int32, offset int32, counts []uint64, zeros uint64) {
	index := func(v float64, scale int) int {
		// Bucket i holds (2^(i/2^scale), 2^((i+1)/2^scale)]; none of our
		// values is an exact power of two.
		return int(math.Ceil(math.Log2(v)*math.Exp2(float64(scale)))) - 1
	}
	for s := maxScale; ; s-- {
		lo, hi := math.MaxInt, math.MinInt
		for _, v := range values {
			if v == 0 {
				continue
			}
			i := index(v, s)
			lo, hi = min(lo, i), max(hi, i)
		}
		if hi-lo+1 > maxSize {
			continue
		}
		counts = make([]uint64, hi-lo+1)
		zeros = 0
		for _, v := range values {
			if v == 0 {
				zeros++
				continue
			}
			counts[index(v, s)-lo]++
		}
		return int32(s), int32(lo), counts, zeros
	}
}

func sumPoint(ms pmetric.Sum, attrs []attribute.KeyValue) pmetric.NumberDataPoint {
	dp := ms.DataPoints().AppendEmpty()
	putAttrs(dp.Attributes(), attrs)
	return dp
}

// expectedMetrics returns, per metric name, the metric as it must arrive
// (without the SDK-stamped start/end times and exemplar times).
func expectedMetrics() map[string]pmetric.Metrics {
	out := map[string]pmetric.Metrics{}
	add := func(md pmetric.Metrics) {
		out[md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Name()] = md
	}
	kv := attribute.String
	{
		md, m := newMetric("interop.requests", "{request}", "Requests handled")
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		s.SetIsMonotonic(true)
		sumPoint(s, []attribute.KeyValue{kv("http.route", "/a"), attribute.Int64("http.response.status_code", 200)}).SetIntValue(5)
		sumPoint(s, []attribute.KeyValue{kv("http.route", "/b"), attribute.Int64("http.response.status_code", 500)}).SetIntValue(1)
		add(md)
	}
	{
		md, m := newMetric("interop.bytes", "By", "Bytes transferred")
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		s.SetIsMonotonic(true)
		sumPoint(s, []attribute.KeyValue{kv("direction", "in")}).SetDoubleValue(1024.5 + 512.25)
		add(md)
	}
	{
		md, m := newMetric("interop.queue.depth", "{item}", "Queue depth")
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		sumPoint(s, []attribute.KeyValue{kv("queue", "orders")}).SetIntValue(7)
		sumPoint(s, []attribute.KeyValue{kv("queue", "payments")}).SetIntValue(-2)
		add(md)
	}
	{
		md, m := newMetric("interop.balance", "{EUR}", "")
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		sumPoint(s, nil).SetDoubleValue(100.5 - 0.25)
		add(md)
	}
	{
		md, m := newMetric("interop.latency", "s", "Request latency")
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := h.DataPoints().AppendEmpty()
		putAttrs(dp.Attributes(), []attribute.KeyValue{kv("http.route", "/a")})
		dp.SetCount(uint64(len(latencyValues)))
		dp.SetSum(sumOf(latencyValues))
		dp.SetMin(0.003)
		dp.SetMax(7)
		dp.ExplicitBounds().FromRaw(latencyBounds)
		dp.BucketCounts().FromRaw(bucketCounts(latencyBounds, latencyValues))
		ex := dp.Exemplars().AppendEmpty()
		ex.SetDoubleValue(exemplarValue)
		ex.SetTraceID(pcommon.TraceID(exemplarSpan().TraceID()))
		ex.SetSpanID(pcommon.SpanID(exemplarSpan().SpanID()))
		add(md)
	}
	{
		md, m := newMetric("interop.payload.size", "By", "")
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := h.DataPoints().AppendEmpty()
		fv := make([]float64, len(payloadValues))
		for i, v := range payloadValues {
			fv[i] = float64(v)
		}
		dp.SetCount(uint64(len(payloadValues)))
		dp.SetSum(float64(sumOf(payloadValues)))
		dp.SetMin(50)
		dp.SetMax(50000)
		dp.ExplicitBounds().FromRaw(payloadBounds)
		dp.BucketCounts().FromRaw(bucketCounts(payloadBounds, fv))
		add(md)
	}
	{
		md, m := newMetric("interop.temperature", "Cel", "")
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		putAttrs(dp.Attributes(), []attribute.KeyValue{kv("room", "lab")})
		dp.SetDoubleValue(22.75)
		add(md)
	}
	{
		md, m := newMetric("interop.threads", "{thread}", "")
		m.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(12)
		add(md)
	}
	{
		md, m := newMetric("interop.response.time", "ms", "")
		h := m.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := h.DataPoints().AppendEmpty()
		putAttrs(dp.Attributes(), []attribute.KeyValue{attribute.Bool("cached", false)})
		scale, offset, counts, zeros := expHistogram(respTimeVals, expHistoMaxSize, expHistoMaxScale)
		dp.SetCount(uint64(len(respTimeVals)))
		dp.SetSum(sumOf(respTimeVals))
		dp.SetMin(0)
		dp.SetMax(250)
		dp.SetScale(scale)
		dp.SetZeroCount(zeros)
		dp.Positive().SetOffset(offset)
		dp.Positive().BucketCounts().FromRaw(counts)
		add(md)
	}
	{
		md, m := newMetric("interop.cpu.time", "s", "")
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		s.SetIsMonotonic(true)
		sumPoint(s, []attribute.KeyValue{kv("cpu.mode", "user")}).SetDoubleValue(12.5)
		sumPoint(s, []attribute.KeyValue{kv("cpu.mode", "system")}).SetDoubleValue(3.25)
		add(md)
	}
	{
		md, m := newMetric("interop.memory.usage", "By", "")
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		putAttrs(dp.Attributes(), []attribute.KeyValue{kv("memory.state", "used")})
		dp.SetIntValue(1048576)
		add(md)
	}
	{
		md, m := newMetric("interop.connections", "{connection}", "")
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		sumPoint(s, []attribute.KeyValue{kv("state", "active")}).SetIntValue(42)
		sumPoint(s, []attribute.KeyValue{kv("state", "leaked")}).SetIntValue(-5)
		add(md)
	}
	return out
}

// ------------------------------------------------------------------ logs ---

type logSpec struct {
	seq       int64 // also the log.seq attribute: the key the record is found by
	eventName string
	ts, obs   time.Duration
	severity  otellog.Severity
	sevText   string
	body      attribute.Value
	attrs     []attribute.KeyValue
	span      trace.SpanContext // zero = emitted outside a span
}

func spanCtx(t trace.TraceID, s string) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: t, SpanID: mustSpanID(s), TraceFlags: trace.FlagsSampled})
}

func logSpecs() []logSpec {
	return []logSpec{
		{
			seq: 1, ts: 1 * time.Second, obs: 1*time.Second + 1*time.Millisecond,
			severity: otellog.SeverityInfo, sevText: "INFO",
			body:  attribute.StringValue("user logged in: " + trickyString),
			attrs: []attribute.KeyValue{attribute.String("user.id", "u-1"), attribute.Bool("user.admin", false)},
			span:  spanCtx(traceA, "1111111111111111"),
		},
		{
			seq: 2, eventName: "order.created", ts: 2 * time.Second, obs: 2*time.Second + 5,
			severity: otellog.SeverityWarn, sevText: "WARN",
			body: attribute.MapValue(
				attribute.String("event", "order.created"),
				attribute.Map("order",
					attribute.Int64("id", 12345),
					attribute.StringSlice("items", []string{"a", "b"}),
					attribute.Float64("total", 99.95),
					attribute.Bool("paid", true),
				),
				attribute.ByteSlice("raw", []byte("\x00\x10binary\xff")),
				attribute.Slice("tags", attribute.StringValue("x"), attribute.Int64Value(1)),
			),
			attrs: allTypeAttrs(),
			span:  spanCtx(traceA, "5555555555555555"),
		},
		{
			seq: 3, ts: 3 * time.Second, obs: 3 * time.Second,
			severity: otellog.SeverityError, sevText: "ERROR",
			body: attribute.Int64Value(-9876543210),
			attrs: []attribute.KeyValue{
				attribute.String("exception.type", "TimeoutError"),
				attribute.Int64Slice("retry.delays", []int64{100, 200, 400}),
			},
		},
		{
			seq: 4, ts: 4 * time.Second, obs: 4*time.Second + 999_999_999,
			severity: otellog.SeverityDebug2, sevText: "debug2",
			body: attribute.ByteSliceValue([]byte{0x00, 0xde, 0xad, 0xbe, 0xef, 0xff}),
			span: spanCtx(traceB, "7777777777777777"),
		},
		{
			seq: 5, ts: 5 * time.Second, obs: 5 * time.Second,
			severity: otellog.SeverityFatal4, sevText: "",
			body: attribute.SliceValue(
				attribute.StringValue("first"), attribute.Float64Value(2.5), attribute.BoolValue(true),
				attribute.Int64Value(0), attribute.MapValue(attribute.String("k", "v")),
			),
			attrs: []attribute.KeyValue{attribute.Float64("load", 0.75)},
		},
	}
}

func (l logSpec) allAttrs() []attribute.KeyValue {
	return append([]attribute.KeyValue{attribute.Int64("log.seq", l.seq)}, l.attrs...)
}

func emitLogs(lp otellog.LoggerProvider) {
	logger := lp.Logger(loggerName, otellog.WithInstrumentationVersion(scopeVersion),
		otellog.WithSchemaURL(scopeSchemaURL), otellog.WithInstrumentationAttributes(scopeAttrs("logger")...))
	for _, l := range logSpecs() {
		var r otellog.Record
		r.SetEventName(l.eventName)
		r.SetTimestamp(at(l.ts))
		r.SetObservedTimestamp(at(l.obs))
		r.SetSeverity(l.severity)
		r.SetSeverityText(l.sevText)
		r.SetBody(l.body)
		r.AddAttributes(l.allAttrs()...)
		ctx := context.Background()
		if l.span.IsValid() {
			ctx = trace.ContextWithSpanContext(ctx, l.span)
		}
		logger.Emit(ctx, r)
	}
}

func logKey(seq int64) string { return fmt.Sprintf("log.seq=%d", seq) }

func expectedLogs() map[string]plog.Logs {
	out := map[string]plog.Logs{}
	for _, l := range logSpecs() {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.SetSchemaUrl(resourceSchemaURL)
		sl := rl.ScopeLogs().AppendEmpty()
		sl.SetSchemaUrl(scopeSchemaURL)
		putResourceAndScope(rl.Resource(), sl.Scope(), "logger", loggerName)
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(l.eventName)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(at(l.ts)))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(at(l.obs)))
		lr.SetSeverityNumber(plog.SeverityNumber(l.severity))
		lr.SetSeverityText(l.sevText)
		putValue(lr.Body(), l.body)
		putAttrs(lr.Attributes(), l.allAttrs())
		if l.span.IsValid() {
			lr.SetTraceID(pcommon.TraceID(l.span.TraceID()))
			lr.SetSpanID(pcommon.SpanID(l.span.SpanID()))
			lr.SetFlags(plog.LogRecordFlags(l.span.TraceFlags()))
		}
		out[logKey(l.seq)] = ld
	}
	return out
}

// ------------------------------------------------------------ attributes ---

func putAttrs(m pcommon.Map, kvs []attribute.KeyValue) {
	for _, kv := range kvs {
		putValue(m.PutEmpty(string(kv.Key)), kv.Value)
	}
}

// putValue stores v the way the Go SDK's OTLP exporters encode it.
func putValue(dst pcommon.Value, v attribute.Value) {
	switch v.Type() {
	case attribute.BOOL:
		dst.SetBool(v.AsBool())
	case attribute.INT64:
		dst.SetInt(v.AsInt64())
	case attribute.FLOAT64:
		dst.SetDouble(v.AsFloat64())
	case attribute.STRING:
		dst.SetStr(v.AsString())
	case attribute.BYTESLICE:
		dst.SetEmptyBytes().FromRaw(v.AsByteSlice())
	case attribute.BOOLSLICE:
		s := dst.SetEmptySlice()
		for _, b := range v.AsBoolSlice() {
			s.AppendEmpty().SetBool(b)
		}
	case attribute.INT64SLICE:
		s := dst.SetEmptySlice()
		for _, i := range v.AsInt64Slice() {
			s.AppendEmpty().SetInt(i)
		}
	case attribute.FLOAT64SLICE:
		s := dst.SetEmptySlice()
		for _, f := range v.AsFloat64Slice() {
			s.AppendEmpty().SetDouble(f)
		}
	case attribute.STRINGSLICE:
		s := dst.SetEmptySlice()
		for _, str := range v.AsStringSlice() {
			s.AppendEmpty().SetStr(str)
		}
	case attribute.SLICE:
		s := dst.SetEmptySlice()
		for _, e := range v.AsSlice() {
			putValue(s.AppendEmpty(), e)
		}
	case attribute.MAP:
		putAttrs(dst.SetEmptyMap(), v.AsMap())
	case attribute.EMPTY:
	default:
		panic(fmt.Sprintf("unhandled attribute type %v", v.Type()))
	}
}
