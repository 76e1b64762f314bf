package controllers

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// Unit tests for the metrics step (metrics.go), on a private registry. They
// read what a scrape serves (scraped), parsed by Prometheus' own text
// parser: prometheus/testutil needs a go.mod entry the module lacks
// (github.com/kylelemons/godebug).

// scraped gathers what a scrape of m's handler over reg serves, as
// Prometheus parses it: the registry's families and the streamed
// per-container ones.
func scraped(m *Metrics, reg prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		rec := httptest.NewRecorder()
		m.Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		parser := expfmt.NewTextParser(model.UTF8Validation)
		byName, err := parser.TextToMetricFamilies(rec.Body)
		if err != nil {
			return nil, err
		}
		families := slices.Collect(maps.Values(byName))
		sort.Slice(families, func(i, j int) bool { return families[i].GetName() < families[j].GetName() })
		return families, nil
	})
}

// metricsHost is a polled host listing containers given as name=id pairs;
// a container whose id ends in "-nocpu" has no CPU figure.
func metricsHost(ns, name string, firing, pending int32, containers ...string) *dockwatchv1.DockerHost {
	host := &dockwatchv1.DockerHost{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	host.Status.Summary = &dockwatchv1.HostSummary{AlertsFiring: firing, AlertsPending: pending}
	for i, c := range containers {
		cname, id, _ := strings.Cut(c, "=")
		usage := dockwatchv1.ContainerUsage{ID: id, Name: cname, MemoryBytes: int64(1000 * (i + 1)), MemoryPercent: float64(10 * (i + 1))}
		if !strings.HasSuffix(id, "-nocpu") {
			usage.CPUPercent = ptr(float64(i + 1))
		}
		host.Status.Containers = append(host.Status.Containers, usage)
	}
	return host
}

// series returns metric name's series as "label=value,..." -> value.
func series(t *testing.T, reg prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			var v float64
			switch {
			case m.GetGauge() != nil:
				v = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				v = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				v = float64(m.GetHistogram().GetSampleCount())
			}
			out[strings.Join(labels, ",")] = v
		}
	}
	return out
}

func containerSeries(ns, host, name, id string) string {
	return "container=" + name + ",container_id=" + id + ",dockerhost=" + host + ",namespace=" + ns
}

func TestObservePollExportsListedContainersAndHostSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	m.observePoll(metricsHost("ns", "h", 2, 1, "web=id1", "db=id2-nocpu"), 1500*time.Millisecond)

	wantCPU := map[string]float64{containerSeries("ns", "h", "web", "id1"): 1}
	if got := series(t, scrape, "dockwatch_container_cpu_percent"); !equalSeries(got, wantCPU) {
		t.Errorf("cpu series = %v, want %v (none for a container without a CPU figure)", got, wantCPU)
	}
	wantMem := map[string]float64{containerSeries("ns", "h", "web", "id1"): 1000, containerSeries("ns", "h", "db", "id2-nocpu"): 2000}
	if got := series(t, scrape, "dockwatch_container_memory_bytes"); !equalSeries(got, wantMem) {
		t.Errorf("memory series = %v, want %v", got, wantMem)
	}
	if got := series(t, scrape, "dockwatch_container_memory_percent"); len(got) != 2 {
		t.Errorf("memory percent series = %v, want 2", got)
	}
	if got := series(t, scrape, "dockwatch_host_up"); got["dockerhost=h,namespace=ns"] != 1 {
		t.Errorf("host_up = %v, want 1", got)
	}
	if got := series(t, scrape, "dockwatch_poll_duration_seconds"); got["dockerhost=h,namespace=ns"] != 1 {
		t.Errorf("poll duration observations = %v, want 1", got)
	}
	wantAlerts := map[string]float64{"dockerhost=h,namespace=ns,state=Firing": 2, "dockerhost=h,namespace=ns,state=Pending": 1}
	if got := series(t, scrape, "dockwatch_alerts"); !equalSeries(got, wantAlerts) {
		t.Errorf("alerts = %v, want %v", got, wantAlerts)
	}
}

func TestObservePollRemovesSeriesOfContainersThatLeaveTheList(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	m.observePoll(metricsHost("ns", "h", 0, 0, "web=id1", "db=id2", "cache=id3"), time.Second)
	m.observePoll(metricsHost("ns", "h", 0, 0, "cache=id3", "new=id4"), time.Second)

	for _, name := range []string{"dockwatch_container_cpu_percent", "dockwatch_container_memory_bytes", "dockwatch_container_memory_percent"} {
		got := series(t, scrape, name)
		if len(got) != 2 {
			t.Errorf("%s has %d series, want 2: %v", name, len(got), got)
		}
		for _, gone := range []string{containerSeries("ns", "h", "web", "id1"), containerSeries("ns", "h", "db", "id2")} {
			if _, ok := got[gone]; ok {
				t.Errorf("%s still has %s", name, gone)
			}
		}
	}
	if got := series(t, scrape, "dockwatch_container_cpu_percent")[containerSeries("ns", "h", "cache", "id3")]; got != 1 {
		t.Errorf("cache cpu = %v, want its new value 1", got)
	}
}

// `docker rename` keeps the ID. The series under the old name must go, or it
// reports its last value forever (forget does not find it either).
func TestObservePollRemovesSeriesOfARenamedContainer(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	m.observePoll(metricsHost("ns", "h", 0, 0, "web=id1"), time.Second)
	m.observePoll(metricsHost("ns", "h", 0, 0, "web-renamed=id1"), time.Second)

	want := map[string]float64{containerSeries("ns", "h", "web-renamed", "id1"): 1000}
	if got := series(t, scrape, "dockwatch_container_memory_bytes"); !equalSeries(got, want) {
		t.Errorf("memory series after rename = %v, want only %v", got, want)
	}
	m.forget(client.ObjectKey{Namespace: "ns", Name: "h"})
	if got := series(t, scrape, "dockwatch_container_memory_bytes"); len(got) != 0 {
		t.Errorf("container series survive forget of a host whose container was renamed: %v", got)
	}
}

func TestForgetRemovesOnlyThatHostsSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	m.observePoll(metricsHost("ns", "gone", 1, 0, "web=id1", "db=id2"), time.Second)
	m.observePollError(metricsHost("ns", "gone", 0, 0), dockwatchv1.ReasonDaemonUnreachable)
	m.observePoll(metricsHost("ns", "kept", 0, 0, "web=id9"), time.Second)

	m.forget(client.ObjectKey{Namespace: "ns", Name: "gone"})
	for _, name := range []string{"dockwatch_container_cpu_percent", "dockwatch_container_memory_bytes",
		"dockwatch_container_memory_percent", "dockwatch_host_up", "dockwatch_poll_duration_seconds",
		"dockwatch_poll_errors_total", "dockwatch_alerts"} {
		for labels := range series(t, scrape, name) {
			if strings.Contains(labels, "dockerhost=gone,") {
				t.Errorf("%s{%s} survived forget", name, labels)
			}
		}
	}
	if got := series(t, scrape, "dockwatch_container_cpu_percent"); len(got) != 1 {
		t.Errorf("the other host's series = %v, want 1", got)
	}
	if got := series(t, scrape, "dockwatch_host_up")["dockerhost=kept,namespace=ns"]; got != 1 {
		t.Errorf("the other host's host_up = %v, want 1", got)
	}
}

func TestObservePollErrorCountsMarksTheHostDownAndDropsStaleSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	host := metricsHost("ns", "h", 0, 0, "web=id1")
	m.observePoll(host, time.Second)
	m.observePollError(host, dockwatchv1.ReasonDaemonUnreachable)
	m.observePollError(host, dockwatchv1.ReasonDaemonUnreachable)

	errorsSeries := "dockerhost=h,namespace=ns,reason=" + dockwatchv1.ReasonDaemonUnreachable
	if got := series(t, scrape, "dockwatch_poll_errors_total")[errorsSeries]; got != 2 {
		t.Errorf("dockwatch_poll_errors_total = %v, want 2", got)
	}
	if got := series(t, scrape, "dockwatch_host_up")["dockerhost=h,namespace=ns"]; got != 0 {
		t.Errorf("dockwatch_host_up = %v, want 0", got)
	}
	if got := series(t, scrape, "dockwatch_container_memory_bytes"); len(got) != 0 {
		t.Errorf("a failed poll left container series with stale values: %v", got)
	}
	m.observePoll(host, time.Second)
	if got := series(t, scrape, "dockwatch_host_up")["dockerhost=h,namespace=ns"]; got != 1 {
		t.Errorf("dockwatch_host_up after recovery = %v, want 1", got)
	}
}

func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	host := metricsHost("ns", "h", 0, 0, "web=id1")
	m.observePoll(host, time.Second)
	m.observePollError(host, "x")
	m.forget(client.ObjectKeyFromObject(host))
}

func equalSeries(got, want map[string]float64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

func TestObservePollExportsLimitsAndCPUAgainstTheLimitOnlyWhereThereIsOne(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	host := metricsHost("ns", "h", 0, 0, "capped=id1", "free=id2")
	host.Status.Containers[0].CPULimitPercent = ptr(95.5)
	host.Status.Containers[0].MemoryLimitBytes = 64 << 20
	host.Status.Containers[1].MemoryLimitBytes = 8 << 30
	m.observePoll(host, time.Second)

	wantLimit := map[string]float64{containerSeries("ns", "h", "capped", "id1"): 95.5}
	if got := series(t, scrape, "dockwatch_container_cpu_limit_percent"); !equalSeries(got, wantLimit) {
		t.Errorf("cpu limit percent = %v, want %v (none for a container without a limit)", got, wantLimit)
	}
	wantMem := map[string]float64{containerSeries("ns", "h", "capped", "id1"): 64 << 20, containerSeries("ns", "h", "free", "id2"): 8 << 30}
	if got := series(t, scrape, "dockwatch_container_memory_limit_bytes"); !equalSeries(got, wantMem) {
		t.Errorf("memory limit = %v, want %v", got, wantMem)
	}
	m.observePoll(metricsHost("ns", "h", 0, 0, "free=id2"), time.Second)
	if got := series(t, scrape, "dockwatch_container_cpu_limit_percent"); len(got) != 0 {
		t.Errorf("cpu limit percent of a container that left the list survives: %v", got)
	}
}

// increase() cannot see the first failure of a counter born at 1, so every
// reason starts at 0 as soon as the host is polled at all.
func TestPollErrorCountersStartAtZeroForEveryReason(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	scrape := scraped(m, reg)
	m.observePoll(metricsHost("ns", "h", 0, 0), time.Second)

	got := series(t, scrape, "dockwatch_poll_errors_total")
	for _, reason := range []string{dockwatchv1.ReasonDaemonUnreachable, dockwatchv1.ReasonTLSConfigError, dockwatchv1.ReasonInvalidSpec} {
		if v, ok := got["dockerhost=h,namespace=ns,reason="+reason]; !ok || v != 0 {
			t.Errorf("dockwatch_poll_errors_total{reason=%s} = %v (present %v), want 0 before any failure", reason, v, ok)
		}
	}
}
