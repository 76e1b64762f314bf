package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// TestStatsStreamsUnderATerminalLikeDockerStats runs the dockwatch binary
// in a real pseudo-terminal (a private tmux server) against a real daemon
// with a busy and an idle container: the default streams and redraws,
// Ctrl-C ends it with status 0 and no cursor or mode left changed,
// --no-stream prints once, and --format agrees with docker stats --format.
func TestStatsStreamsUnderATerminalLikeDockerStats(t *testing.T) {
	dockertest.Require(t)
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is needed for the pseudo-terminal test (hack/install-deps.sh installs it): %v", err)
	}
	d := dockertest.Start(t, dockertest.Options{})
	d.RunBusy(t, "busy")
	d.RunIdle(t, "idle", "-m", "64m")
	tm := newTmux(t, d.UnixHost)

	t.Run("streams, redraws and exits 0 on Ctrl-C", func(t *testing.T) {
		log := tm.start(t, "stream", "stats", "--interval", "1s")
		raw := waitFor(t, 20*time.Second, func() (string, bool) {
			b, _ := os.ReadFile(log)
			return string(b), strings.Count(string(b), clearScreen) >= 3
		})
		t.Logf("redraws seen: %d", strings.Count(raw, clearScreen))
		pane := tm.capture(t, "stream")
		if strings.Count(pane, "CONTAINER ID") != 1 || !strings.Contains(pane, "busy") || !strings.Contains(pane, "idle") {
			t.Errorf("pane after redraws does not show one table with both containers:\n%s", pane)
		}
		for _, l := range strings.Split(pane, "\n") {
			if strings.HasPrefix(l, "busy") || strings.Contains(l, " busy ") {
				if strings.Contains(l, " -- ") {
					t.Errorf("a redraw after the first still has no CPU for busy: %q", l)
				}
			}
		}
		tm.keys(t, "stream", "C-c")
		pane = waitFor(t, 10*time.Second, func() (string, bool) {
			p := tm.capture(t, "stream")
			return p, strings.Contains(p, "EXIT:")
		})
		if !strings.Contains(pane, "EXIT:0") {
			t.Errorf("after Ctrl-C the pane shows:\n%s\nwant EXIT:0", pane)
		}
		raw, _ = readString(log)
		if strings.Contains(raw, "\033[?25l") || strings.Contains(raw, "\033[?1049h") {
			t.Errorf("output hides the cursor or switches screens: %q", raw)
		}
	})
	t.Run("--no-stream prints one table and exits", func(t *testing.T) {
		tm.start(t, "once", "stats", "--no-stream")
		pane := waitFor(t, 20*time.Second, func() (string, bool) {
			p := tm.capture(t, "once")
			return p, strings.Contains(p, "EXIT:")
		})
		if strings.Count(pane, "CONTAINER ID") != 1 || !strings.Contains(pane, "EXIT:0") {
			t.Errorf("--no-stream pane:\n%s\nwant one table and EXIT:0", pane)
		}
	})
	t.Run("streams plain tables into a pipe and exits 0 on SIGTERM", func(t *testing.T) {
		streamIntoPipe(t, d.UnixHost)
	})
	t.Run("--format agrees with docker stats --format", func(t *testing.T) {
		compareWithDocker(t, d)
	})
}

// compareWithDocker renders the same placeholders through dockwatch and
// docker on the same containers. Everything but CPU must match exactly
// (memory usage moves, so only its limit part is compared); CPU within
// 20 points, since the two samples are taken at different moments.
func compareWithDocker(t *testing.T, d *dockertest.Daemon) {
	format := `{{.Name}}|{{.ID}}|{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}|{{.Container}}|{{.MemPerc}}`
	ours := mustSucceed(t, execCLI(t, map[string]string{"DOCKER_HOST": d.UnixHost},
		"stats", "--no-stream", "--format", format, "busy", "idle")).stdout
	theirs := d.Docker(t, "stats", "--no-stream", "--format", format, "busy", "idle")
	t.Logf("dockwatch:\n%s\ndocker:\n%s", ours, theirs)
	got, want := splitRows(ours), splitRows(theirs)
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("rows: dockwatch %d, docker %d; want 2 each", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g[0] != w[0] || g[1] != w[1] || g[3] != w[3] || g[5] != w[5] {
			t.Errorf("name/ID/PIDs/Container: dockwatch %q, docker %q", g, w)
		}
		if limit(g[2]) != limit(w[2]) {
			t.Errorf("%s: memory limit %q, docker %q", g[0], g[2], w[2])
		}
		gc, gerr := strconv.ParseFloat(strings.TrimSuffix(g[4], "%"), 64)
		wc, werr := strconv.ParseFloat(strings.TrimSuffix(w[4], "%"), 64)
		if gerr != nil || werr != nil || gc-wc > 20 || wc-gc > 20 {
			t.Errorf("%s: CPU %q, docker %q; want both figures within 20 points", g[0], g[4], w[4])
		}
	}
}

// streamIntoPipe runs the binary with stdout a pipe: tables follow each
// other without terminal escapes, and SIGTERM ends it with status 0.
func streamIntoPipe(t *testing.T, dockerHost string) {
	cmd := cliCommand(t, map[string]string{"DOCKER_HOST": dockerHost}, "stats", "--interval", "1s", "--format", "table {{.Name}}\t{{.CPUPerc}}")
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3500 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v, want exit status 0", err)
	}
	got := out.String()
	if n := strings.Count(got, "NAME"); n < 2 || strings.Contains(got, "\033") {
		t.Errorf("%d tables (want >= 2) or escapes in piped output:\n%q", n, got)
	}
}

// splitRows splits "a|b|c" lines into fields.
func splitRows(out string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Split(strings.TrimSpace(l), "|"); len(f) == 7 {
			rows = append(rows, f)
		}
	}
	return rows
}

// limit is the part of "usage / limit" after the slash.
func limit(memUsage string) string {
	_, l, _ := strings.Cut(memUsage, " / ")
	return l
}

// tmuxServer is a private tmux server (its own socket), so the test
// disturbs no one else's sessions.
type tmuxServer struct {
	socket, dir, dockerHost string
}

// newTmux starts nothing yet; sessions start the server on demand, and the
// server is killed when the test ends.
func newTmux(t *testing.T, dockerHost string) *tmuxServer {
	dir := t.TempDir()
	tm := &tmuxServer{socket: filepath.Join(dir, "tmux.sock"), dir: dir, dockerHost: dockerHost}
	t.Cleanup(func() { _ = exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	return tm
}

// start runs the dockwatch binary with args in a new 200x50 session whose
// raw output is logged to the returned file; "EXIT:<status>" is printed
// when it ends, and the pane stays open to be read.
func (tm *tmuxServer) start(t *testing.T, name string, args ...string) string {
	t.Helper()
	log := filepath.Join(tm.dir, name+".log")
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + a + "'"
	}
	script := filepath.Join(tm.dir, name+".sh")
	// The trap keeps the shell alive through Ctrl-C to report the status;
	// a trapped (not ignored) signal is default again in the child.
	body := "#!/bin/sh\ntrap true INT\nexport " + envRunMain + "=1 DOCKER_HOST='" + tm.dockerHost + "' HOME='" + tm.dir + "' GOCOVERDIR='" + tm.dir + "'\n" +
		"sleep 1\n'" + os.Args[0] + "' " + strings.Join(quoted, " ") + " 2>>'" + log + ".err'\n" +
		"echo EXIT:$?\nsleep 600\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tm.tmux(t, "new-session", "-d", "-s", name, "-x", "200", "-y", "50", script)
	// The script sleeps a second first, so the log misses nothing.
	tm.tmux(t, "pipe-pane", "-t", name, "-o", "cat >> '"+log+"'")
	return log
}

// capture returns what the session's pane shows now.
func (tm *tmuxServer) capture(t *testing.T, name string) string {
	t.Helper()
	return tm.tmux(t, "capture-pane", "-p", "-t", name)
}

// keys sends keys (tmux names, e.g. C-c) to the session.
func (tm *tmuxServer) keys(t *testing.T, name string, keys ...string) {
	t.Helper()
	tm.tmux(t, append([]string{"send-keys", "-t", name}, keys...)...)
}

// tmux runs one tmux command on the private server and returns stdout.
func (tm *tmuxServer) tmux(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).Output()
	if err != nil {
		t.Fatalf("tmux %v: %v", args, err)
	}
	return string(out)
}

// waitFor polls check every 100 ms until it reports done or the deadline
// passes (then the test fails with the last value).
func waitFor(t *testing.T, deadline time.Duration, check func() (string, bool)) string {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		v, done := check()
		if done {
			return v
		}
		if time.Now().After(end) {
			t.Fatalf("not seen within %s; last:\n%s", deadline, v)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readString reads a whole file as a string.
func readString(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
