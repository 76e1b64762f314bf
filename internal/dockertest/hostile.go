package dockertest

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fault is how a HostileAPI answers one kind of request.
type Fault int

// The faults a HostileAPI can play. Each models a broken or hostile daemon
// that a real one cannot be made to be.
const (
	// Healthy answers as FakeAPI does.
	Healthy Fault = iota
	// Endless sends 200 and a JSON document whose string never ends.
	Endless
	// Oversized sends a well-formed document holding one string of
	// OversizeBytes bytes.
	Oversized
	// Hang accepts the request and never answers.
	Hang
	// SlowHeaders sends the status line, then one header byte every 100 ms
	// without ever finishing the headers (slow loris).
	SlowHeaders
	// EndlessHeaders sends header lines as fast as the client reads them,
	// without end.
	EndlessHeaders
	// Malformed sends 200 and JSON cut off in the middle.
	Malformed
)

// Request kinds a fault applies to.
const (
	PathPing    = "/_ping"
	PathVersion = "/version"
	PathInfo    = "/info"
	PathList    = "/containers/json"
	PathInspect = "inspect"
	PathStats   = "stats"
)

// HostilePaths lists every request kind dockwatch makes.
var HostilePaths = []string{PathPing, PathVersion, PathInfo, PathList, PathInspect, PathStats}

// DefaultOversizeBytes is the string size of an Oversized answer: larger than
// any cap dockwatch puts on an answer.
const DefaultOversizeBytes = 20 << 20

// HostileAPI is a fake Docker Engine that misbehaves on purpose: every
// request kind can be given a Fault, and single containers' stats can hang
// while their siblings answer. Unfaulted requests are answered as FakeAPI
// answers them (n running containers at FakeCPUPercent).
type HostileAPI struct {
	// Host is the endpoint to give a client: tcp://127.0.0.1:PORT.
	Host string
	// OversizeBytes is the string size of Oversized answers; set it before
	// use. DefaultOversizeBytes when zero.
	OversizeBytes int

	healthy *FakeAPI
	server  *httptest.Server
	done    chan struct{}

	mu       sync.Mutex
	faults   map[string]Fault
	hungIDs  map[string]bool
	closeOne sync.Once
}

// NewHostileAPI starts a hostile fake with n running containers named
// prefix-0 ... prefix-(n-1), all healthy until faults are set; it stops
// when the test ends.
func NewHostileAPI(t TB, prefix string, n int) *HostileAPI {
	t.Helper()
	h := &HostileAPI{
		healthy: &FakeAPI{},
		done:    make(chan struct{}),
		faults:  map[string]Fault{},
		hungIDs: map[string]bool{},
	}
	for i := 0; i < n; i++ {
		h.healthy.names = append(h.healthy.names, fmt.Sprintf("%s-%d", prefix, i))
	}
	h.server, h.Host = serveLoopback(t, "hostile Docker API", h.serve, h.Close)
	return h
}

// FakeContainerID is the ID FakeAPI and HostileAPI give their i-th container.
func FakeContainerID(i int) string { return fmt.Sprintf("%064x", i+1) }

// Close stops the fake, releasing hung requests.
func (h *HostileAPI) Close() {
	h.closeOne.Do(func() { close(h.done) })
	h.server.CloseClientConnections()
	h.server.Close()
}

// SetFault makes every request of a kind (PathList, PathStats, ...) play f.
func (h *HostileAPI) SetFault(path string, f Fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults[path] = f
}

// HangStatsOf makes the stats of container i (and only those) never answer.
func (h *HostileAPI) HangStatsOf(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hungIDs[FakeContainerID(i)] = true
}

// StatsRequests counts the stats calls answered healthily.
func (h *HostileAPI) StatsRequests() int64 { return h.healthy.StatsRequests.Load() }

func (h *HostileAPI) serve(w http.ResponseWriter, r *http.Request) {
	kind, id := requestKind(r.URL.Path)
	h.mu.Lock()
	fault := h.faults[kind]
	if kind == PathStats && h.hungIDs[id] {
		fault = Hang
	}
	h.mu.Unlock()
	if kind == PathPing && fault != Healthy && r.Method == http.MethodHead {
		// Make the client fall back to GET, whose body is the fault.
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	switch fault {
	case Healthy:
		h.healthy.serve(w, r)
	case Hang:
		select {
		case <-r.Context().Done():
		case <-h.done:
		}
	case SlowHeaders, EndlessHeaders:
		h.serveHeaders(w, r, fault == SlowHeaders)
	default:
		h.serveBody(w, r, kind, fault)
	}
}

// requestKind names a request path as SetFault does, with the container ID
// of inspect and stats requests.
func requestKind(p string) (kind, id string) {
	if strings.HasPrefix(p, "/v1.") {
		p = p[strings.Index(p[1:], "/")+1:]
	}
	switch {
	case p == PathPing, p == PathVersion, p == PathInfo, p == PathList:
		return p, ""
	case strings.HasSuffix(p, "/stats"):
		return PathStats, strings.Split(p, "/")[2]
	case strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/json"):
		return PathInspect, strings.Split(p, "/")[2]
	}
	return p, ""
}

// documentStart is the start of each kind's document, up to an open string.
var documentStart = map[string]string{
	PathPing:    `OK`,
	PathVersion: `{"ApiVersion":"1.41","Version":"`,
	PathInfo:    `{"OSType":"linux","NCPU":2,"OperatingSystem":"`,
	PathList:    `[{"Id":"` + FakeContainerID(0) + `","State":"running","Names":["/`,
	PathInspect: `{"Id":"` + FakeContainerID(0) + `","HostConfig":{"NanoCpus":0},"Name":"/`,
	PathStats:   `{"read":"2026-12-01T21:00:00Z","cpu_stats":{"online_cpus":1},"name":"/`,
}

// documentEnd closes what documentStart opened.
var documentEnd = map[string]string{
	PathVersion: `"}`, PathInfo: `"}`, PathList: `"]}]`, PathInspect: `"}`, PathStats: `"}`,
}

// serveBody answers with an Endless, Oversized or Malformed document.
func (h *HostileAPI) serveBody(w http.ResponseWriter, r *http.Request, kind string, fault Fault) {
	w.Header().Set("Api-Version", fakeAPIVersion)
	w.Header().Set("Ostype", "linux")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(documentStart[kind]))
	if fault == Malformed {
		_, _ = w.Write([]byte(`cut-off`))
		return
	}
	limit := -1 // Endless
	if fault == Oversized {
		limit = h.OversizeBytes
		if limit <= 0 {
			limit = DefaultOversizeBytes
		}
	}
	chunk := filler
	for sent := 0; limit < 0 || sent < limit; sent += len(chunk) {
		if limit >= 0 && limit-sent < len(chunk) {
			chunk = chunk[:limit-sent]
		}
		if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
			return
		}
	}
	_, _ = w.Write([]byte(documentEnd[kind]))
}

// filler is what hostile strings are made of, shared (and only read) by
// every answer so the fake's own memory stays out of measurements.
var filler = []byte(strings.Repeat("a", 32<<10))

// serveHeaders writes a status line and headers that never end: slowly
// (one byte per 100 ms) or as fast as the client reads.
func (h *HostileAPI) serveHeaders(w http.ResponseWriter, r *http.Request, slow bool) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	go func() { // a hijacked conn outlives the request context: end with the fake
		select {
		case <-h.done:
		case <-r.Context().Done():
		}
		_ = conn.SetDeadline(time.Now())
	}()
	out := bufio.NewWriter(conn)
	_ = buf.Flush()
	_, _ = out.WriteString("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n")
	line := "X-Padding: " + strings.Repeat("p", 1000) + "\r\n"
	for {
		var err error
		if slow {
			_, _ = out.WriteString("X")
			err = out.Flush()
			time.Sleep(100 * time.Millisecond)
		} else {
			_, _ = out.WriteString(line)
			err = out.Flush()
		}
		if err != nil {
			return
		}
	}
}
