package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

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

func TestApplyMemoryLimitGivesTheRuntimeNinetyPercentOfTheContainersLimit(t *testing.T) {
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
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
	t.Cleanup(func() { debug.SetMemoryLimit(math.MaxInt64) })
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
	cmd := exec.Command("sh", "-c", `echo $$ > "$1/cgroup.procs" && exec "$2" --kubeconfig /nonexistent --metrics-bind-address=0 --health-probe-bind-address=0`,
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
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	var parent, limitFile string
	for _, line := range strings.Split(strings.TrimSpace(string(own)), "\n") {
		fields := strings.SplitN(line, ":", 3)
		switch {
		case len(fields) == 3 && strings.Contains(","+fields[1]+",", ",memory,"):
			parent, limitFile = filepath.Join("/sys/fs/cgroup/memory", fields[2]), "memory.limit_in_bytes"
		case len(fields) == 3 && fields[0] == "0" && fields[1] == "" && parent == "":
			// cgroup v2: the root delegates memory to its children, and a
			// child of the root avoids the rule against processes in an
			// inner cgroup of our own.
			parent, limitFile = "/sys/fs/cgroup", "memory.max"
		}
	}
	if parent == "" {
		return "", errors.New("no memory cgroup in /proc/self/cgroup")
	}
	dir, err := os.MkdirTemp(parent, "dockwatch-memlimit-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { _ = os.Remove(dir) })
	if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(fmt.Sprint(limit)), 0o644); err != nil {
		return "", fmt.Errorf("set %s: %w", limitFile, err)
	}
	return dir, nil
}
