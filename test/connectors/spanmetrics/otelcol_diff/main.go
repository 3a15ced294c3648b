// spanmetrics_diff runs otelcol-contrib's spanmetrics connector (the real Go
// code, v0.161.0) over request files, so otlpd's can be compared with it point
// for point.
//
// Usage: spanmetrics_diff DIR
//
// For every DIR/<case>.json ({"config": {...}, "flushes": N}) with
// DIR/<case>.in.pb (a serialized ExportTraceServiceRequest), it feeds the
// request to a connector built from the config, then flushes N times (a fake
// clock advanced by metrics_flush_interval) and writes each flush's output as
// DIR/<case>.out<i>.pb (a serialized ExportMetricsServiceRequest), or
// DIR/<case>.err when the config is refused.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
)

type caseSpec struct {
	Config  map[string]any `json:"config"`
	Flushes int            `json:"flushes"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: spanmetrics_diff DIR")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	if err != nil {
		fail(err)
	}
	for _, f := range files {
		if err := runCase(strings.TrimSuffix(f, ".json")); err != nil {
			fail(fmt.Errorf("%s: %w", f, err))
		}
	}
	fmt.Printf("%d cases\n", len(files))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func runCase(base string) error {
	raw, err := os.ReadFile(base + ".json")
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var spec caseSpec
	if err := dec.Decode(&spec); err != nil {
		return err
	}
	factory := spanmetricsconnector.NewFactory()
	cfg := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(spec.Config).Unmarshal(cfg); err != nil {
		return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
		}
	}
	clock := clockwork.NewFakeClockAt(time.Unix(1700000000, 0))
	ctx := clockwork.AddToContext(context.Background(), clock)
	sink := new(consumertest.MetricsSink)
	set := connectortest.NewNopSettings(factory.Type())
	conn, err := factory.CreateTracesToMetrics(ctx, set, cfg, sink)
	if err != nil {
		return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
	}
	if err := conn.Start(ctx, componenttestHost{}); err != nil {
		return err
	}
	defer func() { _ = conn.Shutdown(ctx) }()

	in, err := os.ReadFile(base + ".in.pb")
	if err != nil {
		return err
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(in); err != nil {
		return err
	}
	if err := conn.ConsumeTraces(ctx, req.Traces()); err != nil {
		return err
	}
	interval := cfg.(*spanmetricsconnector.Config).MetricsFlushInterval
	for i := 0; i < spec.Flushes; i++ {
		want := i + 1
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			return err
		}
		clock.Advance(interval)
		deadline := time.Now().Add(10 * time.Second)
		for len(sink.AllMetrics()) < want {
			if time.Now().After(deadline) {
				return fmt.Errorf("flush %d did not come", want)
			}
			time.Sleep(time.Millisecond)
		}
		out, err := pmetricotlp.NewExportRequestFromMetrics(sink.AllMetrics()[i]).MarshalProto()
		if err != nil {
			return err
		}
		if err := os.WriteFile(fmt.Sprintf("%s.out%d.pb", base, i), out, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type componenttestHost struct{}

func (componenttestHost) GetExtensions() map[component.ID]component.Component { return nil }
