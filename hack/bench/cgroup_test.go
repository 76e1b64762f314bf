package main

import (
	"context"
	"strings"
	"testing"

	"github.com/dockwatch/dockwatch/internal/docker"
)

func TestOpenCgroupSkipsWithAReasonInsteadOfFailing(t *testing.T) {
	tests := []struct {
		name     string
		cfg      docker.Config
		opts     options
		wantNote string
	}{
		{"switched off", docker.Config{Endpoint: "unix:///nonexistent/d.sock"}, options{containers: 1, runs: 1},
			"-cgroup=false"},
		{"cannot be built for a remote daemon", docker.Config{Endpoint: "tcp://127.0.0.1:1"}, options{containers: 1, runs: 1, cgroup: true},
			"needs a unix:// endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, note, err := openCgroup(context.Background(), tt.cfg, tt.opts)
			if err != nil || c != nil {
				t.Fatalf("openCgroup = client %v, error %v; want neither", c, err)
			}
			if !strings.Contains(note, tt.wantNote) || strings.Contains(note, "\n") {
				t.Errorf("note = %q, want one line mentioning %q", note, tt.wantNote)
			}
		})
	}
}
