package docker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockwatch/dockwatch/internal/cgroupstats"
)

func TestNewValidatesTheStatsSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cfg         Config
		wantInError string // "" = valid
	}{
		{Config{Endpoint: "tcp://127.0.0.1:2375"}, ""},
		{Config{Endpoint: "tcp://127.0.0.1:2375", StatsSource: "api"}, ""},
		{Config{Endpoint: "unix:///var/run/docker.sock", StatsSource: "cgroup", CgroupRoot: dir, ProcRoot: dir}, ""},
		{Config{Endpoint: "tcp://127.0.0.1:2375", StatsSource: "cgroup"}, `stats source "cgroup" needs a unix:// endpoint`},
		{Config{Endpoint: "https://127.0.0.1:2376", StatsSource: "cgroup"}, "the cgroup files must be on the daemon's machine"},
		{Config{Endpoint: "unix:///var/run/docker.sock", StatsSource: "files"}, `stats source "files": want "api" (the default) or "cgroup"`},
		{Config{Endpoint: "unix:///var/run/docker.sock", StatsSource: "cgroup", CgroupRoot: filepath.Join(dir, "none"), ProcRoot: dir},
			"cgroup root " + filepath.Join(dir, "none")},
		{Config{Endpoint: "unix:///var/run/docker.sock", StatsSource: "cgroup", CgroupRoot: dir, ProcRoot: file},
			"proc root " + file + " (mount the host's there): not a directory"},
	}
	for _, tt := range tests {
		c, err := New(tt.cfg)
		switch {
		case tt.wantInError == "" && err != nil:
			t.Errorf("New(%+v): %v", tt.cfg, err)
		case tt.wantInError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantInError)):
			t.Errorf("New(%+v) error %v, want it to contain %q", tt.cfg, err, tt.wantInError)
		}
		if c != nil {
			c.Close()
		}
	}
}

// cgroupFixture writes a one-container cgroup v2 host (cgroupfs driver)
// and returns its roots and the container's cgroup directory.
func cgroupFixture(t *testing.T, id string) (cgroupRoot, procRoot, dir string) {
	t.Helper()
	root := t.TempDir()
	cgroupRoot, procRoot = filepath.Join(root, "cgroup"), filepath.Join(root, "proc")
	dir = filepath.Join(cgroupRoot, "docker", id)
	files := map[string]string{
		filepath.Join(procRoot, "stat"):               "cpu  1 0 1 8 0 0 0 0 0 0\ncpu0 1 0 1 8 0 0 0 0 0 0\n",
		filepath.Join(procRoot, "meminfo"):            "MemTotal: 1024 kB\n",
		filepath.Join(procRoot, "1234", "cgroup"):     "0::/docker/" + id + "\n",
		filepath.Join(dir, "cgroup.controllers"):      "cpu memory\n",
		filepath.Join(dir, "cgroup.procs"):            "",
		filepath.Join(dir, "cpu.stat"):                "usage_usec 5\n",
		filepath.Join(dir, "memory.current"):          "4096\n",
		filepath.Join(dir, "memory.max"):              "max\n",
		filepath.Join(dir, "memory.stat"):             "inactive_file 0\n",
		filepath.Join(procRoot, "1234", "net", "dev"): "",
	}
	for path, content := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return cgroupRoot, procRoot, dir
}

func TestCgroupReadOfAVanishedContainerIsGoneAndForgotten(t *testing.T) {
	id := strings.Repeat("c", 64)
	cgroupRoot, procRoot, dir := cgroupFixture(t, id)
	c, err := New(Config{Endpoint: "unix:///nonexistent/docker.sock", StatsSource: StatsSourceCgroup, CgroupRoot: cgroupRoot, ProcRoot: procRoot})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	loc, err := c.cgroups.reader.Locate(cgroupstats.Container{ID: id, Pid: 1234, CgroupVersion: "2"})
	if err != nil {
		t.Fatal(err)
	}
	c.memory.setCPULimit(id, 1)
	c.memory.setCgroup(id, cgroupEntry{loc: loc})
	if s, err := c.readCgroup(id, "web"); err != nil || s.MemoryStats.Usage != 4096 {
		t.Fatalf("readCgroup: %v, %+v", err, s)
	}

	if err := os.RemoveAll(dir); err != nil { // the container stopped after the list
		t.Fatal(err)
	}
	_, err = c.readCgroup(id, "web")
	if !errors.Is(err, ErrContainerGone) || !strings.Contains(err.Error(), "container web") {
		t.Errorf("read after the cgroup vanished: %v, want ErrContainerGone naming the container", err)
	}
	if _, located := c.memory.cgroup(id); located {
		t.Error("the vanished container's cgroup is still cached")
	}
	if _, cached := c.memory.cpuLimit(id); cached {
		t.Error("the vanished container's CPU limit is still cached: it would not be inspected again")
	}
}

func TestCgroupLocateFailureIsReportedOnceThenRetried(t *testing.T) {
	c, err := New(Config{Endpoint: "unix:///nonexistent/docker.sock", StatsSource: StatsSourceCgroup, CgroupRoot: t.TempDir(), ProcRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.memory.setCPULimit("x", 0)
	c.memory.setCgroup("x", cgroupEntry{err: errors.New("no memory hierarchy mounted")})
	_, err = c.readCgroup("x", "db")
	if err == nil || isGone(err) || !strings.Contains(err.Error(), "read cgroup of container db: no memory hierarchy mounted") {
		t.Errorf("error %v, want the locate failure naming the container", err)
	}
	if _, cached := c.memory.cpuLimit("x"); cached {
		t.Error("after a locate failure the container must be inspected (and located) again")
	}
}

func TestRetainDropsCgroupLocationsWithTheContainer(t *testing.T) {
	m := newSampleMemory()
	m.setCgroup("kept", cgroupEntry{})
	m.setCgroup("left", cgroupEntry{})
	m.retain(map[string]struct{}{"kept": {}})
	if _, ok := m.cgroup("left"); ok {
		t.Error("location of a container that left the selection is still cached")
	}
	if _, ok := m.cgroup("kept"); !ok {
		t.Error("location of a watched container was dropped")
	}
}
