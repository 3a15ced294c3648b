package main

// Reading the collector's file-exporter output and comparing it, item by item
// (span, metric, log record, each with its resource and scope), with what was
// sent.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// item is one span / metric / log record with its resource and scope, in a
// generic JSON form (the pdata OTLP/JSON encoding, decoded to maps).
type item struct {
	label string // for messages: what the item is
	body  map[string]any
}

// items of one signal, by key: span id, metric name, log.seq.
type itemSet map[string][]item

func (s itemSet) add(key string, it item) { s[key] = append(s[key], it) }

// generic turns a pdata JSON encoding into maps and normalizes it.
func generic(b []byte, err error) map[string]any {
	if err != nil {
		panic(err) // marshaling pdata we built or parsed cannot fail
	}
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	normalize(v)
	return v
}

// unwrap turns the JSON of a one-item request ({"resourceSpans":[{"resource":
// ..., "scopeSpans":[{"scope": ..., "spans":[span]}]}]}) into a flat object
// {"resource", "resourceSchemaUrl", "scope", "scopeSchemaUrl", itemName}, so
// that differences are reported as e.g. "span.attributes{http.route}".
func unwrap(v map[string]any, resourceKey, scopeKey, itemsKey, itemName string) map[string]any {
	out := map[string]any{}
	first := func(m map[string]any, key string) map[string]any {
		l, _ := m[key].([]any)
		if len(l) != 1 {
			panic(fmt.Sprintf("unwrap: %s has %d elements", key, len(l)))
		}
		return l[0].(map[string]any)
	}
	r := first(v, resourceKey)
	s := first(r, scopeKey)
	out[itemName] = first(s, itemsKey)
	for k, val := range r {
		switch k {
		case "resource":
			out["resource"] = val
		case "schemaUrl":
			out["resourceSchemaUrl"] = val
		case scopeKey:
		default:
			out["resource."+k] = val
		}
	}
	for k, val := range s {
		switch k {
		case "scope":
			out["scope"] = val
		case "schemaUrl":
			out["scopeSchemaUrl"] = val
		case itemsKey:
		default:
			out["scope."+k] = val
		}
	}
	return out
}

// normalize orders what OTLP does not order: data points (by attributes).
// Attribute lists are compared by key in diff.
func normalize(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			normalize(c)
			if k == "dataPoints" {
				if dps, ok := c.([]any); ok {
					sort.SliceStable(dps, func(i, j int) bool {
						return attrsKey(dps[i]) < attrsKey(dps[j])
					})
				}
			}
		}
	case []any:
		for _, c := range t {
			normalize(c)
		}
	}
}

func attrsKey(dp any) string {
	m, _ := dp.(map[string]any)
	attrs, _ := m["attributes"].([]any)
	keyed := map[string]any{}
	for _, a := range attrs {
		if kv, ok := a.(map[string]any); ok {
			keyed[fmt.Sprint(kv["key"])] = kv["value"]
		}
	}
	b, _ := json.Marshal(keyed) // map keys are sorted
	return string(b)
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

func flattenTraces(td ptrace.Traces, out itemSet) {
	m := ptrace.JSONMarshaler{}
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for k := 0; k < ss.Spans().Len(); k++ {
				sp := ss.Spans().At(k)
				one := ptrace.NewTraces()
				nrs := one.ResourceSpans().AppendEmpty()
				rs.Resource().CopyTo(nrs.Resource())
				nrs.SetSchemaUrl(rs.SchemaUrl())
				nss := nrs.ScopeSpans().AppendEmpty()
				ss.Scope().CopyTo(nss.Scope())
				nss.SetSchemaUrl(ss.SchemaUrl())
				sp.CopyTo(nss.Spans().AppendEmpty())
				id := sp.SpanID()
				out.add(hexID(id[:]), item{label: fmt.Sprintf("span %q (spanId %s)", sp.Name(), hexID(id[:])),
					body: unwrap(generic(m.MarshalTraces(one)), "resourceSpans", "scopeSpans", "spans", "span")})
			}
		}
	}
}

func flattenMetrics(md pmetric.Metrics, out itemSet) {
	m := pmetric.JSONMarshaler{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			sm := rm.ScopeMetrics().At(j)
			for k := 0; k < sm.Metrics().Len(); k++ {
				mt := sm.Metrics().At(k)
				one := pmetric.NewMetrics()
				nrm := one.ResourceMetrics().AppendEmpty()
				rm.Resource().CopyTo(nrm.Resource())
				nrm.SetSchemaUrl(rm.SchemaUrl())
				nsm := nrm.ScopeMetrics().AppendEmpty()
				sm.Scope().CopyTo(nsm.Scope())
				nsm.SetSchemaUrl(sm.SchemaUrl())
				mt.CopyTo(nsm.Metrics().AppendEmpty())
				out.add(mt.Name(), item{label: fmt.Sprintf("metric %q", mt.Name()), body: unwrap(generic(m.MarshalMetrics(one)), "resourceMetrics", "scopeMetrics", "metrics", "metric")})
			}
		}
	}
}

func flattenLogs(ld plog.Logs, out itemSet) {
	m := plog.JSONMarshaler{}
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			sl := rl.ScopeLogs().At(j)
			for k := 0; k < sl.LogRecords().Len(); k++ {
				lr := sl.LogRecords().At(k)
				one := plog.NewLogs()
				nrl := one.ResourceLogs().AppendEmpty()
				rl.Resource().CopyTo(nrl.Resource())
				nrl.SetSchemaUrl(rl.SchemaUrl())
				nsl := nrl.ScopeLogs().AppendEmpty()
				sl.Scope().CopyTo(nsl.Scope())
				nsl.SetSchemaUrl(sl.SchemaUrl())
				lr.CopyTo(nsl.LogRecords().AppendEmpty())
				key := "log without log.seq attribute"
				if v, ok := lr.Attributes().Get("log.seq"); ok {
					key = logKey(v.Int())
				}
				out.add(key, item{label: fmt.Sprintf("log record %s", key), body: unwrap(generic(m.MarshalLogs(one)), "resourceLogs", "scopeLogs", "logRecords", "logRecord")})
			}
		}
	}
}

// received is what the output file held at one point.
type received struct {
	traces, metrics, logs itemSet
	problems              []string // parse and format errors, by line
	lines                 int
	sample                map[string]string // first raw line per signal
}

// readOutput parses every complete line of the file-exporter output.
func readOutput(path string) (*received, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := &received{traces: itemSet{}, metrics: itemSet{}, logs: itemSet{}, sample: map[string]string{}}
	// A line without its newline may still be being written: leave it for
	// the next poll.
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	} else {
		data = nil
	}
	for n, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		r.lines++
		where := fmt.Sprintf("line %d", n+1)
		var top map[string]json.RawMessage
		if err := json.Unmarshal(line, &top); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s: not a JSON object: %v: %s", where, err, excerpt(line)))
			continue
		}
		for _, p := range lintLine(line) {
			r.problems = append(r.problems, where+": "+p)
		}
		switch {
		case top["resourceSpans"] != nil:
			td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(line)
			if err != nil {
				r.problems = append(r.problems, fmt.Sprintf("%s: ptrace.JSONUnmarshaler: %v", where, err))
				continue
			}
			flattenTraces(td, r.traces)
			r.keepSample("traces", line)
		case top["resourceMetrics"] != nil:
			md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(line)
			if err != nil {
				r.problems = append(r.problems, fmt.Sprintf("%s: pmetric.JSONUnmarshaler: %v", where, err))
				continue
			}
			flattenMetrics(md, r.metrics)
			r.keepSample("metrics", line)
		case top["resourceLogs"] != nil:
			ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(line)
			if err != nil {
				r.problems = append(r.problems, fmt.Sprintf("%s: plog.JSONUnmarshaler: %v", where, err))
				continue
			}
			flattenLogs(ld, r.logs)
			r.keepSample("logs", line)
		default:
			r.problems = append(r.problems, fmt.Sprintf("%s: no resourceSpans/resourceMetrics/resourceLogs: %s", where, excerpt(line)))
		}
	}
	return r, nil
}

func (r *received) keepSample(signal string, line []byte) {
	if _, ok := r.sample[signal]; !ok {
		r.sample[signal] = string(line)
	}
}

func excerpt(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// ------------------------------------------------------------------ lint ---
// The pdata unmarshalers are lenient (they take int64 as numbers, enum
// names, ...). The file exporter's output is stricter: what otelcol writes.

var (
	int64Keys = map[string]bool{ // (u)int64/fixed64 fields: decimal strings
		"intValue": true, "asInt": true, "count": true, "zeroCount": true,
		"bucketCounts": true, // array of strings
	}
	enumKeys = map[string]bool{"kind": true, "code": true, "aggregationTemporality": true, "severityNumber": true}
	idLen    = map[string]int{"traceId": 32, "spanId": 16, "parentSpanId": 16}
	hexRe    = regexp.MustCompile(`^[0-9a-fA-F]*$`)
	camelRe  = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
)

func lintLine(line []byte) []string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return []string{err.Error()}
	}
	var out []string
	lint("", "", v, &out)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("... and %d more format problems", len(out)-5))
	}
	return out
}

func lint(path, key string, v any, out *[]string) {
	bad := func(format string, args ...any) { *out = append(*out, path+": "+fmt.Sprintf(format, args...)) }
	switch {
	case strings.HasSuffix(key, "UnixNano") || (int64Keys[key] && key != "bucketCounts"):
		if s, ok := v.(string); !ok {
			bad("64-bit integer must be a JSON string, got %s", jsonText(v))
		} else if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			if _, err := strconv.ParseUint(s, 10, 64); err != nil {
				bad("not a decimal integer: %q", s)
			}
		}
		return
	case key == "bucketCounts":
		arr, _ := v.([]any)
		for i, e := range arr {
			lint(fmt.Sprintf("%s[%d]", path, i), "count", e, out)
		}
		return
	case enumKeys[key]:
		if _, ok := v.(json.Number); !ok {
			bad("enum must be an integer, got %s", jsonText(v))
		}
		return
	case idLen[key] > 0:
		s, ok := v.(string)
		if !ok || (len(s) != idLen[key] && s != "") || !hexRe.MatchString(s) {
			bad("must be %d hex digits, got %s", idLen[key], jsonText(v))
		}
		return
	}
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if !camelRe.MatchString(k) {
				bad("key %q is not a lowerCamelCase OTLP/JSON field name", k)
			}
			lint(path+"."+k, k, c, out)
		}
	case []any:
		for i, c := range t {
			lint(fmt.Sprintf("%s[%d]", path, i), key, c, out)
		}
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ------------------------------------------------------------------ diff ---

// diff compares want with got and appends one line per difference. With
// subset, fields absent from want are not checked (the declared expectations
// leave out what the SDK stamps itself). Lists of {key, value} (attributes,
// map values) are compared by key.
func diff(path string, want, got any, subset bool, out *[]string) {
	bad := func(format string, args ...any) { *out = append(*out, path+": "+fmt.Sprintf(format, args...)) }
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			bad("want object %s, got %s", short(want), short(got))
			return
		}
		for _, k := range sortedKeys(w) {
			if gv, ok := g[k]; ok {
				diff(join(path, k), w[k], gv, subset, out)
			} else {
				*out = append(*out, fmt.Sprintf("%s: missing, want %s", join(path, k), short(w[k])))
			}
		}
		if !subset {
			for _, k := range sortedKeys(g) {
				if _, ok := w[k]; !ok {
					*out = append(*out, fmt.Sprintf("%s: unexpected, got %s", join(path, k), short(g[k])))
				}
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			bad("want list %s, got %s", short(want), short(got))
			return
		}
		wk, wok := byKey(w)
		gk, gok := byKey(g)
		if wok && gok && len(w) > 0 {
			if len(gk) != len(g) {
				bad("duplicate keys in %s", short(got))
			}
			for _, k := range sortedKeys(wk) {
				if gv, ok := gk[k]; ok {
					diff(path+"{"+k+"}", wk[k], gv, subset, out)
				} else {
					*out = append(*out, fmt.Sprintf("%s{%s}: missing, want %s", path, k, short(wk[k])))
				}
			}
			for _, k := range sortedKeys(gk) {
				if _, ok := wk[k]; !ok {
					*out = append(*out, fmt.Sprintf("%s{%s}: unexpected, got %s", path, k, short(gk[k])))
				}
			}
			return
		}
		if len(w) != len(g) {
			bad("want %d elements %s, got %d %s", len(w), short(want), len(g), short(got))
		}
		for i := 0; i < min(len(w), len(g)); i++ {
			diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], subset, out)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			bad("want %s, got %s", short(want), short(got))
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// byKey indexes a list of {"key": k, "value": v} objects by k.
func byKey(l []any) (map[string]any, bool) {
	m := map[string]any{}
	for _, e := range l {
		kv, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		k, ok := kv["key"].(string)
		if !ok || len(kv) > 2 {
			return nil, false
		}
		m[k] = kv["value"]
	}
	return m, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func short(v any) string {
	s := jsonText(v)
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// -------------------------------------------------------------- compare ---

type signalResult struct {
	name            string
	want, intact    int
	problems        []string
	receivedItems   int
	missing         []string
	unexpectedItems []string
}

// compareSignal checks the received items of one signal against the
// declared expectations (subset) and against what the SDK sent (exact).
func compareSignal(name string, declared, sent, got itemSet) signalResult {
	res := signalResult{name: name, want: len(declared)}
	for _, l := range got {
		res.receivedItems += len(l)
	}
	for _, key := range sortedKeys(declared) {
		d := declared[key][0]
		var probs []string
		s, wasSent := sent[key]
		if !wasSent {
			probs = append(probs, d.label+": the SDK never sent it (declared but not on the wire)")
		}
		g, ok := got[key]
		switch {
		case !ok:
			res.missing = append(res.missing, d.label)
			continue
		case len(g) > 1:
			probs = append(probs, fmt.Sprintf("%s: arrived %d times", d.label, len(g)))
		}
		var diffs []string
		diff("", d.body, g[0].body, true, &diffs)
		for _, p := range diffs {
			probs = append(probs, fmt.Sprintf("%s (vs declared) %s", d.label, p))
		}
		if wasSent {
			// The SDK may have retried: compare with its last attempt.
			diffs = diffs[:0]
			diff("", s[len(s)-1].body, g[0].body, false, &diffs)
			for _, p := range diffs {
				probs = append(probs, fmt.Sprintf("%s (vs sent) %s", d.label, p))
			}
		}
		if len(probs) == 0 {
			res.intact++
		}
		res.problems = append(res.problems, probs...)
	}
	for _, key := range sortedKeys(got) {
		if _, ok := declared[key]; !ok {
			res.unexpectedItems = append(res.unexpectedItems, got[key][0].label)
		}
	}
	for _, key := range sortedKeys(sent) {
		if _, ok := declared[key]; !ok {
			res.problems = append(res.problems, fmt.Sprintf("%s: sent by the SDK but not declared by this test", sent[key][0].label))
		}
	}
	return res
}

func (r signalResult) ok() bool {
	return r.intact == r.want && len(r.problems) == 0 && len(r.missing) == 0 && len(r.unexpectedItems) == 0
}

// arrived reports whether every declared item is in got.
func arrived(declared, got itemSet) bool {
	for k := range declared {
		if _, ok := got[k]; !ok {
			return false
		}
	}
	return true
}
