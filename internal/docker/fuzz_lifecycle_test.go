package docker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// Fuzz targets for the lifecycle path's decoders: the inspect answer as
// InspectState reads it, and the /events stream through the client. Both
// vary the HTTP status as well as the body.

// answerOn is answer with status and body on the paths of kind.
func answerOn(kind string, status int, body []byte) cannedTransport {
	healthy := healthyAnswer(kind, body)
	return func(req *http.Request) (int, http.Header, []byte) {
		if _, what, _ := bodyCap(stripVersion(req.URL.Path)); what == kind {
			return status, http.Header{"Api-Version": {"1.41"}, "Content-Type": {"application/json"}}, body
		}
		return healthy(req)
	}
}

// fuzzStatus keeps a fuzzed status a valid HTTP status.
func fuzzStatus(status int) int {
	if status < 100 || status > 599 {
		return 200
	}
	return status
}

func FuzzInspectState(f *testing.F) {
	f.Add(200, fakeBody(f, "/v1.41/containers/"+containerID("web-1")+"/json"))
	f.Add(200, []byte(`{"Id":"x","Name":"//a","RestartCount":-3,"State":{"Status":"restarting","OOMKilled":true,"ExitCode":137,`+
		`"StartedAt":"2026-12-01T21:00:00.123456789Z","FinishedAt":"0001-01-01T00:00:00Z",`+
		`"Health":{"Status":"unhealthy","FailingStreak":4,"Log":[null,{"Output":"boom"}]}}}`))
	f.Add(200, []byte(`{"Id":"x","State":{"StartedAt":"yesterday","FinishedAt":"99999-01-01T00:00:00Z","Health":{"Log":[null]}}}`))
	f.Add(200, []byte(`{"Id":"x","Config":null,"HostConfig":null,"State":null}`))
	f.Add(404, []byte(`{"message":"No such container: x"}`))
	f.Add(500, []byte(`{"message":"`+strings.Repeat("e", 8<<10)+`"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = fuzzStatus(status)
		c := fuzzClient(t, answerOn("inspect", status, body))
		s, err := c.InspectState(context.Background(), "x")
		if status == 200 {
			checkBounded(t, err, body, maxInspectBytes)
		}
		if status == http.StatusNotFound && err != nil && !errors.Is(err, ErrContainerGone) {
			t.Fatalf("a 404 is not ErrContainerGone: %v", err)
		}
		if status >= 400 && err == nil {
			t.Fatalf("status %d was taken as an inspect answer: %+v", status, s)
		}
		if err != nil {
			return
		}
		for _, at := range []time.Time{s.StartedAt, s.FinishedAt} {
			if !at.IsZero() && at.Year() <= 1 {
				t.Fatalf("Docker's \"never\" came through as %v", at)
			}
		}
	})
}

func FuzzContainerEvents(f *testing.F) {
	t0 := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	line := func(action, id string, at time.Time) string {
		return fmt.Sprintf(`{"Type":"container","Action":%q,"Actor":{"ID":%q,"Attributes":{"name":"web","exitCode":"1"}},"time":%d,"timeNano":%d}`+"\n",
			action, id, at.Unix(), at.UnixNano())
	}
	f.Add(200, []byte(line("die", "c1", t0)+line("health_status: unhealthy", "c2", t0.Add(time.Second))))
	f.Add(200, []byte(line("start", "c1", t0)+"garbage\n"+line("die", "c1", t0.Add(2*time.Hour))))
	f.Add(200, []byte(`{"Type":"network","Action":"connect"}`+"\n"+`{"status":"die","id":"abc","time":1}`))
	f.Add(200, []byte(strings.Repeat(`{"Action":"die","Actor":{"ID":"`, 100)))
	f.Add(400, []byte(`{"message":"invalid filter"}`))
	f.Add(500, []byte(strings.Repeat("x", 16<<10)))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = fuzzStatus(status)
		c := fuzzClient(t, answerOn("event log", status, body))
		until := t0.Add(time.Hour)
		lim := eventlog.Limits{MaxEvents: 16, MaxBytes: 8 << 10}
		res, err := c.ContainerEvents(context.Background(), t0, until, lim)
		if status != 200 {
			if err == nil {
				t.Fatalf("status %d was read as an event log", status)
			}
			if n := len(err.Error()); n > maxEventsErrorBytes+1024 {
				t.Fatalf("a refusal's error is %d bytes", n)
			}
			return
		}
		if err != nil {
			return // the ping or version on the way failed: an error is the right answer
		}
		if len(res.Events) > lim.MaxEvents || res.Bytes > lim.MaxBytes {
			t.Fatalf("kept %d events from %d bytes, bounds %d and %d", len(res.Events), res.Bytes, lim.MaxEvents, lim.MaxBytes)
		}
		for _, ev := range res.Events {
			if ev.ContainerID == "" || ev.Time.After(until) {
				t.Fatalf("kept an event without an ID or past until: %+v", ev)
			}
		}
	})
}
