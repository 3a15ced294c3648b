// Command goapp sends a fixed set of traces, metrics and logs through the
// OpenTelemetry Go SDK's OTLP exporters to a collector (otlpd, or otelcol for
// reference), then reads the collector's file-exporter output (OTLP/JSON, one
// export request per line) and checks that every item arrived intact.
//
// Exit status: 0 all items arrived intact, 1 a mismatch, a missing item or a
// failed export, 2 bad usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

const maxProblemLines = 30

func main() {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "127.0.0.1:4317", "collector OTLP endpoint host:port")
	flag.StringVar(&o.protocol, "protocol", "grpc", "grpc | http/protobuf | http/json")
	flag.StringVar(&o.compression, "compression", "none", "none | gzip")
	output := flag.String("output", "", "path of the collector's file exporter output (required)")
	timeout := flag.Duration("timeout", 30*time.Second, "how long to wait for sending and for the output")
	verbose := flag.Bool("v", false, "print the first output line of each signal")
	flag.Parse()
	switch {
	case *output == "":
		usage("-output is required")
	case o.protocol != "grpc" && o.protocol != "http/protobuf" && o.protocol != "http/json":
		usage("-protocol must be grpc, http/protobuf or http/json")
	case o.compression != "none" && o.compression != "gzip":
		usage("-compression must be none or gzip")
	case flag.NArg() > 0:
		usage("unexpected arguments")
	}
	os.Exit(run(o, *output, *timeout, *verbose))
}

func usage(msg string) {
	fmt.Fprintln(os.Stderr, "goapp:", msg)
	flag.Usage()
	os.Exit(2)
}

func run(o options, output string, timeout time.Duration, verbose bool) int {
	c := newCapture()
	var sdkErrs []string
	var mu sync.Mutex
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		sdkErrs = append(sdkErrs, err.Error())
		fmt.Fprintln(os.Stderr, "goapp: SDK error:", err)
	}))

	fmt.Printf("goapp: sending to %s over %s (compression %s)\n", o.endpoint, o.protocol, o.compression)
	start := time.Now()
	wait := timeout
	sendErr := send(o, c, timeout)
	if sendErr != nil {
		// Still look at what did arrive, but do not wait long for the rest.
		fmt.Fprintln(os.Stderr, "goapp: sending failed:", sendErr)
		wait = 2 * time.Second
	}
	fmt.Printf("goapp: sent in %v; %s\n", time.Since(start).Round(time.Millisecond), c.summary(o))

	// What the SDK sent, per item.
	sent := map[string]itemSet{"traces": {}, "metrics": {}, "logs": {}}
	for _, td := range c.traces {
		flattenTraces(td, sent["traces"])
	}
	for _, md := range c.metrics {
		flattenMetrics(md, sent["metrics"])
	}
	for _, ld := range c.logs {
		flattenLogs(ld, sent["logs"])
	}
	declared := declaredItems()

	// Wait for the collector to write everything.
	deadline := time.Now().Add(wait)
	var r *received
	for {
		var err error
		r, err = readOutput(output)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintln(os.Stderr, "goapp: cannot read output:", err)
			return 1
		}
		if r != nil && arrived(declared["traces"], r.traces) && arrived(declared["metrics"], r.metrics) &&
			arrived(declared["logs"], r.logs) {
			break
		}
		if r != nil && len(r.problems) > 0 {
			break // complete lines that do not parse: waiting longer cannot help
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "goapp: gave up waiting for %s after %v\n", output, wait)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r == nil {
		r = &received{traces: itemSet{}, metrics: itemSet{}, logs: itemSet{}}
		fmt.Fprintf(os.Stderr, "goapp: %s was never created\n", output)
	}
	fmt.Printf("goapp: output has %d lines after %v\n", r.lines, time.Since(start).Round(time.Millisecond))
	if verbose {
		for _, s := range []string{"traces", "metrics", "logs"} {
			if l, ok := r.sample[s]; ok {
				fmt.Printf("goapp: first %s line: %s\n", s, l)
			}
		}
	}

	// Compare.
	var problems []string
	if sendErr != nil {
		problems = append(problems, "sending failed: "+strings.ReplaceAll(sendErr.Error(), "\n", "; "))
	}
	problems = append(problems, c.errs...)
	for _, e := range sdkErrs {
		problems = append(problems, "SDK error: "+e)
	}
	if o.compression == "gzip" && c.gzipped != c.requests {
		problems = append(problems, fmt.Sprintf("only %d of %d requests were gzip-compressed", c.gzipped, c.requests))
	}
	problems = append(problems, r.problems...)
	ok := len(problems) == 0
	var summary []string
	for _, s := range []string{"traces", "metrics", "logs"} {
		res := compareSignal(s, declared[s], sent[s], pick(r, s))
		ok = ok && res.ok()
		for _, m := range res.missing {
			problems = append(problems, "missing: "+m)
		}
		for _, u := range res.unexpectedItems {
			problems = append(problems, "unexpected item in output: "+u)
		}
		problems = append(problems, res.problems...)
		summary = append(summary, fmt.Sprintf("%s %d/%d", s, res.intact, res.want))
	}
	if !ok {
		fmt.Printf("goapp: %d problems; the first ones:\n", len(problems))
		for i, p := range problems {
			if i == maxProblemLines {
				fmt.Printf("  ... %d more\n", len(problems)-i)
				break
			}
			fmt.Println("  " + p)
		}
		fmt.Printf("interop: %s; FAILED\n", strings.Join(summary, ", "))
		return 1
	}
	fmt.Printf("interop: %s intact\n", strings.Join(summary, ", "))
	return 0
}

func pick(r *received, signal string) itemSet {
	switch signal {
	case "traces":
		return r.traces
	case "metrics":
		return r.metrics
	}
	return r.logs
}

// declaredItems is the expected data in the same generic form as the
// received items.
func declaredItems() map[string]itemSet {
	d := map[string]itemSet{"traces": {}, "metrics": {}, "logs": {}}
	for _, td := range expectedSpans() {
		flattenTraces(td, d["traces"])
	}
	for _, md := range expectedMetrics() {
		flattenMetrics(md, d["metrics"])
	}
	for _, ld := range expectedLogs() {
		flattenLogs(ld, d["logs"])
	}
	return d
}

// send emits everything through the SDK and shuts the providers down, which
// exports what is buffered.
func send(o options, c *capture, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	exp, err := newExporters(ctx, o, c, timeout)
	if err != nil {
		return err
	}
	res := newResource()

	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(fixedIDGenerator{}),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithRawSpanLimits(func() sdktrace.SpanLimits {
			l := sdktrace.NewSpanLimits()
			l.AttributePerEventCountLimit = eventAttrLimit
			return l
		}()),
		sdktrace.WithBatcher(exp.span),
	)
	// One collection, at shutdown: the interval never elapses.
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp.metric, sdkmetric.WithInterval(time.Hour))),
		sdkmetric.WithView(
			sdkmetric.NewView(sdkmetric.Instrument{Name: "interop.payload.size"},
				sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: payloadBounds}}),
			sdkmetric.NewView(sdkmetric.Instrument{Name: "interop.response.time"},
				sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{
					MaxSize: expHistoMaxSize, MaxScale: expHistoMaxScale}}),
		),
	)
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewBatchProcessor(exp.log)))

	emitSpans(tp)
	if err := emitMetrics(mp); err != nil {
		return fmt.Errorf("creating instruments: %w", err)
	}
	emitLogs(lp)

	return errors.Join(
		wrap("trace provider shutdown", tp.Shutdown(ctx)),
		wrap("meter provider shutdown", mp.Shutdown(ctx)),
		wrap("logger provider shutdown", lp.Shutdown(ctx)),
	)
}

func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
