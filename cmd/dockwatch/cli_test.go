package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// result is what one in-process run of dockwatch produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs dockwatch in-process with exactly the given environment.
func runCLI(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, env{
		getenv: func(k string) string { return vars[k] },
		stdout: &stdout, stderr: &stderr,
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// fakeID is the ID FakeAPI gives its i-th container (from 1).
func fakeID(i int) string { return fmt.Sprintf("%064x", i) }

func TestStatsJSONHasTheDocumentedShape(t *testing.T) {
	fake := dockertest.NewFakeAPI(t, "app", 2)
	r := runCLI(t, nil, "-H", fake.Host, "stats", "--json", "--interval", "10ms")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	container := func(i int, name string) string {
		return `    {
      "id": "` + fakeID(i) + `",
      "name": "` + name + `",
      "image": "fake:latest",
      "cpuPercent": 25,
      "cpuLimitPercent": null,
      "memoryUsageBytes": 33554432,
      "memoryLimitBytes": 1073741824,
      "memoryPercent": 3.125,
      "netRxBytes": 0,
      "netTxBytes": 0,
      "blockReadBytes": 0,
      "blockWriteBytes": 0,
      "pids": 3
    }`
	}
	want := `{
  "daemon": {
    "version": "20.10.24-fake",
    "apiVersion": "1.41",
    "os": "linux",
    "ncpu": 64,
    "memTotalBytes": 274877906944,
    "engine": "Docker",
    "engineVersion": "20.10.24-fake"
  },
  "containers": [
` + container(1, "app-0") + ",\n" + container(2, "app-1") + `
  ]
}
`
	if r.stdout != want {
		t.Errorf("JSON output\n got %s\nwant %s", r.stdout, want)
	}
}

func TestStatsJSONWithNothingSelectedIsAnEmptyArray(t *testing.T) {
	fake := dockertest.NewFakeAPI(t, "app", 2)
	r := runCLI(t, nil, "stats", "-H", fake.Host, "--json", "--interval", "10ms", "--filter", "name=nothing-*")
	if r.code != 0 || !strings.Contains(r.stdout, `"containers": []`) {
		t.Fatalf("exit %d, stdout %s, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestStatsTablePrintsDockerColumns(t *testing.T) {
	fake := dockertest.NewFakeAPI(t, "app", 3)
	r := runCLI(t, map[string]string{"DOCKER_HOST": fake.Host}, "stats", "--no-stream", "--interval", "10ms", "--filter", "name=app-[12]")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	want := [][]string{
		{"CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT", "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"},
		{fakeID(2)[:12], "app-1", "25.00%", "32MiB", "/", "1GiB", "3.12%", "0B", "/", "0B", "0B", "/", "0B", "3"},
		{fakeID(3)[:12], "app-2", "25.00%", "32MiB", "/", "1GiB", "3.12%", "0B", "/", "0B", "0B", "/", "0B", "3"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), r.stdout)
	}
	for i, l := range lines {
		if got := strings.Fields(l); strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("line %d\n got %q\nwant %q", i, got, want[i])
		}
	}
	if r2 := runCLI(t, map[string]string{"DOCKER_HOST": fake.Host}, "stats", "--no-stream", "--interval", "10ms", "--no-trunc", "--filter", "name=app-0"); !strings.Contains(r2.stdout, fakeID(1)+" ") {
		t.Errorf("--no-trunc did not print the full ID:\n%s", r2.stdout)
	}
}

func TestPingIdentifiesThePlainDaemon(t *testing.T) {
	fake := dockertest.NewFakeAPI(t, "app", 1)
	r := runCLI(t, nil, "ping", "--host", fake.Host)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"Endpoint:", fake.Host, "Server version:", "20.10.24-fake", "API version:", "1.41", "OS:", "linux", "TLS peer:", "no TLS"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("ping output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestFailuresExitNonZeroWithOneLine(t *testing.T) {
	fake := dockertest.NewFakeAPI(t, "app", 1)
	closed := fake.Host
	fake.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantText string
	}{
		{"daemon down", []string{"-H", closed, "ping"}, 1, "connection refused"},
		{"stats on a daemon that is down", []string{"-H", closed, "stats"}, 1, "connection refused"},
		{"bad endpoint", []string{"-H", "ftp://127.0.0.1:21", "ping"}, 1, "unsupported scheme"},
		{"no command", nil, 2, "no command given (see 'dockwatch --help')"},
		{"unknown command", []string{"top"}, 2, `unknown command "top"`},
		{"unknown flag", []string{"stats", "--bogus"}, 2, "(see 'dockwatch stats --help')"},
		{"bad filter", []string{"stats", "--filter", "status=exited"}, 2, "unsupported --filter"},
		{"bad interval", []string{"stats", "--interval", "0s"}, 2, "--interval must be positive"},
		{"stray argument", []string{"ping", "extra"}, 2, `unexpected argument "extra"`},
		{"bad API version", []string{"--api-version", "latest", "ping"}, 1, "not of the form 1.41"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.wantCode, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "dockwatch: ") || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tt.wantText) {
				t.Errorf("stderr %q: want one 'dockwatch: ' line containing %q", r.stderr, tt.wantText)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q on failure, want nothing", r.stdout)
			}
		})
	}
}

func TestHelpAndVersionExitZero(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Commands:"},
		{[]string{"-h"}, "Connection options"},
		{[]string{"help"}, "Commands:"},
		{[]string{"help", "stats"}, "--filter name=VALUE"},
		{[]string{"stats", "--help"}, "label=SELECTOR"},
		{[]string{"--version"}, "dockwatch version "},
		{[]string{"-v"}, "dockwatch version "},
		{[]string{"completion", "bash"}, "bash completion"},
		{[]string{"completion", "zsh"}, "#compdef dockwatch"},
		{[]string{"ping", "--help"}, "TLS identity"},
		{[]string{"version", "--help"}, "does not contact the daemon"},
		{[]string{"version"}, "dockwatch version "},
	}
	for _, tt := range tests {
		r := runCLI(t, nil, tt.args...)
		if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, stdout lacks %q:\n%s", tt.args, r.code, r.stderr, tt.want, r.stdout)
		}
	}
}

// TestEveryFlagIsDocumented keeps the generated help useful: every flag
// of every command has a usage text, and the help lists it with two dashes.
func TestEveryFlagIsDocumented(t *testing.T) {
	root := newRootCommand(env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	for _, cmd := range append(root.Commands(), root) {
		help := cmd.UsageString()
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Usage == "" || !strings.Contains(help, "--"+f.Name) {
				t.Errorf("%s: flag --%s has no usage text in its help", cmd.Name(), f.Name)
			}
		})
	}
}

func TestInterruptedStatsExits130(t *testing.T) {
	fake := dockertest.NewFakeAPI(t, "app", 1)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	e := env{getenv: func(string) string { return "" }, stdout: &stdout, stderr: &stderr}
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	code := run(ctx, []string{"-H", fake.Host, "stats", "--no-stream", "--interval", "1h"}, e)
	if code != 130 || stderr.String() != "dockwatch: interrupted\n" || stdout.Len() != 0 {
		t.Errorf("exit %d, stderr %q, stdout %q; want 130 and one line", code, stderr.String(), stdout.String())
	}
}
