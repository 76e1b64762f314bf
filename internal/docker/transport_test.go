package docker

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
)

func TestAllowedRequest(t *testing.T) {
	tests := []struct {
		method, path string
		allowed      bool
	}{
		{"HEAD", "/_ping", true},
		{"GET", "/_ping", true},
		{"GET", "/version", true},
		{"GET", "/v1.41/version", true},
		{"GET", "/v1.51/info", true},
		{"GET", "/v1.41/containers/json", true},
		{"GET", "/containers/abc123/json", true},
		{"GET", "/v1.24/containers/web-1/json", true},
		{"GET", "/v1.41/containers/abc123/stats", true},
		{"POST", "/v1.41/containers/create", false},
		{"POST", "/v1.41/containers/abc/start", false},
		{"POST", "/v1.41/containers/abc/exec", false},
		{"GET", "/v1.41/containers/abc/exec", false},
		{"DELETE", "/v1.41/containers/abc", false},
		{"PUT", "/v1.41/containers/abc/archive", false},
		{"PATCH", "/version", false},
		{"GET", "/v1.41/images/json", false},
		{"GET", "/v1.41/containers/abc/logs", false},
		{"GET", "/v1.41/containers/abc/archive", false},
		{"GET", "/v1.41/containers/abc/export", false},
		{"GET", "/v1.41/containers//stats", false},
		{"GET", "/v1.41/containers/abc/../../images/json", false},
		{"GET", "/v1.41/containers/abc/stats/", false},
		{"GET", "/containers/a/b/json", false},
		{"GET", "/v1.41", false},
		{"GET", "/vX/info", false},
		{"GET", "", false},
		{"GET", "/events", false},
		{"GET", "/secrets", false},
	}
	for _, tt := range tests {
		if got := allowedRequest(tt.method, tt.path); got != tt.allowed {
			t.Errorf("allowedRequest(%s %q) = %v, want %v", tt.method, tt.path, got, tt.allowed)
		}
	}
}

func TestReadOnlyTransportRefusesBeforeSending(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	httpClient := &http.Client{Transport: &readOnlyTransport{next: http.DefaultTransport}}

	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/v1.41/containers/x/exec"},
		{http.MethodDelete, "/v1.41/containers/x"},
		{http.MethodGet, "/v1.41/images/json"},
		{http.MethodPost, "/v1.41/containers/x/stop"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("{}"))
		_, err := httpClient.Do(req)
		refused, ok := errors.AsType[*RefusedRequestError](err)
		if !ok {
			t.Fatalf("%s %s: error %v, want a RefusedRequestError", tc.method, tc.path, err)
		}
		if refused.Method != tc.method || refused.Path != tc.path || !strings.Contains(err.Error(), tc.method+" "+tc.path) {
			t.Errorf("refusal %q does not name %s %s", err, tc.method, tc.path)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d refused requests reached the server", n)
	}

	for _, p := range []string{"/_ping", "/v1.41/containers/json", "/v1.41/containers/x/stats?stream=0"} {
		resp, err := httpClient.Get(srv.URL + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		_ = resp.Body.Close()
	}
	if n := reached.Load(); n != 3 {
		t.Errorf("%d allowed requests reached the server, want 3", n)
	}
}

// The guard sits under the Docker client itself, so even its mutating
// methods cannot reach the daemon.
func TestClientCannotMutateTheDaemon(t *testing.T) {
	var mutations atomic.Int32
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	fake.hang = func(p string) bool {
		if !strings.HasSuffix(p, "/json") && !strings.HasSuffix(p, "/stats") && p != "/_ping" && p != "/version" && p != "/info" {
			mutations.Add(1)
		}
		return false
	}
	c := newTestClient(t, Config{Endpoint: endpoint})
	ctx := context.Background()
	attempts := map[string]error{
		"remove":  c.api().ContainerRemove(ctx, "web-1", container.RemoveOptions{Force: true}),
		"stop":    c.api().ContainerStop(ctx, "web-1", container.StopOptions{}),
		"kill":    c.api().ContainerKill(ctx, "web-1", "KILL"),
		"restart": c.api().ContainerRestart(ctx, "web-1", container.StopOptions{}),
	}
	_, attempts["exec"] = c.api().ContainerExecCreate(ctx, "web-1", container.ExecOptions{Cmd: []string{"sh"}})
	_, attempts["images"] = c.api().ImageList(ctx, image.ListOptions{})
	_, attempts["logs"] = c.api().ContainerLogs(ctx, "web-1", container.LogsOptions{ShowStdout: true})
	for name, err := range attempts {
		if _, ok := errors.AsType[*RefusedRequestError](err); !ok {
			t.Errorf("%s: error %v, want a RefusedRequestError", name, err)
		}
	}
	if n := mutations.Load(); n != 0 {
		t.Errorf("%d refused requests reached the daemon", n)
	}
	if _, err := c.Ping(ctx); err != nil {
		t.Errorf("allowed Ping failed: %v", err)
	}
}
