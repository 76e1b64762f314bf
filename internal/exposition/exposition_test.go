package exposition

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parse reads text-format families as Prometheus would.
func parse(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("Prometheus' parser refuses the output: %v", err)
	}
	return families
}

func TestWriterOutputReadsBackAsWritten(t *testing.T) {
	values := []struct {
		label string
		value float64
	}{
		{"plain", 42.5},
		{`quote " and backslash \ and` + "\nnewline", 0},
		{"ünïcode ✓", -1e-9},
		{"big", 1.5e300},
		{"inf", math.Inf(1)},
		{"neg-inf", math.Inf(-1)},
	}
	var out bytes.Buffer
	w := NewWriter(&out)
	w.Family("test_gauge", "A help text with \\ and\na newline.", "gauge")
	for _, v := range values {
		w.Sample("test_gauge", []string{"namespace", "ns", "container", v.label}, v.value)
	}
	w.Family("test_total", "A counter.", "counter")
	w.Sample("test_total", nil, 7)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	families := parse(t, &out)
	gauge := families["test_gauge"]
	if gauge.GetType() != dto.MetricType_GAUGE || gauge.GetHelp() != "A help text with \\ and\na newline." {
		t.Errorf("gauge family %v %q", gauge.GetType(), gauge.GetHelp())
	}
	if len(gauge.GetMetric()) != len(values) {
		t.Fatalf("%d gauge samples, want %d", len(gauge.GetMetric()), len(values))
	}
	for i, m := range gauge.GetMetric() {
		want := values[i]
		labels := m.GetLabel()
		if len(labels) != 2 || labels[0].GetValue() != want.label && labels[1].GetValue() != want.label {
			t.Errorf("sample %d labels %v, want container=%q", i, labels, want.label)
		}
		if got := m.GetGauge().GetValue(); got != want.value {
			t.Errorf("sample %d value %v, want %v", i, got, want.value)
		}
	}
	if c := families["test_total"]; c.GetType() != dto.MetricType_COUNTER || c.GetMetric()[0].GetCounter().GetValue() != 7 {
		t.Errorf("counter family %v", c)
	}
}

func TestHandlerServesTheRegistryThenTheStreams(t *testing.T) {
	reg := prometheus.NewRegistry()
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "registry_up", Help: "From the registry."})
	up.Set(1)
	reg.MustRegister(up)
	stream := func(w *Writer) {
		w.Family("streamed_bytes", "Streamed.", "gauge")
		for _, name := range []string{"a", "b", "c"} {
			w.Sample("streamed_bytes", []string{"container", name}, 3)
		}
	}
	h := Handler(reg, stream)
	for _, gz := range []bool{false, true} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("gzip %v: Content-Type %q", gz, ct)
		}
		var body io.Reader = rec.Body
		if gz {
			if rec.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("gzip asked for, Content-Encoding %q", rec.Header().Get("Content-Encoding"))
			}
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			body = zr
		}
		families := parse(t, body)
		if got := families["registry_up"].GetMetric()[0].GetGauge().GetValue(); got != 1 {
			t.Errorf("gzip %v: registry_up %v", gz, got)
		}
		if got := len(families["streamed_bytes"].GetMetric()); got != 3 {
			t.Errorf("gzip %v: %d streamed samples, want 3", gz, got)
		}
	}
}
