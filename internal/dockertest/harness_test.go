package dockertest

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// statsLine is the part of `docker stats --format '{{json .}}'` we check.
type statsLine struct {
	Name     string
	CPUPerc  string
	MemUsage string
}

// TestUnixDaemonRunsStopsAndRestarts proves the plain harness end to end:
// a busy container burns a core, a memory limit is visible, Stop keeps the
// data, Restart brings the containers back, and cleanup leaves nothing.
func TestUnixDaemonRunsStopsAndRestarts(t *testing.T) {
	Require(t)
	t.Parallel()
	var dir string
	t.Run("lifecycle", func(t *testing.T) {
		d := Start(t, Options{})
		dir = d.Dir
		if !strings.HasPrefix(d.Host, "unix:///tmp/dw") || d.Host != d.UnixHost {
			t.Fatalf("Host = %q, want the private unix socket", d.Host)
		}
		busy := d.RunBusy(t, "busy")
		d.RunIdle(t, "idle", "-m", "64m")
		if len(busy) != 64 {
			t.Fatalf("RunBusy returned %q, want a full 64-hex ID", busy)
		}
		waitCPUAbove(t, d, "busy", 5)
		if mem := stats(t, d, "idle").MemUsage; !strings.HasSuffix(mem, "/ 64MiB") {
			t.Fatalf("idle container MemUsage = %q, want a 64MiB limit", mem)
		}
		many := d.RunMany(t, "many", 10)
		if n := len(strings.Fields(d.Docker(t, "ps", "-q", "--filter", "name=many-"))); n != 10 || len(many) != 10 {
			t.Fatalf("RunMany: %d IDs, %d running; want 10", len(many), n)
		}

		d.Stop(t)
		if d.Running() {
			t.Fatal("daemon still running after Stop")
		}
		if _, err := d.TryDocker("version"); err == nil {
			t.Fatal("docker version succeeded against a stopped daemon")
		}
		d.Restart(t)
		if got := d.Docker(t, "inspect", "-f", "{{.State.Running}}", busy); got != "true" {
			t.Fatalf("busy container running after Restart = %s, want true", got)
		}
		waitCPUAbove(t, d, "busy", 5)
	})
	assertNoLeftovers(t, dir)
}

// TestTLSDaemonVerifiesClients proves the TLS listener: the client certs
// work over tcp://127.0.0.1, foreign, expired and wrong-name certificates
// are refused, and a restart with a new CA rotates what is accepted.
func TestTLSDaemonVerifiesClients(t *testing.T) {
	Require(t)
	t.Parallel()
	var dir string
	t.Run("tls", func(t *testing.T) {
		d := Start(t, Options{TLS: true})
		dir = d.Dir
		if d.Host != "tcp://127.0.0.1:"+strconv.Itoa(d.Port) || d.CertDir != d.Certs.Dir {
			t.Fatalf("Host = %q, CertDir = %q: want tcp://127.0.0.1:%d and %q", d.Host, d.CertDir, d.Port, d.Certs.Dir)
		}
		mustReach(t, d, d.Certs)
		mustRefuse(t, d, WrongCACerts(t), "client under another CA")
		mustRefuse(t, d, ExpiredClientCerts(t, d.Certs.CA), "expired client certificate")
		mustRefuse(t, d, NewCerts(t, CertOptions{CA: d.Certs.CA, ClientNotYetValid: true}), "not-yet-valid client certificate")
		d.RunIdle(t, "survivor")

		old := d.Certs
		rotated := NewCerts(t, CertOptions{})
		d.Restart(t, WithCerts(rotated))
		mustReach(t, d, rotated)
		mustRefuse(t, d, old, "client of the replaced CA")
		if got := d.Docker(t, "inspect", "-f", "{{.State.Running}}", "survivor"); got != "true" {
			t.Fatalf("container running after rotation = %s, want true", got)
		}

		d.Restart(t, WithCerts(WrongServerNameCerts(t, rotated.CA)))
		mustRefuse(t, d, rotated, "server certificate naming only other.example")
	})
	assertNoLeftovers(t, dir)
}

// TestRequireNeverSkipsInCI proves the gate's decisions without Docker.
func TestRequireNeverSkipsInCI(t *testing.T) {
	tests := []struct {
		name, ci, noDocker string
		want               string // "", "skip" or "fatal"
	}{
		{"CI refuses the skip switch", "true", "1", "fatal"},
		{"skip switch outside CI", "", "1", "skip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvCI, tt.ci)
			t.Setenv(EnvNoDocker, tt.noDocker)
			rec := &recordingTB{TB: t}
			Require(rec)
			if rec.outcome != tt.want {
				t.Fatalf("Require outcome = %q (%s), want %q", rec.outcome, rec.msg, tt.want)
			}
			if !strings.Contains(rec.msg, InstallHint) {
				t.Fatalf("message %q does not say what to install", rec.msg)
			}
		})
	}
}

// recordingTB captures Require's first Skipf/Fatalf instead of acting on it.
type recordingTB struct {
	testing.TB
	outcome, msg string
}

// Helper is a no-op; the wrapped test's helper marking is irrelevant here.
func (r *recordingTB) Helper() {}

// Skipf records a skip instead of ending the test.
func (r *recordingTB) Skipf(format string, args ...any) { r.record("skip", format, args) }

// Fatalf records a failure instead of ending the test.
func (r *recordingTB) Fatalf(format string, args ...any) { r.record("fatal", format, args) }

// record keeps the first outcome, which is the one Require acts on.
func (r *recordingTB) record(outcome, format string, args []any) {
	if r.outcome == "" {
		r.outcome, r.msg = outcome, fmt.Sprintf(format, args...)
	}
}

// mustReach runs `docker version` over TLS with certs' client side.
func mustReach(t *testing.T, d *Daemon, certs *Certs) {
	t.Helper()
	out, err := d.CLI(append(d.TLSArgs(certs), "version", "--format", "{{.Server.APIVersion}}")...)
	if err != nil {
		t.Fatalf("docker version over TLS: %v", err)
	}
	if out == "" {
		t.Fatal("docker version over TLS printed no server API version")
	}
}

// mustRefuse checks that the TLS handshake with certs' client side fails.
func mustRefuse(t *testing.T, d *Daemon, certs *Certs, what string) {
	t.Helper()
	_, err := d.CLI(append(d.TLSArgs(certs), "version", "--format", "{{.Server.APIVersion}}")...)
	if err == nil {
		t.Fatalf("%s: docker version over TLS succeeded, want a TLS failure", what)
	}
	msg := strings.ToLower(err.Error())
	if !strings.Contains(msg, "tls") && !strings.Contains(msg, "x509") && !strings.Contains(msg, "certificate") {
		t.Fatalf("%s: failed for another reason than TLS: %v", what, err)
	}
}

// stats reads one container's line of `docker stats --no-stream`.
func stats(t *testing.T, d *Daemon, name string) statsLine {
	t.Helper()
	var s statsLine
	out := d.Docker(t, "stats", "--no-stream", "--format", "{{json .}}", name)
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("parse docker stats output %q: %v", out, err)
	}
	return s
}

// waitCPUAbove waits until docker stats shows the container above pct CPU.
// pct is low on purpose: on a 2-core machine shared with a compiler the
// busy loop's fair share can be well under one core.
func waitCPUAbove(t *testing.T, d *Daemon, name string, pct float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := stats(t, d, name)
		cpu, err := strconv.ParseFloat(strings.TrimSuffix(s.CPUPerc, "%"), 64)
		if err != nil {
			t.Fatalf("parse CPUPerc %q: %v", s.CPUPerc, err)
		}
		if cpu > pct {
			t.Logf("%s uses %.1f%% CPU", name, cpu)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s CPU = %.1f%%, want > %.0f%%", name, cpu, pct)
		}
	}
}

// assertNoLeftovers checks that a daemon's cleanup removed its directory,
// every process it started and every mount under it.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	if dir == "" {
		return
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after cleanup (stat: %v)", dir, err)
	}
	if pids, _ := strayPIDs(dir, nil); len(pids) > 0 {
		t.Errorf("processes of %s still running after cleanup: %v", dir, pids)
	}
	if mounts, _ := mountsUnder(dir); len(mounts) > 0 {
		t.Errorf("mounts under %s remain after cleanup: %v", dir, mounts)
	}
}
