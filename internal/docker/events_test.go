package docker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// eventsDaemon is a fake Engine API serving /_ping and an /events answer
// written by events; it records the last /events query.
type eventsDaemon struct {
	events func(w http.ResponseWriter, r *http.Request)

	mu    sync.Mutex
	query string
}

func (d *eventsDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", "1.41")
	if strings.HasSuffix(r.URL.Path, "/_ping") {
		_, _ = w.Write([]byte("OK"))
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/events") {
		http.NotFound(w, r)
		return
	}
	d.mu.Lock()
	d.query = r.URL.RawQuery
	d.mu.Unlock()
	d.events(w, r)
}

func eventLine(action, id string, at time.Time, attrs string) string {
	return fmt.Sprintf(`{"Type":"container","Action":%q,"Actor":{"ID":%q,"Attributes":{"name":"web"%s}},"time":%d,"timeNano":%d}`+"\n",
		action, id, attrs, at.Unix(), at.UnixNano())
}

func newEventsClient(t *testing.T, d *eventsDaemon, timeout time.Duration) *Client {
	t.Helper()
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoint: "tcp://" + srv.Listener.Addr().String(), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestContainerEventsAsksForAWindowOfContainerEventsAndDecodesThem(t *testing.T) {
	since, until := time.Unix(1700000000, 5), time.Unix(1700000030, 123456789)
	d := &eventsDaemon{events: func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprint(w, eventLine("oom", "c1", since.Add(time.Second), "")+
			eventLine("die", "c1", since.Add(time.Second+time.Millisecond), `,"exitCode":"137"`))
	}}
	res, err := newEventsClient(t, d, 5*time.Second).ContainerEvents(context.Background(), since, until, eventlog.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 2 || res.Cut != eventlog.CutNone || res.Events[1].ExitCode != "137" {
		t.Fatalf("ContainerEvents = %+v, want oom then die 137", res)
	}
	q, _ := url.ParseQuery(d.query)
	if q.Get("since") != "1700000000.000000005" || q.Get("until") != "1700000030.123456789" || q.Get("filters") != eventsFilter {
		t.Errorf("query = %v, want since, until and the container filter", q)
	}
}

func TestContainerEventsOfATruncatedStreamKeepsTheWholeLines(t *testing.T) {
	at := time.Now()
	d := &eventsDaemon{events: func(w http.ResponseWriter, _ *http.Request) {
		half := eventLine("start", "c1", at, "")
		_, _ = fmt.Fprint(w, eventLine("die", "c1", at, `,"exitCode":"1"`)+half[:20])
	}}
	res, err := newEventsClient(t, d, 5*time.Second).ContainerEvents(context.Background(), at.Add(-time.Minute), at.Add(time.Second), eventlog.Limits{})
	if err != nil || len(res.Events) != 1 || res.Malformed != 1 {
		t.Fatalf("ContainerEvents = %+v, %v; want one event and the half line counted malformed", res, err)
	}
}

func TestContainerEventsStopsWhenTheDaemonIgnoresUntil(t *testing.T) {
	until := time.Now()
	d := &eventsDaemon{events: func(w http.ResponseWriter, r *http.Request) {
		for i := 0; r.Context().Err() == nil; i++ {
			if _, err := fmt.Fprint(w, eventLine("start", "c1", until.Add(time.Duration(i-2)*time.Second), "")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(time.Millisecond)
		}
	}}
	res, err := newEventsClient(t, d, 5*time.Second).ContainerEvents(context.Background(), until.Add(-time.Minute), until, eventlog.Limits{})
	if err != nil || res.Cut != eventlog.CutUntil || len(res.Events) != 3 {
		t.Fatalf("ContainerEvents = cut %q, %d events, %v; want CutUntil after the 3 events up to until", res.Cut, len(res.Events), err)
	}
}

func TestContainerEventsOfASilentDaemonThatIgnoresUntilEndsAtTheDeadline(t *testing.T) {
	d := &eventsDaemon{events: func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprint(w, eventLine("die", "c1", time.Now().Add(-time.Second), `,"exitCode":"1"`))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never ends the answer
	}}
	start := time.Now()
	res, err := newEventsClient(t, d, 300*time.Millisecond).ContainerEvents(context.Background(), start.Add(-time.Minute), start, eventlog.Limits{})
	if err != nil || res.Cut != eventlog.CutError || len(res.Events) != 1 {
		t.Fatalf("ContainerEvents = cut %q, %d events, %v; want the event, then CutError at the deadline", res.Cut, len(res.Events), err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s, want it ended by the 300ms per-call timeout", took)
	}
}

func TestContainerEventsOfAHugeBodyStopsAtMaxBytes(t *testing.T) {
	at := time.Now()
	d := &eventsDaemon{events: func(w http.ResponseWriter, r *http.Request) {
		line := eventLine("die", "c1", at.Add(-time.Second), `,"exitCode":"1"`)
		for r.Context().Err() == nil {
			if _, err := fmt.Fprint(w, line); err != nil {
				return
			}
		}
	}}
	res, err := newEventsClient(t, d, 5*time.Second).ContainerEvents(context.Background(), at.Add(-time.Minute), at,
		eventlog.Limits{MaxEvents: 1 << 20, MaxBytes: 256 << 10})
	if err != nil || res.Cut != eventlog.CutMaxBytes || res.Bytes != 256<<10 {
		t.Fatalf("ContainerEvents = cut %q after %d bytes, %v; want CutMaxBytes at 262144", res.Cut, res.Bytes, err)
	}
}

func TestContainerEventsReportsARefusal(t *testing.T) {
	d := &eventsDaemon{events: func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"message":"bad filter"}`, http.StatusBadRequest)
	}}
	_, err := newEventsClient(t, d, 5*time.Second).ContainerEvents(context.Background(), time.Now().Add(-time.Minute), time.Now(), eventlog.Limits{})
	if err == nil || !strings.Contains(err.Error(), "read container events") || !strings.Contains(err.Error(), "bad filter") {
		t.Fatalf("err = %v, want the operation and the daemon's message", err)
	}
}

func TestReadOnlyTransportAllowsTheEventLogOnlyWithUntil(t *testing.T) {
	tests := []struct {
		method, path, query string
		allowed             bool
	}{
		{"GET", "/v1.41/events", "since=1&until=2.5&filters=%7B%7D", true},
		{"GET", "/events", "until=1700000000.000000001", true},
		{"GET", "/v1.41/events", "since=1", false},
		{"GET", "/v1.41/events", "since=1&stream=false", true},
		{"GET", "/v1.41/events", "stream=false", false},
		{"GET", "/v1.41/events", "since=1&stream=true", false},
		{"GET", "/v1.41/events", "", false},
		{"GET", "/v1.41/events", "until=", false},
		{"GET", "/v1.41/events", "until=soon", false},
		{"GET", "/v1.41/events", "until=%zz", false},
		{"POST", "/v1.41/events", "until=2", false},
		{"DELETE", "/v1.41/events", "until=2", false},
		{"HEAD", "/v1.41/events", "until=2", false},
		{"HEAD", "/events", "since=1&until=2.5", false},
		{"HEAD", "/v1.41/events", "", false},
		{"HEAD", "/v1.41/containers/json", "", true},
		{"GET", "/v1.41/events/", "until=2", false},
		{"GET", "/v1.41/containers/abc/stats", "until=2", true},
		{"POST", "/v1.41/containers/abc/start", "until=2", false},
	}
	for _, tt := range tests {
		if got := allowedRequest(tt.method, tt.path, tt.query); got != tt.allowed {
			t.Errorf("allowedRequest(%s %s?%s) = %v, want %v", tt.method, tt.path, tt.query, got, tt.allowed)
		}
	}
}

func TestReadOnlyTransportRefusesAnEventStreamWithoutUntilBeforeSending(t *testing.T) {
	reached := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	defer srv.Close()
	httpClient := &http.Client{Transport: &readOnlyTransport{next: http.DefaultTransport}}
	_, err := httpClient.Get(srv.URL + "/v1.41/events?since=0")
	if _, refused := errors.AsType[*RefusedRequestError](err); !refused || reached {
		t.Fatalf("err = %v, reached = %v; want a RefusedRequestError before sending", err, reached)
	}
}

// TestEventsQueryByEngine: Docker gets the window and eventsFilter; Podman
// no until (it stops reading at until's wall-clock time, so a past window
// came back empty live), stream=false and its own action names.
func TestEventsQueryByEngine(t *testing.T) {
	since, until := time.Unix(1700000000, 5), time.Unix(1700000030, 123456789)
	tests := []struct {
		engine string
		want   url.Values
	}{
		{EngineDocker, url.Values{"since": {"1700000000.000000005"}, "until": {"1700000030.123456789"}, "filters": {eventsFilter}}},
		{"", url.Values{"since": {"1700000000.000000005"}, "until": {"1700000030.123456789"}, "filters": {eventsFilter}}},
		{EnginePodman, url.Values{"since": {"1700000000.000000005"}, "stream": {"false"}, "filters": {podmanEventsFilter}}},
	}
	for _, tt := range tests {
		got := eventsQuery(tt.engine, since, until)
		if got.Encode() != tt.want.Encode() {
			t.Errorf("eventsQuery(%q) = %v, want %v", tt.engine, got, tt.want)
		}
		if !allowedRequest("GET", "/v1.41/events", got.Encode()) {
			t.Errorf("eventsQuery(%q) = %v is refused by the read-only transport", tt.engine, got)
		}
	}
}

func TestAsDockerActionsRenamesPodmansRemoveOnly(t *testing.T) {
	tests := []struct {
		engine, action, want string
	}{
		{EnginePodman, "remove", eventlog.ActionDestroy},
		{EnginePodman, "die", eventlog.ActionDie},
		{EngineDocker, "remove", "remove"},
	}
	for _, tt := range tests {
		res := eventlog.Result{Events: []eventlog.Event{{Action: tt.action}}}
		asDockerActions(tt.engine, &res)
		if got := res.Events[0].Action; got != tt.want {
			t.Errorf("asDockerActions(%q, %q) = %q, want %q", tt.engine, tt.action, got, tt.want)
		}
	}
}
