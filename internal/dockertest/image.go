package dockertest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ImageRef is the test image: a static busybox with its applets linked in /bin.
const ImageRef = "dockwatch-test/busybox:latest"

// fallbackApplets are linked when `busybox --list` cannot be run.
var fallbackApplets = []string{"sh", "sleep", "yes", "cat", "true", "false", "echo",
	"ls", "ps", "top", "head", "dd", "kill", "env", "id", "hostname"}

// The image tarball is built once per process and shared by all daemons.
var (
	tarOnce sync.Once
	tarData []byte
	tarErr  error
)

// Image imports the busybox test image into this daemon once (it survives
// Stop and Restart with the data-root) and returns its reference.
func (d *Daemon) Image(t TB) string {
	t.Helper()
	d.mu.Lock()
	done := d.imported
	d.mu.Unlock()
	if done {
		return ImageRef
	}
	if err := d.importImage(); err != nil {
		t.Fatalf("import test image into %s: %v", d.Host, err)
	}
	d.mu.Lock()
	d.imported = true
	d.mu.Unlock()
	return ImageRef
}

// importImage writes the tarball next to the daemon and `docker import`s it;
// no registry is needed.
func (d *Daemon) importImage() error {
	tarOnce.Do(func() { tarData, tarErr = busyboxTar() })
	if tarErr != nil {
		return tarErr
	}
	path := filepath.Join(d.Dir, "busybox.tar")
	if err := os.WriteFile(path, tarData, 0o644); err != nil {
		return fmt.Errorf("write image tarball: %w", err)
	}
	defer os.Remove(path)
	_, err := d.TryDocker("import", "--change", `CMD ["/bin/sh"]`, path, ImageRef)
	return err
}

// busyboxTar builds a root filesystem holding the static busybox, a
// symlink per applet, /tmp and a minimal /etc.
func busyboxTar() ([]byte, error) {
	bbPath, err := busyboxPath()
	if err != nil {
		return nil, err
	}
	bb, err := os.ReadFile(bbPath)
	if err != nil {
		return nil, fmt.Errorf("read busybox: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range rootfsEntries(bb, applets(bbPath)) {
		if err := tw.WriteHeader(e.hdr); err != nil {
			return nil, fmt.Errorf("write image tarball: %w", err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("write image tarball: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("write image tarball: %w", err)
	}
	return buf.Bytes(), nil
}

// tarEntry is one header and its content.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// rootfsEntries lists the image's files in the order a tarball needs
// (directories before their contents).
func rootfsEntries(bb []byte, applets []string) []tarEntry {
	mtime := time.Unix(0, 0)
	dir := func(name string, mode int64) tarEntry {
		return tarEntry{hdr: &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: mtime}}
	}
	file := func(name string, mode int64, data []byte) tarEntry {
		return tarEntry{hdr: &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime}, data: data}
	}
	entries := []tarEntry{
		dir("bin/", 0o755), dir("etc/", 0o755), dir("root/", 0o700), dir("tmp/", 0o1777),
		file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")),
		file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")),
		file("bin/busybox", 0o755, bb),
	}
	for _, a := range applets {
		entries = append(entries, tarEntry{hdr: &tar.Header{Typeflag: tar.TypeSymlink,
			Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: mtime}})
	}
	return entries
}

// applets asks busybox which applets it has, so the image links exactly
// those; names with a slash or busybox itself are skipped.
func applets(bbPath string) []string {
	out, err := exec.Command(bbPath, "--list").Output()
	if err != nil {
		return fallbackApplets
	}
	var names []string
	for _, n := range strings.Fields(string(out)) {
		if n != "busybox" && !strings.Contains(n, "/") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return fallbackApplets
	}
	return names
}
