package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// unsetenv removes variables from the environment for the test.
func unsetenv(t *testing.T, names ...string) {
	for _, name := range names {
		t.Setenv(name, "") // restores the value when the test ends
		_ = os.Unsetenv(name)
	}
}

// countingProvider reports limit and counts its calls.
func countingProvider(limit uint64, calls *int) memlimit.Provider {
	return func() (uint64, error) {
		*calls++
		return limit, nil
	}
}

// keepMemoryLimit puts the runtime's soft memory limit back after the test.
func keepMemoryLimit(t *testing.T) {
	previous := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(previous) })
}

func TestApplyMemoryLimitGivesTheRuntimeNinetyPercentOfTheContainersLimit(t *testing.T) {
	keepMemoryLimit(t)
	unsetenv(t, "GOMEMLIMIT", "AUTOMEMLIMIT")
	var calls int
	got, err := applyMemoryLimit(countingProvider(512<<20, &calls))
	if err != nil {
		t.Fatal(err)
	}
	containerLimit := float64(512 << 20)
	want := int64(containerLimit * memoryLimitRatio)
	if got != want || debug.SetMemoryLimit(-1) != want || calls != 1 {
		t.Errorf("limit %d (runtime %d, provider called %d times), want %d", got, debug.SetMemoryLimit(-1), calls, want)
	}
}

// What a user set wins: GOMEMLIMIT itself, or AUTOMEMLIMIT=off.
func TestApplyMemoryLimitLeavesAUsersSettingAlone(t *testing.T) {
	keepMemoryLimit(t)
	for _, env := range [][2]string{{"GOMEMLIMIT", "300MiB"}, {"AUTOMEMLIMIT", "off"}} {
		t.Run(env[0], func(t *testing.T) {
			unsetenv(t, "GOMEMLIMIT", "AUTOMEMLIMIT")
			t.Setenv(env[0], env[1])
			before := debug.SetMemoryLimit(-1)
			var calls int
			if _, err := applyMemoryLimit(countingProvider(512<<20, &calls)); err != nil {
				t.Fatal(err)
			}
			if calls != 0 || debug.SetMemoryLimit(-1) != before {
				t.Errorf("%s=%s: provider called %d times, runtime limit %d (was %d); want it left alone",
					env[0], env[1], calls, debug.SetMemoryLimit(-1), before)
			}
		})
	}
}

func TestMemoryLimitMessageSaysWhereTheLimitCameFrom(t *testing.T) {
	env := func(vars ...string) func(string) string {
		return func(name string) string {
			for i := 0; i+1 < len(vars); i += 2 {
				if vars[i] == name {
					return vars[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		limit    int64
		err      error
		getenv   func(string) string
		msg, val string
	}{
		{483183820, nil, env(), "set from the container's memory limit", "460.8MiB"},
		{math.MaxInt64, nil, env(), "No container memory limit found", "none"},
		{314572800, nil, env("GOMEMLIMIT", "300MiB"), "from GOMEMLIMIT", "300MiB"},
		{math.MaxInt64, nil, env("GOMEMLIMIT", "off"), "from GOMEMLIMIT", "none"},
		{math.MaxInt64, nil, env("AUTOMEMLIMIT", "off"), "AUTOMEMLIMIT=off", "none"},
		{math.MaxInt64, errors.New("cgroup unreadable"), env(), "Cannot take", "none"},
	}
	for _, tt := range tests {
		msg, kv := memoryLimitMessage(tt.limit, tt.err, tt.getenv)
		if !strings.Contains(msg, tt.msg) || len(kv) < 2 || kv[1] != tt.val {
			t.Errorf("limit %d, err %v: %q %v, want a message with %q and goMemLimit %s", tt.limit, tt.err, msg, kv, tt.msg, tt.val)
		}
		if tt.err != nil && !slices.Contains(kv, any(tt.err.Error())) {
			t.Errorf("error %v not logged: %v", tt.err, kv)
		}
	}
}

// TestBuiltManagerTakesItsSoftMemoryLimitFromItsCgroup runs bin/manager in a
// memory cgroup limited to 512 MiB, as a pod with that limit is: it logs a
// soft limit of 90% of it before it reads its kubeconfig.
func TestBuiltManagerTakesItsSoftMemoryLimitFromItsCgroup(t *testing.T) {
	cgroup, err := newMemoryCgroup(t, 512<<20)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI runs as root and must be able to make a memory cgroup: %v", err)
		}
		t.Skipf("cannot make a memory cgroup here (run as root): %v", err)
	}
	bin := buildManager(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", `echo $$ > "$1/cgroup.procs" && exec "$2" --kubeconfig /nonexistent --metrics-bind-address=0 --health-probe-bind-address=0`,
		"sh", cgroup, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run() // no kubeconfig: it stops, after setting the limit
	if want := `"goMemLimit":"460.8MiB"`; !strings.Contains(stderr.String(), want) {
		t.Errorf("manager in a 512 MiB cgroup: want %s in its log:\n%s", want, stderr.String())
	}
}

// newMemoryCgroup makes a cgroup with a memory limit (cgroup v1's memory
// controller or v2), removed when the test ends, and returns its directory.
func newMemoryCgroup(t *testing.T, limit int64) (string, error) {
	t.Helper()
	parent, limitFile, err := memoryCgroupParent()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(parent, "dockwatch-memlimit-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil {
			t.Errorf("remove the test's cgroup: %v", err)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(fmt.Sprint(limit)), 0o644); err != nil {
		return "", fmt.Errorf("set %s: %w", limitFile, err)
	}
	return dir, nil
}

// memoryCgroupParent is where a memory cgroup can be made, and the name of
// its limit file. cgroup v1: this process's memory cgroup, or the memory
// mount's root where that path is not visible (a container without a
// cgroup namespace). cgroup v2: the root, if it delegates memory (a child
// of our own cgroup would break the rule against processes in inner nodes).
func memoryCgroupParent() (string, string, error) {
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", "", err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(own)), "\n") {
		fields := strings.SplitN(line, ":", 3)
		if len(fields) == 3 && slices.Contains(strings.Split(fields[1], ","), "memory") {
			for _, dir := range []string{filepath.Join("/sys/fs/cgroup/memory", fields[2]), "/sys/fs/cgroup/memory"} {
				if _, err := os.Stat(filepath.Join(dir, "memory.limit_in_bytes")); err == nil {
					return dir, "memory.limit_in_bytes", nil
				}
			}
			return "", "", fmt.Errorf("memory cgroup %s not found under /sys/fs/cgroup/memory", fields[2])
		}
	}
	delegated, err := os.ReadFile("/sys/fs/cgroup/cgroup.subtree_control")
	if err != nil {
		return "", "", fmt.Errorf("no cgroup v1 memory controller, and no cgroup v2: %w", err)
	}
	if !slices.Contains(strings.Fields(string(delegated)), "memory") {
		return "", "", errors.New("cgroup v2 root does not delegate the memory controller")
	}
	return "/sys/fs/cgroup", "memory.max", nil
}
