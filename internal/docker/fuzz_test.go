package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Fuzz targets for every decoder that takes daemon bytes in this package:
// the container list, inspect, /version and /info, the ping headers, and
// the stats answer. Each feeds the bytes through the real Client (guard,
// caps, the Docker library's decoding and our use of the result) over an
// in-memory transport, and checks nothing panics and every bound holds.

// cannedTransport answers every request from answer, without a network.
type cannedTransport func(req *http.Request) (status int, header http.Header, body []byte)

func (f cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	status, header, body := f(req)
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// fuzzClient is a Client whose daemon is answer.
func fuzzClient(t *testing.T, answer cannedTransport) *Client {
	t.Helper()
	c, err := New(Config{Endpoint: "tcp://127.0.0.1:9", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.guard.next = answer
	return c
}

// healthyAnswer serves fakeDaemon's documents, with body for kind.
func healthyAnswer(kind string, body []byte) cannedTransport {
	fake := newFakeHandler("1.41", webAndDB()...)
	return func(req *http.Request) (int, http.Header, []byte) {
		p := stripVersion(req.URL.Path)
		if _, what, _ := bodyCap(p); what == kind {
			return 200, http.Header{"Api-Version": {"1.41"}, "Ostype": {"linux"}}, body
		}
		rec := &recorder{header: http.Header{}}
		fake.ServeHTTP(rec, req)
		return rec.status(), rec.header, rec.body.Bytes()
	}
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) status() int {
	if r.code == 0 {
		return 200
	}
	return r.code
}

// fakeBody is what the fake daemon answers on path.
func fakeBody(t testing.TB, path string) []byte {
	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest(http.MethodGet, "http://fake"+path, nil)
	newFakeHandler("1.41", webAndDB()...).ServeHTTP(rec, req)
	return rec.body.Bytes()
}

// checkBounded fails when a decoder accepted more than its cap.
func checkBounded(t *testing.T, err error, body []byte, limit int) {
	t.Helper()
	if err == nil && len(body) > limit {
		t.Fatalf("a %d-byte answer was accepted past its %d-byte cap", len(body), limit)
	}
	if len(body) > limit {
		if _, ok := errors.AsType[*BodyTooLargeError](err); !ok && !strings.Contains(err.Error(), "cap") {
			t.Fatalf("a %d-byte answer failed without naming the cap: %v", len(body), err)
		}
	}
}

func FuzzContainerList(f *testing.F) {
	f.Add(fakeBody(f, "/v1.41/containers/json"))
	raw, _ := json.Marshal([]container.Summary{realisticSummary(0), realisticSummary(1)})
	f.Add(raw)
	f.Add([]byte(`[{"Id":"x","Names":["/a/b","/"],"State":"running"},{"Names":null}]`))
	f.Add([]byte(`[{"Id":"` + strings.Repeat("f", 64) + `","Names":["/`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzClient(t, healthyAnswer("container list", body))
		ctx, release := withPollBudget(context.Background())
		defer release()
		list, err := c.listContainers(ctx, true)
		checkBounded(t, err, body, maxListBytes)
		if err != nil {
			return
		}
		sel, _ := ParseSelection([]string{"*"}, []string{"x*"}, "tier=web", true)
		selected := selectContainers(list, sel)
		for i := 1; i < len(selected); i++ {
			if selected[i-1].Name > selected[i].Name {
				t.Fatalf("selection not sorted by name: %q before %q", selected[i-1].Name, selected[i].Name)
			}
		}
		if n := countRunning(list); n > len(list) {
			t.Fatalf("%d running of %d listed", n, len(list))
		}
	})
}

func FuzzInspect(f *testing.F) {
	f.Add(fakeBody(f, "/v1.41/containers/"+containerID("web-1")+"/json"))
	f.Add([]byte(`{"Id":"x","HostConfig":{"NanoCpus":-5,"CpuQuota":9223372036854775807,"CpuPeriod":-1}}`))
	f.Add([]byte(`{"Id":"x","HostConfig":null,"State":{"Pid":-1}}`))
	f.Add([]byte(`{"message":"No such container"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzClient(t, healthyAnswer("inspect", body))
		limit, err := c.cpuLimit(context.Background(), "x", "x")
		checkBounded(t, err, body, maxInspectBytes)
		if err == nil && (limit < 0 || limit != limit) {
			t.Fatalf("CPU limit %v from inspect", limit)
		}
	})
}

func FuzzDaemonInfo(f *testing.F) {
	f.Add(fakeBody(f, "/v1.41/version"), fakeBody(f, "/v1.41/info"))
	f.Add([]byte(`{"ApiVersion":"1.40","Os":"windows"}`), []byte(`{"NCPU":-1,"MemTotal":-9,"OSType":""}`))
	f.Add([]byte(`{"ApiVersion":"x.y"}`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, version, info []byte) {
		answer := healthyAnswer("/version", version)
		c := fuzzClient(t, func(req *http.Request) (int, http.Header, []byte) {
			if stripVersion(req.URL.Path) == "/info" {
				return 200, nil, info
			}
			return answer(req)
		})
		_, err := c.Ping(context.Background())
		if err != nil && len(version) <= maxVersionBytes && len(info) <= maxInfoBytes {
			return // malformed: an error is the right answer
		}
		if err == nil && (len(version) > maxVersionBytes || len(info) > maxInfoBytes) {
			t.Fatalf("Ping accepted a %d-byte /version and a %d-byte /info", len(version), len(info))
		}
	})
}

func FuzzPing(f *testing.F) {
	f.Add("1.41", "linux", 200, []byte("OK"))
	f.Add("1.23", "", 200, []byte(""))
	f.Add("99999999999999999999.1", "windows", 500, []byte(`{"message":"boom"}`))
	f.Add("", "linux", 200, []byte("OK"))
	f.Fuzz(func(t *testing.T, apiVersion, osType string, status int, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		c := fuzzClient(t, func(req *http.Request) (int, http.Header, []byte) {
			if stripVersion(req.URL.Path) == "/_ping" {
				return status, http.Header{"Api-Version": {apiVersion}, "Ostype": {osType}}, body
			}
			return 200, nil, fakeBody(t, req.URL.Path)
		})
		v, err := c.negotiate(context.Background())
		if err == nil && v == "" {
			t.Fatalf("negotiated an empty API version from %q", apiVersion)
		}
	})
}

func FuzzStatsAnswer(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "stats", "testdata", "stats-*.json"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	raw, _ := json.Marshal(fakeSample(3, true))
	f.Add(raw)
	f.Add([]byte(`{"read":"2026-12-01T21:00:00Z","cpu_stats":{"online_cpus":1},"name":"/`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzClient(t, healthyAnswer("stats document", body))
		sample, _, err := c.fetchStats(context.Background(), "x", "x", true)
		checkBounded(t, err, body, maxStatsBytes)
		if err == nil && sample.Read.IsZero() {
			t.Fatalf("an empty sample was accepted")
		}
	})
}
