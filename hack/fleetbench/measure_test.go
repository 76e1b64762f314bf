package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestProbeLeavesItsOwnScrapesOutOfTheWindow: the /metrics scrapes that
// open and close a probe's window cost the manager CPU (at 1,000 hosts,
// gathering every container series takes seconds); the probe must not
// charge them to the window. The "manager" here is this test process,
// whose metrics endpoint burns CPU on every scrape.
func TestProbeLeavesItsOwnScrapesOutOfTheWindow(t *testing.T) {
	const burn = 400 * time.Millisecond
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for end := time.Now().Add(burn); time.Now().Before(end); {
		}
		fmt.Fprintln(w, `rest_client_requests_total{code="200",host="x",method="PATCH"} 7`)
	}))
	defer metrics.Close()
	m := &managerProc{cmd: &exec.Cmd{Process: &os.Process{Pid: os.Getpid()}}, metrics: strings.TrimPrefix(metrics.URL, "http://")}

	p, err := startProbe(m, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the window: idle
	rates, err := p.finish()
	if err != nil {
		t.Fatal(err)
	}
	// Each scrape burns 0.4 s against a window of ~0.2 s: counting either
	// would make more than 1.5 cores.
	if p.res.cpuCores > 1 {
		t.Errorf("CPU of an idle window = %.2f cores: a scrape was counted in it", p.res.cpuCores)
	}
	if rates.patch != 0 {
		t.Errorf("PATCH rate = %.1f/s, want 0: the counter did not move", rates.patch)
	}
}
