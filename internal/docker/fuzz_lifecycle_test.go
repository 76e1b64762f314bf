package docker

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the lifecycle path's decoders: the inspect answer as
// InspectState reads it. They vary the HTTP status as well as the body.

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
