// Command enginebench measures the stats engine alone at fleet scale: the
// controller's clients (internal/docker, Config.Spread, default timeout)
// polling a fake fleet (bin/fakefleet, its own process) every interval,
// without an API server, so the engine's CPU, memory and handshakes show
// apart from the controller's and side by side for two builds. It prints
// one line of figures for the window after the warm-up; -profile saves a
// CPU profile of the window and a heap profile at its end.
//
//	go build -o bin/fakefleet ./hack/fakefleet
//	go run ./hack/enginebench -hosts 1000 -warmup 50s -window 40s
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"time"

	"github.com/dockwatch/dockwatch/internal/docker"
)

// ready is what bin/fakefleet writes once it serves (see its Ready).
type ready struct {
	Endpoints []string `json:"endpoints"`
	CertsDir  string   `json:"certsDir"`
	Control   string   `json:"control"`
}

// fleetCounters is the part of fakefleet.Counters read here.
type fleetCounters struct {
	Stats, FullHandshakes, ResumedHandshakes, OpenConns int64
}

func main() {
	hosts := flag.Int("hosts", 1000, "fake daemons of 50 containers")
	fleetBin := flag.String("fakefleet", "bin/fakefleet", "the fake fleet binary")
	interval := flag.Duration("interval", 30*time.Second, "poll interval of every host")
	warmup := flag.Duration("warmup", 50*time.Second, "time before measuring")
	window := flag.Duration("window", 40*time.Second, "measurement window")
	profile := flag.String("profile", "", "file prefix for a CPU and a heap profile (none when empty)")
	flag.Parse()
	if err := run(*fleetBin, *hosts, *interval, *warmup, *window, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "enginebench:", err)
		os.Exit(1)
	}
}

func run(fleetBin string, hosts int, interval, warmup, window time.Duration, profile string) error {
	fleet, stop, err := startFleet(fleetBin, hosts)
	if err != nil {
		return err
	}
	defer stop()
	clients, err := newClients(fleet)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	for i, c := range clients {
		go pollEvery(ctx, c, time.Duration(i)*interval/time.Duration(len(clients)), interval, rec)
	}
	time.Sleep(warmup)
	startupPeak := vmHWM()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // the window's own peak
	if profile != "" {
		f, err := os.Create(profile + ".cpu.pprof")
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	k0, cpu0, t0 := counters(fleet.Control), cpuTime(), time.Now()
	rec.start()
	time.Sleep(window)
	polls, failed, lags := rec.stop()
	secs := time.Since(t0).Seconds()
	cores := (cpuTime() - cpu0).Seconds() / secs
	k1 := counters(fleet.Control)
	if profile != "" {
		pprof.StopCPUProfile()
		if err := writeHeap(profile + ".heap.pprof"); err != nil {
			return err
		}
		if err := writeGoroutines(profile + ".goroutines.txt"); err != nil {
			return err
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("%d hosts: %.3f cores, peak RSS %d MiB in the window (%d MiB before), %d goroutines, %d polls (%d failed), lag p99 %s, resumed/full handshakes %.1f/%.1f per s, stats %.0f/s, fleet connections open %d; heap in use %d MiB, stacks %d MiB\n",
		hosts, cores, vmHWM()>>10, startupPeak>>10, runtime.NumGoroutine(), polls, failed, percentile(lags, 0.99),
		float64(k1.ResumedHandshakes-k0.ResumedHandshakes)/secs, float64(k1.FullHandshakes-k0.FullHandshakes)/secs,
		float64(k1.Stats-k0.Stats)/secs, k1.OpenConns, ms.HeapInuse>>20, ms.StackInuse>>20)
	return nil
}

// startFleet runs bin/fakefleet and waits for its description.
func startFleet(bin string, hosts int) (*ready, func(), error) {
	readyFile := filepath.Join(os.TempDir(), fmt.Sprintf("enginebench-%d.json", os.Getpid()))
	cmd := exec.Command(bin, "-hosts", strconv.Itoa(hosts), "-ready-file", readyFile)
	cmd.Stderr = nil // its per-connection TLS log lines are noise here
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop := func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait(); _ = os.Remove(readyFile) }
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var r ready
		if raw, err := os.ReadFile(readyFile); err == nil && json.Unmarshal(raw, &r) == nil {
			return &r, stop, nil
		}
	}
	stop()
	return nil, nil, fmt.Errorf("%s did not get ready in 2 minutes", bin)
}

// newClients builds one controller-style client per fake daemon.
func newClients(fleet *ready) ([]*docker.Client, error) {
	var m docker.TLSMaterial
	for _, part := range []struct {
		dst  *[]byte
		file string
	}{{&m.CA, "ca.pem"}, {&m.Cert, "cert.pem"}, {&m.Key, "key.pem"}} {
		raw, err := os.ReadFile(filepath.Join(fleet.CertsDir, part.file))
		if err != nil {
			return nil, err
		}
		*part.dst = raw
	}
	clients := make([]*docker.Client, 0, len(fleet.Endpoints))
	for _, ep := range fleet.Endpoints {
		c, err := docker.New(docker.Config{Endpoint: ep, TLS: &m, MaxBaselineAge: 90 * time.Second, Spread: true})
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
	}
	return clients, nil
}

// pollEvery polls c every interval, start to start, after offset.
func pollEvery(ctx context.Context, c *docker.Client, offset, interval time.Duration, rec *recorder) {
	due := time.Now().Add(offset)
	for ctx.Err() == nil {
		time.Sleep(time.Until(due))
		start := time.Now()
		pollCtx, cancel := context.WithTimeout(ctx, docker.DefaultTimeout)
		_, err := c.Snapshot(pollCtx, docker.Selection{})
		cancel()
		rec.add(start.Sub(due), err)
		due = start.Add(interval)
	}
}

// counters reads the fleet's counters (zero when unreachable).
func counters(control string) fleetCounters {
	var c fleetCounters
	resp, err := http.Get("http://" + control + "/counters")
	if err != nil {
		return c
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&c)
	return c
}

func writeHeap(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}

// writeGoroutines saves the goroutines grouped by stack, as text.
func writeGoroutines(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("goroutine").WriteTo(f, 1)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(p*float64(len(ds)-1))]
}
