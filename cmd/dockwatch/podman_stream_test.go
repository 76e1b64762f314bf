package main

import (
	"bufio"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cliStream is a running `dockwatch stats` whose --format prints one
// "name CPU%" line per container, so every perFrame lines are a frame.
type cliStream struct {
	lines    chan string
	perFrame int
}

// startCLIStream starts the binary streaming into a pipe with args after
// "stats"; it is stopped with SIGTERM when the test ends.
func startCLIStream(t *testing.T, vars map[string]string, perFrame int, args ...string) *cliStream {
	t.Helper()
	cmd := cliCommand(t, vars, append([]string{"--timeout", podmanTimeout, "stats"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &cliStream{lines: make(chan string, 64), perFrame: perFrame}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	return s
}

// next waits for the next frame and returns its CPU figures by name; a
// figure that is still unknown ("--") is left out.
func (s *cliStream) next(t *testing.T) map[string]float64 {
	t.Helper()
	frame := map[string]float64{}
	deadline := time.After(time.Minute)
	for i := 0; i < s.perFrame; i++ {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf("dockwatch stats ended after %d lines of a frame", i)
			}
			// The CLI aligns --format columns as docker's does.
			f := strings.Fields(line)
			if len(f) != 2 {
				t.Fatalf("dockwatch stats printed %q, want a name and a CPU figure", line)
			}
			if v, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64); err == nil {
				frame[f[0]] = v
			}
		case <-deadline:
			t.Fatalf("no frame from dockwatch stats within a minute")
		}
	}
	return frame
}

// averageCPU is the mean of each name's figure over frames of equal length.
func averageCPU(frames ...map[string]float64) map[string]float64 {
	sum := map[string]float64{}
	for _, f := range frames {
		for name, v := range f {
			sum[name] += v / float64(len(frames))
		}
	}
	return sum
}
