package cgroupstats

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixture containers: testdata/v1 is a cgroupfs-driver container on a
// v1 host whose cpu and cpuacct controllers share one hierarchy; testdata/v2
// is a systemd-driver container on a unified (v2) host.
var (
	idV1 = strings.Repeat("a", 64)
	idV2 = strings.Repeat("b", 64)
)

// fixtureV1 and fixtureV2 describe the fixture containers as inspect and
// /info would.
var (
	fixtureV1 = Container{ID: idV1, Pid: 4242, CgroupDriver: "cgroupfs", CgroupVersion: "1", NetworkMode: "bridge"}
	fixtureV2 = Container{ID: idV2, Pid: 777, CgroupDriver: "systemd", CgroupVersion: "2", NetworkMode: "none"}
)

// fixture copies testdata/<name> to a temporary directory, so that a test
// can break files without touching the others, and returns the copy's
// cgroup and proc roots.
func fixture(t testing.TB, name string) (cgroupRoot, procRoot string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatalf("copy fixture %s: %v", name, err)
	}
	return filepath.Join(dir, "cgroup"), filepath.Join(dir, "proc")
}

// v1Dir and v2Dir are the fixture containers' cgroup directories.
func v1Dir(root, hierarchy string) string { return filepath.Join(root, hierarchy, "docker", idV1) }
func v2Dir(root string) string {
	return filepath.Join(root, "system.slice", "docker-"+idV2+".scope")
}

// writeFile replaces (or creates) a fixture file.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// removePath deletes a fixture file or directory.
func removePath(t *testing.T, path string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
}

// locate resolves a fixture container, failing the test on error.
func locate(t *testing.T, r *Reader, c Container) *Location {
	t.Helper()
	loc, err := r.Locate(c)
	if err != nil {
		t.Fatalf("Locate(%s): %v", shortID(c.ID), err)
	}
	return loc
}

// wantErrorNaming fails unless err is non-nil and mentions every want.
func wantErrorNaming(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one naming %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}
