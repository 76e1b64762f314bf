package docker

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// TestHijackingCallsNeverReachTheDaemon proves the Client read-only by
// construction on the one path that bypasses RoundTrippers: the Docker
// library's hijack (attach, exec attach, DialHijack, Dialer) dials its own
// connection. The library is never told the daemon's address, so those
// dials fail before anything reaches the daemon, on plain TCP and on a unix
// socket alike.
func TestHijackingCallsNeverReachTheDaemon(t *testing.T) {
	var reached atomic.Int32
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_ping" && r.URL.Path != "/v1.41/version" && r.URL.Path != "/v1.41/info" {
			reached.Add(1)
		}
		newFakeHandler("1.41", webAndDB()...).ServeHTTP(w, r)
	})
	tcp := httptest.NewServer(handler)
	t.Cleanup(tcp.Close)
	sock := t.TempDir() + "/d.sock"
	listener, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	unixSrv := &httptest.Server{Listener: listener, Config: &http.Server{Handler: handler}}
	unixSrv.Start()
	t.Cleanup(unixSrv.Close)

	for _, endpoint := range []string{"tcp://" + tcp.Listener.Addr().String(), "unix://" + sock} {
		c := newTestClient(t, Config{Endpoint: endpoint})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := c.Ping(ctx); err != nil {
			t.Fatalf("%s: Ping through the guard: %v", endpoint, err)
		}
		attempts := map[string]error{}
		_, attempts["ContainerAttach"] = c.api().ContainerAttach(ctx, "web-1", container.AttachOptions{Stream: true, Stdin: true})
		_, attempts["ContainerExecAttach"] = c.api().ContainerExecAttach(ctx, "some-exec", container.ExecAttachOptions{})
		_, attempts["DialHijack"] = c.api().DialHijack(ctx, "/containers/web-1/attach?stream=1", "tcp", nil)
		_, attempts["Dialer"] = c.api().Dialer()(ctx)
		cancel()
		for name, err := range attempts {
			if err == nil {
				t.Errorf("%s: %s succeeded, want a failed dial", endpoint, name)
			}
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("%d hijacking requests reached a daemon", n)
	}
}
