package dockertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FakeAPI is an httptest Docker Engine API for what a real daemon cannot
// show on a test machine: thousands of containers, or a daemon that hangs.
// It serves the read endpoints dockwatch uses, on 127.0.0.1 only, and
// answers every container's stats with steadily growing CPU counters so
// that two polls give a CPU figure.
type FakeAPI struct {
	// Host is the endpoint to give a client: tcp://127.0.0.1:PORT (plaintext).
	Host string
	// StatsRequests counts stats calls served.
	StatsRequests atomic.Int64

	server *httptest.Server
	mu     sync.Mutex
	names  []string
	hang   bool
	tick   atomic.Uint64
}

// FakeCPUPercent is the CPU figure every fake container reports (as
// `docker stats` would compute it from two consecutive samples).
const FakeCPUPercent = 25.0

// fakeAPIVersion is what the fake daemon reports and negotiates.
const fakeAPIVersion = "1.41"

// NewFakeAPI starts a fake daemon with n running containers named
// prefix-0 ... prefix-(n-1); it stops when the test ends.
func NewFakeAPI(t TB, prefix string, n int) *FakeAPI {
	t.Helper()
	f := &FakeAPI{}
	for i := 0; i < n; i++ {
		f.names = append(f.names, fmt.Sprintf("%s-%d", prefix, i))
	}
	f.server, f.Host = serveLoopback(t, "fake Docker API", f.serve, f.Close)
	return f
}

// Close stops the fake daemon, releasing any hung requests.
func (f *FakeAPI) Close() {
	f.SetHang(false)
	f.server.CloseClientConnections()
	f.server.Close()
}

// SetHang makes every request after this one block until the client gives
// up (or SetHang(false)), like a daemon that accepts and never answers.
func (f *FakeAPI) SetHang(hang bool) {
	f.mu.Lock()
	f.hang = hang
	f.mu.Unlock()
}

func (f *FakeAPI) hanging() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hang
}

// serve routes a request, with or without the /vX.Y prefix.
func (f *FakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	for f.hanging() {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	path := r.URL.Path
	if strings.HasPrefix(path, "/v1.") {
		path = path[strings.Index(path[1:], "/")+1:]
	}
	w.Header().Set("Api-Version", fakeAPIVersion)
	w.Header().Set("Ostype", "linux")
	switch {
	case path == "/_ping":
		_, _ = w.Write([]byte("OK"))
	case path == "/version":
		// As Engine 20.10 does, /version names the engine component, so
		// dockwatch knows it is Docker (and keeps docker stats' CPU formula).
		writeJSON(w, map[string]any{"Version": "20.10.24-fake", "ApiVersion": fakeAPIVersion, "MinAPIVersion": "1.12", "Os": "linux", "KernelVersion": "6.1.0-fake",
			"Platform": map[string]string{"Name": "Docker Engine - Community"}, "Components": []map[string]string{{"Name": "Engine", "Version": "20.10.24-fake"}}})
	case path == "/info":
		writeJSON(w, map[string]any{"ServerVersion": "20.10.24-fake", "OSType": "linux", "KernelVersion": "6.1.0-fake", "NCPU": 64, "MemTotal": int64(256 << 30), "ContainersRunning": len(f.names)})
	case path == "/containers/json":
		f.serveList(w)
	case strings.HasSuffix(path, "/stats"):
		f.StatsRequests.Add(1)
		f.serveStats(w)
	case strings.HasSuffix(path, "/json"):
		writeJSON(w, map[string]any{"Id": strings.Split(path, "/")[2], "HostConfig": map[string]any{"NanoCpus": 0}})
	default:
		http.Error(w, `{"message":"not served by the fake"}`, http.StatusNotFound)
	}
}

func (f *FakeAPI) serveList(w http.ResponseWriter) {
	list := make([]map[string]any, 0, len(f.names))
	for i, name := range f.names {
		list = append(list, map[string]any{
			"Id": fmt.Sprintf("%064x", i+1), "Names": []string{"/" + name}, "Image": "fake:latest",
			"State": "running", "Status": "Up", "Labels": map[string]string{"fake": "true"},
		})
	}
	writeJSON(w, list)
}

// serveStats answers a one-shot sample. Each call advances a shared clock
// by one collector tick, so any two samples differ by whole ticks and the
// CPU figure is FakeCPUPercent of one core.
func (f *FakeAPI) serveStats(w http.ResponseWriter) {
	tick := f.tick.Add(1)
	const systemPerTick = uint64(1e9) // one second of one CPU, in ns
	writeJSON(w, map[string]any{
		"read": time.Now().UTC().Format(time.RFC3339Nano),
		"cpu_stats": map[string]any{
			"cpu_usage":        map[string]any{"total_usage": tick * uint64(FakeCPUPercent/100*float64(systemPerTick))},
			"system_cpu_usage": tick * systemPerTick,
			"online_cpus":      1,
		},
		"precpu_stats": map[string]any{},
		"memory_stats": map[string]any{"usage": 32 << 20, "limit": 1 << 30, "stats": map[string]any{"inactive_file": 0}},
		"pids_stats":   map[string]any{"current": 3},
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
