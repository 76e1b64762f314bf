package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// results are the figures of one measurement window: the fleet's, and
// each manager replica's.
type results struct {
	window                time.Duration
	ages                  []time.Duration
	notReady, neverPoll   int // worst sample
	fullPerSec, resPerSec float64
	fleetOpenMean         float64
	patchPerSec           float64 // all replicas
	postPerSec            float64
	getPerSec             float64 // uncached reads (Secrets, status lists the cache leaves out), informer lists and watches
	load                  [2]string
	replicas              []replicaResults
}

// replicaResults are one manager process's figures of the window.
type replicaResults struct {
	cpuCores       float64
	peakRSS, rss   int64 // bytes, in the window
	rssMedian      int64 // of VmRSS, sampled about once a second in the window
	fileRSS        int64 // bytes of rss mapped from files (the binary's pages) at the end
	startupPeakRSS int64 // bytes, from start to the window
	socketsMean    float64
	socketsMax     int
	lagP99         string
	hostsOwned     int // with --sharding, at the end; members is the group's size it saw
	members        int
	// Where the RSS goes, from the manager's Go runtime metrics at the end,
	// and the peak before the final /metrics scrape (whose gathering of
	// every container series is itself a spike).
	heapInuse, stackInuse int64
	heapGoal              int64   // the heap size at which the next GC starts
	gogc                  float64 // the GC's percent: the live heap is about heapGoal/(1+gogc/100)
	softLimit             bool    // a GOMEMLIMIT is set, which may hold the goal below that
	goroutines            int
	gcPerSec              float64
	peakBeforeScrape      int64
}

// measure samples the managers, the fleet and the DockerHosts over the window.
func measure(ctx context.Context, cp *controlPlane, f *fleetProc, managers []*managerProc, o options, logf func(string, ...any)) (*results, error) {
	res := &results{window: o.window, load: [2]string{loadavg(), ""}}
	probes := make([]*probe, len(managers))
	for i, m := range managers {
		var err error
		if probes[i], err = startProbe(m, logf); err != nil {
			return nil, err
		}
	}
	fc0, err := f.counters()
	if err != nil {
		return nil, fmt.Errorf("fleet counters: %w", err)
	}
	start := time.Now()
	var open []int
	nextAges := start
	for time.Since(start) < o.window {
		for _, p := range probes {
			p.sample()
		}
		if c, err := f.counters(); err == nil {
			open = append(open, int(c.OpenConns))
		}
		if time.Now().After(nextAges) {
			if err := sampleAges(ctx, cp.client, res); err != nil {
				logf("sample DockerHosts: %v", err)
			}
			nextAges = nextAges.Add(10 * time.Second)
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return nil, err
		}
	}
	elapsed := time.Since(start).Seconds()
	fc1, err := f.counters()
	if err != nil {
		return nil, fmt.Errorf("fleet counters: %w", err)
	}
	for _, p := range probes {
		rates, err := p.finish()
		if err != nil {
			return nil, err
		}
		res.replicas = append(res.replicas, p.res)
		res.patchPerSec += rates.patch
		res.postPerSec += rates.post
		res.getPerSec += rates.get
	}
	res.fullPerSec = float64(fc1.FullHandshakes-fc0.FullHandshakes) / elapsed
	res.resPerSec = float64(fc1.ResumedHandshakes-fc0.ResumedHandshakes) / elapsed
	res.fleetOpenMean, _ = meanMax(open)
	res.load[1] = loadavg()
	return res, nil
}

// probe samples one manager process over its own window: from just after
// the /metrics scrape that opens it to just before the one that closes it,
// so neither scrape (gathering every container series costs the manager
// CPU and memory) counts, and with several replicas one replica's scrapes
// do not stretch another's window.
type probe struct {
	m       *managerProc
	cpu0    int64
	t0      time.Time
	api0    apiCounts
	sockets []int
	rss     []int64 // VmRSS, about once a second
	res     replicaResults
}

// requestRates are a manager's API requests per second in its window.
type requestRates struct{ patch, post, get float64 }

// startProbe reads the manager's counters as the window opens and restarts
// its peak RSS, so the window's peak is told apart from start-up's.
func startProbe(m *managerProc, logf func(string, ...any)) (*probe, error) {
	p := &probe{m: m, api0: scrape(m.metrics)}
	p.res.startupPeakRSS = procStatus(m.pid())["VmHWM:"]
	if err := resetPeakRSS(m.pid()); err != nil {
		logf("peak RSS of the window includes start-up: %v", err)
	}
	var err error
	if p.cpu0, err = cpuTicks(m.pid()); err != nil {
		return nil, err
	}
	p.t0 = time.Now()
	return p, nil
}

// sample records the manager's sockets and RSS now.
func (p *probe) sample() {
	if n, err := socketCount(p.m.pid()); err == nil {
		p.sockets = append(p.sockets, n)
	}
	if now := procStatus(p.m.pid())["VmRSS:"]; now > 0 {
		p.rss = append(p.rss, now)
	}
}

// finish closes the probe's window: it fills p.res and returns the API
// requests the manager made per second.
func (p *probe) finish() (requestRates, error) {
	cpu1, err := cpuTicks(p.m.pid())
	if err != nil {
		return requestRates{}, err
	}
	elapsed := time.Since(p.t0).Seconds()
	r := &p.res
	r.peakBeforeScrape = procStatus(p.m.pid())["VmHWM:"]
	api1 := scrape(p.m.metrics)
	r.cpuCores = float64(cpu1-p.cpu0) / clockTicks / elapsed
	r.heapInuse, r.stackInuse, r.goroutines = api1.heapInuse, api1.stackInuse, api1.goroutines
	r.heapGoal, r.gogc, r.softLimit = api1.heapGoal, api1.gogc, api1.softLimit
	r.gcPerSec = (api1.gcCount - p.api0.gcCount) / elapsed
	r.lagP99, r.hostsOwned, r.members = api1.lagP99, api1.hostsOwned, api1.members
	st := procStatus(p.m.pid())
	r.peakRSS, r.rss, r.fileRSS = st["VmHWM:"], st["VmRSS:"], st["RssFile:"]
	r.socketsMean, r.socketsMax = meanMax(p.sockets)
	r.rssMedian = percentile(p.rss, 0.50)
	return requestRates{
		patch: (api1.patch - p.api0.patch) / elapsed,
		post:  (api1.post - p.api0.post) / elapsed,
		get:   (api1.get - p.api0.get) / elapsed,
	}, nil
}

// sampleAges reads every DockerHost and records now - lastPollTime.
func sampleAges(ctx context.Context, c client.Client, res *results) error {
	var hosts dockwatchv1.DockerHostList
	if err := c.List(ctx, &hosts, client.InNamespace(benchNamespace)); err != nil {
		return err
	}
	now := time.Now()
	notReady, never := 0, 0
	for _, h := range hosts.Items {
		if h.Status.LastPollTime == nil {
			never++
			continue
		}
		res.ages = append(res.ages, now.Sub(h.Status.LastPollTime.Time))
		if meta.IsStatusConditionFalse(h.Status.Conditions, dockwatchv1.ConditionReady) {
			notReady++
		}
	}
	res.notReady, res.neverPoll = max(res.notReady, notReady), max(res.neverPoll, never)
	return nil
}

// cpuTicks is the process's user+system time in clock ticks.
func cpuTicks(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read manager CPU time: %w", err)
	}
	// Fields after the parenthesised command name; utime and stime are 14 and 15.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime, nil
}

// procStatus reads the kB figures of /proc/<pid>/status in bytes, by
// their field name with its colon ("VmHWM:" is the peak RSS, "VmRSS:" the
// RSS now); nil when it cannot.
func procStatus(pid int) map[string]int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(raw), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 3 && fields[2] == "kB" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			out[fields[0]] = kb << 10
		}
	}
	return out
}

// resetPeakRSS restarts VmHWM at the current RSS (Linux >= 4.0), so the
// window's peak is told apart from the start-up one.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// socketCount counts the process's open sockets.
func socketCount(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(dir + "/" + e.Name()); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n, nil
}

// apiCounts are the manager's API requests by method, its lag p99 and its
// Go runtime's memory figures.
type apiCounts struct {
	patch, post, get      float64
	lagP99                string
	heapInuse, stackInuse int64
	heapGoal              int64
	gogc                  float64
	softLimit             bool
	goroutines            int
	gcCount               float64
	hostsOwned, members   int // with --sharding
}

// scrape reads the manager's metrics endpoint.
func scrape(addr string) apiCounts {
	var out apiCounts
	// At 1,000 hosts the page holds ~160,000 container series (20 listed
	// per host): on a busy machine it takes longer than 10 s.
	cl := http.Client{Timeout: time.Minute}
	resp, err := cl.Get("http://" + addr + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	var buckets [][2]float64
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		name, value, ok := metricLine(line)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(name, "rest_client_requests_total{") && strings.Contains(name, `method="PATCH"`):
			out.patch += value
		case strings.HasPrefix(name, "rest_client_requests_total{") && strings.Contains(name, `method="POST"`):
			out.post += value
		case strings.HasPrefix(name, "rest_client_requests_total{") && strings.Contains(name, `method="GET"`):
			out.get += value
		case strings.HasPrefix(name, "dockwatch_poll_lag_seconds_bucket{"):
			le := name[strings.Index(name, `le="`)+4:]
			bound, _ := strconv.ParseFloat(le[:strings.IndexByte(le, '"')], 64)
			if strings.HasPrefix(le, "+Inf") {
				bound = -1
			}
			buckets = append(buckets, [2]float64{bound, value})
		case name == "go_memstats_heap_inuse_bytes":
			out.heapInuse = int64(value)
		case name == "go_memstats_stack_inuse_bytes":
			out.stackInuse = int64(value)
		case name == "go_memstats_next_gc_bytes":
			out.heapGoal = int64(value)
		case name == "go_gc_gogc_percent":
			out.gogc = value
		case name == "go_gc_gomemlimit_bytes":
			out.softLimit = value < math.MaxInt64 // the runtime's "no limit"
		case name == "go_goroutines":
			out.goroutines = int(value)
		case name == "go_gc_duration_seconds_count":
			out.gcCount = value
		case name == "dockwatch_shard_hosts_owned":
			out.hostsOwned = int(value)
		case name == "dockwatch_shard_members":
			out.members = int(value)
		}
	}
	out.lagP99 = quantileBucket(buckets, 0.99)
	return out
}

// metricLine splits a Prometheus text line into series and value.
func metricLine(line string) (string, float64, bool) {
	if strings.HasPrefix(line, "#") {
		return "", 0, false
	}
	i := strings.LastIndexByte(line, ' ')
	if i < 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(line[i+1:], 64)
	return line[:i], v, err == nil
}

// quantileBucket names the histogram bucket holding quantile q ("≤ 5s").
func quantileBucket(buckets [][2]float64, q float64) string {
	if len(buckets) == 0 {
		return "n/a"
	}
	total := buckets[len(buckets)-1][1]
	for _, b := range buckets {
		if b[1] >= q*total {
			if b[0] < 0 {
				return "> 300s"
			}
			return fmt.Sprintf("<= %gs", b[0])
		}
	}
	return "n/a"
}

// meanMax of a series of counts.
func meanMax(xs []int) (float64, int) {
	if len(xs) == 0 {
		return 0, 0
	}
	sum := 0
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs)), slices.Max(xs)
}

// percentile of ordered values (nearest rank).
func percentile[T cmp.Ordered](xs []T, p float64) T {
	if len(xs) == 0 {
		var zero T
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// loadavg is the machine's 1-minute load average, to state load conditions.
func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(raw))[0]
}
