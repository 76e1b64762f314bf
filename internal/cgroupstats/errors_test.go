package cgroupstats

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestMissingFilesFailNamingTheFile(t *testing.T) {
	tests := []struct {
		fixture string
		c       Container
		file    func(root, proc string) string
	}{
		{"v1", fixtureV1, func(root, _ string) string { return filepath.Join(v1Dir(root, "cpu,cpuacct"), "cpuacct.usage") }},
		{"v1", fixtureV1, func(root, _ string) string { return filepath.Join(v1Dir(root, "cpu,cpuacct"), "cpu.stat") }},
		{"v1", fixtureV1, func(root, _ string) string { return filepath.Join(v1Dir(root, "memory"), "memory.usage_in_bytes") }},
		{"v1", fixtureV1, func(root, _ string) string { return filepath.Join(v1Dir(root, "memory"), "memory.limit_in_bytes") }},
		{"v1", fixtureV1, func(root, _ string) string { return filepath.Join(v1Dir(root, "memory"), "memory.stat") }},
		{"v1", fixtureV1, func(root, _ string) string { return filepath.Join(v1Dir(root, "pids"), "pids.current") }},
		{"v1", fixtureV1, func(root, _ string) string {
			return filepath.Join(v1Dir(root, "blkio"), "blkio.throttle.io_service_bytes_recursive")
		}},
		{"v1", fixtureV1, func(_, proc string) string { return filepath.Join(proc, "stat") }},
		{"v1", fixtureV1, func(_, proc string) string { return filepath.Join(proc, "meminfo") }},
		{"v1", fixtureV1, func(_, proc string) string { return filepath.Join(proc, "4242", "net", "dev") }},
		{"v2", fixtureV2, func(root, _ string) string { return filepath.Join(v2Dir(root), "cpu.stat") }},
		{"v2", fixtureV2, func(root, _ string) string { return filepath.Join(v2Dir(root), "memory.current") }},
		{"v2", fixtureV2, func(root, _ string) string { return filepath.Join(v2Dir(root), "memory.max") }},
		{"v2", fixtureV2, func(root, _ string) string { return filepath.Join(v2Dir(root), "memory.stat") }},
		{"v2", fixtureV2, func(root, _ string) string { return filepath.Join(v2Dir(root), "pids.current") }},
		{"v2", fixtureV2, func(root, _ string) string { return filepath.Join(v2Dir(root), "io.stat") }},
	}
	for _, tt := range tests {
		root, proc := fixture(t, tt.fixture)
		file := tt.file(root, proc)
		t.Run(filepath.Base(file), func(t *testing.T) {
			r := NewReader(root, proc)
			loc := locate(t, r, tt.c)
			removePath(t, file)
			_, err := r.Read(loc)
			wantErrorNaming(t, err, file)
			if errors.Is(err, ErrGone) {
				t.Errorf("a missing file in a live cgroup reported as ErrGone: %v", err)
			}
		})
	}
}

func TestMalformedFilesFailNamingTheFile(t *testing.T) {
	tests := []struct {
		name, fixture string
		c             Container
		file          func(root, proc string) string
		content, want string
	}{
		{"cpuacct.usage not a number", "v1", fixtureV1,
			func(root, _ string) string { return filepath.Join(v1Dir(root, "cpu,cpuacct"), "cpuacct.usage") }, "lots\n", `"lots"`},
		{"memory.stat line without value", "v1", fixtureV1,
			func(root, _ string) string { return filepath.Join(v1Dir(root, "memory"), "memory.stat") }, "cache\n", `line "cache"`},
		{"blkio line without op", "v1", fixtureV1,
			func(root, _ string) string {
				return filepath.Join(v1Dir(root, "blkio"), "blkio.throttle.io_service_bytes_recursive")
			}, "8:0 4096\n", `line "8:0 4096"`},
		{"blkio bad device", "v1", fixtureV1,
			func(root, _ string) string {
				return filepath.Join(v1Dir(root, "blkio"), "blkio.throttle.io_service_bytes_recursive")
			}, "sda Read 1\n", `"sda" is not a major:minor device`},
		{"proc stat cpu line too short", "v1", fixtureV1,
			func(_, proc string) string { return filepath.Join(proc, "stat") }, "cpu  1 2 3\n", "3 fields"},
		{"proc stat without cpu line", "v1", fixtureV1,
			func(_, proc string) string { return filepath.Join(proc, "stat") }, "intr 1 2\n", `no aggregate "cpu" line`},
		{"meminfo without MemTotal", "v1", fixtureV1,
			func(_, proc string) string { return filepath.Join(proc, "meminfo") }, "MemFree: 1 kB\n", "no MemTotal"},
		{"net/dev short line", "v1", fixtureV1,
			func(_, proc string) string { return filepath.Join(proc, "4242", "net", "dev") }, "eth0: 1 2 3\n", "eth0 has 3 counters"},
		{"cpu.stat without usage_usec", "v2", fixtureV2,
			func(root, _ string) string { return filepath.Join(v2Dir(root), "cpu.stat") }, "user_usec 1\n", `no "usage_usec" key`},
		{"memory.max neither max nor a number", "v2", fixtureV2,
			func(root, _ string) string { return filepath.Join(v2Dir(root), "memory.max") }, "unlimited\n", `"unlimited"`},
		{"io.stat pair without =", "v2", fixtureV2,
			func(root, _ string) string { return filepath.Join(v2Dir(root), "io.stat") }, "8:0 rbytes 1\n", `"rbytes" is not key=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, proc := fixture(t, tt.fixture)
			r := NewReader(root, proc)
			loc := locate(t, r, tt.c)
			file := tt.file(root, proc)
			writeFile(t, file, tt.content)
			_, err := r.Read(loc)
			wantErrorNaming(t, err, file, tt.want)
		})
	}
}

func TestLocateFindsTheKernelsPathInEachHierarchy(t *testing.T) {
	root, proc := fixture(t, "v1")
	loc := locate(t, NewReader(root, proc), fixtureV1)
	want := map[string]string{
		"cpuacct": v1Dir(root, "cpu,cpuacct"), // co-mounted: found through the list name
		"memory":  v1Dir(root, "memory"),
		"pids":    v1Dir(root, "pids"),
		"blkio":   v1Dir(root, "blkio"),
	}
	for ctrl, dir := range want {
		if loc.Dirs[ctrl] != dir {
			t.Errorf("%s directory = %q, want %q", ctrl, loc.Dirs[ctrl], dir)
		}
	}
	if loc.Version != 1 || !loc.Net {
		t.Errorf("version %d net %v, want 1 and true", loc.Version, loc.Net)
	}
}

func TestLocateFallsBackToDockersPathInACgroupNamespace(t *testing.T) {
	// In its own cgroup namespace the agent sees the container's paths
	// relative to its own cgroup: "/" or "/../..". Docker's derived path
	// from the driver and parent is used instead.
	for _, tt := range []struct {
		fixture, procFile, content string
		c                          Container
		want                       func(root string) string
	}{
		{"v1", "4242/cgroup", "4:memory:/\n2:cpu,cpuacct:/../../x\n5:pids:/\n4:blkio:/\n", fixtureV1,
			func(root string) string { return v1Dir(root, "memory") }},
		{"v2", "777/cgroup", "0::/\n", fixtureV2, v2Dir},
	} {
		root, proc := fixture(t, tt.fixture)
		writeFile(t, filepath.Join(proc, tt.procFile), tt.content)
		loc := locate(t, NewReader(root, proc), tt.c)
		if loc.Dirs["memory"] != tt.want(root) {
			t.Errorf("%s: memory directory %q, want %q", tt.fixture, loc.Dirs["memory"], tt.want(root))
		}
	}
}

func TestLocateNeverSettlesOnADirectoryNotNamingTheContainer(t *testing.T) {
	root, proc := fixture(t, "v2")
	writeFile(t, filepath.Join(proc, "777", "cgroup"), "0::/\n")
	c := fixtureV2
	c.CgroupDriver = "cgroupfs" // derived path /docker/<id> does not exist
	_, err := NewReader(root, proc).Locate(c)
	wantErrorNaming(t, err, "no directory in the unified hierarchy", filepath.Join(root, "docker", idV2))
}

func TestLocateOfAStoppedContainerIsErrGone(t *testing.T) {
	root, proc := fixture(t, "v1")
	r := NewReader(root, proc)
	stopped := fixtureV1
	stopped.Pid = 0
	if _, err := r.Locate(stopped); !errors.Is(err, ErrGone) {
		t.Errorf("Locate with Pid 0: %v, want ErrGone", err)
	}
	removePath(t, filepath.Join(proc, "4242"))
	if _, err := r.Locate(fixtureV1); !errors.Is(err, ErrGone) {
		t.Errorf("Locate after the process exited: %v, want ErrGone", err)
	}
}

func TestLocateRequiresTheMemoryController(t *testing.T) {
	root, proc := fixture(t, "v2")
	controllers := filepath.Join(v2Dir(root), "cgroup.controllers")
	writeFile(t, controllers, "cpu pids\n")
	_, err := NewReader(root, proc).Locate(fixtureV2)
	wantErrorNaming(t, err, "memory controller is not enabled", controllers)

	root1, proc1 := fixture(t, "v1")
	removePath(t, filepath.Join(root1, "memory"))
	_, err = NewReader(root1, proc1).Locate(fixtureV1)
	wantErrorNaming(t, err, "no memory hierarchy mounted under "+root1)
}

func TestLocateDetectsTheVersionWhenInfoDoesNotSay(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		c       Container
		want    int
	}{{"v1", fixtureV1, 1}, {"v2", fixtureV2, 2}} {
		root, proc := fixture(t, tt.fixture)
		tt.c.CgroupVersion = ""
		if loc := locate(t, NewReader(root, proc), tt.c); loc.Version != tt.want {
			t.Errorf("%s: version %d, want %d", tt.fixture, loc.Version, tt.want)
		}
	}
	c := fixtureV1
	c.CgroupVersion = "3"
	_, err := NewReader(fixture(t, "v1")).Locate(c)
	wantErrorNaming(t, err, `unknown cgroup version "3"`)
}

func TestDerivedPathFollowsTheCgroupDriver(t *testing.T) {
	id := "0123456789ab"
	tests := []struct {
		driver, parent, want string
	}{
		{"cgroupfs", "", "/docker/" + id},
		{"", "/custom/parent", "/custom/parent/" + id},
		{"systemd", "", "/system.slice/docker-" + id + ".scope"},
		{"systemd", "my-app.slice", "/my.slice/my-app.slice/docker-" + id + ".scope"},
		{"systemd", "a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice/docker-" + id + ".scope"},
		{"systemd", "-.slice", "/docker-" + id + ".scope"},
	}
	for _, tt := range tests {
		got := derivedPath(Container{ID: id, CgroupDriver: tt.driver, CgroupParent: tt.parent})
		if got != tt.want {
			t.Errorf("driver %q parent %q: %q, want %q", tt.driver, tt.parent, got, tt.want)
		}
	}
}
