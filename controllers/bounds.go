package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"unicode/utf8"

	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/eventlog"
)

// Caps on daemon-sourced strings written into status and events. The CRD's
// maxLength markers on the same fields match them, so a daemon that sends
// megabyte names cannot make a status patch fail: the string is cut, with
// truncatedMarker at the end, long before the API server would refuse it.
const (
	maxVersionLength = 128 // version, os, apiVersion
	maxKernelLength  = 256
	maxIDLength      = 128 // Docker IDs are 64 hex digits
	maxNameLength    = 256
	maxImageLength   = 512 // a reference with a registry, path and digest
	maxStateLength   = 64  // state and health words: running, unhealthy...
	truncatedMarker  = "…(truncated)"
	// hashedMarkerLength is truncatedMarker's room when a hash is added
	// ("…(truncated " + 8 hex digits + ")").
	hashedMarkerLength = len("…(truncated ") + 8 + len(")")
)

// capString cuts s to at most max bytes, on a UTF-8 boundary, ending in
// truncatedMarker when anything was cut. Strings that fit are returned as is.
func capString(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return cutRunes(s, max-len(truncatedMarker)) + truncatedMarker
}

// capKey is capString for strings that identify something (container IDs
// and names, which key alerts): the marker carries a hash of the whole
// string, so two long names sharing a prefix stay apart.
func capKey(s string, max int) string {
	if len(s) <= max {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return cutRunes(s, max-hashedMarkerLength) + "…(truncated " + hex.EncodeToString(sum[:4]) + ")"
}

// cutRunes returns the longest prefix of s of at most n bytes that does not
// split a UTF-8 character.
func cutRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// boundContainer caps the daemon-sourced strings of one container.
func boundContainer(c docker.ContainerStats) docker.ContainerStats {
	c.ID = capKey(c.ID, maxIDLength)
	c.Name = capKey(c.Name, maxNameLength)
	c.Image = capString(c.Image, maxImageLength)
	return c
}

// boundSnapshot caps every daemon-sourced string of a snapshot before any
// of it reaches status, alert memory, events or metric labels. It copies
// what it changes and leaves snap itself alone.
func boundSnapshot(snap *docker.Snapshot) *docker.Snapshot {
	out := *snap
	d := &out.Daemon
	d.Version = capString(d.Version, maxVersionLength)
	d.APIVersion = capString(d.APIVersion, maxVersionLength)
	d.OS = capString(d.OS, maxVersionLength)
	d.KernelVersion = capString(d.KernelVersion, maxKernelLength)
	out.Containers = make([]docker.ContainerStats, len(snap.Containers))
	for i, c := range snap.Containers {
		out.Containers[i] = boundContainer(c)
	}
	out.Skipped = make([]docker.SkippedContainer, len(snap.Skipped))
	for i, s := range snap.Skipped {
		s.ID, s.Name = capKey(s.ID, maxIDLength), capKey(s.Name, maxNameLength)
		out.Skipped[i] = s
	}
	return &out
}

// boundEvents caps the daemon-sourced strings of an event log read before
// any of it is inspected, remembered, written to status or sent in an
// event. IDs are cut as capKey cuts the snapshot's, so the same container
// keeps the same ID on both paths. It copies the events it changes.
func boundEvents(read eventlog.Result) eventlog.Result {
	read.Events = slices.Clone(read.Events)
	for i := range read.Events {
		ev := &read.Events[i]
		ev.ContainerID = capKey(ev.ContainerID, maxIDLength)
		ev.Name = capKey(ev.Name, maxNameLength)
		ev.Detail = capString(ev.Detail, maxStateLength)
	}
	return read
}
