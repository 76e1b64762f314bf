package dockertest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// killStrays SIGKILLs what a daemon that did not shut down cleanly leaves
// running: processes whose command line names dir (its containerd and
// shims) and processes in the cgroup of one of its containers. Only
// processes that provably belong to this daemon are touched.
func killStrays(dir string, containerIDs []string) ([]int, error) {
	pids, err := strayPIDs(dir, containerIDs)
	if err != nil {
		return nil, err
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				return pids, fmt.Errorf("process %d of daemon %s survived SIGKILL", pid, dir)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return pids, nil
}

// strayPIDs scans /proc for processes belonging to the daemon in dir.
func strayPIDs(dir string, containerIDs []string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	self, parent := os.Getpid(), os.Getppid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || pid == parent {
			continue
		}
		if belongs(pid, dir, containerIDs) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// belongs reports whether pid runs with dir in its arguments or inside the
// cgroup of one of containerIDs. Zombies are skipped: they hold nothing.
func belongs(pid int, dir string, containerIDs []string) bool {
	base := "/proc/" + strconv.Itoa(pid)
	if !alive(pid) {
		return false
	}
	if cmdline, err := os.ReadFile(base + "/cmdline"); err == nil {
		if bytes.Contains(cmdline, []byte(dir+"/")) {
			return true
		}
	}
	cg, err := os.ReadFile(base + "/cgroup")
	if err != nil {
		return false
	}
	for _, id := range containerIDs {
		if id != "" && bytes.Contains(cg, []byte(id)) {
			return true
		}
	}
	return false
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name, which may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || (stat[i+2] != 'Z' && stat[i+2] != 'X')
}

// unmountUnder lazily unmounts every mount at or below dir, top of each
// stack first, repeating because a detach can uncover a mount beneath it.
func unmountUnder(dir string) error {
	for pass := 0; pass < 5; pass++ {
		mounts, err := mountsUnder(dir)
		if err != nil || len(mounts) == 0 {
			return err
		}
		for i := len(mounts) - 1; i >= 0; i-- {
			err := syscall.Unmount(mounts[i], syscall.MNT_DETACH)
			if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
				return fmt.Errorf("unmount %s: %w", mounts[i], err)
			}
		}
	}
	mounts, _ := mountsUnder(dir)
	return fmt.Errorf("mounts remain under %s: %v", dir, mounts)
}

// mountsUnder lists mount points at or below dir in /proc/self/mountinfo
// order (a later line sits on top of an earlier one at the same path).
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mount table: %w", err)
	}
	return out, nil
}

// unescapeMount decodes the octal escapes (\040 for space and so on) that
// mountinfo uses in paths.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// tail returns the last n lines of the file at path, for failure messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
