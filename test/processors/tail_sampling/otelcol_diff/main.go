// tailsampling_diff runs otelcol-contrib's tail_sampling processor (the real
// Go code, v0.161.0) over request files, so otlpd's decisions can be compared
// with it trace for trace.
//
// Usage: tailsampling_diff DIR
//
// For every DIR/<case>.json ({"config": {...}, "requests": N}) with
// DIR/<case>.in<i>.pb (serialized ExportTraceServiceRequests, i < N), it
// feeds the requests in order to a processor built from the config (waiting
// for the ticker's decisions before request "wait_before"), shuts it
// down (drop_pending_traces_on_shutdown false: every pending trace is decided
// then) and writes DIR/<case>.out.txt: one line per trace id that reached the
// sink, "<hex id> <spans>", sorted; or DIR/<case>.err when the config or the
// policies are refused.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor"
)

type caseSpec struct {
	Config   map[string]any `json:"config"`
	Requests int            `json:"requests"`
	// Before this request (when >= 0), wait 3.5 s: with decision_wait 1s the
	// ticker has decided every trace received so far (the C++ side ticks twice).
	WaitBefore int `json:"wait_before"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tailsampling_diff DIR")
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

func refuse(base string, err error) error {
	return os.WriteFile(base+".err", []byte(err.Error()), 0o644)
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
	factory := tailsamplingprocessor.NewFactory()
	cfg := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(spec.Config).Unmarshal(cfg); err != nil {
		return refuse(base, err)
	}
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return refuse(base, err)
		}
	}
	ctx := context.Background()
	sink := new(consumertest.TracesSink)
	set := processortest.NewNopSettings(factory.Type())
	proc, err := factory.CreateTraces(ctx, set, cfg, sink)
	if err != nil {
		return refuse(base, err)
	}
	if err := proc.Start(ctx, host{}); err != nil {
		return refuse(base, err)
	}
	for i := 0; i < spec.Requests; i++ {
		if i == spec.WaitBefore {
			time.Sleep(3500 * time.Millisecond)
		}
		in, err := os.ReadFile(fmt.Sprintf("%s.in%d.pb", base, i))
		if err != nil {
			return err
		}
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(in); err != nil {
			return err
		}
		if err := proc.ConsumeTraces(ctx, req.Traces()); err != nil {
			return err
		}
	}
	if err := proc.Shutdown(ctx); err != nil {
		return err
	}
	spans := map[string]int{}
	for _, td := range sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					spans[s.TraceID().String()]++
				}
			}
		}
	}
	lines := make([]string, 0, len(spans))
	for id, n := range spans {
		lines = append(lines, fmt.Sprintf("%s %d", id, n))
	}
	sort.Strings(lines)
	return os.WriteFile(base+".out.txt", []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

type host struct{}

func (host) GetExtensions() map[component.ID]component.Component { return nil }
