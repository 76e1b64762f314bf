package dockertest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestStandaloneRunsCleanupsInReverseOnce proves the adapter for programs
// unwinds like a test: last registered first, and only once.
func TestStandaloneRunsCleanupsInReverseOnce(t *testing.T) {
	var out bytes.Buffer
	s := NewStandalone(&out)
	var order []int
	for i := 1; i <= 3; i++ {
		s.Cleanup(func() { order = append(order, i) })
	}
	s.Logf("hello %s", "demo")
	s.Close()
	s.Close()
	if !slices.Equal(order, []int{3, 2, 1}) {
		t.Fatalf("cleanup order = %v, want [3 2 1]", order)
	}
	if out.String() != "hello demo\n" {
		t.Fatalf("Logf wrote %q", out.String())
	}
}

// TestSweepStaleRemovesOnlyOrphans proves that a directory left by a dead
// test process is removed while a live owner's directory is kept.
func TestSweepStaleRemovesOnlyOrphans(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatalf("run true: %v", err)
	}
	orphan := ownedDir(t, dead.Process.Pid)
	mine := ownedDir(t, os.Getpid())
	var out bytes.Buffer
	sweepStale(NewStandalone(&out))
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Errorf("orphaned dir %s still exists (stat: %v); log: %s", orphan, err, out.String())
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("live owner's dir %s was removed: %v", mine, err)
	}
	if !strings.Contains(out.String(), "removed stale harness dir "+orphan) {
		t.Errorf("sweep did not log the removal: %q", out.String())
	}
}

// ownedDir creates a harness-style directory owned by pid.
func ownedDir(t *testing.T, pid int) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "dw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
