package dockertest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestPodmanServiceRunsContainersAndCleansUp proves the Podman harness: the
// service answers on its private socket as "Podman Engine", containers run
// with a CPU and memory limit, `podman stats` reads them, and cleanup
// leaves no directory, process or mount behind.
func TestPodmanServiceRunsContainersAndCleansUp(t *testing.T) {
	RequirePodman(t)
	var dir string
	var busyID string
	t.Run("lifecycle", func(t *testing.T) {
		p := StartPodman(t)
		dir = p.Dir
		if !strings.HasPrefix(p.Host, "unix:///tmp/pw") {
			t.Fatalf("Host = %q, want the private unix socket", p.Host)
		}
		if v := p.Podman(t, "version", "--format", "{{.Client.Version}}"); v == "" {
			t.Fatal("podman version printed nothing")
		}
		if driver := strings.TrimSpace(p.Podman(t, "info", "--format", "{{.Store.GraphDriverName}}")); driver != "vfs" {
			t.Errorf("storage driver %q, want vfs", driver)
		}
		names, err := versionComponents(p)
		t.Logf("/version components: %s", names)
		if err != nil || !strings.Contains(names, "Podman Engine") {
			t.Errorf("/version over %s: components %q, %v; want a \"Podman Engine\"", p.Host, names, err)
		}
		busyID = p.RunBusy(t, "pburn")
		p.RunIdle(t, "pidle", "-m", "64m")
		if len(busyID) != 64 {
			t.Fatalf("RunBusy returned %q, want a full 64-hex ID", busyID)
		}
		time.Sleep(2 * time.Second)
		asked := time.Now()
		lines := p.Stats(t, "pburn", "pidle")
		if read := lines["pburn"].Read; read.Before(asked) || read.After(time.Now()) {
			t.Errorf("pburn read at %v, want inside the podman stats run that began %v", read, asked)
		}
		if lines["pburn"].CPUNanos == 0 || lines["pburn"].CPUPercent <= 0 {
			t.Errorf("pburn: %+v, want CPU time and a CPU figure", lines["pburn"])
		}
		if lines["pidle"].MemLimit != 64<<20 || lines["pidle"].MemUsage == 0 {
			t.Errorf("pidle: %+v, want usage under a 64 MiB limit", lines["pidle"])
		}
	})
	if dir == "" {
		return
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after cleanup (stat: %v)", dir, err)
	}
	if pids, _ := strayPIDs(dir, []string{busyID}); len(pids) > 0 {
		t.Errorf("processes of %s still running after cleanup: %v", dir, pids)
	}
	if mounts, _ := mountsUnder(dir); len(mounts) > 0 {
		t.Errorf("mounts under %s remain after cleanup: %v", dir, mounts)
	}
}

// versionComponents asks the service's socket for /version, as dockwatch
// does, and lists its Components' names. Podman runs conmon and the OCI
// runtime to answer, which takes seconds on a loaded machine.
func versionComponents(p *Podman) (string, error) {
	client := unixClient(strings.TrimPrefix(p.Host, "unix://"))
	client.Timeout = 60 * time.Second
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://d/version")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var v struct{ Components []struct{ Name string } }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", fmt.Errorf("decode /version: %w", err)
	}
	var names []string
	for _, c := range v.Components {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", "), nil
}

// TestParsePodmanStatsLine reads the raw-number format the harness asks
// podman stats for.
func TestParsePodmanStatsLine(t *testing.T) {
	got, err := parsePodmanStats("pburn\t98.25\t12345678901\t520192\t67108864\t1\t1764633600123456789")
	want := PodmanStats{Name: "pburn", CPUPercent: 98.25, CPUNanos: 12345678901, MemUsage: 520192, MemLimit: 64 << 20, PIDs: 1,
		Read: time.Unix(0, 1764633600123456789)}
	if err != nil || got != want {
		t.Fatalf("parsePodmanStats = %+v, %v; want %+v", got, err, want)
	}
	if _, err := parsePodmanStats("pburn\t98.25%"); err == nil {
		t.Fatal("a short line parsed without error")
	}
}
