package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A real Prometheus server (Debian's prometheus package) for tests: it
// scrapes a manager's metrics endpoint on loopback and answers PromQL.

// prometheusScrapeInterval is how often the test Prometheus scrapes and
// evaluates the shipped rules.
const prometheusScrapeInterval = time.Second

// prometheusBinaries are searched after $PATH (Debian installs them in /usr/bin).
var prometheusBinaries = []string{"/usr/bin/prometheus"}

// prometheusServer is a running Prometheus with its HTTP API base URL.
type prometheusServer struct {
	url     string
	logFile string
}

// serveMetrics serves handler on a free loopback port, as the manager's
// metrics endpoint does, and returns host:port.
func serveMetrics(t *testing.T, handler http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().String()
}

// startPrometheus runs Prometheus on a free loopback port with a private
// TSDB, scraping target every second and evaluating ruleFiles. It fails (it
// never skips) when Prometheus is not installed.
func startPrometheus(t *testing.T, target string, ruleFiles ...string) *prometheusServer {
	t.Helper()
	bin := findPrometheus(t)
	dir := t.TempDir()
	var rules []string
	for _, f := range ruleFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, strconv.Quote(abs))
	}
	interval := prometheusScrapeInterval.String()
	config := fmt.Sprintf(`global: {scrape_interval: %s, evaluation_interval: %s}
rule_files: [%s]
scrape_configs:
- job_name: dockwatch
  static_configs: [{targets: [%q]}]
`, interval, interval, strings.Join(rules, ", "), target)
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t))
	p := &prometheusServer{url: "http://" + addr, logFile: filepath.Join(dir, "prometheus.log")}
	logOut, err := os.Create(p.logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+configFile, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--storage.tsdb.retention.time=1h")
	cmd.Stdout, cmd.Stderr = logOut, logOut
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logOut.Close()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", tailFile(p.logFile, 30))
		}
	})
	waitFor(t, 60*time.Second, "prometheus to be ready on "+addr, func() (bool, string) {
		resp, err := http.Get(p.url + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
	return p
}

// findPrometheus finds the prometheus binary or fails with the install command.
func findPrometheus(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	for _, p := range prometheusBinaries {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("prometheus is not installed: run hack/install-deps.sh (as root: apt-get install -y --no-install-recommends prometheus)")
	return ""
}

// promSample is one element of an instant vector.
type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// value is the sample's value as a float (Prometheus sends it as a string).
func (s promSample) value() float64 {
	str, _ := s.Value[1].(string)
	v, _ := strconv.ParseFloat(str, 64)
	return v
}

// query evaluates expr now through /api/v1/query and returns the vector,
// or an error when Prometheus rejects the expression.
func (p *prometheusServer) query(expr string) ([]promSample, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.get("/api/v1/query?query="+url.QueryEscape(expr), &data); err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	if data.ResultType == "scalar" {
		return []promSample{{}}, nil
	}
	var samples []promSample
	if err := json.Unmarshal(data.Result, &samples); err != nil {
		return nil, fmt.Errorf("decode result of %s: %w", expr, err)
	}
	return samples, nil
}

// get reads an API endpoint's data field into out.
func (p *prometheusServer) get(path string, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	var envelope struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		return fmt.Errorf("decode %s (HTTP %d): %w", path, resp.StatusCode, err)
	}
	if envelope.Status != "success" {
		return errors.New(envelope.Error)
	}
	return json.Unmarshal(envelope.Data, out)
}

// metricNames lists every metric name Prometheus has stored.
func (p *prometheusServer) metricNames(t *testing.T) map[string]bool {
	t.Helper()
	var names []string
	if err := p.get("/api/v1/label/__name__/values", &names); err != nil {
		t.Fatalf("list metric names: %v", err)
	}
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return set
}

// tailFile returns the last n lines of a file, for failure messages.
func tailFile(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
