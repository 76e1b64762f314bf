package docker

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/versions"
)

// fakeContainer is one container the fake daemon knows.
type fakeContainer struct {
	ID, Name, Image string
	State           container.ContainerState
	Labels          map[string]string
	NanoCPUs        int64
	CPUQuota        int64
	CPUPeriod       int64
	Vanished        bool // listed, but removed before inspect or stats
}

// statsReply overrides the fake's stats answer for one container: the
// status code and body of the n-th stats request (1-based).
type statsReply func(n int) (status int, body string)

// fakeDaemon is a small Docker Engine API: _ping, version, info, container
// list, inspect and stats with canned JSON, and counters of what it served.
type fakeDaemon struct {
	apiVersion string // Api-Version header and /version ApiVersion
	// versionAPI, when set, is the ApiVersion /version reports instead.
	versionAPI string
	gate       *statsGate
	hang       func(path string) bool // requests that never get an answer

	mu           sync.Mutex
	containers   []fakeContainer
	replies      map[string]statsReply
	statsCalls   map[string]int
	inspectCalls map[string]int
	statsQueries []string
	paths        map[string]int // requests served, by path without the version prefix
}

// newFakeDaemon starts the fake on a loopback httptest server and returns it
// with the tcp:// endpoint a Client should use.
func newFakeDaemon(t *testing.T, apiVersion string, containers ...fakeContainer) (*fakeDaemon, string) {
	t.Helper()
	f := newFakeHandler(apiVersion, containers...)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, "tcp://" + srv.Listener.Addr().String()
}

// newFakeHandler builds the fake without serving it, for TLS servers.
func newFakeHandler(apiVersion string, containers ...fakeContainer) *fakeDaemon {
	return &fakeDaemon{
		apiVersion:   apiVersion,
		containers:   containers,
		replies:      map[string]statsReply{},
		statsCalls:   map[string]int{},
		inspectCalls: map[string]int{},
		paths:        map[string]int{},
	}
}

var versionPrefix = regexp.MustCompile(`^/v[0-9]+\.[0-9]+`)

func (f *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := versionPrefix.ReplaceAllString(r.URL.Path, "")
	f.mu.Lock()
	f.paths[p]++
	apiVersion, versionAPI := f.apiVersion, f.versionAPI
	f.mu.Unlock()
	if versionAPI == "" {
		versionAPI = apiVersion
	}
	// As dockerd: a request for an API newer than the daemon's is refused.
	if v := strings.TrimPrefix(versionPrefix.FindString(r.URL.Path), "/v"); v != "" && versions.GreaterThan(v, apiVersion) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("client version %s is too new. Maximum supported API version is %s", v, apiVersion))
		return
	}
	if f.hang != nil && f.hang(p) {
		<-r.Context().Done()
		return
	}
	switch {
	case p == "/_ping":
		w.Header().Set("Api-Version", apiVersion)
		w.Header().Set("Ostype", "linux")
		_, _ = w.Write([]byte("OK"))
	case p == "/version":
		writeJSON(w, map[string]any{"Version": "20.10.24", "ApiVersion": versionAPI,
			"MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64", "KernelVersion": "6.1.0-fake"})
	case p == "/info":
		writeJSON(w, map[string]any{"NCPU": 2, "MemTotal": 25276026880, "OSType": "linux",
			"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "KernelVersion": "6.1.0-fake"})
	case p == "/containers/json":
		f.serveList(w, r)
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/json"):
		f.serveInspect(w, strings.TrimSuffix(strings.TrimPrefix(p, "/containers/"), "/json"))
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/stats"):
		f.serveStats(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/containers/"), "/stats"))
	default:
		writeError(w, http.StatusNotFound, "page not found")
	}
}

func (f *fakeDaemon) serveList(w http.ResponseWriter, r *http.Request) {
	all, _ := strconv.ParseBool(r.URL.Query().Get("all"))
	f.mu.Lock()
	var list []container.Summary
	for _, c := range f.containers {
		if all || c.State == container.StateRunning || c.State == container.StatePaused {
			list = append(list, container.Summary{ID: c.ID, Names: []string{"/" + c.Name},
				Image: c.Image, State: c.State, Labels: c.Labels})
		}
	}
	f.mu.Unlock()
	writeJSON(w, list)
}

func (f *fakeDaemon) serveInspect(w http.ResponseWriter, id string) {
	c, ok := f.lookup(id)
	f.mu.Lock()
	f.inspectCalls[id]++
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "No such container: "+id)
		return
	}
	writeJSON(w, map[string]any{"Id": c.ID, "Name": "/" + c.Name, "State": map[string]any{"Status": c.State},
		"HostConfig": map[string]any{"NanoCpus": c.NanoCPUs, "CpuQuota": c.CPUQuota, "CpuPeriod": c.CPUPeriod}})
}

func (f *fakeDaemon) serveStats(w http.ResponseWriter, r *http.Request, id string) {
	if f.gate != nil {
		f.gate.wait(r.Context())
	}
	_, ok := f.lookup(id)
	f.mu.Lock()
	f.statsCalls[id]++
	n := f.statsCalls[id]
	reply := f.replies[id]
	f.statsQueries = append(f.statsQueries, r.URL.RawQuery)
	f.mu.Unlock()
	oneShot, _ := strconv.ParseBool(r.URL.Query().Get("one-shot"))
	switch {
	case reply != nil:
		status, body := reply(n)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	case !ok:
		writeError(w, http.StatusNotFound, "No such container: "+id)
	default:
		w.Header().Set("Ostype", "linux")
		writeJSON(w, fakeSample(n, !oneShot))
	}
}

// The fake's default samples: each stats request n of a container reports
// n*cpuPerSample of CPU time while the host counter advances by
// systemPerSample (two CPUs over two seconds), so CPU is
// cpuPerSample/systemPerSample*2*100 = 25% between any two samples.
const (
	cpuPerSample    = 500_000_000
	systemPerSample = 4_000_000_000
	systemAtBoot    = 1_000_000_000_000_000
	fakeMemUsage    = 104857600 // 100 MiB
	fakeMemInactive = 20971520  // 20 MiB of inactive page cache
	fakeMemLimit    = 536870912 // 512 MiB
)

// fakeSample builds the n-th sample; withPre fills precpu_stats as the
// daemon does for stream=false (it waited for the (n-1)-th tick).
func fakeSample(n int, withPre bool) container.StatsResponse {
	at := func(k int) container.CPUStats {
		return container.CPUStats{
			CPUUsage:    container.CPUUsage{TotalUsage: uint64(k) * cpuPerSample},
			SystemUsage: systemAtBoot + uint64(k)*systemPerSample,
			OnlineCPUs:  2,
		}
	}
	base := time.Date(2026, 11, 29, 5, 0, 0, 0, time.UTC)
	s := container.StatsResponse{
		Read:     base.Add(time.Duration(n) * 2 * time.Second),
		CPUStats: at(n),
		MemoryStats: container.MemoryStats{Usage: fakeMemUsage, Limit: fakeMemLimit,
			Stats: map[string]uint64{"inactive_file": fakeMemInactive}},
		Networks:  map[string]container.NetworkStats{"eth0": {RxBytes: 1000, TxBytes: 2000}},
		PidsStats: container.PidsStats{Current: 3},
	}
	if withPre {
		s.PreRead = base.Add(time.Duration(n-1) * 2 * time.Second)
		s.PreCPUStats = at(n - 1)
	}
	return s
}

func (f *fakeDaemon) lookup(id string) (fakeContainer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.ID == id && !c.Vanished {
			return c, true
		}
	}
	return fakeContainer{}, false
}

// setReply overrides the stats answer of one container.
func (f *fakeDaemon) setReply(id string, reply statsReply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[id] = reply
}

// setAPIVersion changes the daemon's API version, as a downgrade does.
func (f *fakeDaemon) setAPIVersion(v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apiVersion = v
}

// setContainers replaces what the daemon lists.
func (f *fakeDaemon) setContainers(cs ...fakeContainer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers = cs
}

// counts returns how often a container was inspected and sampled.
func (f *fakeDaemon) counts(id string) (inspects, stats int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inspectCalls[id], f.statsCalls[id]
}

// served returns how many requests for path the fake has answered.
func (f *fakeDaemon) served(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.paths[path]
}

// queries returns the raw query strings of all stats requests so far.
func (f *fakeDaemon) queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.statsQueries...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}

// statsGate holds stats requests like the daemon's collector: everyone
// waiting is released when `want` requests are in flight at once, or when
// the tick passes. Sequential requests would each wait for a full tick.
type statsGate struct {
	want int
	tick time.Duration

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	release     chan struct{}
}

func newStatsGate(want int, tick time.Duration) *statsGate {
	return &statsGate{want: want, tick: tick, release: make(chan struct{})}
}

func (g *statsGate) wait(ctx context.Context) {
	g.mu.Lock()
	g.inFlight++
	g.maxInFlight = max(g.maxInFlight, g.inFlight)
	released := g.release
	if g.inFlight >= g.want {
		close(g.release)
		g.release = make(chan struct{})
	}
	g.mu.Unlock()
	timer := time.NewTimer(g.tick)
	defer timer.Stop()
	select {
	case <-released:
	case <-timer.C:
	case <-ctx.Done():
	}
	g.mu.Lock()
	g.inFlight--
	g.mu.Unlock()
}

func (g *statsGate) peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.maxInFlight
}

// runningContainers makes n running containers named prefix-0000... .
func runningContainers(prefix string, n int) []fakeContainer {
	cs := make([]fakeContainer, n)
	for i := range cs {
		name := fmt.Sprintf("%s-%04d", prefix, i)
		cs[i] = fakeContainer{ID: containerID(name), Name: name, Image: "busybox", State: container.StateRunning}
	}
	return cs
}

// containerID derives a 64-hex-digit ID from a name, as Docker IDs look.
func containerID(name string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(name)))
}
