package main

// Exporter setup for the three protocols, and the capture of every export
// request exactly as the SDK put it on the wire (after the SDK, before the
// network), so that what otlpd writes can be compared with what it received.

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
	"google.golang.org/protobuf/proto"
)

type options struct {
	endpoint    string
	protocol    string // grpc | http/protobuf | http/json
	compression string // none | gzip
}

// capture collects the export requests the SDK sent, decoded with pdata.
type capture struct {
	mu       sync.Mutex
	traces   []ptrace.Traces
	metrics  []pmetric.Metrics
	logs     []plog.Logs
	requests int
	gzipped  int
	encoding map[string]int // content type -> requests
	errs     []string
}

func newCapture() *capture { return &capture{encoding: map[string]int{}} }

func (c *capture) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// record decodes one request body (uncompressed) of the given signal.
func (c *capture) record(signal string, body []byte, json bool) {
	var err error
	c.mu.Lock()
	defer c.mu.Unlock()
	switch signal {
	case "traces":
		req := ptraceotlp.NewExportRequest()
		if json {
			err = req.UnmarshalJSON(body)
		} else {
			err = req.UnmarshalProto(body)
		}
		c.traces = append(c.traces, req.Traces())
	case "metrics":
		req := pmetricotlp.NewExportRequest()
		if json {
			err = req.UnmarshalJSON(body)
		} else {
			err = req.UnmarshalProto(body)
		}
		c.metrics = append(c.metrics, req.Metrics())
	case "logs":
		req := plogotlp.NewExportRequest()
		if json {
			err = req.UnmarshalJSON(body)
		} else {
			err = req.UnmarshalProto(body)
		}
		c.logs = append(c.logs, req.Logs())
	default:
		err = fmt.Errorf("unknown signal")
	}
	if err != nil {
		c.errs = append(c.errs, fmt.Sprintf("capture: cannot decode the %s request the SDK sent: %v", signal, err))
	}
}

func (c *capture) summary(o options) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var enc []string
	for k, v := range c.encoding {
		enc = append(enc, fmt.Sprintf("%s x%d", k, v))
	}
	return fmt.Sprintf("wire: %d export requests over %s (%s), gzip-compressed: %d/%d",
		c.requests, o.protocol, strings.Join(enc, ", "), c.gzipped, c.requests)
}

func signalOfGRPCMethod(method string) string {
	switch method {
	case "/opentelemetry.proto.collector.trace.v1.TraceService/Export":
		return "traces"
	case "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export":
		return "metrics"
	case "/opentelemetry.proto.collector.logs.v1.LogsService/Export":
		return "logs"
	}
	return ""
}

// grpcInterceptor records each request message the exporters pass to gRPC.
func (c *capture) grpcInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	signal := signalOfGRPCMethod(method)
	msg, ok := req.(proto.Message)
	if signal == "" || !ok {
		c.fail("capture: unexpected gRPC call %s (%T)", method, req)
	} else if body, err := proto.Marshal(msg); err != nil {
		c.fail("capture: cannot re-encode %s request: %v", method, err)
	} else {
		c.record(signal, body, false)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// grpcStats counts the RPCs and the compression gRPC applied to them.
type grpcStats struct{ c *capture }

func (s grpcStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (s grpcStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (s grpcStats) HandleConn(context.Context, stats.ConnStats)                       {}
func (s grpcStats) HandleRPC(_ context.Context, st stats.RPCStats) {
	h, ok := st.(*stats.OutHeader)
	if !ok || !h.Client {
		return
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.requests++
	s.c.encoding["application/grpc"]++
	if h.Compression == "gzip" {
		s.c.gzipped++
	}
}

// httpCapture is the http.RoundTripper under the HTTP exporters. It records
// each request body and, with toJSON, rewrites protobuf bodies as OTLP/JSON
// (the Go SDK's metric and log exporters cannot send JSON themselves).
type httpCapture struct {
	c      *capture
	next   http.RoundTripper
	toJSON bool
}

func signalOfPath(path string) string {
	switch {
	case strings.HasSuffix(path, "/v1/traces"):
		return "traces"
	case strings.HasSuffix(path, "/v1/metrics"):
		return "metrics"
	case strings.HasSuffix(path, "/v1/logs"):
		return "logs"
	}
	return ""
}

func (h httpCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	signal := signalOfPath(req.URL.Path)
	if signal == "" || req.Body == nil {
		h.c.fail("capture: unexpected HTTP request %s %s", req.Method, req.URL)
		return h.next.RoundTrip(req)
	}
	raw, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	gzipped := req.Header.Get("Content-Encoding") == "gzip"
	body := raw
	if gzipped {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("capture: bad gzip body: %w", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("capture: bad gzip body: %w", err)
		}
	}
	ctype := req.Header.Get("Content-Type")
	if h.toJSON && ctype == "application/x-protobuf" {
		if body, err = protoToJSON(signal, body); err != nil {
			return nil, err
		}
		ctype = "application/json"
		raw = body
		if gzipped {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
			raw = buf.Bytes()
		}
	}
	h.c.record(signal, body, ctype == "application/json")
	h.c.mu.Lock()
	h.c.requests++
	h.c.encoding[ctype]++
	if gzipped {
		h.c.gzipped++
	}
	h.c.mu.Unlock()

	out := req.Clone(req.Context())
	out.Header.Set("Content-Type", ctype)
	out.Body = io.NopCloser(bytes.NewReader(raw))
	out.ContentLength = int64(len(raw))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	return h.next.RoundTrip(out)
}

// protoToJSON transcodes an OTLP protobuf request to OTLP/JSON with pdata
// (the encoder the OpenTelemetry Collector's otlphttp exporter uses for
// `encoding: json`).
func protoToJSON(signal string, body []byte) ([]byte, error) {
	switch signal {
	case "metrics":
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			return nil, err
		}
		return req.MarshalJSON()
	case "logs":
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			return nil, err
		}
		return req.MarshalJSON()
	case "traces":
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			return nil, err
		}
		return req.MarshalJSON()
	}
	return nil, fmt.Errorf("unknown signal %q", signal)
}

// Counters export delta, everything else cumulative: both temporalities
// travel.
func temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	if k == sdkmetric.InstrumentKindCounter {
		return metricdata.DeltaTemporality
	}
	return metricdata.CumulativeTemporality
}

type exporters struct {
	span   sdktrace.SpanExporter
	metric sdkmetric.Exporter
	log    sdklog.Exporter
}

func newExporters(ctx context.Context, o options, c *capture, timeout time.Duration) (exporters, error) {
	var e exporters
	var err error
	gz := o.compression == "gzip"
	switch o.protocol {
	case "grpc":
		dial := []grpc.DialOption{grpc.WithUnaryInterceptor(c.grpcInterceptor), grpc.WithStatsHandler(grpcStats{c})}
		tr := otlptracegrpc.RetryConfig{Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsedTime: timeout}
		topts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(o.endpoint), otlptracegrpc.WithInsecure(),
			otlptracegrpc.WithDialOption(dial...), otlptracegrpc.WithTimeout(timeout), otlptracegrpc.WithRetry(tr)}
		mopts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpoint(o.endpoint), otlpmetricgrpc.WithInsecure(),
			otlpmetricgrpc.WithDialOption(dial...), otlpmetricgrpc.WithTimeout(timeout),
			otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig(tr)), otlpmetricgrpc.WithTemporalitySelector(temporality)}
		lopts := []otlploggrpc.Option{otlploggrpc.WithEndpoint(o.endpoint), otlploggrpc.WithInsecure(),
			otlploggrpc.WithDialOption(dial...), otlploggrpc.WithTimeout(timeout),
			otlploggrpc.WithRetry(otlploggrpc.RetryConfig(tr))}
		if gz { // the gRPC exporters know no "none": leave the option out
			topts = append(topts, otlptracegrpc.WithCompressor("gzip"))
			mopts = append(mopts, otlpmetricgrpc.WithCompressor("gzip"))
			lopts = append(lopts, otlploggrpc.WithCompressor("gzip"))
		}
		if e.span, err = otlptracegrpc.New(ctx, topts...); err != nil {
			return e, err
		}
		if e.metric, err = otlpmetricgrpc.New(ctx, mopts...); err != nil {
			return e, err
		}
		if e.log, err = otlploggrpc.New(ctx, lopts...); err != nil {
			return e, err
		}
	case "http/protobuf", "http/json":
		json := o.protocol == "http/json"
		// Traces: the SDK's own JSON encoder; metrics and logs: transcoded.
		client := &http.Client{Transport: httpCapture{c: c, next: http.DefaultTransport, toJSON: json}}
		tr := otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsedTime: timeout}
		tcomp, mcomp, lcomp := otlptracehttp.NoCompression, otlpmetrichttp.NoCompression, otlploghttp.NoCompression
		if gz {
			tcomp, mcomp, lcomp = otlptracehttp.GzipCompression, otlpmetrichttp.GzipCompression, otlploghttp.GzipCompression
		}
		enc := otlptracehttp.EncodingProtobuf
		if json {
			enc = otlptracehttp.EncodingJSON
		}
		if e.span, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(o.endpoint), otlptracehttp.WithInsecure(),
			otlptracehttp.WithHTTPClient(client), otlptracehttp.WithTimeout(timeout), otlptracehttp.WithRetry(tr),
			otlptracehttp.WithCompression(tcomp), otlptracehttp.WithEncoding(enc)); err != nil {
			return e, err
		}
		if e.metric, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(o.endpoint), otlpmetrichttp.WithInsecure(),
			otlpmetrichttp.WithHTTPClient(client), otlpmetrichttp.WithTimeout(timeout),
			otlpmetrichttp.WithRetry(otlpmetrichttp.RetryConfig(tr)), otlpmetrichttp.WithCompression(mcomp),
			otlpmetrichttp.WithTemporalitySelector(temporality)); err != nil {
			return e, err
		}
		if e.log, err = otlploghttp.New(ctx, otlploghttp.WithEndpoint(o.endpoint), otlploghttp.WithInsecure(),
			otlploghttp.WithHTTPClient(client), otlploghttp.WithTimeout(timeout),
			otlploghttp.WithRetry(otlploghttp.RetryConfig(tr)), otlploghttp.WithCompression(lcomp)); err != nil {
			return e, err
		}
	default:
		return e, fmt.Errorf("unknown protocol %q", o.protocol)
	}
	return e, nil
}
