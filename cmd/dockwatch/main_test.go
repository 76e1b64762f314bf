package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// envRunMain makes the test binary behave as the dockwatch binary, so
// tests can run the real main (exit status, stderr) without a go build.
const envRunMain = "DOCKWATCH_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// cliCommand is dockwatch as a separate process with only the given
// variables (plus PATH and a private HOME), as a user's shell would run it.
func cliCommand(t *testing.T, vars map[string]string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	// GOCOVERDIR: under -coverprofile the child is a coverage binary that
	// otherwise warns on stderr, and stderr is what these tests read.
	cmd.Env = []string{envRunMain + "=1", "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GOCOVERDIR=" + t.TempDir()}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// execCLI runs cliCommand to its end.
func execCLI(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	cmd := cliCommand(t, vars, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := errors.AsType[*exec.ExitError](err); err != nil && !exited {
		t.Fatalf("run dockwatch %v: %v", args, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}
