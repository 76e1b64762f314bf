package controllers

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

var (
	shippedRules     = filepath.Join("..", "config", "prometheus", "rules", "dockwatch.rules.yaml")
	shippedDashboard = filepath.Join("..", "config", "grafana", "dockwatch.json")
)

// limitedCPUs caps the burner, so it runs at its CPU limit without taking a
// core from the machine (and the CPU-near-limit rule has something to see).
const limitedCPUs = "0.2"

// TestRealPrometheusScrapesTheManager has a real Prometheus scrape a manager
// polling a real daemon, then proves: the busy container's
// dockwatch_container_cpu_percent in Prometheus is the DockerHost status's
// cpuPercent of the same poll; the shipped rules load and evaluate (the
// CPU-near-limit alert goes pending for the container at its limit); and
// every dashboard query and rule evaluates and names only scraped series.
func TestRealPrometheusScrapesTheManager(t *testing.T) {
	daemon := startDaemon(t, dockertest.Options{})
	daemon.RunBusy(t, "burner", "--cpus", limitedCPUs)
	daemon.RunIdle(t, "idle", "-m", "64m")
	ns := newNamespace(t)
	mgr := startManager(t, Scope{})
	prom := startPrometheus(t, serveMetrics(t, mgr.metricsHandler), shippedRules)
	key := applyHost(t, &dockwatchv1.DockerHost{
		ObjectMeta: metav1.ObjectMeta{Name: "scraped", Namespace: ns},
		Spec:       dockwatchv1.DockerHostSpec{Endpoint: daemon.UnixHost, Interval: dur(pollEvery)},
	})
	waitCondition(t, key, dockwatchv1.ConditionReady, metav1.ConditionTrue, dockwatchv1.ReasonPollSucceeded, readyWithin)

	t.Run("cpu percent in Prometheus is the status figure of the same poll", func(t *testing.T) {
		assertPrometheusMatchesStatus(t, prom, key, "burner")
	})
	t.Run("shipped rules load, evaluate and see the container at its limit", func(t *testing.T) {
		assertRulesHealthy(t, prom)
		waitFor(t, 60*time.Second, "DockwatchContainerCPUNearLimit pending for the burner", func() (bool, string) {
			alerts, err := prom.query(fmt.Sprintf(`ALERTS{alertname="DockwatchContainerCPUNearLimit", namespace=%q, container="burner"}`, ns))
			if err != nil || len(alerts) == 0 {
				limit, _ := prom.query(`dockwatch_container_cpu_limit_percent{container="burner"}`)
				return false, fmt.Sprintf("err %v, cpu limit percent %v", err, limit)
			}
			return alerts[0].Metric["alertstate"] == "pending" || alerts[0].Metric["alertstate"] == "firing", fmt.Sprint(alerts)
		})
	})
	t.Run("every dashboard query returns data from the scrape", func(t *testing.T) {
		scraped := prom.metricNames(t)
		for _, q := range dashboardQueries(t) {
			checkSeriesExported(t, "panel "+q.panel, q.expr, scraped)
			expr := substituteVariables(q.expr, ns, key.Name)
			// rate() needs two scrapes of a series inside its window.
			waitFor(t, 30*time.Second, fmt.Sprintf("panel %q to get data from %s", q.panel, expr), func() (bool, string) {
				samples, err := prom.query(expr)
				return err == nil && len(samples) > 0, fmt.Sprintf("%d samples, error %v", len(samples), err)
			})
		}
	})
	t.Run("every rule names only scraped series", func(t *testing.T) {
		scraped := prom.metricNames(t)
		for alert, expr := range ruleExprs(t) {
			checkSeriesExported(t, "rule "+alert, expr, scraped)
		}
	})
}

// assertPrometheusMatchesStatus waits for a moment where Prometheus holds a
// sample scraped after a poll and before the next one, and compares it with
// that poll's status: both come from the same figure, so they must agree to
// the status' two decimals.
func assertPrometheusMatchesStatus(t *testing.T, prom *prometheusServer, key client.ObjectKey, container string) {
	t.Helper()
	selector := fmt.Sprintf(`dockwatch_container_cpu_percent{namespace=%q, dockerhost=%q, container=%q}`, key.Namespace, key.Name, container)
	const tolerance = 0.005 // status rounds to 0.01; the metric is set from status
	waitFor(t, 60*time.Second, "a Prometheus sample of the same poll as the status", func() (bool, string) {
		before := getHost(t, key)
		usage := findContainer(before, container)
		if usage == nil || usage.CPUPercent == nil || before.Status.LastPollTime == nil {
			return false, "no CPU figure in status yet: " + describe(before)
		}
		samples, err := prom.query("timestamp(" + selector + ")")
		values, err2 := prom.query(selector)
		after := getHost(t, key)
		if err != nil || err2 != nil || len(samples) != 1 || len(values) != 1 {
			return false, fmt.Sprintf("query: %v %v, %d/%d samples", err, err2, len(samples), len(values))
		}
		polled := before.Status.LastPollTime.Time
		// lastPollTime has whole seconds: a scrape a second after it is
		// certainly after that poll set the gauge.
		scrapedAt := time.Unix(0, int64(samples[0].value()*1e9))
		if !after.Status.LastPollTime.Equal(before.Status.LastPollTime) || scrapedAt.Before(polled.Add(1500*time.Millisecond)) {
			return false, fmt.Sprintf("scrape at %s not inside the poll of %s", scrapedAt.Format(time.RFC3339Nano), polled)
		}
		got, want := values[0].value(), *usage.CPUPercent
		if math.Abs(got-want) > tolerance {
			t.Fatalf("Prometheus has %s = %v, status.containers[%s].cpuPercent of the same poll is %v", selector, got, container, want)
		}
		if want < 5 {
			t.Errorf("the burner's CPU is %.2f%%, want it busy (about %s cores)", want, limitedCPUs)
		}
		t.Logf("Prometheus %.2f%%, status %.2f%% (poll %s, scraped %s)", got, want, polled.Format(time.RFC3339), scrapedAt.Format(time.RFC3339Nano))
		return true, ""
	})
}

// assertRulesHealthy waits until Prometheus has evaluated every shipped rule
// without error.
func assertRulesHealthy(t *testing.T, prom *prometheusServer) {
	t.Helper()
	waitFor(t, 30*time.Second, "every shipped rule evaluated with health ok", func() (bool, string) {
		var data struct {
			Groups []struct {
				Rules []struct {
					Name, Health, LastError string
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := prom.get("/api/v1/rules", &data); err != nil {
			return false, err.Error()
		}
		var bad []string
		count := 0
		for _, g := range data.Groups {
			for _, r := range g.Rules {
				count++
				if r.Health != "ok" {
					bad = append(bad, r.Name+": "+r.Health+" "+r.LastError)
				}
			}
		}
		return count == 5 && len(bad) == 0, fmt.Sprintf("%d rules, not ok: %v", count, bad)
	})
}

// dashboardQuery is one target of one panel.
type dashboardQuery struct{ panel, expr string }

// dashboardQueries reads every panel's queries from the shipped dashboard.
func dashboardQueries(t *testing.T) []dashboardQuery {
	t.Helper()
	raw, err := os.ReadFile(shippedDashboard)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("parse %s: %v", shippedDashboard, err)
	}
	var out []dashboardQuery
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			out = append(out, dashboardQuery{panel: p.Title, expr: target.Expr})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no queries", shippedDashboard)
	}
	return out
}

// ruleExprs reads the shipped rules' expressions by alert name.
func ruleExprs(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(shippedRules)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parse %s: %v", shippedRules, err)
	}
	out := map[string]string{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	return out
}

// dockwatchSeries matches the metric names of dockwatch's series in PromQL.
var dockwatchSeries = regexp.MustCompile(`\bdockwatch_[a-zA-Z0-9_]+`)

// checkSeriesExported fails for a dockwatch metric in expr that the scrape
// did not store. Histogram series (_bucket, _count, _sum) count as their family.
func checkSeriesExported(t *testing.T, where, expr string, scraped map[string]bool) {
	t.Helper()
	names := dockwatchSeries.FindAllString(expr, -1)
	if len(names) == 0 && !strings.Contains(expr, "ALERTS") {
		t.Errorf("%s: %s names no dockwatch series", where, expr)
	}
	sort.Strings(names)
	for _, name := range names {
		if scraped[name] {
			continue
		}
		t.Errorf("%s: %s uses %s, which the manager does not export", where, expr, name)
	}
}

// substituteVariables fills in the dashboard's template variables as
// Grafana would for one selected namespace and host.
func substituteVariables(expr, ns, host string) string {
	return strings.NewReplacer(
		"$namespace", regexp.QuoteMeta(ns),
		"$host", regexp.QuoteMeta(host),
		"$__rate_interval", "30s",
	).Replace(expr)
}
