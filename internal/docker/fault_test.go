package docker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
	"github.com/dockwatch/dockwatch/internal/stats"
)

// The fault suite: daemons that are broken or hostile on purpose (package
// dockertest's HostileAPI), each of which must cost only its own poll, and
// never the process its memory or a deadline.

// faultPollTimeout is the poll deadline of the fault suite.
const faultPollTimeout = 3 * time.Second

// hostilePoll polls a hostile fake once under faultPollTimeout and fails
// the test when the poll outlives its deadline.
func hostilePoll(t *testing.T, endpoint string) (*Snapshot, error) {
	t.Helper()
	c := newTestClient(t, Config{Endpoint: endpoint, Timeout: faultPollTimeout})
	ctx, cancel := context.WithTimeout(context.Background(), faultPollTimeout)
	defer cancel()
	start := time.Now()
	snap, err := c.Snapshot(ctx, Selection{})
	if took := time.Since(start); took > faultPollTimeout+time.Second {
		t.Errorf("poll took %s, past its %s deadline", took.Round(time.Millisecond), faultPollTimeout)
	}
	return snap, err
}

// pollProblem is what a poll reports as wrong: its error, or else its first
// skipped container's.
func pollProblem(snap *Snapshot, err error) error {
	if err != nil {
		return err
	}
	if snap != nil && len(snap.Skipped) > 0 {
		return snap.Skipped[0].Err
	}
	return nil
}

// TestFaultEndlessAndOversizedBodiesOnEveryPath serves, on each path in
// turn, a body that never ends and a well-formed one larger than any cap.
// Every one is cut with an error naming the path and its cap; only ping's
// body, which the Docker library reads at most 512 bytes of, is harmless.
func TestFaultEndlessAndOversizedBodiesOnEveryPath(t *testing.T) {
	for _, fault := range []dockertest.Fault{dockertest.Endless, dockertest.Oversized} {
		for _, path := range dockertest.HostilePaths {
			name := map[dockertest.Fault]string{dockertest.Endless: "endless", dockertest.Oversized: "oversized"}[fault]
			t.Run(name+" "+path, func(t *testing.T) {
				h := dockertest.NewHostileAPI(t, "box", 3)
				h.SetFault(path, fault)
				snap, err := hostilePoll(t, h.Host)
				problem := pollProblem(snap, err)
				if path == dockertest.PathPing {
					if problem != nil {
						t.Fatalf("a ping body is never read past 512 bytes, yet the poll failed: %v", problem)
					}
					return
				}
				tooLarge, ok := errors.AsType[*BodyTooLargeError](problem)
				if !ok {
					t.Fatalf("poll problem %v, want a BodyTooLargeError", problem)
				}
				if tooLarge.Path == "" || !strings.Contains(problem.Error(), "GET "+tooLarge.Path+" exceeded the "+tooLarge.What+" cap of") {
					t.Errorf("error %q does not name the path %s and its cap", problem, path)
				}
			})
		}
	}
}

// TestFaultHungContainerIsSkippedAndSiblingsMeasured has one container whose
// stats never answer beside four healthy ones: the poll succeeds before its
// deadline, the hung one skipped with a message saying why.
func TestFaultHungContainerIsSkippedAndSiblingsMeasured(t *testing.T) {
	h := dockertest.NewHostileAPI(t, "svc", 5)
	h.HangStatsOf(0)
	snap, err := hostilePoll(t, h.Host)
	if err != nil {
		t.Fatalf("one hung container failed the poll: %v", err)
	}
	if len(snap.Containers) != 4 || len(snap.Skipped) != 1 || snap.Skipped[0].Name != "svc-0" {
		t.Fatalf("containers %d, skipped %+v: want 4 measured and svc-0 skipped", len(snap.Containers), snap.Skipped)
	}
	if msg := snap.Skipped[0].Err.Error(); !strings.Contains(msg, "per-container share of the poll deadline") {
		t.Errorf("skip reason %q does not say the container's deadline passed", msg)
	}
	for _, cs := range snap.Containers {
		if cs.CPUPercent == nil || *cs.CPUPercent != dockertest.FakeCPUPercent {
			t.Errorf("%s: CPU %v on the first poll, want %v from a second sample", cs.Name, cs.CPUPercent, dockertest.FakeCPUPercent)
		}
	}
}

// TestFaultDaemonsThatNeverFinishAnswering covers daemons that accept and
// never answer, send headers slowly or without end, or break off their
// JSON, on every path: each poll ends before its deadline with an error (or
// a skipped container) that says what happened, never a hang.
func TestFaultDaemonsThatNeverFinishAnswering(t *testing.T) {
	// Each fault's problem must say what went wrong, in one of the words
	// the call that met it uses: a deadline (our own wording when the
	// per-call timeout or the container's share of the poll caught it),
	// the header bound, or JSON that broke off.
	deadline := []string{"no answer within", "context deadline exceeded", "timeout awaiting response headers"}
	faults := map[string]struct {
		fault dockertest.Fault
		want  []string
	}{
		"hang":            {dockertest.Hang, deadline},
		"slow headers":    {dockertest.SlowHeaders, deadline},
		"endless headers": {dockertest.EndlessHeaders, []string{"server response headers exceeded"}},
		"malformed":       {dockertest.Malformed, []string{"unexpected EOF", "unexpected end of JSON input", "malformed"}},
	}
	for name, tc := range faults {
		for _, path := range dockertest.HostilePaths {
			t.Run(name+" "+path, func(t *testing.T) {
				h := dockertest.NewHostileAPI(t, "box", 2)
				h.SetFault(path, tc.fault)
				problem := pollProblem(hostilePoll(t, h.Host))
				if path == dockertest.PathPing && tc.fault == dockertest.Malformed {
					return // "OK" cut off is still a ping; nothing to decode
				}
				if problem == nil {
					t.Fatalf("the poll reported nothing wrong")
				}
				if msg := problem.Error(); !slices.ContainsFunc(tc.want, func(w string) bool { return strings.Contains(msg, w) }) ||
					!strings.Contains(msg, h.Host) {
					t.Errorf("problem %q names neither of %q, or not the endpoint %s", msg, tc.want, h.Host)
				}
				if tc.fault == dockertest.Malformed && path == dockertest.PathStats && !errors.Is(problem, stats.ErrMalformedStats) {
					t.Errorf("malformed stats: %v, want ErrMalformedStats", problem)
				}
			})
		}
	}
}

// TestFaultDowngradeRenegotiates serves API 1.41, then (as after a rollback)
// 1.40, refusing 1.41 requests as too new: the next poll negotiates 1.40
// and succeeds instead of failing until a restart.
func TestFaultDowngradeRenegotiates(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	c := newTestClient(t, Config{Endpoint: endpoint})
	if snap := mustSnapshot(t, c, Selection{}); snap.Daemon.NegotiatedAPIVersion != "1.41" {
		t.Fatalf("negotiated %s, want 1.41", snap.Daemon.NegotiatedAPIVersion)
	}
	fake.setAPIVersion("1.40")
	snap := mustSnapshot(t, c, Selection{})
	if snap.Daemon.NegotiatedAPIVersion != "1.40" || snap.Daemon.APIVersion != "1.40" || len(snap.Containers) != 3 {
		t.Fatalf("after the downgrade: negotiated %s, daemon %s, %d containers; want 1.40, 1.40, 3",
			snap.Daemon.NegotiatedAPIVersion, snap.Daemon.APIVersion, len(snap.Containers))
	}
	for _, q := range fake.queries()[len(fake.queries())-3:] {
		if strings.Contains(q, "one-shot") {
			t.Errorf("stats query %q after the downgrade to 1.40 still asks for one-shot", q)
		}
	}
	mustSnapshot(t, c, Selection{})
}

// TestFaultVersionBelowNegotiatedRenegotiates has /version report an API
// below the negotiated one (the ping still says 1.41, as behind a proxy that
// mixes two engines): Ping settles on the lower version.
func TestFaultVersionBelowNegotiatedRenegotiates(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	c := newTestClient(t, Config{Endpoint: endpoint})
	if info, err := c.Ping(context.Background()); err != nil || info.NegotiatedAPIVersion != "1.41" {
		t.Fatalf("Ping: %+v, %v; want 1.41", info, err)
	}
	fake.mu.Lock()
	fake.versionAPI = "1.40"
	fake.mu.Unlock()
	info, err := c.Ping(context.Background())
	if err != nil || info.NegotiatedAPIVersion != "1.40" || c.api().ClientVersion() != "1.40" {
		t.Fatalf("Ping after /version dropped to 1.40: %+v, %v (client speaks %s); want 1.40", info, err, c.api().ClientVersion())
	}
}

// TestFaultPinnedVersionIsNotRenegotiated keeps a pinned API version even
// when the daemon refuses it: the user asked for it, so the error stays.
func TestFaultPinnedVersionIsNotRenegotiated(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	c := newTestClient(t, Config{Endpoint: endpoint, APIVersion: "1.41"})
	mustSnapshot(t, c, Selection{})
	fake.setAPIVersion("1.40")
	if _, err := c.Snapshot(context.Background(), Selection{}); err == nil || !strings.Contains(err.Error(), "too new") {
		t.Fatalf("pinned 1.41 on a 1.40 daemon: %v, want the daemon's too-new refusal", err)
	}
}
