package fakefleet

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Container memory figures: usage, page cache left out by dockwatch, limit.
const (
	memUsage    = 48 << 20
	memInactive = 16 << 20
	memLimit    = 1 << 30
)

// ServeHTTP routes a request, with or without the /vX.Y prefix.
func (d *Daemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.fleet.count.requests.Add(1)
	path := r.URL.Path
	if strings.HasPrefix(path, "/v1.") {
		if i := strings.Index(path[1:], "/"); i > 0 {
			path = path[i+1:]
		}
	}
	h := w.Header()
	h.Set("Api-Version", apiVersion)
	h.Set("Ostype", "linux")
	h.Set("Server", "Docker/20.10.24-fake (linux)")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, http.StatusMethodNotAllowed, "the fake fleet is read-only")
		return
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "/_ping":
		_, _ = w.Write([]byte("OK"))
	case path == "/version":
		writeJSON(w, map[string]any{"Version": "20.10.24-fake", "ApiVersion": apiVersion, "MinAPIVersion": "1.12",
			"Os": "linux", "Arch": "amd64", "KernelVersion": "6.1.0-fake",
			"Platform": map[string]string{"Name": "Docker Engine - Community"}, "Components": []map[string]string{{"Name": "Engine", "Version": "20.10.24-fake"}}})
	case path == "/info":
		writeJSON(w, map[string]any{"ServerVersion": "20.10.24-fake", "OSType": "linux", "KernelVersion": "6.1.0-fake",
			"NCPU": engineNCPU, "MemTotal": int64(16 << 30), "ContainersRunning": d.fleet.opts.Containers, "Name": d.name()})
	case path == "/containers/json":
		d.polls.Add(1)
		d.fleet.count.lists.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(d.list)
	case path == "/events":
		// A quiet daemon: its event log holds nothing in any window, and
		// a read with a past `until` (all dockwatch sends) ends at once.
		d.fleet.count.events.Add(1)
		w.Header().Set("Content-Type", "application/json")
	case len(parts) == 3 && parts[0] == "containers" && parts[2] == "json":
		d.fleet.count.inspects.Add(1)
		d.serveInspect(w, parts[1])
	case len(parts) == 3 && parts[0] == "containers" && parts[2] == "stats":
		d.fleet.count.stats.Add(1)
		d.serveStats(w, r, parts[1])
	default:
		writeError(w, http.StatusNotFound, "page not found")
	}
}

// name is the daemon's host name, as /info reports it.
func (d *Daemon) name() string { return fmt.Sprintf("fake-%04d", d.Index) }

// serveInspect answers what dockwatch reads from inspect: identity and CPU limit.
func (d *Daemon) serveInspect(w http.ResponseWriter, id string) {
	i, ok := d.containerIndex(id)
	if !ok {
		writeError(w, http.StatusNotFound, "No such container: "+id)
		return
	}
	writeJSON(w, map[string]any{
		"Id": id, "Name": "/" + containerName(i), "Image": "sha256:fake",
		"State":      map[string]any{"Status": "running", "Running": true, "Pid": 1000 + i},
		"HostConfig": map[string]any{"NanoCpus": 0, "CpuQuota": 0, "CpuPeriod": 0},
		"Config":     map[string]any{"Image": "fake:latest", "Labels": map[string]string{"fleet": "fake"}},
	})
}

// serveStats answers one sample: one-shot (API 1.41) at the next tick with
// an empty precpu, or stream=false after two ticks with precpu filled.
func (d *Daemon) serveStats(w http.ResponseWriter, r *http.Request, id string) {
	i, ok := d.containerIndex(id)
	if !ok {
		writeError(w, http.StatusNotFound, "No such container: "+id)
		return
	}
	q := r.URL.Query()
	if q.Get("stream") != "0" && q.Get("stream") != "false" {
		writeError(w, http.StatusBadRequest, "the fake fleet serves stream=false only")
		return
	}
	arrived := time.Now()
	first, err := d.nextTick(r.Context())
	d.fleet.count.statsWait.Add(int64(time.Since(arrived)))
	if err != nil {
		return
	}
	oneShot := q.Get("one-shot") == "1" || q.Get("one-shot") == "true"
	cur, pre := first, time.Time{}
	if !oneShot {
		if cur, err = d.nextTick(r.Context()); err != nil {
			return
		}
		pre = first
		if d.fleet.opts.Immediate {
			pre = cur.Add(-d.fleet.opts.Tick)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(d.statsDocument(i, id, cur, pre))
}

// statsDocument renders an Engine 20.10 (cgroup v2) stats document for
// container i sampled at t, with precpu at pre (empty when zero).
func (d *Daemon) statsDocument(i int, id string, t, pre time.Time) []byte {
	pct := IdleCPUPercent
	if i < d.fleet.opts.Busy {
		pct = BusyCPUPercent
	}
	cpu := func(at time.Time) string {
		if at.IsZero() {
			return `{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}}`
		}
		ns := uint64(at.Sub(d.fleet.start).Nanoseconds()) + 1e12 // a daemon up for a while
		total := uint64(float64(ns) * pct / 100)
		return fmt.Sprintf(`{"cpu_usage":{"total_usage":%d,"usage_in_kernelmode":%d,"usage_in_usermode":%d},"system_cpu_usage":%d,"online_cpus":%d,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}}`,
			total, total/4, total-total/4, ns*engineNCPU, engineNCPU)
	}
	secs := uint64(t.Sub(d.fleet.start).Seconds()) + 1
	preread := "0001-01-01T00:00:00Z"
	if !pre.IsZero() {
		preread = pre.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Appendf(nil, `{"read":%q,"preread":%q,"pids_stats":{"current":%d,"limit":4096},`+
		`"blkio_stats":{"io_service_bytes_recursive":[{"major":8,"minor":0,"op":"read","value":%d},{"major":8,"minor":0,"op":"write","value":%d}]},`+
		`"num_procs":0,"storage_stats":{},"cpu_stats":%s,"precpu_stats":%s,`+
		`"memory_stats":{"usage":%d,"stats":{"inactive_file":%d,"anon":%d},"limit":%d},"name":"/%s","id":%q,`+
		`"networks":{"eth0":{"rx_bytes":%d,"rx_packets":%d,"rx_errors":0,"rx_dropped":0,"tx_bytes":%d,"tx_packets":%d,"tx_errors":0,"tx_dropped":0}}}`+"\n",
		t.UTC().Format(time.RFC3339Nano), preread, 3+i%5, secs*4096, secs*8192, cpu(t), cpu(pre),
		memUsage+i<<20, memInactive, memUsage-memInactive, memLimit, containerName(i), id,
		secs*1500, secs*3, secs*900, secs*2)
}

// containerIndex finds a container of this daemon by ID (or name).
func (d *Daemon) containerIndex(id string) (int, bool) {
	if strings.HasPrefix(id, "/") {
		id = id[1:]
	}
	if name, ok := strings.CutPrefix(id, "ctr-"); ok {
		i, err := strconv.Atoi(name)
		return i, err == nil && i >= 0 && i < d.fleet.opts.Containers
	}
	if len(id) != 64 {
		return 0, false
	}
	i, err := strconv.ParseInt(id[48:], 16, 64)
	host, herr := strconv.ParseInt(id[:16], 16, 64)
	ok := err == nil && herr == nil && int(host) == d.Index && i >= 0 && int(i) < d.fleet.opts.Containers
	return int(i), ok
}

// containerID is container i of daemon host: unique across the fleet.
func containerID(host, i int) string {
	return fmt.Sprintf("%016x%032x%016x", host, 0xfeed, i)
}

// containerName is container i's name, the same on every daemon.
func containerName(i int) string { return fmt.Sprintf("ctr-%03d", i) }

// ContainerName is the name of container i on every daemon of a fleet;
// the first Options.Busy of them are the busy ones.
func ContainerName(i int) string { return containerName(i) }

// containerList renders daemon host's container list once; it never changes.
func containerList(host, n int) []byte {
	list := make([]map[string]any, 0, n)
	created := time.Now().Add(-time.Hour).Unix()
	for i := range n {
		list = append(list, map[string]any{
			"Id": containerID(host, i), "Names": []string{"/" + containerName(i)}, "Image": "fake:latest",
			"ImageID": "sha256:fake", "Command": "sleep infinity", "Created": created,
			"State": "running", "Status": "Up About an hour", "Labels": map[string]string{"fleet": "fake"},
		})
	}
	raw, _ := json.Marshal(list) // plain maps: cannot fail
	return raw
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
