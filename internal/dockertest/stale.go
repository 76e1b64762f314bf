package dockertest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ownerFile in a harness directory (daemon or certificates) holds the PID
// of the process that created it. A test binary killed outright (timeout, SIGKILL) never runs
// its cleanups; dockerd then stops on its own (Pdeathsig) but the directory
// stays, and the next Start removes it.
const ownerFile = ".dockwatch-test-owner"

// claimDir records this process as the owner of a harness directory.
func claimDir(dir string) error {
	err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	if err != nil {
		return fmt.Errorf("write owner of %s: %w", dir, err)
	}
	return nil
}

// sweepStale removes harness directories (/tmp/dw*, marked by ownerFile)
// whose owner process is gone, after ending their processes and unmounting what they left. A
// directory without an owner file or with a live owner is left alone, so
// concurrent test binaries never disturb each other.
func sweepStale(t TB) {
	t.Helper()
	dirs, _ := filepath.Glob("/tmp/dw*")
	for _, dir := range dirs {
		if !orphaned(dir) {
			continue
		}
		if err := removeStale(dir); err != nil {
			t.Logf("could not remove stale harness dir %s: %v", dir, err)
			continue
		}
		t.Logf("removed stale harness dir %s", dir)
	}
}

// orphaned reports whether dir is a harness directory whose owner is dead.
func orphaned(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	_, err = os.Stat("/proc/" + strconv.Itoa(pid))
	return errors.Is(err, os.ErrNotExist)
}

// removeStale ends whatever still runs from dir, unmounts and deletes it.
func removeStale(dir string) error {
	if _, err := killStrays(dir, nil); err != nil {
		return err
	}
	if err := unmountUnder(dir); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}
