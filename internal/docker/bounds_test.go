package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

func TestBodyCapByPath(t *testing.T) {
	tests := []struct {
		path string
		cap  int64
		what string
		held bool
	}{
		{"/_ping", maxPingBytes, "ping", false},
		{"/version", maxVersionBytes, "/version", false},
		{"/info", maxInfoBytes, "/info", false},
		{"/containers/json", maxListBytes, "container list", true},
		{"/containers/abc/json", maxInspectBytes, "inspect", false},
		{"/containers/abc/stats", maxStatsBytes, "stats document", false},
	}
	for _, tt := range tests {
		limit, what, held := bodyCap(stripVersion("/v1.41" + tt.path))
		if limit != tt.cap || what != tt.what || held != tt.held {
			t.Errorf("bodyCap(%s) = %d %q %v, want %d %q %v", tt.path, limit, what, held, tt.cap, tt.what, tt.held)
		}
	}
}

// realisticSummary is one container as Engine 20.10 lists it for a Compose
// service: ports, a network, mounts and Compose's labels (about 1.6 KiB).
func realisticSummary(i int) container.Summary {
	name := fmt.Sprintf("shop-checkout-worker-%05d", i)
	return container.Summary{
		ID: containerID(name), Names: []string{"/" + name}, Image: "registry.example.com/shop/checkout:2026.11.3",
		ImageID: "sha256:" + containerID("image"), Command: "/usr/local/bin/checkout --config /etc/checkout/config.yaml",
		Created: 1764600000, State: container.StateRunning, Status: "Up 3 days (healthy)",
		Ports: []container.Port{{IP: "0.0.0.0", PrivatePort: 8080, PublicPort: uint16(20000 + i%40000), Type: "tcp"}},
		Labels: map[string]string{
			"com.docker.compose.project": "shop", "com.docker.compose.service": "checkout-worker",
			"com.docker.compose.container-number": fmt.Sprint(i), "com.docker.compose.oneoff": "False",
			"com.docker.compose.config-hash":          containerID("config"),
			"com.docker.compose.project.config_files": "/srv/shop/docker-compose.yml",
			"com.docker.compose.project.working_dir":  "/srv/shop", "com.docker.compose.version": "2.24.5",
			"org.opencontainers.image.source": "https://git.example.com/shop/checkout",
		},
		NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
			"shop_default": {NetworkID: containerID("net"), EndpointID: containerID(name + "ep"), Gateway: "172.18.0.1",
				IPAddress: "172.18.3.4", IPPrefixLen: 16, MacAddress: "02:42:ac:12:03:04"},
		}},
		Mounts: []container.MountPoint{{Type: "volume", Name: "shop_data", Source: "/var/lib/docker/volumes/shop_data/_data",
			Destination: "/data", Driver: "local", Mode: "rw", RW: true}},
	}
}

// TestFiveThousandContainerListFitsItsCap lists 5,000 realistic Compose
// containers through the guard: the answer must stay well inside the list
// cap, however hostile lists are cut.
func TestFiveThousandContainerListFitsItsCap(t *testing.T) {
	list := make([]container.Summary, 5000)
	for i := range list {
		list[i] = realisticSummary(i)
	}
	raw, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > maxListBytes/2 {
		t.Errorf("5,000 realistic containers list in %d bytes, more than half the %d cap", len(raw), maxListBytes)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		_, _ = w.Write(raw)
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, Config{Endpoint: "tcp://" + srv.Listener.Addr().String()})
	ctx, release := withPollBudget(context.Background())
	defer release()
	got, err := c.listContainers(ctx, false)
	if err != nil || len(got) != 5000 {
		t.Fatalf("list of 5,000: %d containers, %v", len(got), err)
	}
	// A poll keeps only what it uses of each summary.
	want := realisticSummary(4999)
	if last := got[4999]; last.ID != want.ID || last.Name != "shop-checkout-worker-04999" || last.Image != want.Image ||
		last.State != want.State || len(last.Labels) != len(want.Labels) {
		t.Errorf("kept %+v of %+v", last, want)
	}
	t.Logf("5,000 Compose containers: %d bytes listed (cap %d)", len(raw), maxListBytes)
}

// TestPollBudgetFailsAPollThatReadsTooMuch shows the per-poll budget is
// shared by every answer of one poll, and that the error names it.
func TestPollBudgetFailsAPollThatReadsTooMuch(t *testing.T) {
	ctx, release := withPollBudget(context.Background())
	defer release()
	pollBudgetFrom(ctx).read.Store(maxPollBytes - 10)
	body := &boundedBody{body: http.NoBody, ctx: ctx, path: "/containers/x/stats", what: "stats document", limit: maxStatsBytes, poll: pollBudgetFrom(ctx)}
	err := body.account(100)
	tooLarge, ok := errors.AsType[*BodyTooLargeError](err)
	if !ok || tooLarge.What != "per-poll budget" || !strings.Contains(err.Error(), "per-poll budget cap of 128MiB") {
		t.Fatalf("account past the poll budget: %v, want a per-poll budget error", err)
	}
}

// TestInFlightBoundMakesReadersWait takes the whole process-wide bound, as
// many hostile hosts at once would: a large answer then waits for room (and
// gives up at its deadline, saying why), while small answers still pass.
func TestInFlightBoundMakesReadersWait(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		if strings.HasSuffix(r.URL.Path, "/info") {
			_, _ = fmt.Fprintf(w, `{"OSType":"linux","OperatingSystem":%q}`, big)
			return
		}
		_, _ = w.Write([]byte(`{"ApiVersion":"1.41","Version":"20.10.24"}`))
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, Config{Endpoint: "tcp://" + srv.Listener.Addr().String()})
	if err := inFlight.Acquire(context.Background(), maxInFlightBytes); err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			inFlight.Release(maxInFlightBytes)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := c.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "process-wide bound") || !strings.Contains(err.Error(), "GET /info") {
		t.Fatalf("Ping with the in-flight bound taken: %v, want a wait on the process-wide bound for /info", err)
	}
	inFlight.Release(maxInFlightBytes)
	released = true
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping once the bound is free: %v", err)
	}
}
