package controllers

import "os"

// ManagerIdentity names this manager process in the events it emits
// (reportingInstance, source.host): the pod name from the downward API
// (POD_NAME), else the host name, so `kubectl get events -o wide` says
// which replica or node agent saw a change.
func ManagerIdentity() string {
	if name := os.Getenv("POD_NAME"); name != "" {
		return name
	}
	if name, err := os.Hostname(); err == nil {
		return name
	}
	return "unknown"
}
